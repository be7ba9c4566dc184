// Ranges: one large regular file cut into ranges that are scanned in parallel, and the ranges'
// matches stitched back into those of one scan of the whole file (count and the filter use it).
//
// Range k = [begin, end) is scanned from a fresh state at `begin`, and past `end` until every
// match starting before `end` is known. That equals the true scan unless a true match from an
// earlier range crosses `begin`; then the stitch rescans from where that match ends until the
// rescan and the range's own scan restart at the same offset (the end of a match both found),
// after which they agree. Ranges record their first matches for that. A range whose scan never
// agrees is rescanned whole, so the total work stays linear.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

#include "elvis/byte_source.hpp"
#include "elvis/occurrence_scanner.hpp"
#include "elvis/scanner.hpp"
#include "pipeline/trace.hpp"

namespace elvis {

struct RangeScan {
    static constexpr std::size_t recorded_matches = 64;

    std::uint64_t begin = 0, end = 0;
    std::array<Match, recorded_matches> first{};  // absolute offsets
    std::size_t recorded = 0;
    std::uint64_t total = 0;  // matches starting in the range
    Match last{};             // the last of them (when total > 0)

    void add(const Match& match) {
        if (recorded < recorded_matches) first[recorded++] = match;
        ++total;
        last = match;
    }
};

// `count` ranges of nearly equal size that cover [from, to) in order.
std::vector<RangeScan> split_into_ranges(std::uint64_t from, std::uint64_t to, unsigned count);

// A trace track "range K/N" for range k of n (null without a trace), with room for
// `events_per_chunk` events per chunk of `buffer_size`: sized to the range, not the default,
// as there may be many ranges.
TraceRecorder* range_track(Trace* trace, std::size_t k, std::size_t n, const RangeScan& range, std::size_t buffer_size,
                           unsigned events_per_chunk);

// An after_chunk for scan_range that does nothing with the chunk.
inline bool keep_scanning(std::span<char>, std::uint64_t) { return true; }

// The byte of fd before `offset`, for whole-word tests at a range's start; -1 when not needed or
// there is none. Throws IoError when it cannot be read.
int byte_before(int fd, std::uint64_t offset, bool needed);

// Scans [from, size) of fd with `scanner` (a StreamScanner or an OccurrenceScanner) until every
// match starting before `stop` is known; `look_behind`:
// whole-word tests see the byte before `from` (false where the stream starts). For each chunk
// read: on_match(match, chunk, chunk_offset) for its matches (absolute offsets; a match may
// begin in an earlier chunk, and the ones reported at the end of the input come with an empty
// chunk; returning false stops the scan), then after_chunk(chunk, chunk_offset) (returning
// false stops it too). The chunk may be patched in between.
template <class Scanner, class OnMatch, class AfterChunk>
void scan_range(ByteSource& source, Scanner& scanner, int fd, std::uint64_t from, std::uint64_t stop,
                std::uint64_t size, bool look_behind, TraceRecorder* trace, OnMatch&& on_match,
                AfterChunk&& after_chunk) {
    scanner.reset(byte_before(fd, from, look_behind));
    source.open_range(fd, from, size - from);
    std::uint64_t at = from;  // the current chunk's offset
    Match m;
    auto deliver = [&](const Match& local, std::span<char> chunk) {
        const Match match{from + local.start, from + local.end, local.rule};
        // Occurrences come in the order they end: one starting past `stop` may precede one
        // starting before it; decided() says when none can.
        if (match.start >= stop) return std::is_same_v<Scanner, OccurrenceScanner>;
        return on_match(match, chunk, at);
    };
    const bool to_the_end = for_each_traced_chunk(source, trace, [&](std::span<char> chunk) {
        scanner.feed({chunk.data(), chunk.size()});
        bool going = true;
        while (going && scanner.next(m)) going = deliver(m, chunk);
        going = after_chunk(chunk, at) && going;
        at += chunk.size();
        return going && from + scanner.decided() < stop;
    });
    source.close();
    if (to_the_end && at < size) throw IoError::shrank(at, size);
    if (to_the_end)
        while (scanner.finish(m))
            if (!deliver(m, {})) break;
}

// Stitches ranges scanned on their own (in order, as split_into_ranges cut them) into the true
// scan. For each range index k, in order:
//   crossing(k, match)         a true match from before the range runs into it (called first);
//   rescan(k, from, on_true)   must scan [from, end of range k) afresh (scan_range) and pass each
//                              match to on_true(match), stopping when that returns false;
//   adopt(k, skipped)          the range's own matches are true, all but its first `skipped`.
// The matches rescan() passes to on_true are true ones too.
// rescan_at_begin(k): range k was scanned without the byte before it, which a whole-word test
// at its first byte needs (a compressed range's previous byte is not known in advance); when
// true and no match crosses into it, the range is rescanned from its beginning.
template <class Crossing, class Rescan, class Adopt, class RescanAtBegin>
void stitch_ranges(std::span<const RangeScan> ranges, Crossing&& crossing, Rescan&& rescan, Adopt&& adopt,
                   RescanAtBegin&& rescan_at_begin) {
    std::optional<Match> last;  // the last true match so far
    for (std::size_t k = 0; k < ranges.size(); ++k) {
        const RangeScan& r = ranges[k];
        std::uint64_t resume = r.begin;
        if (!last || last->end <= r.begin) {
            if (!rescan_at_begin(k)) {
                adopt(k, 0);
                if (r.total) last = r.last;
                continue;
            }
        } else {
            crossing(k, *last);
            resume = last->end;
        }
        auto shared_end = [&](std::uint64_t end) -> std::optional<std::size_t> {
            for (std::size_t j = 0; j < r.recorded; ++j)
                if (r.first[j].end == end) return j;
            return std::nullopt;
        };
        auto adopt_after = [&](std::size_t j) {  // the range's matches after first[j]
            adopt(k, j + 1);
            // first[j] ends where the true match in `last` does, but may start elsewhere and
            // be another rule's: it is the true last match only if one of the range's follows.
            if (r.total > j + 1) last = r.last;
        };
        if (auto j = shared_end(resume)) {
            adopt_after(*j);
            continue;
        }
        const auto recorded = r.first.begin() + static_cast<std::ptrdiff_t>(r.recorded);
        if (r.recorded == r.total &&
            std::none_of(r.first.begin(), recorded, [&](const Match& m) { return m.end > resume; }))
            continue;  // no true match can start in [resume, end) without one of the range's ending after resume
        rescan(k, resume, [&](const Match& m) {
            last = m;
            if (auto j = shared_end(m.end)) {
                adopt_after(*j);
                return false;
            }
            return true;
        });
    }
}

template <class Crossing, class Rescan, class Adopt>
void stitch_ranges(std::span<const RangeScan> ranges, Crossing&& crossing, Rescan&& rescan, Adopt&& adopt) {
    stitch_ranges(ranges, crossing, rescan, adopt, [](std::size_t) { return false; });
}

}  // namespace elvis
