// rewrite_in_place: per-file decisions, the scan for a first match, and the atomic rewrite.
#include "elvis/inplace.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <mutex>
#include <set>
#include <tuple>
#include <utility>

#include "elvis/errors.hpp"
#include "elvis/matcher.hpp"
#include "elvis/rewriter.hpp"
#include "elvis/scanner.hpp"
#include "elvis/sink.hpp"
#include "engine/ascii.hpp"
#include "io/atomic_replace.hpp"
#include "io/fd.hpp"
#include "io/gzip_sink.hpp"
#include "io/gzip_source.hpp"
#include "io/syscalls.hpp"
#include "io/uring.hpp"
#include "jobs/unified_diff.hpp"
#include "pipeline/worker_pool.hpp"
#include "records/warc_rewriter.hpp"
#include "walk/resolve.hpp"
#include "walk/tree_walk.hpp"

namespace elvis {

namespace {

constexpr std::size_t binary_probe = 8192;  // bytes searched for a NUL, as grep and git do

struct Interrupted {};
struct Deferred {};

// Where a record rewrite that only counts writes.
class DiscardSink final : public Sink {
public:
    void put(std::string_view) override {}
    void flush() override {}
};

using detail::Fd;

struct Shared {
    const InPlaceSettings& settings;
    const ReplaceOptions replace;
    const Matcher& matcher;
    const InPlaceCallbacks& callbacks;
    InPlaceProgress& progress;
    InPlaceReport& report;
    std::mutex mutex;
    // Names already taken, by their directory's device and inode: a name reached twice (overlapping
    // paths, a link and its target) is rewritten and counted once; each hard link is its own name.
    std::set<std::tuple<dev_t, ino_t, std::string>> seen;
    // --hard-links=split: hard-linked names, rewritten one at a time once the others are done.
    // Each split changes the link count (and so the ctime) of the names still sharing the
    // inode, which would fail their re-check if they were in flight meanwhile.
    std::vector<FileEntry> deferred;
    static constexpr std::size_t max_deferred = 64;
    bool splitting = false;  // rewriting `deferred`
    // Per rule: whether a match of it can give back the very bytes it matched (elvis -> elvis;
    // -i with elvis -> elvis). Such matches change nothing and are not counted, so a file with
    // only those is left as it is.
    const std::vector<bool> may_give_back = [this] {
        std::vector<bool> out;
        for (const Rule& r : matcher.rules().rules())
            out.push_back(settings.match.ignore_case ? ascii::lowered(r.find) == ascii::lowered(r.replace)
                                                     : r.find == r.replace);
        return out;
    }();

    void record(const std::string& path, Outcome outcome, std::uint64_t replacements, std::string_view reason) {
        std::lock_guard lock(mutex);
        switch (outcome) {
            case Outcome::unchanged: ++report.unchanged; break;
            case Outcome::changed: ++report.changed, report.replacements += replacements; break;
            case Outcome::binary: ++report.binary; break;
            case Outcome::skipped: ++report.skipped; break;
            case Outcome::refused: ++report.refused; break;
            case Outcome::failed: ++report.failed; break;
            case Outcome::interrupted: ++report.interrupted; break;
        }
        if (callbacks.on_file) callbacks.on_file(FileEvent{path, outcome, replacements, reason});
    }
    bool first_visit(const struct stat& dir, const std::string& name) {
        std::lock_guard lock(mutex);
        const bool first = seen.insert({dir.st_dev, dir.st_ino, name}).second;
        report.scanned += first;
        return first;
    }
};

class Worker {
public:
    // `batch`: rewritten files kept open until they are synced and swapped in together.
    Worker(Shared& shared, std::size_t batch)
        : shared_(shared),
          batch_(batch),
          io_(choose_source(shared.settings.io, shared.settings.buffer_size, 2 * max_pending)),
          scanner_(shared.matcher),
          rewriter_(shared.matcher) {
        pending_.reserve(batch_);
        if (shared.settings.warc.enabled) gzip_.emplace(*io_.source, shared.settings.buffer_size);
    }

