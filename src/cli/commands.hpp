// The subcommands of the elvis command; each parses its own options and returns the exit status.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "elvis/byte_source.hpp"
#include "elvis/corpus_count.hpp"
#include "elvis/inplace.hpp"
#include "elvis/rules.hpp"
#include "pipeline/range_rewrite.hpp"

namespace elvis::cli {

int filter_command(int argc, char** argv);
int count_command(int argc, char** argv);
int merge_command(int argc, char** argv);

// `elvis --in-place`: parsed by the filter's command line, run here.
struct InPlaceRun {
    InPlaceSettings settings;
    std::vector<std::string> paths;
    bool progress = false;
};
int in_place_command(const InPlaceRun& run);

// The filter reads 1 MiB at a time: fewer hand-offs to the writer and fewer pipe reads. With four
// batches in flight, file -> file measured the same from 256 KiB to 2 MiB (medians 510-531 ms,
// cat 463 ms; bench/README.md, "File -> file, fourth look"). Rewriting in place keeps
// default_buffer_size: its files are mostly small.
inline constexpr std::size_t default_filter_buffer_size = 1 << 20;
// Batches the filter keeps in flight to a regular file. bench/probes/pipe_probe.cpp, which reads,
// scans and hands buffers to a writer thread as the filter does, copied 1 GiB in 1002 ms with
// one, 601 ms with two and 445-509 ms with four (cat 467-505 ms): with one, the writer waits for
// this thread at every batch, and this thread for the writer.
inline constexpr unsigned write_behind_batches = 4;
// The filter grows the pipes it reads and writes, and count the pipe it reads, to this. Against
// the default 64 KiB, fewer wake-ups on both sides; against 1 MiB, the bytes are still in the
// cache when the other side copies them. cat F | elvis | cat > out, medians of 12 interleaved
// runs in three rounds: 1 MiB 886, 875, 814 ms; 256 KiB 830, 827, 797; cat | cat | cat 775,
// 725, 753 (bench/README.md, "Pipes: 256 KiB"). cat F | elvis count: 1 MiB 510, 256 KiB 491.
inline constexpr std::size_t grown_pipe_bytes = 256 << 10;

// The command lines, parsed and checked without touching any input (only --rules and --files-from
// files are read). Each returns nothing when --help or --version was answered (on stdout) and
// throws UsageError for a bad command line; the rules themselves are checked when the matcher is
// built (RuleError). Separate from running so that fuzz/fuzz_options.cpp can call them.
struct FilterSettings {
    std::vector<Rule> rules;
    MatchOptions match;
    std::vector<std::string> files;
    std::size_t buffer_size = default_buffer_size;
    // Reads (and writes) of a file rewritten in ranges; --buffer-size sets both.
    std::size_t ranges_buffer_size = default_range_buffer_size;
    IoMode io = IoMode::automatic;
    bool stats = false;
    std::string trace_path;
    bool decompress = false;
    std::optional<InPlaceRun> in_place;
};
std::optional<FilterSettings> parse_filter(int argc, char** argv);

struct CountCommand {
    CountSettings settings;
    std::vector<std::string> paths;
    bool json = false;
    bool doc_freq = false;
    bool stats = false;
    std::string trace_path;
};
std::optional<CountCommand> parse_count(int argc, char** argv);

}  // namespace elvis::cli
