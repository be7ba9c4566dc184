// The subcommands of the elvis command; each parses its own options and returns the exit status.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "elvis/byte_source.hpp"
#include "elvis/corpus_count.hpp"
#include "elvis/filter.hpp"
#include "elvis/inplace.hpp"
#include "elvis/rules.hpp"

namespace elvis::cli {

int filter_command(int argc, char** argv);
int count_command(int argc, char** argv);
int merge_command(int argc, char** argv);

// `elvis --in-place`: parsed by the filter's command line, run here.
struct InPlaceRun {
    InPlaceSettings settings;
    std::vector<std::string> paths;
    bool progress = false;
    bool stats = false;  // how the new files were made, after the summary
    bool must_match = false;  // exit 1 when nothing was replaced
    bool interactive = false;  // each hunk asked on the terminal
};
int in_place_command(const InPlaceRun& run);

// The command lines, parsed and checked without touching any input (only --rules and --files-from
// files are read). Each returns nothing when --help or --version was answered (on stdout) and
// throws UsageError for a bad command line; the rules themselves are checked when the matcher is
// built (RuleError). Separate from running so that fuzz/fuzz_options.cpp can call them.
struct FilterCommand {
    FilterSettings job;  // --buffer-size sets both of its buffer sizes
    std::vector<std::string> files;
    bool stats = false;
    std::string trace_path;
    bool must_match = false;  // exit 1 when nothing was replaced
    std::optional<InPlaceRun> in_place;  // the rules, match options, buffer size and io copied in
};
std::optional<FilterCommand> parse_filter(int argc, char** argv);

struct CountCommand {
    CountSettings settings;
    std::vector<std::string> paths;
    bool json = false;
    bool doc_freq = false;
    bool header = false;              // --header
    bool list_files = false;          // --files
    bool files_with_matches = false;  // -l
    bool stats = false;
    std::string trace_path;
};
std::optional<CountCommand> parse_count(int argc, char** argv);

}  // namespace elvis::cli
