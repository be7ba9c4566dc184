// `elvis count [OPTIONS] [PATH...]`: parallel term counting over files and directory trees.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "commands.hpp"
#include "elvis/corpus_count.hpp"
#include "elvis/count_format.hpp"
#include "io/syscalls.hpp"
#include "options.hpp"
#include "pipeline/trace.hpp"

#include <boost/program_options.hpp>

namespace po = boost::program_options;

namespace elvis::cli {

namespace {

constexpr const char* count_usage = R"(Usage: elvis count [OPTIONS] [PATH...]
Count each term's occurrences in the files named, walking directories recursively: for each
term, its non-overlapping occurrences as if it were the only term (as grep -oF TERM | wc -l), so
overlapping terms are all counted ('president' and 'dent' both in 'president'). With no PATH: standard input when it is a pipe or
a file, otherwise the current directory. '-' is standard input.

Options:
  -t, --term TEXT         term to count (repeatable; default 'elvis')
      --terms-file FILE   more terms from FILE, one per line (escapes as in --rules files:
                          \\ \t \n \r \0 \xHH; lines starting with '#' are comments; repeatable)
      --rules FILE        more terms: the FIND column of a filter's rules file (repeatable)
  -i, --ignore-case       match ASCII letters regardless of case
      --preserve-case     also count each term's lower, Capitalized and UPPER variants, under it
  -w, --word              count only whole-word occurrences
      --exclusive         count what the filter would replace instead: the terms compete for
                          each byte (leftmost, then longest), so 'president' hides its 'dent'
      --records TAG       count records (<TAG ...> to </TAG>) containing each term, once per record
      --doc-freq          add a column: files (or records) containing the term
      --warc              the input is WARC records (Common Crawl's WARC and WET files, gzip
                          or not): count in the payloads only, each record on its own; print
                          TERM<TAB>TF<TAB>DF (occurrences, records containing it) and a last
                          line '#warc<TAB>records<TAB>N<TAB>payload-bytes<TAB>M'
      --warc-type T[,T..] record types searched (default conversion,response,resource; the HTTP
                          head of a response or request is not searched)
      --warc-lang L[,L..] only records whose WARC-Identified-Content-Language lists one of L
      --per-record        with --warc: print URI<TAB>RECORD-ID<TAB>TERM<TAB>COUNT for each
                          record where a term occurs, in input order, instead of the totals
                          (JSON Lines with --format json)
  -l, --files-with-matches
                          print only the paths of the files where a term occurs, sorted
      --per-file          also print PATH<TAB>TERM<TAB>COUNT for files with a count, sorted by path
                          (not with --doc-freq in tsv: 'elvis merge' could not tell the lines apart)
      --format FORMAT     tsv (default) or json
      --header            start the tsv with a '#elvis-count' comment line naming what was counted
                          (occurrences or records, -i, -w, the terms) and the PATHs, so 'elvis
                          merge' refuses to add up different counts or a PATH counted twice
      --files-from FILE   read paths to search from FILE ('-' for standard input), one per line;
                          taken as if met while walking (links not followed without --follow)
  -0, --null              paths in --files-from are NUL-separated (as find -print0 writes them)
      --label NAME        call standard input NAME in per-file lines, errors and the --header
                          (as rg --label; a NAME ending in .gz is gzip with -z)
      --shard I/N         count only the files of shard I of N (1 <= I <= N): those whose path,
                          as printed (a named file: as given), has FNV-1a-64 hash mod N = I-1;
                          N runs given the same paths split them, disjoint and complete
  -z, --decompress        inflate gzip input: *.gz files (which must be gzip, multi-member too),
                          and other files or standard input starting with gzip's bytes 1f 8b
      --hidden            search hidden files and directories (and .git, .hg, .svn)
      --follow            follow symbolic links met while walking (never out of the tree)
      --no-ignore         also search what ignore files name: by default, as ripgrep does,
                          .gitignore files, .git/info/exclude and core.excludesFile inside a git
                          work tree, and .ignore files anywhere, are obeyed with git's semantics
      --no-ignore-vcs     obey .ignore files only, not git's
      --files             print the files that would be searched, one per line, and search nothing
  -g, --glob PATTERN      only files matching PATTERN ('**/' spans directories, {a,b} either);
                          '!PATTERN' excludes; the last matching one decides (repeatable)
      --iglob PATTERN     the same, regardless of case (taken after every -g)
  -j, --threads N         worker threads, 1 to 256 (default: the number of CPUs)
      --buffer-size SIZE  read size, 1 to 64M, with K/M suffixes (default 256K)
      --split-threshold SIZE
                          split a named file at least this large across threads (default 64M;
                          a multi-member gzip file with -z from a sixteenth of it)
      --io MODE           auto, uring or posix (default auto, or $ELVIS_IO)
      --stats             print files, bytes, seconds, MB/s, the I/O backend and, per worker,
                          time scanning, waiting for reads and in batched opens, to stderr
      --trace FILE        write a Chrome trace (Perfetto, chrome://tracing): one track per
                          worker with its batched opens, read waits and scans
  -h, --help              show this help and exit
  -V, --version           show the version and exit

Output (tsv): TERM<TAB>COUNT[<TAB>DOCS] per term in the order given; with --per-file, the
PATH<TAB>TERM<TAB>COUNT lines come first; with --header, the '#elvis-count' line before them.
Tabs, newlines, CRs and backslashes in terms and paths are written as \t, \n, \r and \\.
'elvis merge' sums such outputs (of shards, say) into the output of one run over all the files.

Exit status: 0 if any term was found, 1 if none was, 2 if an error occurred.
)";

using Takes = Flag::Takes;
constexpr Flag count_flags[] = {
    {"term", 't', Takes::values},      {"ignore-case", 'i'},              {"word", 'w'},
    {"preserve-case"},                 {"exclusive"},
    {"terms-file", 0, Takes::values},  {"rules", 0, Takes::values},
    {"records", 0, Takes::value},      {"doc-freq"},                      {"per-file"},
    {"format", 0, Takes::value},       {"header"},
    {"files-from", 0, Takes::value},   {"null", '0'},                     {"label", 0, Takes::value},
    {"shard", 0, Takes::value},        {"decompress", 'z'},               {"hidden"},
    {"follow"},                        {"glob", 'g', Takes::values},      {"iglob", 0, Takes::values},
    {"no-ignore"},                     {"no-ignore-vcs"},                 {"files"},
    {"files-with-matches", 'l'},
    {"warc"},                          {"warc-type", 0, Takes::values},   {"warc-lang", 0, Takes::values},
    {"per-record"},
    {"threads", 'j', Takes::value},
    {"buffer-size", 0, Takes::value},  {"split-threshold", 0, Takes::value}, {"io", 0, Takes::value},
    {"stats"},                         {"trace", 0, Takes::value},        {"help", 'h'},
    {"version", 'V'},
};

void print_stats(const CountReport& result, double seconds) {
    const std::string backend = backend_description(result.io_backend, result.fallback_reason);
    std::fprintf(stderr,
                 "elvis: files:        %llu\n"
                 "elvis: bytes:        %llu\n"
                 "elvis: seconds:      %.3f\n"
                 "elvis: throughput:   %.1f MB/s\n"
                 "elvis: io backend:   %s\n",
                 static_cast<unsigned long long>(result.files_searched),
                 static_cast<unsigned long long>(result.bytes_read), seconds,
                 seconds > 0 ? static_cast<double>(result.bytes_read) / seconds / 1e6 : 0.0, backend.c_str());
    if (result.files_in_ranges)
        std::fprintf(stderr, "elvis: split:        %llu file(s) counted in parallel ranges\n",
                     static_cast<unsigned long long>(result.files_in_ranges));
    if (result.gzip_files_in_ranges)
        std::fprintf(stderr, "elvis: gzip split:   %llu file(s) of many members, decoded in %llu parallel ranges\n",
                     static_cast<unsigned long long>(result.gzip_files_in_ranges),
                     static_cast<unsigned long long>(result.gzip_ranges));
    if (result.gzip_files_one_stream)
        std::fprintf(stderr, "elvis: gzip stream:  %llu file(s) inflated sequentially: one member, no other range began one\n",
                     static_cast<unsigned long long>(result.gzip_files_one_stream));
}

// --files: the walk alone, as rg --files.
int list_files_command(const CountCommand& command) {
    bool failed = false;
    const std::optional<Shard> shard = command.settings.shard;
    list_files(
        command.paths, command.settings.walk,
        [&](const std::string& path) {
            if (shard && !in_shard(path, *shard)) return;
            std::fwrite(path.data(), 1, path.size(), stdout);
            std::fputc('\n', stdout);
        },
        [&](const std::string& path, const std::string& reason) {
            failed = true;
            report(path, reason);
        });
    return failed ? exit_trouble : exit_ok;
}

// What count prints (-l, --files, --per-file, --doc-freq, --header, --format, --per-record), and
// the combinations refused because merge could not tell their lines apart. After the WARC options.
void parse_output(const po::variables_map& vm, CountCommand& command) {
    CountSettings& s = command.settings;
    command.doc_freq = vm["doc-freq"].as<bool>();
    command.header = vm["header"].as<bool>();
    command.list_files = vm["files"].as<bool>();
    command.files_with_matches = vm["files-with-matches"].as<bool>();
    if (command.files_with_matches && (vm["per-file"].as<bool>() || command.doc_freq || vm.count("format")))
        throw UsageError("-l/--files-with-matches prints paths only; it cannot be combined with --per-file, "
                         "--doc-freq or --format");
    s.per_file = vm["per-file"].as<bool>() || command.files_with_matches;
    if (vm.count("format")) {
        const std::string format = vm["format"].as<std::string>();
        if (format != "tsv" && format != "json")
            throw UsageError("invalid value '" + format + "' for --format (expected tsv or json)");
        command.json = format == "json";
    }
    if (s.warc.enabled && vm["per-file"].as<bool>() && !command.json)
        throw UsageError("--warc prints TERM<TAB>TF<TAB>DF, which --per-file lines cannot go with in tsv "
                         "(elvis merge could not tell them apart); use --format json");
    if (s.per_record && (command.header || command.files_with_matches || s.per_file))
        throw UsageError("--per-record prints one line per record; it cannot be combined with --header, -l or --per-file");
    if (command.header && (command.json || command.files_with_matches || command.list_files))
        throw UsageError("--header starts tsv output; it cannot be combined with --format json, -l or --files");
    if (command.doc_freq && s.per_file && !command.json)
        throw UsageError("--per-file and --doc-freq cannot be combined in tsv output (elvis merge could not tell "
                         "PATH<TAB>TERM<TAB>COUNT from TERM<TAB>COUNT<TAB>DOCS); use --format json");
}

}  // namespace

std::optional<CountCommand> parse_count(int argc, char** argv) {
    const po::variables_map vm = parse_command_line(argc, argv, count_flags, "path");
    if (vm["help"].as<bool>()) {
        std::fputs(count_usage, stdout);
        return std::nullopt;
    }
    if (vm["version"].as<bool>()) {
        print_version();
        return std::nullopt;
    }
    CountCommand command;
    CountSettings& s = command.settings;
    auto strings = [&](const char* name) { return values_of(vm, name); };
    for (std::string& term : strings("term")) s.terms.push_back({std::move(term), {}});
    for (const std::string& path : strings("terms-file"))
        for (Rule& term : parse_terms(read_whole_file(path), path)) s.terms.push_back(std::move(term));
    for (const std::string& path : strings("rules"))
        for (Rule& rule : parse_rules(read_whole_file(path), path)) s.terms.push_back({std::move(rule.find), {}});
    const bool terms_given = !s.terms.empty();
    if (!terms_given) s.terms.push_back({"elvis", {}});
    s.match.ignore_case = vm["ignore-case"].as<bool>();
    s.match.preserve_case = vm["preserve-case"].as<bool>();
    s.match.whole_word = vm["word"].as<bool>();
    s.counting = vm["exclusive"].as<bool>() ? Counting::exclusive : Counting::each_term;
    if (vm.count("records")) {
        s.records_tag = vm["records"].as<std::string>();
        if (s.records_tag.empty()) throw UsageError("--records needs a tag name, such as item");
    }
    s.warc = warc_options(vm);
    s.per_record = vm["per-record"].as<bool>();
    if (s.per_record && !s.warc.enabled) throw UsageError("--per-record counts WARC records: add --warc");
    if (s.warc.enabled && !s.records_tag.empty()) throw UsageError("--warc and --records choose the records two ways; give one");
    parse_output(vm, command);
    s.decompress = vm["decompress"].as<bool>();
    if (vm.count("label")) {
        s.stdin_label = vm["label"].as<std::string>();
        if (s.stdin_label.empty()) throw UsageError("--label needs a non-empty NAME");
    }
    s.walk = walk_options(vm);
    const SharedOptions shared = shared_options(vm);
    s.threads = shared.threads.value_or(sys::usable_cpus());
    s.shard = shared.shard;
    s.buffer_size = shared.buffer_size.value_or(s.buffer_size);
    s.io = shared.io;
    if (vm.count("split-threshold"))
        s.split_threshold = parse_size(vm["split-threshold"].as<std::string>(), 1, UINT64_MAX >> 1, "--split-threshold");
    command.stats = vm["stats"].as<bool>();
    if (vm.count("trace")) command.trace_path = vm["trace"].as<std::string>();
    command.paths = strings("path");
    // `elvis count president .`, as rg takes its pattern: a first PATH that does not exist,
    // with no term given, is most likely the term.
    struct stat first;
    if (!terms_given && command.paths.size() > 1 && command.paths[0] != "-" &&
        ::stat(command.paths[0].c_str(), &first) != 0 && errno == ENOENT)
        throw UsageError(command.paths[0] + ": No such file or directory; did you mean 'elvis count -t " +
                         command.paths[0] + "'?");
    if (command.paths.empty() && !vm.count("files-from")) {
        struct stat st;
        const bool stdin_has_data = ::fstat(STDIN_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode));
        command.paths.push_back(stdin_has_data && !command.list_files ? "-" : ".");
    }
    return command;
}