    void process(const FileEntry& entry) {
        if (shared_.progress.stop) return;
        try {
            process_file(entry);
        } catch (const Deferred&) {
            return;  // not done yet
        } catch (const Interrupted&) {
            shared_.record(entry.path, Outcome::interrupted, 0, "interrupted");
        } catch (const ReplaceRefused& e) {
            shared_.record(entry.path, Outcome::refused, 0, e.what());
        } catch (const std::exception& e) {
            shared_.record(entry.path, Outcome::failed, 0, e.what());
        }
        ++shared_.progress.files_done;
    }

    std::uint64_t bytes_read() const { return bytes_; }

private:
    void process_file(const FileEntry& entry) {
        if (entry.is_stdin) throw std::runtime_error("standard input cannot be rewritten in place");
        // A symbolic link is never replaced, the file it leads to is: in that file's directory.
        detail::Location where;
        if (int error = detail::locate(entry, where)) throw std::runtime_error(describe_open_error(entry, error));
        Fd& dir = where.dir;
        const std::string& name = where.name;
        Fd file(::openat(dir.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY), true);
        if (file.get() < 0) throw std::runtime_error(describe_open_error(entry, errno));
        struct stat st;
        if (::fstat(file.get(), &st) != 0) throw IoError("cannot stat", errno);
        if (!S_ISREG(st.st_mode)) throw std::runtime_error("not a regular file; skipped");
        if (st.st_nlink > 1 && shared_.settings.hard_links == HardLinkPolicy::split && !shared_.splitting) {
            std::lock_guard lock(shared_.mutex);
            // Each waiting name keeps its directory open: past the cap, rewritten at once (a
            // name whose inode another split changes meanwhile is then refused, never lost).
            if (shared_.deferred.size() < Shared::max_deferred) {
                shared_.deferred.push_back(entry);
                throw Deferred{};
            }
        }
        struct stat dir_st;
        if (entry.dir != nullptr && !entry.via_symlink) {
            dir_st.st_dev = entry.dir->dev;
            dir_st.st_ino = entry.dir->ino;
        } else if (::fstat(dir.get(), &dir_st) != 0) {
            throw IoError("cannot stat its directory", errno);
        }
        if (!shared_.first_visit(dir_st, name)) return;  // reached twice (links, overlapping paths)

        const InPlaceSettings& s = shared_.settings;
        if (s.warc.enabled) return rewrite_records_of(entry, std::move(dir), std::move(file), st, name);
        bool binary = false;
        const std::uint64_t matches = scan(file.get(), s.dry_run, binary);
        if (binary && !s.binary)
            return shared_.record(entry.path, Outcome::binary, 0, "binary file (a NUL byte in the first 8 KiB); --binary rewrites it");
        if (matches == 0) return shared_.record(entry.path, Outcome::unchanged, 0, {});
        if (!may_replace(entry, dir.get(), name, st)) return;
        if (s.dry_run) return shared_.record(entry.path, Outcome::changed, matches, {});

        const std::uint64_t before = rewriter_.replacements();
        if (s.diff) return preview(entry.path, file.get());
        if (shared_.callbacks.choose) return review(entry, std::move(dir), std::move(file), st, name);
        auto replacement = std::make_unique<AtomicReplacement>(dir.get(), name, st, shared_.replace);
        rewrite(file.get(), replacement->fd(), static_cast<std::uint64_t>(st.st_size));
        pending_.push_back({entry, std::move(dir), std::move(file), std::move(replacement),
                            rewriter_.replacements() - before});
        if (pending_.size() == batch_) finish_pending();
    }

    // Whether a file with matches may be replaced: false when its hard links skip it (recorded);
    // ReplaceRefused when its hard links, its mode or a backup's name forbid it.
    bool may_replace(const FileEntry& entry, int dir, const std::string& name, const struct stat& st) {
        const InPlaceSettings& s = shared_.settings;
        if (st.st_nlink > 1) {
            if (s.hard_links == HardLinkPolicy::refuse)
                throw ReplaceRefused("has " + std::to_string(st.st_nlink) +
                                     " hard links; left as it is (--hard-links=split rewrites each name as a file of its own)");
            if (s.hard_links == HardLinkPolicy::skip) {
                shared_.record(entry.path, Outcome::skipped, 0, "has other hard links; skipped");
                return false;
            }
        }
        if (!s.force && (::faccessat(dir, name.c_str(), W_OK, AT_EACCESS) != 0 || (st.st_mode & 0222) == 0))
            throw ReplaceRefused("read-only file; left as it is (--force rewrites it)");
        // Known before the rewrite, and again at the swap (AtomicReplacement), where it counts.
        const std::string& backup_suffix = s.backup_suffix;
        struct stat backup;
        if (!backup_suffix.empty() && ::fstatat(dir, (name + backup_suffix).c_str(), &backup, AT_SYMLINK_NOFOLLOW) == 0)
            throw ReplaceRefused(backup_exists(name, backup_suffix));
        return true;
    }

