// Helpers shared by the subcommands: errors in the `elvis: ...` form, sizes, option suggestions.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "elvis/byte_source.hpp"
#include "elvis/shard.hpp"
#include "elvis/walk.hpp"
#include "elvis/warc.hpp"

#include <boost/program_options.hpp>

namespace elvis {
class Trace;
}

namespace elvis::cli {

// Bad command line: the message is printed with a hint to run --help, exit status 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

inline constexpr int exit_ok = 0;
inline constexpr int exit_trouble = 2;
inline constexpr int exit_nothing = 1;  // --must-match with no match; a preview with nothing to change

// Prints `elvis: WHAT: REASON` (or `elvis: REASON`) to stderr.
// "elvis: WHAT: REASON" on stderr, one line whatever the bytes: newline, tab and CR are written
// \n \t \r, other control bytes \xHH (so that no file name can move the cursor or colour the
// terminal), and in WHAT (a path) a backslash \\, as count's TSV writes paths.
void report(std::string_view what, std::string_view reason);
std::string printable(std::string_view text, bool escape_backslash);
void report(std::string_view reason);

// The -V/--version line on stdout, the same for every subcommand.
void print_version();

// Parses a plain decimal count (threads, say) within [min, max].
std::uint64_t parse_number(std::string_view text, std::uint64_t min, std::uint64_t max, std::string_view option);

// Parses a byte count with an optional binary suffix (K, M, G, KiB, ...), within [min, max].
std::uint64_t parse_size(std::string_view text, std::uint64_t min, std::uint64_t max, std::string_view option);

// Levenshtein distance, for suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

// Builds the message for an unknown option, naming the closest known one when it is close.
std::string unknown_option_message(std::string_view given, std::span<const std::string_view> known);

// True when `fd` is a terminal.
bool is_terminal(int fd);

// One command-line flag, defined once: the parser, the suggestion for a mistyped option and the
// checks of where a flag applies all read the same table (each command's `*_flags`).
struct Flag {
    enum class Takes { nothing, value, values };  // a switch, one value, a value per occurrence
    std::string_view name;                         // the long name, without "--"
    char short_name = 0;                           // 0: none
    Takes takes = Takes::nothing;
    bool in_place_only = false;  // the filter's flags that apply only with --in-place
};

// Parses argv against `flags`, collecting bare arguments under `positional_name` (Unix style,
// no abbreviated long options). Bad options become UsageError; an unknown one names the closest
// flag.
boost::program_options::variables_map parse_command_line(int argc, char** argv, std::span<const Flag> flags,
                                                         const char* positional_name);

// Whether the flag was on the command line.
bool given(const boost::program_options::variables_map& vm, const Flag& flag);

// The values of a repeatable string option (empty when absent).
std::vector<std::string> values_of(const boost::program_options::variables_map& vm, const char* name);

// The I/O backend for --stats: "io_uring", or "posix (fallback: WHY)".
std::string backend_description(std::string_view backend, std::string_view fallback_reason);

// The --trace file, opened (created or emptied) before any work, so that a path that cannot be
// written fails at once, and written once at the end (a FIFO sees one writer).
struct TraceFile {
    std::string path;
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> stream{nullptr, std::fclose};
};
// Opens `path`; reports and returns false when it cannot.
bool open_trace_file(const std::string& path, TraceFile& file);

// The end of --stats and --trace: prints the time of each thread ("elvis: time:         THREAD:
// scan ...") when `stats`, and writes the trace into `file` when it is open. Returns false,
// reported, when the trace cannot be written.
bool finish_trace(const Trace& trace, bool stats, TraceFile& file);

// What went to stdout through stdio (help, version, count's table, merge's sums, --dry-run's
// list) is checked by flushing it, as GNU's close_stdout does: `elvis --help > /dev/full` must
// not exit 0. Returns `status`, or exit_trouble after reporting a write error (once; a closed
// pipe stays quiet, as it does for the filter). main calls it last; a command may call it
// earlier to order its output before a summary on stderr.
int check_stdout(int status);

// The whole of `path` ("-": standard input); UsageError naming it when it cannot be opened or read.
std::string read_whole_file(const std::string& path);

// Reads a list of paths from FILE ('-': standard input), one per line or NUL-separated.
// Empty entries are skipped; a trailing CR is dropped from lines. Throws UsageError.
std::vector<std::string> read_path_list(const std::string& from, bool nul_separated);

// The walk options both commands share: --hidden, --follow, -g/--glob, --iglob, --files-from.
WalkOptions walk_options(const boost::program_options::variables_map& vm);

// The engine and I/O options the filter, --in-place and count share: -j/--threads, --shard,
// --buffer-size, --io. Those not given stay unset, for each command to apply its own default.
struct SharedOptions {
    std::optional<unsigned> threads;
    std::optional<Shard> shard;
    std::optional<std::size_t> buffer_size;
    IoMode io = IoMode::automatic;
};
// Throws UsageError for a value out of range or not understood.
SharedOptions shared_options(const boost::program_options::variables_map& vm);

// The WARC options both commands share: --warc, --warc-type, --warc-lang (and the filter's
// --warc-digests, when `vm` has it). Throws UsageError for a --warc-* without --warc.
WarcOptions warc_options(const boost::program_options::variables_map& vm);

// The paths of --files-from (read_path_list, -0/--null), for WalkOptions::listed; none without
// it. Throws UsageError (-0 without --files-from, an unreadable list).
std::vector<std::string> listed_paths(const boost::program_options::variables_map& vm);

}  // namespace elvis::cli
