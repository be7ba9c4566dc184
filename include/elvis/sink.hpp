// Sinks: where rewritten bytes go. The rewriter hands a sink spans and then calls flush();
// a span only stays valid until that flush, so a sink must write or copy it by then (a
// WriteBehindSink keeps the source's buffer instead, see there).
#pragma once

#include <sys/uio.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "elvis/byte_source.hpp"
#include "elvis/trace.hpp"

namespace elvis {

// The most bytes one write(2) carries. On the benchmark VM (Linux 6.18, ext4) a write's length
// sets the size of the page-cache folios it allocates, and large ones are slow to fill there:
// 1 GiB written in 64 KiB writes took 384 ms, in 256 KiB writes 1593 ms (medians of 10
// interleaved rounds, cat 456 ms; bench/README.md, "File -> file, fourth look"). Cutting writes
// costs a few syscalls per MiB; pipes measured the same with 64 KiB, 256 KiB and 1 MiB writes.
inline constexpr std::size_t max_write_bytes = 64 * 1024;

// Reserves the disk space of a large write just before it is made, or of a stretch ahead of the
// writes (range_rewrite.cpp), with sys::reserve_space, where
// that was measured to help: a regular file on ext4, not opened for appending (its writes land
// wherever the end is by then), and min_bytes or more. 1 GiB in 64 KiB writes, with reservations
// of 1 MiB, 256 KiB and 64 KiB: 284, 309 and 390 ms against 370 ms without (medians of 8;
// bench/README.md, "File -> file, fifth look"). Decided at the first large reservation, so a
// small output costs no system call; the first refusal ends it. Not thread-safe.
class SpaceReservation {
public:
    static constexpr std::size_t min_bytes = 256 * 1024;
    // Reserves the next `bytes` at fd's file position (or at `offset`); true when they were.
    bool reserve(int fd, std::uint64_t bytes, std::int64_t offset = -1);
    void before_writing(int fd, const iovec* spans, std::size_t count);

private:
    enum class State : unsigned char { undecided, reserving, off };
    State state_ = State::undecided;
};

// Writes all of `bytes` at `offset` in fd (pwrite(2), so the file position stays where it is),
// retrying short writes and EINTR. Throws WriteError.
void write_all_at(int fd, std::string_view bytes, std::uint64_t offset);

class Sink {
public:
    virtual ~Sink() = default;
    // Queues bytes for output; they are readable until the next flush().
    virtual void put(std::string_view bytes) = 0;
    // The same for bytes that are only readable until the next flush() whatever the source
    // does (the scanner's held-over bytes): a sink that writes after flush() must copy them.
    virtual void put_transient(std::string_view bytes) { put(bytes); }
    // Consumes everything queued. Throws IoError on failure.
    virtual void flush() = 0;
};

// Gathers spans into a fixed iovec array and writes them with writev(2): unchanged input is
// never copied. Handles short writes, EINTR and non-blocking descriptors. Allocates only in the
// constructor. Throws IoError (EPIPE included; the caller decides how quiet to be).
class FdSink final : public Sink {
public:
    explicit FdSink(int fd, std::size_t max_spans = 1024);
    void put(std::string_view bytes) override;
    void flush() override;
    std::uint64_t bytes_written() const { return written_; }
    // Records each flush as a write span (null: no tracing).
    void trace(TraceRecorder* recorder) { trace_ = recorder; }

private:
    TraceRecorder* trace_ = nullptr;
    int fd_;
    std::size_t capacity_;
    std::size_t count_ = 0;
    std::unique_ptr<iovec[]> spans_;
    std::uint64_t written_ = 0;
};

// Like FdSink, but each flush() hands the batch to a writer thread, which copies it into the
// output on the other core while the caller reads and scans the next chunks. The chunk the spans
// point into is kept from being read into again with ByteSource::retain() until its writes are
// done, and put_transient() bytes are copied, so nothing is copied twice. Up to `max_batches`
// batches (at most what the source can lend) wait or are being written, in order, with
// writev(2) at the file position (cut at max_write_bytes, as FdSink's), so the writer goes from
// one batch to the next without waiting for this thread.
//
// Why a thread and not io_uring: each buffered write through io_uring is handed to an io_uring
// worker, and waking workers (an interrupt between the VM's cores) costs more than it saves;
// with the same four batches in flight, file -> file took 577 ms with the thread and 682 ms with
// io_uring workers (medians of 8, cat 491 ms; bench/README.md, "File -> file, fourth look").
//
// The disk space of each batch of SpaceReservation::min_bytes or more is reserved just before
// it is written, where SpaceReservation finds that useful: the file's size only grows by what is
// written, and at most the batch being written is left allocated past the end if a write fails
// or the process is killed.
//
// Where the source cannot retain (posix, gzip) a flush writes at once, as FdSink does. Allocates
// only in the constructor and when the writer starts. A write error (IoError, EPIPE included) is
// thrown once by the flush() or drain() after it happened, when every batch is back with the
// source; nothing is written after it, and a later write throws it again. The writer, like any
// thread, gets SIGPIPE from a closed pipe unless it is ignored.
class WriteBehindSink final : public Sink {
public:
    // Spans and copied bytes per batch are bounded by max_spans and copy_bytes; beyond them, a
    // flush() writes at once. The first `sync_bytes` are written at once too, so a short run
    // starts no thread.
    WriteBehindSink(int fd, ByteSource& source, std::size_t max_spans = 1024, std::size_t copy_bytes = 64 * 1024,
                    std::uint64_t sync_bytes = 1 << 20, unsigned max_batches = 4);
    ~WriteBehindSink() override;  // waits for the writes in flight, ignoring their results
    WriteBehindSink(const WriteBehindSink&) = delete;
    WriteBehindSink& operator=(const WriteBehindSink&) = delete;