int count_command(int argc, char** argv) {
    std::optional<CountCommand> command;
    try {
        command = parse_count(argc, argv);
        if (!command) return exit_ok;
    } catch (const UsageError& e) {
        report(e.what());
        std::fputs("Try 'elvis count --help' for more information.\n", stderr);
        return exit_trouble;
    }
    if (command->list_files) return list_files_command(*command);
    TraceFile trace_file;
    if (!command->trace_path.empty() && !open_trace_file(command->trace_path, trace_file)) return exit_trouble;
    std::optional<Trace> trace;
    if (command->stats || !command->trace_path.empty()) command->settings.trace = &trace.emplace();
    const auto started = std::chrono::steady_clock::now();
    CountReport result;
    if (std::find(command->paths.begin(), command->paths.end(), "-") != command->paths.end())
        sys::grow_pipe(STDIN_FILENO, sys::grown_pipe_bytes);
    try {
        result = count_corpus(command->settings, command->paths,
                              [](const CountError& e) { report(e.path, e.reason); });
    } catch (const RuleError& e) {
        report(e.what());
        return exit_trouble;
    }
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
    if (command->files_with_matches) {
        for (const FileCounts& file : result.per_file) {
            std::fwrite(file.path.data(), 1, file.path.size(), stdout);
            std::fputc('\n', stdout);
        }
    } else {
        std::string out;
        if (command->settings.per_record) {
            out = count_per_record(command->settings, result, command->json);
        } else if (command->json) {
            out = count_json(command->settings, result);
        } else {
            if (command->header) {
                std::vector<std::string> inputs = command->paths;
                for (std::string& input : inputs)
                    if (input == "-" && !command->settings.stdin_label.empty()) input = command->settings.stdin_label;
                inputs.insert(inputs.end(), command->settings.walk.listed.begin(), command->settings.walk.listed.end());
                out = count_header(command->settings, inputs, result.errors.size());
            }
            out += count_tsv(command->settings, result, command->doc_freq);
        }
        std::fwrite(out.data(), 1, out.size(), stdout);
    }
    if (command->stats) print_stats(result, elapsed.count());
    if (trace && !finish_trace(*trace, command->stats, trace_file)) return exit_trouble;
    if (!result.errors.empty()) return exit_trouble;
    for (std::uint64_t total : result.totals)
        if (total) return exit_ok;
    return 1;
}

}  // namespace elvis::cli