    // --warc: a first pass, written nowhere, stops at the first record that changes (counts them
    // all with --dry-run), as scan() does for text; then the file is rewritten into its new file,
    // a gzip file one gzip member per record.
    void rewrite_records_of(const FileEntry& entry, Fd dir, Fd file, const struct stat& st, const std::string& name) {
        const bool dry_run = shared_.settings.dry_run;
        DiscardSink nowhere;
        const std::uint64_t matches = rewrite_records(file.get(), name, nowhere, !dry_run);
        if (matches == 0) return shared_.record(entry.path, Outcome::unchanged, 0, {});
        if (!may_replace(entry, dir.get(), name, st)) return;
        if (dry_run) return shared_.record(entry.path, Outcome::changed, matches, {});
        auto replacement = std::make_unique<AtomicReplacement>(dir.get(), name, st, shared_.replace);
        FdSink out(replacement->fd());
        const std::uint64_t made = rewrite_records(file.get(), name, out, false);
        pending_.push_back({entry, std::move(dir), std::move(file), std::move(replacement), made});
        if (pending_.size() == batch_) finish_pending();
    }

    // The replacements the record rewrite of `in` makes, written to `out` (gzip if `in` is), up
    // to the first record with any when `stop_at_first`. A malformed record throws RecordError.
    std::uint64_t rewrite_records(int in, const std::string& name, Sink& out, bool stop_at_first) {
        GzipSource& source = *gzip_;
        source.set_mode(gzip_mode_for(name));
        source.open_range(in, 0, UINT64_MAX);
        std::optional<GzipSink> members;
        std::optional<detail::WarcRewriter> records;
        try {
            for (std::span<char> chunk = source.next(); !chunk.empty(); chunk = source.next()) {
                if (shared_.progress.stop) throw Interrupted{};
                if (!records) {  // gzip or not is known with the first chunk
                    if (source.inflating()) members.emplace(out);
                    records.emplace(shared_.matcher, shared_.settings.warc, members ? static_cast<Sink&>(*members) : out,
                                    members ? &*members : nullptr);
                }
                bytes_ += chunk.size();
                shared_.progress.bytes_done += chunk.size();
                records->feed({chunk.data(), chunk.size()});
                if (stop_at_first && records->replacements() > 0) break;
            }
            const bool stopped = records && stop_at_first && records->replacements() > 0;
            if (records) {
                if (const std::optional<RecordError> error = records->finish(); error && !stopped)
                    throw std::runtime_error(detail::describe(*error, source.inflating()));
            }
            if (members) members->flush();
            out.flush();
        } catch (...) {
            source.close();
            throw;
        }
        source.close();
        return records ? records->replacements() : 0;
    }