    void put(std::string_view bytes) override;
    void put_transient(std::string_view bytes) override;
    void flush() override;
    // Waits for the writes in flight and gives their buffers back to the source: call it before
    // closing or reopening the source.
    void drain();
    std::uint64_t bytes_written() const { return written_.load(std::memory_order_relaxed); }
    // Records the time this thread spends writing or waiting for the writer, and the writer's
    // writes on a track of its own (null: no tracing). Call before the first flush().
    void trace(TraceRecorder* caller, TraceRecorder* writer = nullptr) {
        trace_ = caller;
        writer_trace_ = writer;
    }

private:
    struct Batch {
        std::unique_ptr<iovec[]> spans;
        std::size_t count = 0;
        std::unique_ptr<char[]> copies;
        std::size_t copied = 0;
        int retained = -1;  // the source buffer the spans point into, while in flight
    };
    Batch& slot(std::uint64_t number) { return batches_[number % (max_batches_ + 1)]; }
    void append(Batch& batch, const char* data, std::size_t size);
    void write_now(Batch& batch);  // synchronously, after the writes in flight; empties the batch
    void write_synchronously(iovec* spans, std::size_t count);
    void give_back(Batch& batch);  // empties it and returns its buffer to the source
    // Gives back what the writer finished; waits until at most `keep` batches are in flight.
    // After a failure, waits for every batch and throws the error (once).
    void complete(std::uint64_t keep, bool report_errors);
    bool start_writer();
    void run_writer();

    TraceRecorder* trace_ = nullptr;
    TraceRecorder* writer_trace_ = nullptr;
    int fd_;
    ByteSource& source_;
    std::size_t max_spans_, copy_bytes_;
    std::uint64_t sync_bytes_;
    unsigned max_batches_;
    // A ring of max_batches + 1 batches, numbered in order: this thread fills number
    // `submitted_`; the writer writes those before it, up to `written_batches_`; this thread
    // gives their buffers back up to `returned_`.
    std::unique_ptr<Batch[]> batches_;
    std::uint64_t returned_ = 0;
    int failure_ = 0;  // a write failed (errno), and was reported: nothing more is written
    std::atomic<std::uint64_t> written_{0};
    std::thread writer_;
    bool writer_refused_ = false;
    // Used by whichever thread writes: this one with nothing in flight, or the writer.
    SpaceReservation reservation_;
    std::mutex mutex_;  // guards what follows
    std::condition_variable to_writer_, from_writer_;
    std::uint64_t submitted_ = 0, written_batches_ = 0;
    int error_ = 0;  // the writer's first failure (errno); it writes nothing after it
    bool stopping_ = false;
};

// Appends to a string; for tests and library users rewriting in memory.
class StringSink final : public Sink {
public:
    void put(std::string_view bytes) override { out.append(bytes); }
    void flush() override {}
    std::string out;
};

}  // namespace elvis
