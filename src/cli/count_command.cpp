// `elvis count [OPTIONS] [PATH...]`: parallel term counting over files and directory trees.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "commands.hpp"
#include "elvis/corpus_count.hpp"
#include "io/syscalls.hpp"
#include "options.hpp"
#include "pipeline/trace.hpp"

#include <boost/program_options.hpp>

namespace po = boost::program_options;

namespace elvis::cli {

namespace {

constexpr const char* count_usage = R"(Usage: elvis count [OPTIONS] [PATH...]
Count non-overlapping occurrences of each term (leftmost-longest, as the filter matches) in the
files named, walking directories recursively. With no PATH: standard input when it is a pipe or
a file, otherwise the current directory. '-' is standard input.

Options:
  -t, --term TEXT         term to count (repeatable; default 'elvis')
  -i, --ignore-case       match ASCII letters regardless of case
  -w, --word              count only whole-word occurrences
      --records TAG       count records (<TAG ...> to </TAG>) containing each term, once per record
      --doc-freq          add a column: files (or records) containing the term
      --per-file          also print PATH<TAB>TERM<TAB>COUNT for files with a count, sorted by path
                          (not with --doc-freq in tsv: 'elvis merge' could not tell the lines apart)
      --format FORMAT     tsv (default) or json
      --files-from FILE   read paths to search from FILE ('-' for standard input), one per line
  -0, --null              paths in --files-from are NUL-separated (as find -print0 writes them)
      --shard I/N         count only the files of shard I of N (1 <= I <= N): those whose path,
                          as printed (a named file: as given), has FNV-1a-64 hash mod N = I-1;
                          N runs given the same paths split them, disjoint and complete
  -z, --decompress        inflate gzip input: *.gz files (which must be gzip, multi-member too),
                          and other files or standard input starting with gzip's bytes 1f 8b
      --hidden            search hidden files and directories (and .git, .hg, .svn)
      --follow            follow symbolic links met while walking (never out of the tree)
      --glob PATTERN      only files matching PATTERN ('**/' spans directories);
                          '!PATTERN' excludes (repeatable)
  -j, --threads N         worker threads, 1 to 256 (default: the number of CPUs)
      --buffer-size SIZE  read size, 1 to 64M, with K/M suffixes (default 256K)
      --split-threshold SIZE
                          split a named file at least this large across threads (default 64M)
      --io MODE           auto, uring or posix (default auto, or $ELVIS_IO)
      --stats             print files, bytes, seconds, MB/s, the I/O backend and, per worker,
                          time scanning, waiting for reads and in batched opens, to stderr
      --trace FILE        write a Chrome trace (Perfetto, chrome://tracing): one track per
                          worker with its batched opens, read waits and scans
  -h, --help              show this help and exit
  -V, --version           show the version and exit

Output (tsv): TERM<TAB>COUNT[<TAB>DOCS] per term in the order given; with --per-file, the
PATH<TAB>TERM<TAB>COUNT lines come first. Tabs, newlines, CRs and backslashes in terms and paths
are written as \t, \n, \r and \\. 'elvis merge' sums such outputs (of shards, say) into the
output of one run over all the files.

Exit status: 0 if any term was found, 1 if none was, 2 if an error occurred.
)";

constexpr std::string_view count_option_names[] = {
    "term", "ignore-case", "word", "records", "doc-freq", "per-file", "format", "files-from", "null", "shard",
    "decompress", "hidden", "follow", "glob", "threads", "buffer-size", "split-threshold", "io", "stats", "trace",
    "help", "version"};

// The length of the well-formed UTF-8 sequence at the start of `text`, or 0 (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence_length(std::string_view text) {
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(0);
    const std::size_t length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3
                               : lead >= 0xf0 && lead <= 0xf4                              ? 4
                                                                                           : 0;
    if (length == 0 || text.size() < length) return 0;
    const unsigned char low = lead == 0xe0 ? 0xa0 : lead == 0xf0 ? 0x90 : 0x80;
    const unsigned char high = lead == 0xed ? 0x9f : lead == 0xf4 ? 0x8f : 0xbf;
    if (byte(1) < low || byte(1) > high) return 0;
    for (std::size_t i = 2; i < length; ++i)
        if ((byte(i) & 0xc0) != 0x80) return 0;
    return length;
}

// A JSON string of bytes that need not be UTF-8 (paths): a byte outside well-formed UTF-8 is
// written as the lone surrogate \udcXX, as Python's surrogateescape does, so the output is
// always valid UTF-8 and `os.fsencode(json.loads(...))` gives back the exact bytes.
std::string json_string(std::string_view text) {
    std::string out = "\"";
    for (std::size_t i = 0; i < text.size();) {
        const char c = text[i];
        const auto b = static_cast<unsigned char>(c);
        char escape[8];
        if (b >= 0x80) {
            if (const std::size_t length = utf8_sequence_length(text.substr(i))) {
                out.append(text.substr(i, length));
                i += length;
                continue;
            }
            std::snprintf(escape, sizeof escape, "\\udc%02x", b);
            out += escape;
        } else if (c == '"' || c == '\\') {
            out += '\\', out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (b < 0x20 || b == 0x7f) {
            std::snprintf(escape, sizeof escape, "\\u%04x", b);
            out += escape;
        } else {
            out += c;
        }
        ++i;
    }
    return out + "\"";
}

void print_tsv(const CountCommand& command, const CountReport& report) {
    const auto& terms = command.settings.terms;
    std::string out;
    for (const FileCounts& file : report.per_file)
        for (std::size_t t = 0; t < terms.size(); ++t)
            if (file.counts[t])
                out += tsv_field(file.path) + '\t' + tsv_field(terms[t].find) + '\t' + std::to_string(file.counts[t]) + '\n';
    for (std::size_t t = 0; t < terms.size(); ++t) {
        out += tsv_field(terms[t].find) + '\t' + std::to_string(report.totals[t]);
        if (command.doc_freq) out += '\t' + std::to_string(report.documents[t]);
        out += '\n';
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
}

void print_json(const CountCommand& command, const CountReport& report) {
    const auto& terms = command.settings.terms;
    std::string out = "{\"terms\":[";
    for (std::size_t t = 0; t < terms.size(); ++t) {
        if (t) out += ',';
        out += "{\"term\":" + json_string(terms[t].find) + ",\"count\":" + std::to_string(report.totals[t]) +
               ",\"documents\":" + std::to_string(report.documents[t]) + '}';
    }
    out += "],\"files_searched\":" + std::to_string(report.files_searched);
    out += ",\"bytes_read\":" + std::to_string(report.bytes_read);
    if (!command.settings.records_tag.empty()) out += ",\"records\":" + std::to_string(report.records);
    if (command.settings.per_file) {
        out += ",\"files\":[";
        for (std::size_t f = 0; f < report.per_file.size(); ++f) {
            if (f) out += ',';
            out += "{\"path\":" + json_string(report.per_file[f].path) + ",\"counts\":{";
            bool first = true;
            for (std::size_t t = 0; t < terms.size(); ++t) {
                if (!report.per_file[f].counts[t]) continue;
                if (!first) out += ',';
                first = false;
                out += json_string(terms[t].find) + ':' + std::to_string(report.per_file[f].counts[t]);
            }
            out += "}}";
        }
        out += ']';
    }
    out += ",\"errors\":[";
    for (std::size_t e = 0; e < report.errors.size(); ++e) {
        if (e) out += ',';
        out += "{\"path\":" + json_string(report.errors[e].path) + ",\"error\":" + json_string(report.errors[e].reason) + '}';
    }
    out += "],\"io_backend\":" + json_string(report.io_backend) + "}\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
}

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
}

}  // namespace

std::optional<CountCommand> parse_count(int argc, char** argv) {
    po::options_description visible;
    visible.add_options()
        ("term,t", po::value<std::vector<std::string>>())
        ("ignore-case,i", po::bool_switch())
        ("word,w", po::bool_switch())
        ("records", po::value<std::string>())
        ("doc-freq", po::bool_switch())
        ("per-file", po::bool_switch())
        ("format", po::value<std::string>())
        ("files-from", po::value<std::string>())
        ("null,0", po::bool_switch())
        ("shard", po::value<std::string>())
        ("decompress,z", po::bool_switch())
        ("hidden", po::bool_switch())
        ("follow", po::bool_switch())
        ("glob", po::value<std::vector<std::string>>())
        ("threads,j", po::value<std::string>())
        ("buffer-size", po::value<std::string>())
        ("split-threshold", po::value<std::string>())
        ("io", po::value<std::string>())
        ("stats", po::bool_switch())
        ("trace", po::value<std::string>())
        ("help,h", po::bool_switch())
        ("version,V", po::bool_switch());
    const po::variables_map vm = parse_command_line(argc, argv, visible, "path", count_option_names);
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
    if (s.terms.empty()) s.terms.push_back({"elvis", {}});
    s.match.ignore_case = vm["ignore-case"].as<bool>();
    s.match.whole_word = vm["word"].as<bool>();
    if (vm.count("records")) {
        s.records_tag = vm["records"].as<std::string>();
        if (s.records_tag.empty()) throw UsageError("--records needs a tag name, such as item");
    }
    command.doc_freq = vm["doc-freq"].as<bool>();
    s.per_file = vm["per-file"].as<bool>();
    if (vm.count("format")) {
        const std::string format = vm["format"].as<std::string>();
        if (format != "tsv" && format != "json")
            throw UsageError("invalid value '" + format + "' for --format (expected tsv or json)");
        command.json = format == "json";
    }
    if (command.doc_freq && s.per_file && !command.json)
        throw UsageError("--per-file and --doc-freq cannot be combined in tsv output (elvis merge could not tell "
                         "PATH<TAB>TERM<TAB>COUNT from TERM<TAB>COUNT<TAB>DOCS); use --format json");
    if (vm.count("shard")) {
        try {
            s.shard = parse_shard(vm["shard"].as<std::string>());
        } catch (const std::invalid_argument& e) {
            throw UsageError(std::string(e.what()) + " for --shard");
        }
    }
    s.decompress = vm["decompress"].as<bool>();
    s.walk.hidden = vm["hidden"].as<bool>();
    s.walk.follow = vm["follow"].as<bool>();
    s.walk.globs = strings("glob");
    s.threads = sys::usable_cpus();
    if (vm.count("threads")) s.threads = static_cast<unsigned>(parse_number(vm["threads"].as<std::string>(), 1, 256, "--threads"));
    if (vm.count("buffer-size"))
        s.buffer_size = parse_size(vm["buffer-size"].as<std::string>(), 1, 64 << 20, "--buffer-size");
    if (vm.count("split-threshold"))
        s.split_threshold = parse_size(vm["split-threshold"].as<std::string>(), 1, UINT64_MAX >> 1, "--split-threshold");
    if (vm.count("io")) {
        try {
            s.io = parse_io_mode(vm["io"].as<std::string>());
        } catch (const std::invalid_argument& e) {
            throw UsageError(e.what());
        }
    }
    command.stats = vm["stats"].as<bool>();
    if (vm.count("trace")) command.trace_path = vm["trace"].as<std::string>();
    command.paths = strings("path");
    if (vm.count("files-from"))
        for (std::string& path : read_path_list(vm["files-from"].as<std::string>(), vm["null"].as<bool>()))
            command.paths.push_back(std::move(path));
    else if (vm["null"].as<bool>())
        throw UsageError("-0/--null only applies to --files-from");
    if (command.paths.empty() && !vm.count("files-from")) {
        struct stat st;
        const bool stdin_has_data = ::fstat(STDIN_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode));
        command.paths.push_back(stdin_has_data ? "-" : ".");
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
    command->json ? print_json(*command, result) : print_tsv(*command, result);
    if (command->stats) print_stats(result, elapsed.count());
    if (trace && !finish_trace(*trace, command->stats, trace_file)) return exit_trouble;
    if (!result.errors.empty()) return exit_trouble;
    for (std::uint64_t total : result.totals)
        if (total) return exit_ok;
    return 1;
}

}  // namespace elvis::cli