    // --interactive: the file is offered to the chooser whole, and only the replacements chosen
    // are written, from memory, with the same atomic replace.
    void review(const FileEntry& entry, Fd dir, Fd file, const struct stat& st, const std::string& name) {
        const std::string original = read_whole(file.get());
        const std::vector<Match> found = matches_in(original);
        std::vector<bool> chosen;
        {
            std::lock_guard lock(shared_.mutex);
            chosen = shared_.callbacks.choose(entry.path, original, found, shared_.matcher.rules());
        }
        chosen.resize(found.size(), false);
        std::uint64_t made = 0;
        for (std::size_t i = 0; i < found.size(); ++i) made += chosen[i] && changes(found[i], original);
        if (made == 0) return shared_.record(entry.path, Outcome::unchanged, 0, {});
        auto replacement = std::make_unique<AtomicReplacement>(dir.get(), name, st, shared_.replace);
        FdSink sink(replacement->fd());
        std::size_t copied = 0;
        for (std::size_t i = 0; i < found.size(); ++i) {
            if (!chosen[i]) continue;
            sink.put(std::string_view(original).substr(copied, found[i].start - copied));
            sink.put(shared_.matcher.rules().rules()[found[i].rule].replace);
            copied = found[i].end;
        }
        sink.put(std::string_view(original).substr(copied));
        sink.flush();
        pending_.push_back({entry, std::move(dir), std::move(file), std::move(replacement), made});
        finish_pending();  // now: a SIGINT at a later question must not drop what was accepted
    }

public:
    // Swaps in the rewritten files waiting in pending_: metadata, then one batched fsync of all
    // new files, then the checks and renames, then one batched fsync of their directories.
    void finish_pending() {
        const bool sync = shared_.settings.fsync;
        auto settle = [&](Pending& p, auto&& step) {
            try {
                step();
                return true;
            } catch (const ReplaceRefused& e) {
                shared_.record(p.entry.path, Outcome::refused, 0, e.what());
            } catch (const std::exception& e) {
                shared_.record(p.entry.path, Outcome::failed, 0, e.what());
            }
            p.replacement.reset();
            return false;
        };
        std::vector<int> fds;
        for (Pending& p : pending_)
            if (settle(p, [&] { p.replacement->prepare(p.file.get()); }) && sync) fds.push_back(p.replacement->fd());
        if (sync) {
            std::vector<int> errors = sync_all(io_.ring.get(), fds);
            std::size_t k = 0;
            for (Pending& p : pending_) {
                if (!p.replacement) continue;
                if (int error = errors[k++]) settle(p, [&] { throw IoError("cannot sync the new file", error); });
            }
        }
        std::vector<int> dirs;
        std::vector<Pending*> swapped;
        for (Pending& p : pending_) {
            if (!p.replacement || !settle(p, [&] { p.replacement->swap(); })) continue;
            swapped.push_back(&p);
            if (std::find(dirs.begin(), dirs.end(), p.dir.get()) == dirs.end()) dirs.push_back(p.dir.get());
        }
        std::vector<int> dir_errors = sync ? sync_all(io_.ring.get(), dirs) : std::vector<int>(dirs.size(), 0);
        for (Pending* p : swapped) {
            const int error = dir_errors[static_cast<std::size_t>(std::find(dirs.begin(), dirs.end(), p->dir.get()) - dirs.begin())];
            if (error) shared_.record(p->entry.path, Outcome::failed, 0, std::string("rewritten, but syncing its directory failed: ") + std::strerror(error));
            else shared_.record(p->entry.path, Outcome::changed, p->replacements, {});
        }
        pending_.clear();
    }

    // After a stop request: the rewrites not yet swapped in are dropped, originals untouched.
    void abandon_pending() {
        for (Pending& p : pending_) shared_.record(p.entry.path, Outcome::interrupted, 0, "interrupted");
        pending_.clear();
    }

private:
    // A file read whole, for a preview or a review (which need every match at once).
    std::string read_whole(int fd) {
        std::string text;
        char buffer[64 * 1024];
        for (ssize_t n; (n = sys::calls().pread(fd, buffer, sizeof buffer, static_cast<off_t>(text.size()))) != 0;) {
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw IoError("cannot read", errno);
            if (shared_.progress.stop) throw Interrupted{};
            text.append(buffer, static_cast<std::size_t>(n));
        }
        return text;
    }

    // Whether a match changes the file: its replacement differs from the bytes it matched (read
    // back from `fd` only when -i leaves that open).
    bool changes(const Match& m, int fd) {
        if (!shared_.may_give_back[m.rule]) return true;
        if (!shared_.settings.match.ignore_case) return false;  // the bytes are the find text itself
        const std::string& replace = shared_.matcher.rules().rules()[m.rule].replace;
        std::string matched(replace.size(), '\0');
        const ssize_t n = sys::calls().pread(fd, matched.data(), matched.size(), static_cast<off_t>(m.start));
        return n != static_cast<ssize_t>(matched.size()) || matched != replace;
    }

    // The same, for a file in memory.
    bool changes(const Match& m, std::string_view text) const {
        return shared_.matcher.rules().rules()[m.rule].replace != text.substr(m.start, m.end - m.start);
    }

