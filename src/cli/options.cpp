// Helpers shared by the subcommands.
#include "options.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "elvis/errors.hpp"
#include "pipeline/trace.hpp"

namespace elvis::cli {

std::string printable(std::string_view text, bool escape_backslash) {
    std::string out;
    for (const char c : text) {
        const auto b = static_cast<unsigned char>(c);
        switch (c) {
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            case '\r': out += "\\r"; break;
            case '\\': out += escape_backslash ? "\\\\" : "\\"; break;
            default:
                if (b < 0x20 || b == 0x7f) {
                    char escape[8];
                    std::snprintf(escape, sizeof escape, "\\x%02x", b);
                    out += escape;
                } else {
                    out += c;
                }
        }
    }
    return out;
}

void report(std::string_view what, std::string_view reason) {
    std::fprintf(stderr, "elvis: %s: %s\n", printable(what, true).c_str(), printable(reason, false).c_str());
}

void report(std::string_view reason) { std::fprintf(stderr, "elvis: %s\n", printable(reason, false).c_str()); }

void print_version() { std::puts("elvis " ELVIS_VERSION); }

namespace {
UsageError invalid_value(std::string_view text, std::string_view option, std::string_view why) {
    return UsageError("invalid value '" + std::string(text) + "' for " + std::string(option) + ": " + std::string(why));
}
}  // namespace

std::uint64_t parse_number(std::string_view text, std::uint64_t min, std::uint64_t max, std::string_view option) {
    std::uint64_t value = 0;
    auto [rest, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc::result_out_of_range) throw invalid_value(text, option, "too large");
    if (ec != std::errc() || rest != text.data() + text.size() || text.empty())
        throw invalid_value(text, option, "expected a whole number");
    if (value > max) throw invalid_value(text, option, "must be at most " + std::to_string(max));
    if (value < min) throw invalid_value(text, option, "must be at least " + std::to_string(min));
    return value;
}

std::uint64_t parse_size(std::string_view text, std::uint64_t min, std::uint64_t max, std::string_view option) {
    auto fail = [&](std::string_view why) { return invalid_value(text, option, why); };
    std::uint64_t value = 0;
    auto [rest, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc::result_out_of_range) throw fail("too large");
    if (ec != std::errc() || rest == text.data()) throw fail("expected a number such as 256K or 1M");
    std::string suffix(rest, text.data() + text.size());
    std::transform(suffix.begin(), suffix.end(), suffix.begin(), [](char c) { return static_cast<char>(std::toupper(c)); });
    unsigned shift = 0;
    if (suffix.empty() || suffix == "B") shift = 0;
    else if (suffix == "K" || suffix == "KB" || suffix == "KIB") shift = 10;
    else if (suffix == "M" || suffix == "MB" || suffix == "MIB") shift = 20;
    else if (suffix == "G" || suffix == "GB" || suffix == "GIB") shift = 30;
    else throw fail("unknown suffix (use K, M or G)");
    if (value > (max >> shift)) throw fail("must be at most " + std::to_string(max) + " bytes");
    value <<= shift;
    if (value < min) throw fail("must be at least " + std::to_string(min) + " byte" + (min == 1 ? "" : "s"));
    return value;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = up;
        }
    }
    return row[b.size()];
}

std::string unknown_option_message(std::string_view given, std::span<const std::string_view> known) {
    std::string message = "unrecognised option '" + std::string(given) + "'";
    std::string_view bare = given;
    while (!bare.empty() && bare.front() == '-') bare.remove_prefix(1);
    if (auto eq = bare.find('='); eq != std::string_view::npos) bare = bare.substr(0, eq);
    std::string_view best;
    std::size_t best_distance = SIZE_MAX;
    for (std::string_view name : known) {
        std::size_t d = edit_distance(bare, name);
        if (d < best_distance) best_distance = d, best = name;
    }
    // Not for one letter ("-Q"): every short name is within reach of it.
    if (!best.empty() && bare.size() > 1 && best_distance <= std::max<std::size_t>(2, bare.size() / 3))
        message += "; did you mean '--" + std::string(best) + "'?";
    return message;
}

bool is_terminal(int fd) { return ::isatty(fd) == 1; }

std::string backend_description(std::string_view backend, std::string_view fallback_reason) {
    std::string text(backend);
    if (!fallback_reason.empty()) text += " (fallback: " + std::string(fallback_reason) + ")";
    return text;
}

bool open_trace_file(const std::string& path, TraceFile& file) {
    file.path = path;
    file.stream.reset(std::fopen(path.c_str(), "we"));
    if (file.stream) return true;
    report("cannot write the trace " + path, std::strerror(errno));
    return false;
}

