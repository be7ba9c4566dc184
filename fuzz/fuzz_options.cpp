// Robustness fuzzer for the command-line parsers and the rules-file parser: whatever the argument
// vector or the rules text, parsing either succeeds with settings the commands can run with or
// fails with the error the command reports (UsageError, RuleError); it never crashes, hangs,
// leaks or throws anything else (an escaping exception aborts the fuzzer).
//
// Input encoding: the arguments after argv[0], separated by NUL bytes (at most 64). An input
// that starts with "count" NUL is `elvis count ...`, as main() dispatches it. The same bytes are
// also parsed whole as a rules file (--rules).
//
// Paths are kept inside the scratch directory the parsers run in (the fuzzer changes into it for
// each input and back), which holds rules.tsv, paths.txt and paths0.txt, so --rules and
// --files-from read real files: an input with an argument starting with '/', or containing "=/"
// or "..", is skipped (return -1), since /dev/zero or a FIFO would only make the parser wait for
// input forever, which it must, like every file reader. Other slashes stay ("--shard 2/3").
// Standard input is /dev/null and standard output (where --help goes) is discarded.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "../src/cli/commands.hpp"
#include "../src/cli/options.hpp"
#include "elvis/matcher.hpp"
#include "elvis/rules.hpp"

using namespace elvis;
using namespace elvis::cli;

namespace {

[[noreturn]] void fail(const char* what, const std::vector<std::string>& args) {
    std::fprintf(stderr, "fuzz_options: %s\nargs:", what);
    for (const std::string& arg : args) std::fprintf(stderr, " [%s]", arg.c_str());
    std::fprintf(stderr, "\n");
    std::abort();
}

void write_file(const char* name, std::string_view text) {
    std::ofstream(name, std::ios::binary) << text;
}

char scratch_directory[] = "/tmp/elvis-fuzz-options.XXXXXX";
constexpr const char* scratch_files[] = {"rules.tsv", "paths.txt", "paths0.txt"};
int scratch_fd = -1, start_fd = -1;  // the scratch directory, and where the process started

void remove_scratch_directory() {
    for (const char* name : scratch_files) ::unlinkat(scratch_fd, name, 0);
    ::rmdir(scratch_directory);
}

// Runs in the scratch directory while alive; back where it started (libFuzzer's and the replay
// main's relative paths) afterwards.
struct InScratchDirectory {
    InScratchDirectory() {
        if (::fchdir(scratch_fd) != 0) std::abort();
    }
    ~InScratchDirectory() {
        if (::fchdir(start_fd) != 0) std::abort();
    }
};

void make_scratch_directory() {
    start_fd = ::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (start_fd < 0 || !::mkdtemp(scratch_directory) ||
        (scratch_fd = ::open(scratch_directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        std::perror("fuzz_options: scratch directory");
        std::abort();
    }
    std::atexit(remove_scratch_directory);
    InScratchDirectory here;
    write_file("rules.tsv", "elvis\tElvis\n# comment\nfoo\\tbar\tbaz\\n\n\\x00\\xff\tnul\r\n");
    write_file("paths.txt", "rules.tsv\npaths.txt\n\nmissing\r\n");
    write_file("paths0.txt", std::string_view("rules.tsv\0paths.txt\0\0", 22));
    const int null_fd = ::open("/dev/null", O_RDWR);
    if (null_fd < 0 || ::dup2(null_fd, STDIN_FILENO) < 0 || ::dup2(null_fd, STDOUT_FILENO) < 0) {
        std::perror("fuzz_options: /dev/null");
        std::abort();
    }
    ::close(null_fd);
}

// The rules a command would build its matcher from are accepted, or rejected with RuleError
// (empty or duplicate find texts), which the command reports.
void build_matcher(const std::vector<Rule>& rules, const MatchOptions& match) {
    try {
        Matcher matcher{RuleSet(rules, match)};
        (void)matcher;
    } catch (const RuleError&) {
    }
}

void check_filter(const FilterCommand& c, const std::vector<std::string>& args) {
    const FilterSettings& s = c.job;
    if (s.rules.empty()) fail("filter settings without rules", args);
    if (s.buffer_size < 1 || s.buffer_size > (64u << 20)) fail("buffer size out of bounds", args);
    if (c.files.empty()) fail("filter settings without a file (stdin is '-')", args);
    if (c.in_place) {
        const InPlaceSettings& p = c.in_place->settings;
        if (p.threads < 1 || p.threads > 256) fail("--in-place threads out of bounds", args);
        // No PATH only with --files-from (which may list none); an abbreviation of it starts "--fil".
        const bool listed = std::any_of(args.begin(), args.end(), [](const std::string& a) { return a.starts_with("--fil"); });
        if (c.in_place->paths.empty() && !listed) fail("--in-place without paths", args);
        for (const std::string& path : c.in_place->paths)
            if (path == "-") fail("--in-place accepted standard input", args);
        if (p.dry_run && p.diff) fail("--dry-run and --diff both accepted", args);
        if (s.decompress) fail("--decompress accepted with --in-place", args);
        if (s.gzip_output) fail("--gzip-output accepted with --in-place", args);
    }
    build_matcher(s.rules, s.match);
}

void check_count(const CountCommand& c, const std::vector<std::string>& args) {
    const CountSettings& s = c.settings;
    if (s.terms.empty()) fail("count settings without terms", args);
    if (s.threads < 1 || s.threads > 256) fail("count threads out of bounds", args);
    if (s.buffer_size < 1 || s.buffer_size > (64u << 20)) fail("count buffer size out of bounds", args);
    if (s.split_threshold < 1) fail("split threshold of zero", args);
    build_matcher(s.terms, s.match);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const bool ready = (make_scratch_directory(), true);
    (void)ready;
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    // The rules-file parser on the whole input.
    try {
        for (const Rule& rule : parse_rules(input, "fuzz.tsv"))
            if (rule.find.empty()) std::abort();  // parse_rules must reject an empty find text
    } catch (const RuleError&) {
    }

    std::vector<std::string> args{"elvis"};
    for (std::size_t start = 0; start <= input.size() && args.size() <= 64;) {
        std::size_t end = input.find('\0', start);
        if (end == std::string_view::npos) end = input.size();
        args.emplace_back(input.substr(start, end - start));
        start = end + 1;
    }
    if (input.empty() || args.size() > 64) return -1;
    for (const std::string& arg : args)
        if (arg.starts_with('/') || arg.find("=/") != std::string::npos || arg.find("..") != std::string::npos)
            return -1;

    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const int argc = static_cast<int>(args.size());
    InScratchDirectory here;
    try {
        if (args[1] == "count") {
            if (auto command = parse_count(argc - 1, argv.data() + 1)) check_count(*command, args);
        } else if (auto settings = parse_filter(argc, argv.data())) {
            check_filter(*settings, args);
        }
    } catch (const UsageError& e) {
        if (std::strlen(e.what()) == 0) fail("a UsageError without a message", args);
    } catch (const RuleError&) {
        // --rules named a file whose contents are not rules: reported by the command.
    }
    return 0;
}
