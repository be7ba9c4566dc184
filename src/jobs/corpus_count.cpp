// count_corpus: the worker pool, per-worker counting, and parallel ranges of one huge file.
#include "elvis/corpus_count.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>

#include "elvis/counter.hpp"
#include "elvis/errors.hpp"
#include "elvis/matcher.hpp"
#include "elvis/scanner.hpp"
#include "io/batch_reader.hpp"
#include "io/gzip_source.hpp"
#include "io/syscalls.hpp"
#include "io/uring.hpp"
#include "jobs/gzip_ranges.hpp"
#include "pipeline/ranges.hpp"
#include "pipeline/trace.hpp"
#include "pipeline/worker_pool.hpp"
#include "records/record_tally.hpp"
#include "records/tag_framer.hpp"
#include "records/warc_framer.hpp"
#include "walk/tree_walk.hpp"

namespace elvis {

namespace {

using detail::run_on_pool;

constexpr const char* stdin_name = "(standard input)";

struct Shared {
    const CountSettings& settings;
    const Matcher& terms;
    const Matcher* markers;
    CountReport& report;
    const std::function<void(const CountError&)>& on_error;
    std::mutex mutex;

    void fail(const std::string& path, const std::string& reason) {
        std::lock_guard lock(mutex);
        report.errors.push_back({path, reason});
        if (on_error) on_error(report.errors.back());
    }
    // A file counted apart from the workers (in ranges): its totals and decompressed size.
    void add_whole_file(const std::string& path, const std::vector<std::uint64_t>& totals, std::uint64_t bytes) {
        std::lock_guard lock(mutex);
        bool any = false;
        for (std::size_t t = 0; t < totals.size(); ++t) {
            report.totals[t] += totals[t];
            if (totals[t]) ++report.documents[t], any = true;
        }
        ++report.files_searched;
        report.bytes_read += bytes;
        if (any && settings.per_file) report.per_file.push_back({path, totals});
    }
    void note_backend(const SourceChoice& io) {
        std::lock_guard lock(mutex);
        if (report.io_backend.empty()) {
            report.io_backend = backend_name(io.source->backend());
            report.fallback_reason = io.fallback_reason;
        }
    }
};

// Any kind of counter behind one interface: a plain stream's, or records' (WARC's or tags'),
// which a framer cuts and a tally counts.
class TermCounter {
public:
    TermCounter(const CountSettings& settings, const Matcher& terms, const Matcher* markers) {
        if (!settings.warc.enabled && !markers) {
            plain_.emplace(terms, settings.counting);
            return;
        }
        tally_.emplace(terms, settings.counting, settings.per_record);
        if (settings.warc.enabled) framer_ = std::make_unique<detail::WarcFramer>(settings.warc, *tally_);
        else framer_ = std::make_unique<detail::TagFramer>(*markers, *tally_);
        counts_records_ = !settings.warc.enabled;
    }
    void feed(std::string_view chunk) {
        if (plain_) plain_->feed(chunk);
        else framer_->feed(chunk);
    }
    // Throws RecordError when a WARC stream ends inside a record.
    void finish() {
        if (plain_) plain_->finish();
        else framer_->finish();
    }
    // After a failed read: what is left of the stream is not counted (a record cut short).
    void abandon() {
        if (framer_) framer_->abandon();
    }
    // Per term: occurrences, or with --records TAG the records containing it.
    std::span<const std::uint64_t> counts() const {
        return plain_ ? plain_->counts() : counts_records_ ? tally_->documents() : tally_->counts();
    }
    // Records containing each term (null for a plain stream).
    const std::uint64_t* documents() const { return tally_ ? tally_->documents().data() : nullptr; }
    std::uint64_t records() const { return tally_ ? tally_->records() : 0; }
    std::uint64_t content_bytes() const { return tally_ ? tally_->content_bytes() : 0; }
    std::vector<RecordCounts> take_record_counts() { return tally_ ? tally_->take_record_counts() : std::vector<RecordCounts>{}; }

private:
    std::optional<StreamCounter> plain_;
    std::optional<detail::RecordTally> tally_;
    std::unique_ptr<detail::RecordFramer> framer_;
    bool counts_records_ = false;
};

// Files a batch opens at once: 32, fewer under a low descriptor limit (each worker's batch is
// open at the same time; the walker's directories, rings and stdio need the rest).
std::size_t files_per_batch(unsigned threads) {
    struct rlimit limit;
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return SmallFileBatch::max_files;
    const rlim_t spare = limit.rlim_cur > 48 ? limit.rlim_cur - 48 : 1;
    return static_cast<std::size_t>(std::clamp<rlim_t>(spare / (2 * std::max(1u, threads)), 1, SmallFileBatch::max_files));
}

// One per pool thread: its own ring, buffers and counters; merged into the report once.
class Worker {
public:
    Worker(Shared& shared, unsigned index)
        : shared_(shared),
          trace_(shared.settings.trace ? shared.settings.trace->add_thread("count worker " + std::to_string(index)) : nullptr),
          io_(choose_source(shared.settings.io, shared.settings.buffer_size, SmallFileBatch::ring_entries)),
          counter_(shared.settings, shared.terms, shared.markers),
          documents_(shared.terms.rules().terms(), 0),
          before_(shared.terms.rules().terms(), 0) {
        shared_.note_backend(io_);
        // WARC files are read one by one (they are large, and a record error must be told apart).
        if (io_.ring && !shared.settings.warc.enabled) {
            batch_ = std::make_unique<SmallFileBatch>(*io_.ring, std::min<std::size_t>(shared.settings.buffer_size, 64 * 1024));
            pending_.reserve(SmallFileBatch::max_files);
        }
        if (shared.settings.decompress || shared.settings.warc.enabled) gzip_ = std::make_unique<GzipSource>(*io_.source, shared.settings.buffer_size);
    }