bool finish_trace(const Trace& trace, bool stats, TraceFile& file) {
    if (stats) {
        const std::string per_thread = trace.summary();  // a line per thread
        for (std::size_t start = 0; start < per_thread.size();) {
            const std::size_t end = std::min(per_thread.find('\n', start), per_thread.size());
            std::fprintf(stderr, "elvis: time:         %s\n", per_thread.substr(start, end - start).c_str());
            start = end + 1;
        }
    }
    if (!file.stream) return true;
    trace.write_json(file.stream.get());
    errno = 0;
    const bool written = std::fflush(file.stream.get()) == 0 && !std::ferror(file.stream.get());
    const int error = errno != 0 ? errno : EIO;  // an earlier write failed; its errno may be gone
    const bool closed = std::fclose(file.stream.release()) == 0;
    if (written && closed) return true;
    report("cannot write the trace " + file.path, std::strerror(written ? errno : error));
    return false;
}

namespace po = boost::program_options;

namespace {
// The option `token` names ("--find", "-f") when it requires a value, or nullptr.
const po::option_description* option_needing_value(const po::options_description& options, std::string_view token) {
    for (const auto& option : options.options()) {
        const bool named = token.size() > 2 && token.substr(0, 2) == "--" ? option->long_name() == token.substr(2)
                           : token.size() == 2 && token[0] == '-'
                               ? option->canonical_display_name(po::command_line_style::allow_dash_for_short) == token
                               : false;
        if (named) return option->semantic()->min_tokens() > 0 ? option.get() : nullptr;
    }
    return nullptr;
}

// Gives every option that requires a value the next word, whatever it looks like, as getopt
// does (`-f -w` finds "-w"; Boost took -w for an option), and accepts `--replace=` as an empty
// value (Boost refused it): both become `--NAME=VALUE`, or `--NAME ''` for an empty one, the
// forms Boost reads as written.
std::vector<std::string> with_values_attached(int argc, char** argv, const po::options_description& options) {
    std::vector<std::string> words;
    for (int i = 1; i < argc; ++i) {
        const std::string_view word = argv[i];
        if (word == "--") {
            words.insert(words.end(), argv + i, argv + argc);
            break;
        }
        const std::size_t equals = word.find('=');
        const bool long_with_value = word.starts_with("--") && equals != std::string_view::npos;
        const po::option_description* option =
            option_needing_value(options, long_with_value ? word.substr(0, equals) : word);
        if (!option || (!long_with_value && i + 1 == argc)) {
            words.emplace_back(word);
            continue;
        }
        const std::string_view value = long_with_value ? word.substr(equals + 1) : std::string_view(argv[++i]);
        const std::string name = "--" + option->long_name();
        if (value.empty()) {
            words.push_back(name);
            words.emplace_back();
        } else {
            words.push_back(name + "=" + std::string(value));
        }
    }
    return words;
}
}  // namespace

po::variables_map parse_command_line(int argc, char** argv, std::span<const Flag> flags, const char* positional_name) {
    po::options_description options;
    std::vector<std::string_view> known;
    for (const Flag& flag : flags) {
        const std::string names = std::string(flag.name) + (flag.short_name ? std::string(",") + flag.short_name : "");
        switch (flag.takes) {
            case Flag::Takes::nothing: options.add_options()(names.c_str(), po::bool_switch()); break;
            case Flag::Takes::value: options.add_options()(names.c_str(), po::value<std::string>()); break;
            case Flag::Takes::values: options.add_options()(names.c_str(), po::value<std::vector<std::string>>()); break;
        }
        known.push_back(flag.name);
    }
    po::options_description all;
    all.add(options).add_options()(positional_name, po::value<std::vector<std::string>>());
    po::positional_options_description positional;
    positional.add(positional_name, -1);
    po::variables_map vm;
    try {
        const int style = po::command_line_style::unix_style & ~po::command_line_style::allow_guessing;
        po::store(po::command_line_parser(with_values_attached(argc, argv, options)).options(all).positional(positional).style(style).run(), vm);
        po::notify(vm);
    } catch (const po::unknown_option& e) {
        throw UsageError(unknown_option_message(e.get_option_name(), known));
    } catch (const po::error& e) {
        throw UsageError(e.what());
    }
    return vm;
}

bool given(const po::variables_map& vm, const Flag& flag) {
    const std::string name(flag.name);
    return flag.takes == Flag::Takes::nothing ? vm[name].as<bool>() : vm.count(name) > 0;
}

std::vector<std::string> values_of(const po::variables_map& vm, const char* name) {
    return vm.count(name) ? vm[name].as<std::vector<std::string>>() : std::vector<std::string>{};
}

int check_stdout(int status) {
    errno = 0;
    const bool flush_failed = std::fflush(stdout) != 0;
    if (!flush_failed && !std::ferror(stdout)) return status;
    const int error = errno;
    std::clearerr(stdout);  // reported once
    if (flush_failed && error == EPIPE) return status;
    // An earlier flush failed and its errno is gone: a pipe whose reader left shows POLLERR.
    pollfd out{STDOUT_FILENO, POLLOUT, 0};
    if (!flush_failed && ::poll(&out, 1, 0) == 1 && (out.revents & POLLERR)) return status;
    if (flush_failed)
        report("write error", std::strerror(error));
    else
        report("write error");  // an earlier flush failed; its errno is gone
    return exit_trouble;
}

