// Byte sources: fill fixed-size buffers from a file descriptor, through io_uring with read-ahead
// or through plain read(2). A source is reusable: open() it on one descriptor after another.
// The io_uring source and the choice between the two are internal (src/io/uring.hpp); the jobs
// (filter.hpp, corpus_count.hpp, inplace.hpp) take an IoMode.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace elvis {

enum class IoMode { automatic, uring, posix };
enum class IoBackend { uring, posix };

// Parses "auto", "uring" or "posix"; throws std::invalid_argument otherwise.
IoMode parse_io_mode(std::string_view text);
std::string_view backend_name(IoBackend backend);

class ByteSource;

// A buffer of a ByteSource lent beyond next() (ByteSource::lease): the source does not read into
// it again while the lease lives. Move-only; empty (false) when the source had nothing to lend.
class BufferLease {
public:
    BufferLease() = default;
    BufferLease(BufferLease&& other) noexcept
        : source_(std::exchange(other.source_, nullptr)), buffer_(other.buffer_) {}
    BufferLease& operator=(BufferLease&& other) noexcept {
        if (this != &other) {
            end();
            source_ = std::exchange(other.source_, nullptr);
            buffer_ = other.buffer_;
        }
        return *this;
    }
    // Gives the buffer back without reading into it yet (the source reads on at its next next()):
    // never throws, so a lease can end while an exception unwinds.
    ~BufferLease() { end(); }

    explicit operator bool() const { return source_ != nullptr; }
    // Gives the buffer back and lets the source read into it at once (io_uring queues the reads
    // that waited for it, and throws IoError if it cannot). The lease is empty afterwards, also
    // when it throws.
    void release();

private:
    friend class ByteSource;
    BufferLease(ByteSource& source, unsigned buffer) : source_(&source), buffer_(buffer) {}
    void end() noexcept;

    ByteSource* source_ = nullptr;
    unsigned buffer_ = 0;
};

class ByteSource {
public:
    virtual ~ByteSource() = default;
    // Starts reading `fd` (not owned) from its current offset. Drops anything left of a previous fd.
    virtual void open(int fd) = 0;
    // Starts reading `length` bytes (UINT64_MAX: to the end) of a regular file from `offset` with
    // positioned reads, which leave the file offset alone, so several sources may read ranges of
    // one fd at once. Only a read of nothing ends it early: a short read (NFS, FUSE and /proc
    // give them mid-file) is read on from where it stopped.
    virtual void open_range(int fd, std::uint64_t offset, std::uint64_t length) = 0;
    // The next bytes of input: empty at end of input. The span is writable (a rewriter may patch
    // it) and valid until the next call to next() or open(). A read that returns less than a
    // full buffer (a slow pipe) is handed over at once. Throws IoError.
    virtual std::span<char> next() = 0;
    // Stops reading the current fd and waits for reads in flight; safe to call at any time.
    virtual void close() = 0;
    // Lends the buffer last returned by next() beyond the next next() calls, until the lease
    // ends: for a writer that sends the bytes on while the next buffer is read (WriteBehindSink).
    // Empty when this source cannot (it has one buffer). Buffers are used in turn, so a lease
    // must end within lease_limit() further next() calls; later, next() throws
    // std::logic_error. End it before the next open().
    BufferLease lease() {
        const int buffer = lend();
        return buffer < 0 ? BufferLease() : BufferLease(*this, static_cast<unsigned>(buffer));
    }
    // How many buffers may be lent at once (depth - 2 for io_uring, 0 when lease() cannot).
    virtual unsigned lease_limit() const { return 0; }
    virtual IoBackend backend() const = 0;

protected:
    // What a source with buffers to lend implements: lend() marks the buffer last returned as
    // lent and names it (-1: none); take_back() marks it free and must not throw; reuse() may
    // start reading into the buffers taken back.
    virtual int lend() { return -1; }
    virtual void take_back(unsigned /*buffer*/) noexcept {}
    virtual void reuse() {}

private:
    friend class BufferLease;
};

inline void BufferLease::end() noexcept {
    if (source_ != nullptr) std::exchange(source_, nullptr)->take_back(buffer_);
}

inline void BufferLease::release() {
    if (source_ == nullptr) return;
    ByteSource& source = *std::exchange(source_, nullptr);
    source.take_back(buffer_);
    source.reuse();
}

// read(2) into one buffer, through the system-call seam.
std::unique_ptr<ByteSource> make_posix_source(std::size_t buffer_size);

// The default read size: large enough to amortize system calls, small enough to stay in L2.
inline constexpr std::size_t default_buffer_size = 256 * 1024;

// Below this many bytes a file is read by one thread: starting more would cost more than they
// save. Larger regular files are split into ranges, one per thread (count, and the filter into a
// regular file).
inline constexpr std::uint64_t default_split_threshold = 64ull << 20;

}  // namespace elvis
