// count_gzip_in_ranges: one multi-member gzip file counted on several cores (DESIGN.md, "One gzip
// file on every core"). Range k of the compressed file starts at the first offset in it where a
// member parses and inflates whole to a valid CRC-32 and length; each range is decoded and
// counted on its own thread from there, its members until one ends exactly where a later range
// starts. Range 0 starts at the file's first byte, so following the ranges from it (each to the
// range it ended at) decodes every member once and only true members: a false start (1f 8b 08
// inside another member's data, even a whole valid member stored inside one) is passed over by
// the range before it and its range is dropped. Matches across the ranges' edges are stitched as
// in the ranges of a plain file.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "elvis/byte_source.hpp"
#include "elvis/counter.hpp"
#include "elvis/matcher.hpp"

namespace elvis {

class Trace;

struct GzipRangesCount {
    std::vector<std::uint64_t> totals;  // per term of the matcher's rule set
    std::uint64_t bytes = 0;            // decompressed
    std::size_t ranges = 0;             // decoded in parallel and kept; 1: the file was one stream
};

// Counts the regular gzip file `fd` of `size` bytes in up to `threads` ranges (one stream when a
// term counted on its own overlaps itself). nullopt when it
// must be read as one stream instead, which reports what failed (corrupt or truncated data, a
// read error): a failing file is then treated exactly as with one thread.
std::optional<GzipRangesCount> count_gzip_in_ranges(int fd, std::uint64_t size, const Matcher& terms,
                                                    Counting counting, bool whole_word, unsigned threads, IoMode io,
                                                    std::size_t buffer_size, Trace* trace);

}  // namespace elvis
