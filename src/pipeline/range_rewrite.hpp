// rewrite_in_ranges: the filter's way through one large file into another, on every core.
//
// When every replacement has the length of its find text, each output byte sits at its input
// byte's offset, so the input can be cut into ranges (ranges.hpp) that workers read, patch and
// write with positioned I/O at once, each on its own core, instead of one thread scanning
// everything and another writing it. Where a match crosses from one range into the next, the
// stitch writes the few bytes the ranges got wrong. The output is the same bytes StreamRewriter
// writes for the same input, however the ranges fall.
//
// Why: GNU cat copies a file with copy_file_range (one copy, in the kernel). Streaming pays a
// read copy and the scan on one core and the write copy on the other, and the first core is the
// slower; split, each core pays a share of all three (DESIGN.md, "The filter's pipeline").
//
// The input is read up to the size it had when planned: bytes appended meanwhile are not read
// (cat would read them); an input cut short meanwhile is an IoError, so the caller streams it.
#pragma once

#include <cstdint>
#include <optional>

#include "elvis/byte_source.hpp"
#include "elvis/filter.hpp"
#include "elvis/matcher.hpp"
#include "pipeline/trace.hpp"

namespace elvis {

// How far ahead of its writes each range reserves the output's disk space (on ext4, where that
// spares each write the delayed allocation; sink.hpp's SpaceReservation). Reserving each chunk
// took the inode's lock once more per write while the other worker's writes held it; reserving
// all of the output at once would leave up to a range's worth allocated past the end of a killed
// run's output; a step leaves one at most (DESIGN.md, "The filter's pipeline").
inline constexpr std::uint64_t default_reservation_step = 32 << 20;

struct RangeRewriteSettings {
    unsigned threads = 2;
    std::size_t buffer_size = default_range_buffer_size;
    std::uint64_t reservation_step = default_reservation_step;  // 0: none
    IoMode io = IoMode::automatic;
    Trace* trace = nullptr;  // when set, one track per range
};

struct RangeRewriteReport {
    std::uint64_t bytes = 0;  // read, and written
    std::uint64_t replacements = 0;
};

// Where a rewrite of `in` onto `out` can take rewrite_in_ranges.
struct RangeRewritePlan {
    std::uint64_t from = 0, to = 0;  // the input: from its file position to its end
    std::uint64_t out_at = 0;        // the output's file position
};

// A plan when: the matcher's replacements all have their find text's length; `in` and `out` are
// different regular files; `out` is not open for appending and ends at its file position (so
// nothing past it is overwritten, and a failed read can give the output back as it was); and the
// input has at least `min_bytes` left. Otherwise nullopt, and the caller streams.
std::optional<RangeRewritePlan> plan_range_rewrite(const Matcher& matcher, int in, int out, std::uint64_t min_bytes);

// Writes the rewrite of input bytes [plan.from, plan.to) at plan.out_at in `out`, then moves
// both file positions past what was read and written, as read(2) and write(2) would. On any
// failure the output is cut back to plan.out_at (ranges written in part would leave holes) and
// the positions stay; then it throws WriteError when a write failed, and IoError (or whatever
// else failed, such as starting a thread) otherwise, so the caller can stream the input instead
// and report the error where it happens.
RangeRewriteReport rewrite_in_ranges(const Matcher& matcher, int in, int out, const RangeRewritePlan& plan,
                                     const RangeRewriteSettings& settings);

}  // namespace elvis