    std::vector<Match> matches_in(std::string_view text) {
        std::vector<Match> matches;
        scanner_.reset();
        scanner_.feed(text);
        for (Match match; scanner_.next(match);) matches.push_back(match);
        for (Match match; scanner_.finish(match);) matches.push_back(match);
        return matches;
    }

    // --diff: the file is read whole and its diff made from the matches in it (unified_diff.hpp).
    void preview(const std::string& path, int fd) {
        const std::string before = read_whole(fd);
        const std::vector<Match> matches = matches_in(before);
        const std::string diff =
            detail::unified_diff(path, before, matches, shared_.matcher.rules(), {3, shared_.settings.diff_color});
        {
            std::lock_guard lock(shared_.mutex);
            if (shared_.callbacks.on_diff) shared_.callbacks.on_diff(path, diff);
        }
        shared_.record(path, Outcome::changed,
                       std::count_if(matches.begin(), matches.end(), [&](const Match& m) { return changes(m, before); }), {});
    }

    // Counts matches (stopping at the first unless `count_all`) and looks for a NUL byte.
    std::uint64_t scan(int fd, bool count_all, bool& binary) {
        scanner_.reset();
        io_.source->open_range(fd, 0, UINT64_MAX);
        std::uint64_t offset = 0, matches = 0;
        Match match;
        try {
            for (std::span<char> chunk = io_.source->next(); !chunk.empty(); chunk = io_.source->next()) {
                if (shared_.progress.stop) throw Interrupted{};
                if (offset < binary_probe &&
                    std::memchr(chunk.data(), 0, std::min<std::uint64_t>(chunk.size(), binary_probe - offset)))
                    binary = true;
                offset += chunk.size();
                bytes_ += chunk.size();
                shared_.progress.bytes_done += chunk.size();
                scanner_.feed({chunk.data(), chunk.size()});
                while (scanner_.next(match)) matches += changes(match, fd);
                // Not before the binary probe's bytes were seen, so that the guard looks at the
                // same bytes whatever the buffer size (and --dry-run agrees with the real run).
                if ((matches > 0 && !count_all && offset >= binary_probe) || (binary && !shared_.settings.binary)) break;
            }
            if (matches == 0 || count_all)
                while (scanner_.finish(match)) matches += changes(match, fd);
        } catch (...) {
            io_.source->close();
            throw;
        }
        io_.source->close();
        return matches;
    }

    // With `expected` bytes, the new file's space is reserved whole first (SpaceReservation), and
    // what the rewrite did not use (a shorter replacement) is given back: ext4 then has no delayed
    // allocation to force out when the file is renamed over the original (DESIGN.md, "Reserving
    // disk space").
    void rewrite(int in, int out, std::uint64_t expected = 0) {
        FdSink sink(out);
        const bool reserved = SpaceReservation().reserve(out, expected);
        io_.source->open_range(in, 0, UINT64_MAX);
        try {
            for (std::span<char> chunk = io_.source->next(); !chunk.empty(); chunk = io_.source->next()) {
                if (shared_.progress.stop) throw Interrupted{};
                rewriter_.feed(chunk, sink);
            }
            rewriter_.finish(sink);
        } catch (...) {
            io_.source->close();
            rewriter_.reset();  // ready for the next file
            throw;
        }
        io_.source->close();
        if (reserved && sink.bytes_written() < expected &&
            ::ftruncate(out, static_cast<off_t>(sink.bytes_written())) != 0)  // frees what is past the end
            throw IoError("cannot truncate the new file", errno);
    }

