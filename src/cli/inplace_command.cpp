// `elvis --in-place`: runs the rewrite on a worker thread while the main thread handles
// SIGINT/SIGTERM and the progress line with Boost.Asio, then prints the summary.
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <thread>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "elvis/count_format.hpp"
#include "jobs/unified_diff.hpp"
#include "options.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

namespace elvis::cli {

namespace {

// --diff's diffs, gathered in an unnamed temporary file as the workers finish files and printed
// sorted by path at the end: the same tree gives the same output, as --dry-run's list does, and
// memory does not grow with the diffs.
class DiffSpool {
public:
    ~DiffSpool() {
        if (fd_ >= 0) ::close(fd_);
    }

    // Appends a file's diff. False, reported, when it cannot be kept.
    bool add(const std::string& path, std::string_view diff) {
        if (fd_ < 0 && !open(path)) return false;
        for (std::size_t done = 0; done < diff.size();) {
            const ssize_t n = ::pwrite(fd_, diff.data() + done, diff.size() - done, end_ + static_cast<off_t>(done));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                report(path, std::string("cannot show the change: ") + std::strerror(n < 0 ? errno : EIO));
                return false;
            }
            done += static_cast<std::size_t>(n);
        }
        entries_.push_back({path, end_, static_cast<off_t>(diff.size())});
        end_ += static_cast<off_t>(diff.size());
        return true;
    }

    // Copies the diffs to stdout in the order of their paths; false, reported, when one could not
    // be read back.
    bool print() {
        bool complete = true;
        std::sort(entries_.begin(), entries_.end(),
                  [](const Entry& x, const Entry& y) { return x.path < y.path; });
        char buffer[65536];
        for (const Entry& e : entries_) {
            ssize_t n = 0;
            for (off_t done = 0; done < e.length; done += n) {
                n = ::pread(fd_, buffer, static_cast<std::size_t>(std::min<off_t>(e.length - done, sizeof buffer)),
                            e.start + done);
                if (n <= 0) {
                    report(e.path, std::string("cannot show the change: ") + std::strerror(n < 0 ? errno : EIO));
                    complete = false;
                    break;
                }
                std::fwrite(buffer, 1, static_cast<std::size_t>(n), stdout);
            }
        }
        return complete;
    }

private:
    struct Entry {
        std::string path;
        off_t start, length;
    };

    bool open(const std::string& path) {
        const char* dir = std::getenv("TMPDIR");
        fd_ = ::open(dir && *dir ? dir : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd_ < 0) fd_ = ::memfd_create("elvis-diff", MFD_CLOEXEC);  // no such directory, or no O_TMPFILE
        if (fd_ >= 0) return true;
        report(path, std::string("cannot show the change: ") + std::strerror(errno));
        return false;
    }

    int fd_ = -1;
    off_t end_ = 0;
    std::vector<Entry> entries_;
};

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
    std::vector<std::string> skipped;
    if (r.binary) skipped.push_back(std::to_string(r.binary) + " binary");
    if (r.skipped) skipped.push_back(std::to_string(r.skipped) + " hard-linked");
    if (r.special_files_skipped) skipped.push_back(std::to_string(r.special_files_skipped) + " special (FIFO, socket, device)");
    for (std::size_t i = 0; i < skipped.size(); ++i) line += (i ? ", " : "; skipped: ") + skipped[i];
    line += "; " + std::to_string(r.refused) + " left alone for safety, " +
            counted(r.failed + r.walk_errors, "error");
    if (r.interrupted) line += ", " + std::to_string(r.interrupted) + " interrupted";
    if (r.stale_temporaries_removed)
        line += "; " + counted(r.stale_temporaries_removed, "stale temporary file") + " removed";
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

// --interactive: each file's hunks shown on the terminal, and asked about one at a time.
class Review {
public:
    Review(bool color, const InPlaceProgress& progress) : style_{3, color}, progress_(progress) {}