    // Takes files from the walker until it runs dry. Files met while walking go through the
    // io_uring batch when there is one (but *.gz files when decompressing); named paths are read
    // one by one. Named paths were filtered by shard already; walked files are filtered here.
    void run(TreeWalker& walker) {
        const std::optional<Shard>& shard = shared_.settings.shard;
        FileEntry entry;
        while (walker.next(entry)) {
            if (shard && !entry.named && !in_shard(entry.path, *shard)) continue;
            if (batch_ && !entry.named && !entry.via_symlink && !(gzip_ && has_gzip_suffix(entry.path))) {
                pending_.push_back(std::move(entry));
                if (pending_.size() == batch_files_) count_batch();
            } else {
                count_file(entry);
            }
        }
        count_batch();
    }

    void count_file(const FileEntry& entry) {
        const std::string& label = shared_.settings.stdin_label;
        const std::string& path = !entry.is_stdin ? entry.path : label.empty() ? std::string(stdin_name) : label;
        const int fd = entry.is_stdin ? STDIN_FILENO : entry.open();
        if (fd < 0) {
            shared_.fail(path, describe_open_error(entry, errno));
            return;
        }
        const detail::Fd file(fd, !entry.is_stdin);
        // Entries met while walking were listed as regular files (and opened O_NONBLOCK in case
        // one was swapped for a FIFO since), so only named paths need a look.
        bool regular = !entry.named;
        if (entry.named) {
            struct stat st;
            const int error = sys::calls().fstat(fd, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
            if (error) {
                shared_.fail(path, std::strerror(error));
                return;
            }
            regular = S_ISREG(st.st_mode) && !entry.is_stdin;
        }
        begin_file();
        count_open_file(fd, regular, path);
        end_file(path);
    }

private:
    void count_batch() {
        if (pending_.empty()) return;
        std::array<SmallFileBatch::File, SmallFileBatch::max_files> files;
        std::array<SmallFileBatch::Result, SmallFileBatch::max_files> results;
        for (std::size_t i = 0; i < pending_.size(); ++i) files[i] = {pending_[i].dir->fd, pending_[i].name.c_str()};
        {
            TraceSpan span(trace_, TraceKind::open_batch);
            batch_->read({files.data(), pending_.size()}, {results.data(), pending_.size()});
        }
        for (std::size_t i = 0; i < pending_.size(); ++i) {
            const FileEntry& entry = pending_[i];
            const SmallFileBatch::Result& r = results[i];
            if (r.error) {
                shared_.fail(entry.path, std::strerror(r.error));
                continue;
            }
            begin_file();
            if (gzip_ && may_be_gzip(r)) {  // read it again from the start, through the decompressor
                count_open_file(r.file.get(), true, entry.path);
            } else {
                {
                    TraceSpan span(trace_, TraceKind::scan);
                    counter_.feed({r.data.data(), r.data.size()});
                }
                bytes_ += r.data.size();
                if (!r.complete) {  // larger than one chunk: the rest through the same descriptor
                    const std::uint64_t before = bytes_ - r.data.size(), size = size_of(r.file.get());
                    if (size != 0 && size < r.data.size()) {  // cut since the first chunk was read (0: unknown, /proc)
                        shared_.fail(entry.path, IoError::shrank(size, r.data.size()).what());
                    } else {
                        io_.source->open_range(r.file.get(), r.data.size(), UINT64_MAX);
                        if (feed_source(*io_.source, entry.path)) check_size(bytes_ - before, size, entry.path);
                    }
                }
            }
            end_file(entry.path);
        }
        pending_.clear();
    }

    // Starts with the gzip magic bytes, or with a first one and the second not read yet.
    static bool may_be_gzip(const SmallFileBatch::Result& r) {
        if (r.data.empty() || static_cast<unsigned char>(r.data[0]) != 0x1f) return false;
        return r.data.size() >= 2 ? static_cast<unsigned char>(r.data[1]) == 0x8b : !r.complete;
    }

    // Reads `fd` (not owned) to its end through the decompressor when there is one.
    void count_open_file(int fd, bool regular, const std::string& path) {
        ByteSource& source = gzip_ ? *gzip_ : *io_.source;
        if (gzip_) gzip_->set_mode(gzip_mode_for(path));
        if (regular) source.open_range(fd, 0, UINT64_MAX);
        else source.open(fd);
        const std::uint64_t before = bytes_, size = regular && !gzip_ ? size_of(fd) : 0;
        if (feed_source(source, path)) check_size(bytes_ - before, size, path);
    }

    // The size of a regular file as it starts to be read (0 when unknown).
    static std::uint64_t size_of(int fd) {
        struct stat st;
        return sys::calls().fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
    }

    // A regular file read to its end gives at least the bytes it had when its reading started:
    // fewer means it was truncated meanwhile, and its count is reported as failed rather than
    // given as if whole. A file that grew is read as far as it had grown when the end was met.
    void check_size(std::uint64_t got, std::uint64_t size, const std::string& path) {
        if (got < size) shared_.fail(path, IoError::shrank(got, size).what());
    }

    void begin_file() { std::copy(counter_.counts().begin(), counter_.counts().end(), before_.begin()); }

    // False when reading failed (reported).
    bool feed_source(ByteSource& source, const std::string& path) {
        try {
            for_each_traced_chunk(source, trace_, [&](std::span<char> chunk) {
                bytes_ += chunk.size();  // read, even when the chunk holds a malformed record
                counter_.feed({chunk.data(), chunk.size()});
                return true;
            });
        } catch (const IoError& e) {
            fail_stream(path, e);
            source.close();
            return false;
        }
        source.close();
        return true;
    }

    // A record's offset is in the bytes counted: those inflated, when the file is gzip.
    void fail_stream(const std::string& path, const IoError& e) {
        const auto* record = dynamic_cast<const RecordError*>(&e);
        shared_.fail(path, record ? detail::describe(*record, gzip_ && gzip_->inflating()) : e.what());
        counter_.abandon();
    }

    void end_file(const std::string& path) {
        try {
            counter_.finish();
        } catch (const IoError& e) {
            fail_stream(path, e);
        }
        ++files_;
        bool any = false;
        for (std::size_t t = 0; t < before_.size(); ++t) {
            before_[t] = counter_.counts()[t] - before_[t];
            if (before_[t]) any = true;
            // A document is a record when counting records (whose counts already are records
            // containing the term), else a file.
            documents_[t] += shared_.markers ? before_[t] : before_[t] != 0;
        }
        if (any && shared_.settings.per_file) per_file_.push_back({path, before_});
        if (shared_.settings.per_record) {
            for (RecordCounts& record : counter_.take_record_counts()) {
                record.path = path;
                per_record_.push_back(std::move(record));
            }
        }
    }

public:
    void merge() {
        std::lock_guard lock(shared_.mutex);
        CountReport& report = shared_.report;
        const std::uint64_t* records_containing = counter_.documents();
        for (std::size_t t = 0; t < documents_.size(); ++t) {
            report.totals[t] += counter_.counts()[t];
            // Records (which a record counter counts) else files containing the term.
            report.documents[t] += records_containing ? records_containing[t] : documents_[t];
        }
        report.files_searched += files_;
        report.bytes_read += bytes_;
        report.records += counter_.records();
        if (shared_.settings.warc.enabled) report.payload_bytes += counter_.content_bytes();
        for (FileCounts& f : per_file_) report.per_file.push_back(std::move(f));
        for (RecordCounts& r : per_record_) report.per_record.push_back(std::move(r));
    }

private:
    Shared& shared_;
    TraceRecorder* trace_;
    SourceChoice io_;
    TermCounter counter_;
    std::vector<std::uint64_t> documents_;
    std::vector<std::uint64_t> before_;  // counts before the current file, then its own counts
    std::vector<FileCounts> per_file_;
    std::vector<RecordCounts> per_record_;
    std::uint64_t files_ = 0, bytes_ = 0;
    std::unique_ptr<SmallFileBatch> batch_;  // null without io_uring
    std::unique_ptr<GzipSource> gzip_;       // over io_.source; null unless decompressing
    std::vector<FileEntry> pending_;         // walked files waiting for the next batch
    std::size_t batch_files_ = files_per_batch(shared_.settings.threads);
};

// ---- One huge file, split into ranges (ranges.hpp) -------------------------------------------

// Each term on its own, when no term can overlap itself: an occurrence is one wherever the scan
// starts, so the ranges' counts of the occurrences starting in them add up, with no stitching.
void count_occurrences_in_ranges(Shared& shared, const std::string& path, int fd, std::uint64_t size) {
    const unsigned n = shared.settings.threads;
    const RuleSet& rule_set = shared.terms.rules();
    std::vector<RangeScan> ranges = split_into_ranges(0, size, n);
    std::vector<std::vector<std::uint64_t>> counts(ranges.size(), std::vector<std::uint64_t>(rule_set.terms(), 0));
    run_on_pool(n, [&](unsigned k) {
        SourceChoice io = choose_source(shared.settings.io, shared.settings.buffer_size);
        shared.note_backend(io);
        OccurrenceScanner scanner(shared.terms);
        const RangeScan& r = ranges[k];
        TraceRecorder* recorder = range_track(shared.settings.trace, k, n, r, shared.settings.buffer_size, 2);
        scan_range(*io.source, scanner, fd, r.begin, r.end, size, shared.settings.match.whole_word, recorder,
                   [&](const Match& m, std::span<char>, std::uint64_t) {
                       ++counts[k][rule_set.term(m.rule)];
                       return true;
                   },
                   keep_scanning);
    });
    std::vector<std::uint64_t> totals(rule_set.terms(), 0);
    for (const auto& range_counts : counts)
        for (std::size_t t = 0; t < totals.size(); ++t) totals[t] += range_counts[t];
    shared.add_whole_file(path, totals, size);
}

void count_in_ranges(Shared& shared, const std::string& path, int fd, std::uint64_t size) {
    const unsigned n = shared.settings.threads;
    const RuleSet& rule_set = shared.terms.rules();
    const std::size_t rules = rule_set.terms();
    const bool whole_word = shared.settings.match.whole_word;
    std::vector<RangeScan> ranges = split_into_ranges(0, size, n);
    std::vector<std::vector<std::uint64_t>> counts(ranges.size(), std::vector<std::uint64_t>(rules, 0));
    run_on_pool(n, [&](unsigned k) {
        SourceChoice io = choose_source(shared.settings.io, shared.settings.buffer_size);
        shared.note_backend(io);
        StreamScanner scanner(shared.terms);
        RangeScan& r = ranges[k];
        // Two events per chunk: the read and the scan.
        TraceRecorder* recorder = range_track(shared.settings.trace, k, n, r, shared.settings.buffer_size, 2);
        scan_range(*io.source, scanner, fd, r.begin, r.end, size, whole_word, recorder,
                   [&](const Match& m, std::span<char>, std::uint64_t) {
                       ++counts[k][rule_set.term(m.rule)];
                       r.add(m);
                       return true;
                   },
                   keep_scanning);
    });

    std::vector<std::uint64_t> totals(rules, 0);
    auto source = make_posix_source(64 * 1024);
    StreamScanner rescanner(shared.terms);
    stitch_ranges(
        ranges, [](std::size_t, const Match&) {},
        [&](std::size_t k, std::uint64_t from, auto&& on_true) {
            scan_range(*source, rescanner, fd, from, ranges[k].end, size, whole_word, nullptr,
                       [&](const Match& m, std::span<char>, std::uint64_t) {
                           ++totals[rule_set.term(m.rule)];
                           return on_true(m);
                       },
                       keep_scanning);
        },
        [&](std::size_t k, std::size_t skipped) {
            for (std::size_t t = 0; t < rules; ++t) totals[t] += counts[k][t];
            for (std::size_t i = 0; i < skipped; ++i) --totals[rule_set.term(ranges[k].first[i].rule)];
        });

    shared.add_whole_file(path, totals, size);
}

// A gzip file's members decoded in parallel ranges (gzip_ranges.hpp); false to read it as one
// stream: it failed somewhere (the stream reports where).
bool try_count_gzip_in_ranges(Shared& shared, int fd, const std::string& path, std::uint64_t size) {
    const CountSettings& s = shared.settings;
    const std::optional<GzipRangesCount> counted =
        count_gzip_in_ranges(fd, size, shared.terms, s.counting, s.match.whole_word, s.threads, s.io, s.buffer_size, s.trace);
    if (!counted) return false;
    shared.add_whole_file(path, counted->totals, counted->bytes);
    std::lock_guard lock(shared.mutex);
    ++(counted->ranges > 1 ? shared.report.gzip_files_in_ranges : shared.report.gzip_files_one_stream);
    shared.report.gzip_ranges += counted->ranges;
    return true;
}

// Splits named regular files that are large enough; returns false to count the path normally.
// A compressed file is worth splitting from a sixteenth of the size: inflating costs about ten
// times what counting does per byte (DESIGN.md, "One gzip file on every core").
bool try_count_in_ranges(Shared& shared, const std::string& path) {
    const CountSettings& s = shared.settings;
    if (path == "-" || s.threads < 2 || shared.markers != nullptr || s.warc.enabled) return false;
    // O_NONBLOCK: a FIFO must not block here; the normal path reads it.
    const detail::Fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK), true);
    const int fd = file.get();
    if (fd < 0) return false;  // the normal path reports the error
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return false;
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);  // a regular file: reads may wait for the disk
    unsigned char magic[2];
    const bool gzip_magic = s.decompress && ::pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    const bool gzip = gzip_magic || (s.decompress && has_gzip_suffix(path));
    const std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
    if (size < std::max<std::uint64_t>(gzip ? s.split_threshold / 16 : s.split_threshold, s.threads)) return false;
    // gzip in name only: the stream reports it
    if (gzip) return gzip_magic && try_count_gzip_in_ranges(shared, fd, path, size);
    // A term that overlaps itself is counted from where its last occurrence ended, which a range
    // cannot know.
    const bool occurrences = needs_occurrences(shared.terms, s.counting);
    if (occurrences && shared.terms.term_overlaps_itself()) return false;
    try {
        if (occurrences) count_occurrences_in_ranges(shared, path, fd, size);
        else count_in_ranges(shared, path, fd, size);
        std::lock_guard lock(shared.mutex);
        ++shared.report.files_in_ranges;
    } catch (const IoError& e) {
        shared.fail(path, e.what());
    }
    return true;
}

}  // namespace

