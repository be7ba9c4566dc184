// Sinks: where rewritten bytes go. The rewriter hands a sink spans and then calls flush();
// a span only stays valid until that flush, so a sink must write or copy it by then (a
// WriteBehindSink keeps the source's buffer instead, see there).
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "elvis/byte_source.hpp"
#include "elvis/trace.hpp"

namespace elvis {

// The most bytes one write(2) carries. On the benchmark VM (Linux 6.18, ext4) 1 GiB written in
// 1 MiB writes took 0.28-2.1 s, mostly over 1.4 s, and in 256 KiB writes 0.26-0.41 s; large
// writes likely get large page-cache folios that are slow to fill there (bench/README.md,
// "Tuning log"). Cutting writes costs a few syscalls per MiB.
inline constexpr std::size_t max_write_bytes = 256 * 1024;

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

// Like FdSink, but each flush() hands the batch to io_uring, whose worker copies it into the
// output on another core while the caller reads and scans the next chunk. The chunk the spans
// point into is kept from being read into again with ByteSource::retain() until its writes are
// done, and put_transient() bytes are copied, so nothing is copied twice. One batch is in flight
// at a time. A regular file gets it as writevs of max_write_bytes at explicit offsets (io_uring
// runs them in order) and the file position is moved past them when they complete, so a process
// sharing the descriptor sees the position lag while a batch is in flight; pipes, terminals and
// O_APPEND files get one writev at the file position, so output stays in order. After a failed
// write, later writes of the same batch may have landed beyond it. Where the source cannot
// retain (posix, gzip) a flush writes at once, as FdSink does. Allocates only in the
// constructor. A write error (IoError, EPIPE included) is thrown by the flush() or drain() after
// it happened.
class WriteBehindSink final : public Sink {
public:
    // Spans and copied bytes per write are bounded by max_spans and copy_bytes; beyond them, a
    // flush() writes at once. The first `sync_bytes` are written at once too, so a short run
    // sets up no ring and starts no io_uring worker; the sink's own ring is created after them
    // (when the kernel refuses it, every write stays synchronous).
    WriteBehindSink(int fd, ByteSource& source, std::size_t max_spans = 1024, std::size_t copy_bytes = 64 * 1024,
                    std::uint64_t sync_bytes = 1 << 20);
    ~WriteBehindSink() override;  // waits for the write in flight, ignoring its result
    WriteBehindSink(const WriteBehindSink&) = delete;
    WriteBehindSink& operator=(const WriteBehindSink&) = delete;

    void put(std::string_view bytes) override;
    void put_transient(std::string_view bytes) override;
    void flush() override;
    // Waits for the write in flight and gives its buffer back to the source: call it before
    // closing or reopening the source.
    void drain();
    std::uint64_t bytes_written() const { return written_; }
    // Records time spent writing or waiting for a write (null: no tracing).
    void trace(TraceRecorder* recorder) { trace_ = recorder; }

private:
    struct Batch {
        std::unique_ptr<iovec[]> spans;
        std::size_t count = 0;
        std::unique_ptr<char[]> copies;
        std::size_t copied = 0;
        std::size_t bytes = 0;
        int retained = -1;  // the source buffer the spans point into, while in flight
    };
    // The most writes per batch; a batch needing more is written at once.
    static constexpr unsigned max_chain = 64;
    bool submit_chain(Batch& batch);
    void append(Batch& batch, const char* data, std::size_t size);
    void write_now(Batch& batch);  // synchronously, then empties the batch
    void give_back(Batch& batch);  // its retained buffer, to the source
    void complete_in_flight(bool report_errors);

    TraceRecorder* trace_ = nullptr;
    std::unique_ptr<Uring> ring_;
    bool no_ring_ = false;  // io_uring refused: write synchronously
    int fd_;
    ByteSource& source_;
    std::size_t max_spans_, copy_bytes_;
    std::uint64_t sync_bytes_;
    Batch batches_[2];
    unsigned filling_ = 0;  // batches_[filling_] takes put()s; the other may be in flight
    bool in_flight_ = false;
    // Regular file written at explicit offsets (-1: not known yet), and the offset of the writes
    // in flight.
    int positioned_ = -1;
    std::uint64_t offset_ = 0;
    // The writes in flight: their spans (the batch's, cut at max_write_bytes) and sizes.
    std::unique_ptr<iovec[]> chain_spans_;
    std::size_t chain_bytes_[max_chain] = {};
    int chain_results_[max_chain] = {};
    unsigned chain_length_ = 0;  // writes submitted
    unsigned chain_seen_ = 0;    // of which completed
    std::uint64_t written_ = 0;
};

// Appends to a string; for tests and library users rewriting in memory.
class StringSink final : public Sink {
public:
    void put(std::string_view bytes) override { out.append(bytes); }
    void flush() override {}
    std::string out;
};

}  // namespace elvis
