// WriteBehindSink: the filter's sink, which writes on a thread of its own while the caller reads
// and scans the next chunks.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

#include "elvis/byte_source.hpp"
#include "elvis/sink.hpp"

namespace elvis {

// The most bytes one write(2) carries: a write's length sets the size of the page-cache folios
// it allocates, and large ones were slow to fill (DESIGN.md, "Write-behind"). Cutting writes
// costs a few syscalls per MiB.
inline constexpr std::size_t max_write_bytes = 64 * 1024;

// Writes all of `bytes` at `offset` in fd (pwrite(2), so the file position stays where it is),
// retrying short writes and EINTR. Throws WriteError.
void write_all_at(int fd, std::string_view bytes, std::uint64_t offset);

// Like FdSink, but each flush() hands the batch to a writer thread, which copies it into the
// output on the other core while the caller reads and scans the next chunks. The chunk the spans
// point into is leased from the source (ByteSource::lease) until its writes are
// done, and put_transient() bytes are copied, so nothing is copied twice. Up to `max_batches`
// batches (at most what the source can lend) wait or are being written, in order, with
// writev(2) at the file position (cut at max_write_bytes, as FdSink's), so the writer goes from
// one batch to the next without waiting for this thread.
//
// Why a thread and not io_uring: each buffered write through io_uring is handed to an io_uring
// worker, and waking workers costs more than it saves (DESIGN.md, "Write-behind").
//
// The disk space of each batch of SpaceReservation::min_bytes or more is reserved just before
// it is written, where SpaceReservation finds that useful: the file's size only grows by what is
// written, and at most the batch being written is left allocated past the end if a write fails
// or the process is killed.
//
// Where the source cannot lend (posix, gzip) a flush writes at once, as FdSink does. Allocates
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
    static constexpr std::size_t copied_piece_bytes = 64;

    struct Batch {
        std::unique_ptr<iovec[]> spans;
        std::size_t count = 0;
        std::unique_ptr<char[]> copies;
        std::size_t copied = 0;
        BufferLease lease;  // of the source buffer the spans point into, while in flight
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

}  // namespace elvis