CountReport count_corpus(const CountSettings& settings, const std::vector<std::string>& paths,
                         const std::function<void(const CountError&)>& on_error) {
    const Matcher terms(RuleSet(settings.terms, settings.match));
    std::optional<Matcher> markers;
    if (!settings.records_tag.empty()) markers.emplace(RuleSet(record_markers(settings.records_tag), {}));
    CountReport report;
    report.totals.assign(settings.terms.size(), 0);
    report.documents.assign(settings.terms.size(), 0);
    Shared shared{settings, terms, markers ? &*markers : nullptr, report, on_error, {}};

    TreeWalker walker(settings.walk, [&](const std::string& path, const std::string& reason) {
        std::lock_guard lock(shared.mutex);
        report.errors.push_back({path, reason});
        if (on_error) on_error(report.errors.back());
    });
    std::vector<std::string> walked;
    for (const std::string& path : paths) {
        if (settings.shard && !in_shard(path, *settings.shard)) {
            struct stat st;
            const bool directory = path != "-" && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
            if (!directory) continue;  // another shard's file (and its errors)
        }
        if (!try_count_in_ranges(shared, path)) walked.push_back(path);
    }
    walker.add_in_order(walked, settings.walk.listed);

    run_on_pool(std::max(1u, settings.threads), [&](unsigned index) {
        Worker worker(shared, index + 1);
        worker.run(walker);
        worker.merge();
    });
    report.special_files_skipped = walker.special_files_skipped();
    std::sort(report.per_file.begin(), report.per_file.end(),
              [](const FileCounts& a, const FileCounts& b) { return a.path < b.path; });
    // A file's records were taken in its order, and each file by one worker.
    std::stable_sort(report.per_record.begin(), report.per_record.end(),
                     [](const RecordCounts& a, const RecordCounts& b) { return a.path < b.path; });
    return report;
}

}  // namespace elvis
