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

namespace elvis {

enum class IoMode { automatic, uring, posix };
enum class IoBackend { uring, posix };

// Parses "auto", "uring" or "posix"; throws std::invalid_argument otherwise.
IoMode parse_io_mode(std::string_view text);
std::string_view backend_name(IoBackend backend);

class ByteSource {
public:
    virtual ~ByteSource() = default;
    // Starts reading `fd` (not owned) from its current offset. Drops anything left of a previous fd.
    virtual void open(int fd) = 0;
    // Starts reading `length` bytes (UINT64_MAX: to the end) of a regular file from `offset` with
    // positioned reads, which leave the file offset alone, so several sources may read ranges of
    // one fd at once. A short read ends the range, as POSIX says it only happens at end of file.
    virtual void open_range(int fd, std::uint64_t offset, std::uint64_t length) = 0;
    // The next bytes of input: empty at end of input. The span is writable (a rewriter may patch
    // it) and valid until the next call to next() or open(). A read that returns less than a
    // full buffer (a slow pipe) is handed over at once. Throws IoError.
    virtual std::span<char> next() = 0;
    // Stops reading the current fd and waits for reads in flight; safe to call at any time.
    virtual void close() = 0;
    // Keeps the buffer last returned by next() out of use until release(handle), also across
    // later next() calls: for a writer that sends the bytes on while the next buffer is read
    // (WriteBehindSink). Returns the handle, or -1 when this source cannot (it has one buffer).
    // Buffers are used in turn, so a retained one must be released within retain_limit()
    // further next() calls; later, next() throws std::logic_error. Release it before the next
    // open().
    virtual int retain() { return -1; }
    virtual void release(int /*handle*/) {}
    // How many buffers may be retained at once (depth - 2 for io_uring, 0 when retain() cannot).
    virtual unsigned retain_limit() const { return 0; }
    virtual IoBackend backend() const = 0;
};

// read(2) into one buffer, through the system-call seam.
std::unique_ptr<ByteSource> make_posix_source(std::size_t buffer_size);

// The default read size: large enough to amortize system calls, small enough to stay in L2.
inline constexpr std::size_t default_buffer_size = 256 * 1024;

// Below this many bytes a file is read by one thread: starting more would cost more than they
// save. Larger regular files are split into ranges, one per thread (count, and the filter into a
// regular file).
inline constexpr std::uint64_t default_split_threshold = 64ull << 20;

}  // namespace elvis