    std::vector<bool> choose(const std::string& path, std::string_view content, std::span<const Match> matches,
                             const RuleSet& rules) {
        std::vector<bool> chosen(matches.size(), all_);
        if (quit_ || all_) return chosen;
        const std::vector<detail::DiffHunk> hunks = detail::diff_hunks(content, matches, rules, style_);
        const std::string header = detail::diff_header(path, style_);
        std::fwrite(header.data(), 1, header.size(), stdout);
        for (std::size_t k = 0; k < hunks.size(); ++k) {
            auto take = [&](std::size_t from, std::size_t to) {
                for (std::size_t h = from; h < to; ++h)
                    std::fill(chosen.begin() + static_cast<std::ptrdiff_t>(hunks[h].first_match),
                              chosen.begin() + static_cast<std::ptrdiff_t>(hunks[h].end_match), true);
            };
            std::fwrite(hunks[k].text.data(), 1, hunks[k].text.size(), stdout);  // may hold NULs (--binary)
            switch (ask(k + 1, hunks.size())) {
                case 'y': take(k, k + 1); break;
                case 'n': break;
                case 'a': take(k, hunks.size()); return chosen;
                case 'd': return chosen;
                case 'A':
                    all_ = true;
                    take(k, hunks.size());
                    return chosen;
                default: quit_ = true; return chosen;  // 'q', end of input, or a stop
            }
        }
        return chosen;
    }

private:
    // One answer, asked until it is one of the letters; 'q' at the end of input or on a stop.
    char ask(std::size_t hunk, std::size_t hunks) {
        for (;;) {
            std::fprintf(stdout, "(%zu/%zu) Rewrite this hunk [y,n,a,d,A,q,?]? ", hunk, hunks);
            std::fflush(stdout);
            const std::string answer = read_line();
            if (answer.size() == 1 && answer[0] != '\0' && std::strchr("ynadAq", answer[0]) != nullptr) return answer[0];
            if (answer == "\x04") return 'q';
            std::fputs("y - rewrite this hunk\nn - leave this hunk as it is\na - rewrite this hunk and the rest of "
                       "the file\nd - leave this hunk and the rest of the file\nA - rewrite this hunk and all that "
                       "follow, in every file\nq - quit: rewrite nothing more (what was accepted is written)\n",
                       stdout);
        }
    }

    // A line from standard input, "\x04" at its end; polled, so that SIGINT (handled on the main
    // thread, which sets progress.stop) ends the question too.
    std::string read_line() {
        std::string line;
        for (;;) {
            if (progress_.stop) return "\x04";
            struct pollfd in = {STDIN_FILENO, POLLIN, 0};
            if (::poll(&in, 1, 100) <= 0) continue;
            char c;
            const ssize_t n = ::read(STDIN_FILENO, &c, 1);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (n <= 0) return line.empty() ? "\x04" : line;
            if (c == '\n') return line;
            if (c != '\r') line.push_back(c);
        }
    }

    detail::DiffStyle style_;
    const InPlaceProgress& progress_;
    bool all_ = false, quit_ = false;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Redraws the progress line on stderr every 250 ms, until the timer is cancelled.
void show_progress(boost::asio::steady_timer& timer, const InPlaceProgress& progress,
                   std::chrono::steady_clock::time_point started) {
    timer.expires_after(std::chrono::milliseconds(250));
    timer.async_wait([&timer, &progress, started](const boost::system::error_code& error) {
        if (error) return;
        const double seconds = seconds_since(started);
        const std::uint64_t bytes = progress.bytes_done;
        std::fprintf(stderr, "\relvis: %s done, %s, %.1f MB/s   ", counted(progress.files_done.load(), "file").c_str(),
                     megabytes(bytes).c_str(), seconds > 0 ? static_cast<double>(bytes) / seconds / 1e6 : 0.0);
        show_progress(timer, progress, started);
    });
}

// A preview (--dry-run, --diff) reports what it would leave alone, but only a real error makes
// it exit 2; otherwise 0 or 1 by whether anything would change.
int exit_status(const InPlaceRun& run, const InPlaceReport& result, bool diff_failed) {
    const bool preview = run.settings.dry_run || run.settings.diff;
    const bool trouble = (!preview && result.refused) || result.failed || result.walk_errors || result.interrupted ||
                         diff_failed;
    return trouble                                          ? exit_trouble
           : (preview || run.must_match) && !result.changed ? exit_nothing
                                                            : exit_ok;
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
    DiffSpool diffs;
    bool diff_failed = false;
    callbacks.on_diff = [&](const std::string& path, std::string_view diff) {
        if (!diffs.add(path, diff)) diff_failed = true;
    };
    Review review(run.settings.diff_color, progress);
    if (run.interactive)
        callbacks.choose = [&](const std::string& path, std::string_view content, std::span<const Match> matches,
                               const RuleSet& rules) { return review.choose(path, content, matches, rules); };
    callbacks.on_stale_temporary = [](const std::string& path) {
        report(path, "removed: a temporary file an interrupted elvis run left");
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
    auto elapsed = [&] { return seconds_since(started); };
    boost::asio::steady_timer timer(context);
    if (run.progress) show_progress(timer, progress, started);

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
        std::printf("%s\t%llu\n", escape_tsv_field(path).c_str(), static_cast<unsigned long long>(replacements));
    if (!diffs.print()) diff_failed = true;
    if (failure) std::rethrow_exception(failure);
    const int status = check_stdout(exit_status(run, result, diff_failed));  // the list before the summary
    print_summary(result, elapsed(), dry_run || run.settings.diff);
    if (run.stats) std::fprintf(stderr, "elvis: new files: %s\n", result.new_files.c_str());
    return caught ? 128 + caught : status;
}

}  // namespace elvis::cli
