// `elvis merge [FILE...]`: sums `elvis count` TSV outputs (the reducer of a sharded count).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "elvis/count_format.hpp"
#include "options.hpp"

#include <boost/program_options.hpp>

namespace elvis::cli {

namespace po = boost::program_options;

namespace {

constexpr const char* merge_usage = R"(Usage: elvis merge [FILE...]
Sum the TSV output of any number of 'elvis count' runs (the mapper; this is the reducer), read
from the FILEs in any order, or from standard input when there are none ('-' is standard input).
A FILE may hold several count outputs one after another, as 'parallel' or 'xargs -P' write them.

Input lines:
  TERM<TAB>COUNT             totals
  TERM<TAB>COUNT<TAB>DOCS    totals with --doc-freq: both numbers are summed
  PATH<TAB>TERM<TAB>COUNT    --per-file lines (in an input that also has TERM<TAB>COUNT lines)

Output: the per-file lines sorted by path, then one totals line per term in the order terms were
first seen: what one 'elvis count' over all the files prints. Terms and paths are copied as they
are (escaped as count escapes them). Memory is bounded: past 32 MiB the per-file lines are sorted
into temporary files (deleted as they are made), merged at the end, as sort(1) does.

With count's --header on every input, merge also checks what it adds up: the outputs must count
the same way (occurrences or records, -i, -w, -z) and the same terms, without errors; an input
(or a shard of it) found in two outputs is an error (a retried job counted twice); the output starts with a
header naming every input, shards 1/N..N/N of a PATH joined into PATH. Inputs with and without
a header are not merged together.

Options:
      --expect=MANIFEST          with headers: the inputs must be exactly the paths of MANIFEST,
                                 one per line (blank lines skipped); each one missing (or a
                                 shard of it) and each one not listed is reported
  -T, --temporary-directory=DIR  put temporary files in DIR (default: $TMPDIR, else /tmp)
  -h, --help                     show this help and exit
  -V, --version                  show the version and exit

Exit status: 0 on success; 2 if a FILE cannot be read, a line is malformed or the counts cannot
be added up (reported as 'elvis: FILE:LINE: reason'), the inputs are not those of the MANIFEST,
or a temporary file cannot be written, in which case nothing is printed.
)";

constexpr const char* stdin_name = "(standard input)";

// Feeds one input to the merger in chunks. Returns false (after reporting) when it cannot be read.
bool feed_input(TsvMerger& merger, const std::string& name, std::vector<char>& buffer) {
    const bool is_stdin = name == "-";
    const int fd = is_stdin ? STDIN_FILENO : ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        report(name, std::strerror(errno));
        return false;
    }
    const std::string shown = is_stdin ? stdin_name : name;
    merger.begin(shown);
    bool ok = true;
    for (;;) {
        const ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            report(shown, std::strerror(errno));
            ok = false;
            break;
        }
        if (n == 0) break;
        try {
            merger.feed({buffer.data(), static_cast<std::size_t>(n)});
        } catch (...) {
            if (!is_stdin) ::close(fd);
            throw;
        }
    }
    if (!is_stdin) ::close(fd);
    if (ok) merger.end();
    return ok;
}

using Takes = Flag::Takes;
constexpr Flag merge_flags[] = {
    // Given twice, the last one counts (as sort -T).
    {"expect", 0, Takes::values}, {"temporary-directory", 'T', Takes::values}, {"help", 'h'}, {"version", 'V'},
};

}  // namespace

int merge_command(int argc, char** argv) {
    std::vector<std::string> files;
    std::string temporary_directory;
    std::optional<std::string> manifest;
    try {
        const po::variables_map vm = parse_command_line(argc, argv, merge_flags, "file");
        if (vm["help"].as<bool>()) {
            std::fputs(merge_usage, stdout);
            return exit_ok;
        }
        if (vm["version"].as<bool>()) {
            print_version();
            return exit_ok;
        }
        if (vm.count("temporary-directory")) temporary_directory = values_of(vm, "temporary-directory").back();
        if (vm.count("expect")) manifest = values_of(vm, "expect").back();
        files = values_of(vm, "file");
    } catch (const UsageError& e) {
        report(e.what());
        std::fputs("Try 'elvis merge --help' for more information.\n", stderr);
        return exit_trouble;
    }
    if (files.empty()) files.push_back("-");

    std::vector<std::string> expected;
    if (manifest && *manifest == "-" && std::find(files.begin(), files.end(), "-") != files.end()) {
        report("--expect - reads the manifest from standard input, which is also an input here");
        return exit_trouble;
    }
    if (manifest) {
        try {
            expected = read_path_list(*manifest, false);  // one path per line, blank lines skipped
        } catch (const std::exception& e) {
            report(e.what());
            return exit_trouble;
        }
    }
    TsvMerger merger(temporary_directory);
    std::vector<char> buffer(256 * 1024);
    try {
        for (const std::string& name : files)
            if (!feed_input(merger, name, buffer)) return exit_trouble;
        if (manifest) {
            if (!merger.headed()) {
                report("--expect needs count outputs with a header (elvis count --header)");
                return exit_trouble;
            }
            const std::vector<std::string> problems = merger.compare_with_manifest(expected);
            for (const std::string& problem : problems) report(*manifest + ": " + problem);
            if (!problems.empty()) return exit_trouble;
        }
        // Output errors are checked with the rest in main.
        merger.write([](std::string_view piece) { std::fwrite(piece.data(), 1, piece.size(), stdout); });
    } catch (const MergeError& e) {
        report(e.what());
        return exit_trouble;
    } catch (const IoError& e) {  // a temporary file
        report(e.what());
        return exit_trouble;
    }
    return exit_ok;
}

}  // namespace elvis::cli
