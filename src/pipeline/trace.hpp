// Trace: where the pipeline's time goes, per thread, as Chrome Trace Event JSON (open the file in
// Perfetto or chrome://tracing). Each thread records into its own preallocated buffer, so the
// hot path only stores two timestamps; with tracing off the recorder is null and costs a branch.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace elvis {

enum class TraceKind : std::uint8_t { read_wait, scan, write, open_batch, file, idle };

class TraceRecorder {
public:
    // `capacity` events are preallocated; once full, later events are counted as dropped.
    TraceRecorder(std::string thread_name, std::size_t capacity);

    static std::uint64_t now_ns() {
        return static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
                .count());
    }
    void record(TraceKind kind, std::uint64_t begin_ns, std::uint64_t end_ns) {
        totals_[static_cast<std::size_t>(kind)] += end_ns - begin_ns;
        if (count_ == events_.size()) {
            ++dropped_;
            return;
        }
        events_[count_++] = {begin_ns, end_ns, kind};
    }
    // Time spent per kind, in ns (kept even when events are dropped).
    std::uint64_t total_ns(TraceKind kind) const { return totals_[static_cast<std::size_t>(kind)]; }
    const std::string& thread_name() const { return name_; }

private:
    friend class Trace;
    struct Event {
        std::uint64_t begin_ns, end_ns;
        TraceKind kind;
    };
    std::string name_;
    std::vector<Event> events_;
    std::size_t count_ = 0;
    std::uint64_t dropped_ = 0;
    std::uint64_t totals_[6] = {};
};

// Times a scope into a recorder, if there is one.
class TraceSpan {
public:
    TraceSpan(TraceRecorder* recorder, TraceKind kind)
        : recorder_(recorder), kind_(kind), begin_(recorder ? TraceRecorder::now_ns() : 0) {}
    ~TraceSpan() {
        if (recorder_) recorder_->record(kind_, begin_, TraceRecorder::now_ns());
    }
    TraceSpan(const TraceSpan&) = delete;
    TraceSpan& operator=(const TraceSpan&) = delete;

private:
    TraceRecorder* recorder_;
    TraceKind kind_;
    std::uint64_t begin_;
};

// The read loop of every front end: source.next() timed as a read wait, then use(chunk) timed as
// a scan, until the input ends (returns true) or use() returns false (returns false). `Source`
// is a ByteSource; templated so that this header needs none.
template <class Source, class Use>
bool for_each_traced_chunk(Source& source, TraceRecorder* recorder, Use&& use) {
    while (true) {
        std::span<char> chunk;
        {
            TraceSpan wait(recorder, TraceKind::read_wait);
            chunk = source.next();
        }
        if (chunk.empty()) return true;
        TraceSpan scan(recorder, TraceKind::scan);
        if (!use(chunk)) return false;
    }
}

// The recorders of one run; thread-safe to add to.
class Trace {
public:
    // Adds a recorder for the calling thread (allocates its buffer).
    TraceRecorder* add_thread(std::string name, std::size_t capacity = 1 << 16);
    // Writes every recorder as Chrome Trace Event JSON (one track per thread); the caller checks
    // the stream for errors.
    void write_json(std::FILE* out) const;
    // "thread: scan X ms, read wait Y ms, write Z ms" lines, for --stats (an idle thread's too:
    // that it did nothing is worth seeing).
    std::string summary() const;

private:
    mutable std::mutex mutex_;
    std::vector<std::unique_ptr<TraceRecorder>> recorders_;
};

}  // namespace elvis
