// filter_files: the `elvis` filter as a library call. Rewrites each input in turn onto one
// output, as `elvis FILE... > OUT` does, with the same bytes for any buffer size or I/O backend.
//
// Each input goes the one way that suits it (DESIGN.md, "The filter's pipeline"): a large
// regular file into a regular file, with same-length rules, is rewritten in ranges on every core
// with positioned I/O; everything else is streamed, reads ahead through io_uring where the kernel
// allows it, and writes behind on a thread of its own; gzip input is inflated on the way.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "elvis/byte_source.hpp"
#include "elvis/rules.hpp"
#include "elvis/warc.hpp"

namespace elvis {

class Trace;  // src/pipeline/trace.hpp: the CLI's --trace and --stats

// The filter reads 1 MiB at a time: fewer hand-offs to the writer and fewer pipe reads.
inline constexpr std::size_t default_filter_buffer_size = 1 << 20;
// Each read and write of a file rewritten in ranges.
inline constexpr std::size_t default_range_buffer_size = 192 * 1024;

struct FilterSettings {
    std::vector<Rule> rules;
    MatchOptions match;
    std::size_t buffer_size = default_filter_buffer_size;
    std::size_t ranges_buffer_size = default_range_buffer_size;
    IoMode io = IoMode::automatic;
    // Inflate gzip input: files named *.gz must be gzip; other inputs are inflated when they
    // start with the gzip magic bytes 1f 8b, and copied through as they are otherwise.
    bool decompress = false;
    // Write the output gzip-compressed (ISA-L, level 1): one member per input, as `gzip -c
    // FILE...` writes; never in ranges.
    bool gzip_output = false;
    // Enabled: the inputs are WARC records (gzip inflated whatever `decompress` says): only
    // payloads are rewritten, and a rewritten record gets its Content-Length and digests fixed;
    // with gzip_output each record is a gzip member of its own, as Common Crawl writes them.
    WarcOptions warc;
    // When set, reads, scans and writes are recorded on tracks of their own; null costs nothing.
    Trace* trace = nullptr;
};

struct FilterError {
    std::string input;  // as named, "(standard input)" for "-"
    std::string reason;
};

struct FilterReport {
    std::uint64_t bytes_in = 0, bytes_out = 0, replacements = 0;
    std::string io_backend;       // "uring" or "posix"
    std::string fallback_reason;  // why not io_uring, when it was not used
    std::uint64_t failed_inputs = 0;
};

// Rewrites `inputs` ("-" is standard input) in order onto the descriptor `out`. An input that
// cannot be read, or fails while it is read, goes to `on_error` (what was read of it is written
// first) and the next one follows; an input that is the output itself (the same regular file)
// is refused so. Throws RuleError for invalid rules, WriteError when the output fails (EPIPE
// included: a closed pipe), and IoError when --io=uring is asked for and refused.
FilterReport filter_files(const FilterSettings& settings, const std::vector<std::string>& inputs, int out,
                          const std::function<void(const FilterError&)>& on_error = {});

}  // namespace elvis