std::string read_whole_file(const std::string& path) {
    const bool standard_input = path == "-";
    const std::string name = standard_input ? "(standard input)" : path;
    const int fd = standard_input ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw UsageError(name + ": " + std::strerror(errno));
    std::string text;
    char block[1 << 16];
    for (;;) {
        const ssize_t got = ::read(fd, block, sizeof block);
        if (got > 0) {
            text.append(block, static_cast<std::size_t>(got));
        } else if (got == 0) {
            break;
        } else if (errno != EINTR) {
            // A directory, a closed stdin or an I/O error must not read as an empty list.
            const int error = errno;
            if (!standard_input) ::close(fd);
            throw UsageError(name + ": read error: " + std::strerror(error));
        }
    }
    if (!standard_input) ::close(fd);
    return text;
}

std::vector<std::string> read_path_list(const std::string& from, bool nul_separated) {
    const std::string text = read_whole_file(from);
    std::vector<std::string> paths;
    const char separator = nul_separated ? '\0' : '\n';
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find(separator, start);
        if (end == std::string::npos) end = text.size();
        std::string path = text.substr(start, end - start);
        if (!nul_separated && !path.empty() && path.back() == '\r') path.pop_back();
        if (!path.empty()) paths.push_back(std::move(path));
        start = end + 1;
    }
    return paths;
}


WarcOptions warc_options(const boost::program_options::variables_map& vm) {
    WarcOptions warc;
    warc.enabled = vm["warc"].as<bool>();
    const bool digests = vm.find("warc-digests") != vm.end() && vm.count("warc-digests");
    if (!warc.enabled && (vm.count("warc-type") || vm.count("warc-lang") || digests))
        throw UsageError("--warc-type, --warc-lang and --warc-digests apply to WARC input: add --warc");
    if (vm.count("warc-type")) {
        warc.types.clear();
        for (const std::string& list : values_of(vm, "warc-type"))
            for (std::string& type : split_warc_list(list)) warc.types.push_back(std::move(type));
        if (warc.types.empty()) throw UsageError("--warc-type needs a record type, such as conversion");
    }
    for (const std::string& list : values_of(vm, "warc-lang"))
        for (std::string& language : split_warc_list(list)) warc.languages.push_back(std::move(language));
    if (vm.count("warc-lang") && warc.languages.empty()) throw UsageError("--warc-lang needs a language, such as eng");
    if (digests) {
        const std::string mode = vm["warc-digests"].as<std::string>();
        if (mode == "drop") warc.digests = WarcOptions::Digests::drop;
        else if (mode != "recompute")
            throw UsageError("invalid value '" + mode + "' for --warc-digests (expected recompute or drop)");
    }
    return warc;
}

SharedOptions shared_options(const boost::program_options::variables_map& vm) {
    SharedOptions shared;
    if (vm.count("threads"))
        shared.threads = static_cast<unsigned>(parse_number(vm["threads"].as<std::string>(), 1, 256, "--threads"));
    if (vm.count("shard")) {
        try {
            shared.shard = parse_shard(vm["shard"].as<std::string>());
        } catch (const std::invalid_argument& e) {
            throw UsageError(std::string(e.what()) + " for --shard");
        }
    }
    if (vm.count("buffer-size"))
        shared.buffer_size = parse_size(vm["buffer-size"].as<std::string>(), 1, 64 << 20, "--buffer-size");
    if (vm.count("io")) {
        try {
            shared.io = parse_io_mode(vm["io"].as<std::string>());
        } catch (const std::invalid_argument& e) {
            throw UsageError(e.what());
        }
    }
    return shared;
}

WalkOptions walk_options(const boost::program_options::variables_map& vm) {
    WalkOptions walk;
    walk.hidden = vm["hidden"].as<bool>();
    walk.follow = vm["follow"].as<bool>();
    walk.ignore_files = !vm["no-ignore"].as<bool>();
    walk.ignore_vcs = !vm["no-ignore-vcs"].as<bool>();
    walk.globs = values_of(vm, "glob");
    walk.iglobs = values_of(vm, "iglob");
    walk.listed = listed_paths(vm);
    return walk;
}

std::vector<std::string> listed_paths(const boost::program_options::variables_map& vm) {
    if (vm.count("files-from")) return read_path_list(vm["files-from"].as<std::string>(), vm["null"].as<bool>());
    if (vm["null"].as<bool>()) throw UsageError("-0/--null only applies to --files-from");
    return {};
}

}  // namespace elvis::cli