    // A rewritten file waiting for the batched sync and swap (keeps its descriptors open).
    struct Pending {
        FileEntry entry;  // holds the directory handle of walked files
        Fd dir, file;
        std::unique_ptr<AtomicReplacement> replacement;
        std::uint64_t replacements;
    };
public:
    static constexpr std::size_t max_pending = 32;

private:
    Shared& shared_;
    const std::size_t batch_;
    SourceChoice io_;
    std::optional<GzipSource> gzip_;  // over io_.source, with --warc
    std::vector<Pending> pending_;
    StreamScanner scanner_;
    StreamRewriter rewriter_;
    std::uint64_t bytes_ = 0;
};

}  // namespace

namespace {
// A backup met while walking is not rewritten (nor backed up in turn); one named still is.
bool is_backup(const FileEntry& entry, const std::string& suffix) {
    return !entry.named && !suffix.empty() && entry.name.ends_with(suffix);
}
}  // namespace

unsigned default_in_place_threads() {
    return std::clamp(4 * sys::usable_cpus(), 8u, 64u);
}

namespace {

struct WorkerBudget {
    unsigned workers;
    std::size_t batch;
};

// Each file waiting in a worker's batch keeps 3 descriptors open (the original, the new file, and
// the directory of a file named on the command line or reached through a link); each worker has
// its ring and a few more; the walker's directories and stdio need the rest. Within the
// descriptor limit: fewer workers first, then smaller batches, down to one worker that swaps each
// file in as soon as it is written.
WorkerBudget budget_within_descriptor_limit(unsigned wanted) {
    struct rlimit limit;
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return {wanted, Worker::max_pending};
    constexpr rlim_t per_file = 3, per_worker = 8;
    const rlim_t reserve = std::min<rlim_t>(64, limit.rlim_cur / 2);
    const rlim_t available = limit.rlim_cur - reserve;
    const auto workers = static_cast<unsigned>(
        std::clamp<rlim_t>(available / (per_file * Worker::max_pending + per_worker), 1, wanted));
    const rlim_t each = available / workers;
    const rlim_t batch = each > per_worker ? (each - per_worker) / per_file : 1;
    return {workers, static_cast<std::size_t>(std::clamp<rlim_t>(batch, 1, Worker::max_pending))};
}

}  // namespace

InPlaceReport rewrite_in_place(const InPlaceSettings& settings, const std::vector<std::string>& paths,
                               const InPlaceCallbacks& callbacks, InPlaceProgress& progress) {
    const Matcher matcher(RuleSet(settings.rules, settings.match));
    InPlaceReport report;
    Shared shared{settings, {settings.fsync, settings.force, settings.backup_suffix}, matcher, callbacks, progress, report, {}, {}, {}, false};
    TreeWalker walker(settings.walk, [&](const std::string& path, const std::string& reason) {
        std::lock_guard lock(shared.mutex);
        ++report.walk_errors;
        if (callbacks.on_walk_error) callbacks.on_walk_error(path, reason);
    });
    // Temporaries an interrupted run left are removed where proven (atomic_replace.hpp); a name of
    // that form is never rewritten, whoever made it.
    struct timespec started;
    ::clock_gettime(CLOCK_REALTIME, &started);
    const bool writes = !settings.dry_run && !settings.diff;
    walker.claim_entries([&](int dir_fd, const std::string& name, const std::string& path) {
        if (!is_temporary_name(name)) return false;
        if (writes && remove_stale_temporary(dir_fd, name, started)) {
            std::lock_guard lock(shared.mutex);
            ++report.stale_temporaries_removed;
            if (callbacks.on_stale_temporary) callbacks.on_stale_temporary(path);
        }
        return true;
    });
    walker.add_in_order(paths, settings.walk.listed);
    const WorkerBudget budget = budget_within_descriptor_limit(std::max(1u, settings.threads));
    detail::run_on_pool(budget.workers, [&](unsigned) {
        Worker worker(shared, budget.batch);
        FileEntry entry;
        while (!progress.stop && walker.next(entry))
            if ((!settings.shard || in_shard(entry.path, *settings.shard)) && !is_backup(entry, settings.backup_suffix))
                worker.process(entry);
        if (progress.stop) worker.abandon_pending();
        else worker.finish_pending();
        std::lock_guard lock(shared.mutex);
        report.bytes_read += worker.bytes_read();
    });
    if (!shared.deferred.empty() && !progress.stop) {
        shared.splitting = true;
        Worker worker(shared, 1);  // each swapped in before the next is opened
        for (const FileEntry& entry : shared.deferred) worker.process(entry);
        if (progress.stop) worker.abandon_pending();
        else worker.finish_pending();
        report.bytes_read += worker.bytes_read();
    }
    report.new_files = new_file_naming();
    report.special_files_skipped = walker.special_files_skipped();
    return report;
}

}  // namespace elvis
