// `elvis [OPTIONS] [FILE...]`: the pipe filter.
#include <fcntl.h>
#include <signal.h>
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
#include "elvis/byte_source.hpp"
#include "elvis/errors.hpp"
#include "elvis/inplace.hpp"
#include "elvis/filter.hpp"
#include "io/syscalls.hpp"
#include "options.hpp"
#include "pipeline/trace.hpp"

#include <boost/program_options.hpp>

namespace po = boost::program_options;

namespace elvis::cli {

namespace {

constexpr const char* filter_usage = R"(Usage: elvis [OPTIONS] [FILE...]
       elvis --in-place [OPTIONS] PATH...
       elvis count [OPTIONS] [PATH...]     (elvis help count)
       elvis merge [FILE...]               (elvis help merge)
Rewrite fixed strings in FILEs (standard input when none, or for '-') to standard output.
Without rules, replaces 'elvis' with 'Elvis'. Each FILE is its own stream: no match spans two.

Rules are matched left to right: the leftmost match wins, the longest find text wins among
matches that start at the same byte, scanning resumes after a match, and replacement text is
never rescanned. Every other byte passes through unchanged.

Options:
  -f, --find TEXT        text to find (repeatable; pairs with the -r in the same position)
  -r, --replace TEXT     its replacement (may be empty)
  -E, --escapes          -f and -r TEXT take the rules file's escapes (NUL, newline, ...)
      --must-match       exit 1 when nothing was replaced (for scripts and CI)
      --rules FILE       read more pairs from FILE ('-': standard input; repeatable), one
                         FIND<TAB>REPLACE per line (escapes: \\ \t \n \r \0 \xHH;
                         '#' starts a comment line)
  -i, --ignore-case      match ASCII letters regardless of case
      --preserve-case    each pair also rewrites its lower, Capitalized and UPPER variants
                         (-f elvis -r presley: Elvis -> Presley, ELVIS -> PRESLEY)
  -w, --word             match only where the find text is not preceded or followed by
                         an ASCII letter, digit or '_'
  -z, --decompress       inflate gzip input (output stays uncompressed): *.gz FILEs, which
                         must be gzip (multi-member too), and other FILEs or standard input
                         that start with gzip's magic bytes 1f 8b
      --gzip-output      write the output gzip-compressed (ISA-L, level 1), one member per FILE
                         as gzip -c FILE... does; refused when standard output is a terminal
      --warc             the input is WARC records (Common Crawl's WARC and WET files, gzip or
                         not): rewrite payloads only; a rewritten record gets its Content-Length
                         and sha1 WARC-Block-Digest/WARC-Payload-Digest fixed; every other byte
                         is copied; with --gzip-output, one gzip member per record; with
                         --in-place, a gzip file stays gzip, one member per record
      --warc-type T[,T..] record types rewritten (default conversion,response,resource; the HTTP
                         head of a response or request is left as it is)
      --warc-lang L[,L..] only records whose WARC-Identified-Content-Language lists one of L
      --warc-digests MODE  recompute (default) or drop the digests of a rewritten record
      --buffer-size SIZE read size, 1 to 64M, with K/M suffixes (default 1M; 256K with
                         --in-place, 192K for a large file rewritten in ranges)
      --io MODE          auto, uring or posix (default auto, or $ELVIS_IO)
      --stats            print bytes, replacements, time, speed, I/O backend, and time spent
                         scanning, waiting for reads and writing, to stderr (with --in-place:
                         how the new files were created and named)
      --trace FILE       write a Chrome Trace Event JSON of reads, scans and writes to FILE
                         (open it in Perfetto or chrome://tracing)
  -h, --help             show this help and exit
  -V, --version          show the version and exit

Rewriting files in place (elvis --in-place [OPTIONS] PATH...):
      --in-place         rewrite each file under the PATHs (directories are walked) instead of
                         writing to standard output; each changed file is replaced atomically
      --dry-run          write nothing; list PATH<TAB>MATCHES for each file that would change
      --diff             write nothing; print a unified diff of what would change (as git
                         writes one: patch -p1 and git apply take it)
      --color WHEN       colour the diff: auto (on a terminal, the default), always, never
      --interactive      show each change as a hunk and ask: y (rewrite it), n (leave it), a (it
                         and the rest of the file), d (none of the rest of the file), A (all that
                         follow, every file), q (stop asking; what was accepted is written)
      --backup SUFFIX    keep each original as NAME+SUFFIX (an existing one is never overwritten)
      --no-fsync         do not sync new files and directories to disk (faster, less safe)
      --force            also rewrite read-only files, and files whose owner, group or extended
                         attributes cannot be carried over
      --hard-links POLICY  files with other hard links: refuse (default: report, leave alone),
                         skip (quietly), or split (each name reached becomes its own file)
      --binary           also rewrite files with a NUL byte in their first 8 KiB
      --hidden           include hidden files and directories (but never .git, .hg or .svn)
      --follow           follow symbolic links met while walking (never out of the tree)
      --no-ignore        also rewrite what ignore files name (.gitignore, .ignore, ...)
      --no-ignore-vcs    also rewrite what git's ignore files name (.ignore still applies)
  -g, --glob PATTERN     only files matching PATTERN ('**/' spans directories, {a,b} either);
                         '!PATTERN' excludes; the last matching one decides (repeatable)
      --iglob PATTERN    the same, regardless of case (taken after every -g)
      --files-from FILE  read more PATHs from FILE ('-' for standard input), one per line;
                         taken as if met while walking (links not followed without --follow)
  -0, --null             --files-from paths are NUL-separated
  -j, --threads N        worker threads, 1 to 256 (default: 4 per CPU, 8 to 64; rewriting
                         mostly waits for the filesystem)
      --shard I/N        rewrite only the files of shard I of N (as elvis count --shard)
      --progress         show progress on stderr (default: only when stderr is a terminal)
      --no-progress      never show progress

Exit status: 0 on success (whether or not anything matched), 2 on any error; with --in-place,
2 when any file failed or was left alone for safety, 130/143 after SIGINT/SIGTERM.
)";


using Takes = Flag::Takes;
constexpr Flag filter_flags[] = {
    {"find", 'f', Takes::values},     {"escapes", 'E'},     {"must-match"},     {"replace", 'r', Takes::values}, {"rules", 0, Takes::values},
    {"ignore-case", 'i'},             {"word", 'w'},                   {"decompress", 'z'},
    {"preserve-case"},                {"gzip-output"},
    {"warc"},                         {"warc-type", 0, Takes::values}, {"warc-lang", 0, Takes::values},
    {"warc-digests", 0, Takes::value},
    {"buffer-size", 0, Takes::value}, {"io", 0, Takes::value},         {"stats"},
    {"trace", 0, Takes::value},       {"help", 'h'},                   {"version", 'V'},
    {"in-place"},
    {"dry-run", 0, Takes::nothing, true},     {"diff", 0, Takes::nothing, true},
    {"color", 0, Takes::value, true},         {"interactive", 0, Takes::nothing, true},
    {"backup", 0, Takes::value, true},        {"no-fsync", 0, Takes::nothing, true},
    {"force", 0, Takes::nothing, true},       {"hard-links", 0, Takes::value, true},
    {"binary", 0, Takes::nothing, true},      {"hidden", 0, Takes::nothing, true},
    {"follow", 0, Takes::nothing, true},      {"glob", 'g', Takes::values, true},
    {"no-ignore", 0, Takes::nothing, true},   {"no-ignore-vcs", 0, Takes::nothing, true},
    {"iglob", 0, Takes::values, true},
    {"files-from", 0, Takes::value, true},    {"null", '0', Takes::nothing, true},
    {"threads", 'j', Takes::value, true},     {"shard", 0, Takes::value, true},
    {"progress", 0, Takes::nothing, true},    {"no-progress", 0, Takes::nothing, true},
};

// The --in-place part of the command line.
InPlaceRun parse_in_place(const po::variables_map& vm, const SharedOptions& shared, std::vector<std::string>& paths) {
    InPlaceRun run;
    InPlaceSettings& s = run.settings;
    s.dry_run = vm["dry-run"].as<bool>();
    s.diff = vm["diff"].as<bool>();
    if (s.dry_run && s.diff) throw UsageError("--dry-run and --diff cannot be combined");
    const std::string color = vm.count("color") ? vm["color"].as<std::string>() : "auto";
    if (color != "auto" && color != "always" && color != "never")
        throw UsageError("invalid value '" + color + "' for --color (expected auto, always or never)");
    s.diff_color = color == "always" || (color == "auto" && ::isatty(STDOUT_FILENO));
    if (vm.count("backup")) {
        s.backup_suffix = vm["backup"].as<std::string>();
        if (s.backup_suffix.empty() || s.backup_suffix.find('/') != std::string::npos)
            throw UsageError("--backup needs a non-empty SUFFIX without '/'");
    }
    s.fsync = !vm["no-fsync"].as<bool>();
    s.force = vm["force"].as<bool>();
    if (vm.count("hard-links")) {
        const std::string policy = vm["hard-links"].as<std::string>();
        if (policy == "refuse") s.hard_links = HardLinkPolicy::refuse;
        else if (policy == "skip") s.hard_links = HardLinkPolicy::skip;
        else if (policy == "split") s.hard_links = HardLinkPolicy::split;
        else throw UsageError("invalid value '" + policy + "' for --hard-links (expected refuse, skip or split)");
    }
    s.binary = vm["binary"].as<bool>();
    s.walk = walk_options(vm);
    s.walk.skip_vcs_directories = true;
    s.threads = shared.threads.value_or(default_in_place_threads());
    s.shard = shared.shard;
    if (vm["progress"].as<bool>() && vm["no-progress"].as<bool>())
        throw UsageError("--progress and --no-progress cannot be combined");
    run.stats = vm["stats"].as<bool>();
    run.must_match = vm["must-match"].as<bool>();
    run.progress = vm["progress"].as<bool>() || (!vm["no-progress"].as<bool>() && is_terminal(STDERR_FILENO));
    run.interactive = vm["interactive"].as<bool>();
    if (run.interactive) {
        if (s.dry_run || s.diff) throw UsageError("--interactive cannot be combined with --dry-run or --diff");
        if (!is_terminal(STDIN_FILENO)) throw UsageError("--interactive needs a terminal on standard input to ask on");
        s.threads = 1;  // one question at a time, files in the order they are reached
        run.progress = false;
    }
    if (paths.empty() && !vm.count("files-from")) throw UsageError("--in-place needs at least one PATH (standard input cannot be rewritten in place)");
    for (const std::vector<std::string>* list : {&paths, &s.walk.listed})
        for (const std::string& path : *list)
            if (path == "-") throw UsageError("--in-place cannot rewrite standard input ('-')");
    run.paths = paths;
    return run;
}

void print_stats(const FilterReport& totals, double seconds) {
    const double mb_per_s = seconds > 0 ? static_cast<double>(totals.bytes_in) / seconds / 1e6 : 0;
    const std::string backend = backend_description(totals.io_backend, totals.fallback_reason);
    std::fprintf(stderr,
                 "elvis: bytes in:     %llu\n"
                 "elvis: bytes out:    %llu\n"
                 "elvis: replacements: %llu\n"
                 "elvis: seconds:      %.3f\n"
                 "elvis: throughput:   %.1f MB/s\n"
                 "elvis: io backend:   %s\n",
                 static_cast<unsigned long long>(totals.bytes_in), static_cast<unsigned long long>(totals.bytes_out),
                 static_cast<unsigned long long>(totals.replacements), seconds, mb_per_s, backend.c_str());
}

}  // namespace

std::optional<FilterCommand> parse_filter(int argc, char** argv) {
    const po::variables_map vm = parse_command_line(argc, argv, filter_flags, "file");
    if (vm["help"].as<bool>()) {
        std::fputs(filter_usage, stdout);
        return std::nullopt;
    }
    if (vm["version"].as<bool>()) {
        print_version();
        return std::nullopt;
    }

    FilterCommand command;
    FilterSettings& settings = command.job;
    auto strings = [&](const char* name) { return values_of(vm, name); };
    std::vector<std::string> finds = strings("find"), replaces = strings("replace");
    if (finds.size() != replaces.size())
        throw UsageError("every --find needs a --replace (got " + std::to_string(finds.size()) + " --find and " +
                         std::to_string(replaces.size()) + " --replace)");
    const bool escapes = vm["escapes"].as<bool>();
    try {
        for (std::size_t i = 0; i < finds.size(); ++i)
            settings.rules.push_back(escapes ? Rule{unescape(finds[i]), unescape(replaces[i])} : Rule{finds[i], replaces[i]});
    } catch (const RuleError& e) {
        throw UsageError(std::string(e.what()) + " in --find or --replace (-E)");
    }
    for (const std::string& path : strings("rules"))
        for (Rule& rule : parse_rules(read_whole_file(path), path)) settings.rules.push_back(std::move(rule));
    if (settings.rules.empty()) settings.rules.push_back({"elvis", "Elvis"});
    settings.match.ignore_case = vm["ignore-case"].as<bool>();
    settings.match.whole_word = vm["word"].as<bool>();
    settings.match.preserve_case = vm["preserve-case"].as<bool>();
    command.stats = vm["stats"].as<bool>();
    command.must_match = vm["must-match"].as<bool>();
    if (vm.count("trace")) command.trace_path = vm["trace"].as<std::string>();
    settings.decompress = vm["decompress"].as<bool>();
    if (settings.decompress && vm["in-place"].as<bool>())
        throw UsageError("--decompress cannot be combined with --in-place (the files would be written uncompressed)");
    settings.warc = warc_options(vm);
    if (settings.warc.enabled && (vm["diff"].as<bool>() || vm["interactive"].as<bool>()))
        throw UsageError("--warc cannot be combined with --diff or --interactive (--dry-run counts what would change)");
    settings.gzip_output = vm["gzip-output"].as<bool>();
    if (settings.gzip_output && vm["in-place"].as<bool>())
        throw UsageError("--gzip-output applies to the filter's output, not to --in-place");
    if (settings.gzip_output && is_terminal(STDOUT_FILENO))
        throw UsageError("compressed data not written to a terminal (redirect standard output, as with gzip)");
    if (!command.trace_path.empty() && vm["in-place"].as<bool>())
        throw UsageError("--trace applies to the filter and to count, not to --in-place");
    command.files = strings("file");
    if (!vm["in-place"].as<bool>())
        for (const Flag& flag : filter_flags)
            if (flag.in_place_only && given(vm, flag))
                throw UsageError("--" + std::string(flag.name) + " only applies with --in-place");
    const SharedOptions shared = shared_options(vm);
    settings.buffer_size = vm["in-place"].as<bool>() ? default_buffer_size : default_filter_buffer_size;
    if (shared.buffer_size) settings.buffer_size = settings.ranges_buffer_size = *shared.buffer_size;
    settings.io = shared.io;
    if (vm["in-place"].as<bool>()) command.in_place = parse_in_place(vm, shared, command.files);
    if (command.files.empty()) command.files.push_back("-");
    if (command.in_place) {
        InPlaceSettings& in_place = command.in_place->settings;
        in_place.rules = settings.rules;
        in_place.match = settings.match;
        in_place.buffer_size = settings.buffer_size;
        in_place.io = settings.io;
        in_place.warc = settings.warc;
        // Inflating and deflating records keeps a core busy: one worker per core, not the
        // file system's many.
        if (settings.warc.enabled && !shared.threads) in_place.threads = sys::usable_cpus();
    }
    return command;
}

int filter_command(int argc, char** argv) {
    std::optional<FilterCommand> command;
    try {
        command = parse_filter(argc, argv);
        if (!command) return exit_ok;
        RuleSet(command->job.rules, command->job.match);  // invalid rules are reported before any work
    } catch (const UsageError& e) {
        report(e.what());
        std::fputs("Try 'elvis --help' for more information.\n", stderr);
        return exit_trouble;
    } catch (const RuleError& e) {
        report(e.what());
        return exit_trouble;
    }
    if (command->in_place) return in_place_command(*command->in_place);

    TraceFile trace_file;
    if (!command->trace_path.empty() && !open_trace_file(command->trace_path, trace_file)) return exit_trouble;
    std::optional<Trace> trace;
    if (command->stats || !command->trace_path.empty()) command->job.trace = &trace.emplace();
    const auto started = std::chrono::steady_clock::now();
    FilterReport result;
    try {
        result = filter_files(command->job, command->files, STDOUT_FILENO,
                              [](const FilterError& e) { report(e.input, e.reason); });
    } catch (const WriteError& e) {
        if (e.code() == EPIPE) return 128 + SIGPIPE;  // the reader went away: stop quietly, like cat
        report(e.what());
        return exit_trouble;
    } catch (const std::exception& e) {  // RuleError, or io_uring refused under --io=uring
        report(e.what());
        return exit_trouble;
    }
    if (command->stats) {
        const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
        print_stats(result, elapsed.count());
    }
    if (trace && !finish_trace(*trace, command->stats, trace_file)) return exit_trouble;
    if (result.failed_inputs) return exit_trouble;
    return command->must_match && result.replacements == 0 ? exit_nothing : exit_ok;
}

}  // namespace elvis::cli
