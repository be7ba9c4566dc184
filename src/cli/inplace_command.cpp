// `elvis --in-place`: runs the rewrite on a worker thread while the main thread handles
// SIGINT/SIGTERM and the progress line with Boost.Asio, then prints the summary.
#include <spawn.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <thread>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "options.hpp"

extern char** environ;

namespace elvis::cli {

namespace {

// A unified diff of the original and the rewrite, labelled with the path (diffutils), into
// `text`. False, reported, when diff could not run or failed.
bool unified_diff(const std::string& path, int original_fd, int rewritten_fd, std::string& text) {
    // The child sees our descriptors through /proc/<our pid>/fd, since /proc/self is the child.
    const std::string pid = std::to_string(::getpid());
    const std::string a = "/proc/" + pid + "/fd/" + std::to_string(original_fd);
    const std::string b = "/proc/" + pid + "/fd/" + std::to_string(rewritten_fd);
    const std::string relative = path.substr(path.find_first_not_of('/') == std::string::npos ? 0 : path.find_first_not_of('/'));
    const std::string label_a = "a/" + relative, label_b = "b/" + relative;
    const char* argv[] = {"diff", "-u", "--label", label_a.c_str(), "--label", label_b.c_str(), a.c_str(), b.c_str(), nullptr};
    const int out = ::memfd_create("elvis-diff", MFD_CLOEXEC);
    if (out < 0) {
        report(path, std::string("cannot show the change: ") + std::strerror(errno));
        return false;
    }
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_adddup2(&actions, out, STDOUT_FILENO);
    pid_t child;
    const int spawned = ::posix_spawnp(&child, "diff", &actions, nullptr, const_cast<char**>(argv), environ);
    ::posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
        ::close(out);
        report(path, "cannot run diff to show the change");
        return false;
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    char buffer[65536];
    ssize_t n;
    for (off_t at = 0; (n = ::pread(out, buffer, sizeof buffer, at)) > 0; at += n) text.append(buffer, static_cast<std::size_t>(n));
    ::close(out);
    if (n == 0 && WIFEXITED(status) && WEXITSTATUS(status) <= 1) return true;  // 1: the files differ
    report(path, "diff failed to show the change");
    return false;
}

std::string megabytes(std::uint64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / 1e6);
    return text;
}

// "1 file", "2 files".
std::string counted(std::uint64_t n, const char* noun) {
    return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

void print_summary(const InPlaceReport& r, double seconds, bool dry_run) {
    std::string line = "elvis: " + counted(r.scanned, "file") + " scanned, " + std::to_string(r.changed) +
                       (dry_run ? " would change (" : " changed (") + counted(r.replacements, "replacement") +
                       "), " + std::to_string(r.unchanged) + " unchanged";
    if (r.binary || r.skipped) {
        line += "; skipped: ";
        if (r.binary) line += std::to_string(r.binary) + " binary";
        if (r.binary && r.skipped) line += ", ";
        if (r.skipped) line += std::to_string(r.skipped) + " hard-linked";
    }
    line += "; " + std::to_string(r.refused) + " left alone for safety, " +
            counted(r.failed + r.walk_errors, "error");
    if (r.interrupted) line += ", " + std::to_string(r.interrupted) + " interrupted";
    char tail[64];
    std::snprintf(tail, sizeof tail, " in %.2f s\n", seconds);
    line += tail;
    std::fputs(line.c_str(), stderr);
}

// Workers keep the files of a batch open until it is swapped in; the soft limit on open files
// (often 1024) is raised to the hard one, as a tool that opens many files should.
void raise_open_file_limit() {
    struct rlimit limit;
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

}  // namespace

int in_place_command(const InPlaceRun& run) {
    raise_open_file_limit();
    InPlaceProgress progress;
    InPlaceCallbacks callbacks;
    const bool dry_run = run.settings.dry_run;
    // --dry-run's list comes sorted at the end: workers finish files in any order, and the same
    // tree should give the same list (as count --per-file does).
    std::vector<std::pair<std::string, std::uint64_t>> would_change;
    callbacks.on_file = [&](const FileEvent& e) {
        switch (e.outcome) {
            case Outcome::changed:
                if (dry_run) would_change.emplace_back(e.path, e.replacements);
                break;
            case Outcome::binary:
            case Outcome::skipped:
            case Outcome::refused:
            case Outcome::failed: report(e.path, e.reason); break;
            default: break;
        }
    };
    // --diff's too, whole diffs sorted by path.
    std::vector<std::pair<std::string, std::string>> diffs;
    bool diff_failed = false;
    callbacks.on_preview = [&](const std::string& path, int original_fd, int rewritten_fd) {
        std::string text;
        if (!unified_diff(path, original_fd, rewritten_fd, text)) diff_failed = true;
        diffs.emplace_back(path, std::move(text));
    };
    callbacks.on_walk_error = [](const std::string& path, const std::string& reason) { report(path, reason); };

    boost::asio::io_context context;
    boost::asio::signal_set signals(context, SIGINT, SIGTERM);
    int caught = 0;
    signals.async_wait([&](const boost::system::error_code& error, int signal) {
        if (error) return;
        caught = signal;
        progress.stop = true;  // workers abandon their files (removing temporaries) and stop
    });

    const auto started = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(); };
    boost::asio::steady_timer timer(context);
    std::function<void()> tick = [&] {
        const double seconds = elapsed();
        const std::uint64_t bytes = progress.bytes_done;
        std::fprintf(stderr, "\relvis: %llu files done, %s, %.1f MB/s   ",
                     static_cast<unsigned long long>(progress.files_done.load()), megabytes(bytes).c_str(),
                     seconds > 0 ? static_cast<double>(bytes) / seconds / 1e6 : 0.0);
        timer.expires_after(std::chrono::milliseconds(250));
        timer.async_wait([&](const boost::system::error_code& error) {
            if (!error) tick();
        });
    };
    if (run.progress) {
        timer.expires_after(std::chrono::milliseconds(250));
        timer.async_wait([&](const boost::system::error_code& error) {
            if (!error) tick();
        });
    }

    InPlaceReport result;
    std::exception_ptr failure;
    std::thread worker([&] {
        try {
            result = rewrite_in_place(run.settings, run.paths, callbacks, progress);
        } catch (...) {
            failure = std::current_exception();
        }
        boost::asio::post(context, [&] {
            signals.cancel();
            timer.cancel();
        });
    });
    context.run();
    worker.join();
    if (run.progress) std::fputs("\r\033[K", stderr);
    std::sort(would_change.begin(), would_change.end());
    for (const auto& [path, replacements] : would_change)
        std::printf("%s\t%llu\n", tsv_field(path).c_str(), static_cast<unsigned long long>(replacements));
    std::sort(diffs.begin(), diffs.end());
    for (const auto& [path, text] : diffs) std::fwrite(text.data(), 1, text.size(), stdout);
    if (failure) std::rethrow_exception(failure);
    const bool trouble = result.refused || result.failed || result.walk_errors || result.interrupted || diff_failed;
    const int status = check_stdout(trouble ? exit_trouble : exit_ok);  // the list before the summary
    print_summary(result, elapsed(), dry_run || run.settings.diff);
    return caught ? 128 + caught : status;
}

}  // namespace elvis::cli
