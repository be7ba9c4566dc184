// FdSink: gathered writes with writev(2). WriteBehindSink: the same on a writer thread, in the
// background.
#include "elvis/sink.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "elvis/errors.hpp"
#include "io/syscalls.hpp"
#include "io/write_behind_sink.hpp"
#include "pipeline/trace.hpp"

namespace elvis {

namespace {

// Drops the first `done` bytes of the spans [first, first + left): after a short write.
void consume(iovec*& first, std::size_t& left, std::size_t done) {
    while (left > 0 && done >= first->iov_len) {
        done -= first->iov_len;
        ++first;
        --left;
    }
    if (left > 0) {
        first->iov_base = static_cast<char*>(first->iov_base) + done;
        first->iov_len -= done;
    }
}

// Writes spans[0, count) completely (short writes, EINTR, non-blocking descriptors), at most
// max_write_bytes per writev; the iovecs are consumed. Adds the bytes written to `written` as
// they go, so that it is right after a failure too; throws WriteError.
void write_all(int fd, iovec* first, std::size_t left, std::uint64_t& written) {
    while (left > 0) {
        // As many whole spans as fit, then the part of the next one that does.
        std::size_t spans = 0, bytes = 0;
        while (spans < left && spans < IOV_MAX && bytes + first[spans].iov_len <= max_write_bytes)
            bytes += first[spans++].iov_len;
        std::size_t clipped_from = 0;
        if (spans < left && spans < IOV_MAX && bytes < max_write_bytes) {
            clipped_from = first[spans].iov_len;
            first[spans++].iov_len = max_write_bytes - bytes;
        }
        ssize_t n = sys::calls().writev(fd, first, static_cast<int>(spans));
        const int error = errno;
        if (clipped_from) first[spans - 1].iov_len = clipped_from;
        if (n < 0) {
            if (error == EINTR) continue;
            if (error == EAGAIN || error == EWOULDBLOCK) {
                sys::wait_ready(fd, POLLOUT);
                continue;
            }
            throw WriteError("write error", error);
        }
        written += static_cast<std::uint64_t>(n);
        consume(first, left, static_cast<std::size_t>(n));
    }
}

// Adds a span, merged with the last one when it continues it. False when the array is full.
bool add_span(iovec* spans, std::size_t& count, std::size_t capacity, const char* data, std::size_t size) {
    if (count > 0) {
        iovec& last = spans[count - 1];
        if (static_cast<const char*>(last.iov_base) + last.iov_len == data) {
            last.iov_len += size;
            return true;
        }
    }
    if (count == capacity) return false;
    spans[count++] = iovec{const_cast<char*>(data), size};
    return true;
}

std::uint64_t total_bytes(const iovec* spans, std::size_t count) {
    std::uint64_t bytes = 0;
    for (std::size_t i = 0; i < count; ++i) bytes += spans[i].iov_len;
    return bytes;
}

}  // namespace

void write_all_at(int fd, std::string_view bytes, std::uint64_t offset) {
    while (!bytes.empty()) {
        const ssize_t n = sys::calls().pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            throw WriteError("write error", n < 0 ? errno : EIO);  // 0: no progress, and no reason given
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
        offset += static_cast<std::uint64_t>(n);
    }
}

bool SpaceReservation::reserve(int fd, std::uint64_t bytes, std::int64_t offset) {
    if (state_ == State::off || bytes < min_bytes) return false;
    if (state_ == State::undecided) {
        struct stat st;
        struct statfs fs;
        const int flags = ::fcntl(fd, F_GETFL);
        const bool useful = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && flags >= 0 && !(flags & O_APPEND) &&
                            sys::calls().fstatfs(fd, &fs) == 0 && fs.f_type == EXT4_SUPER_MAGIC;
        state_ = useful ? State::reserving : State::off;
        if (!useful) return false;
    }
    if (sys::reserve_space(fd, bytes, offset)) return true;
    state_ = State::off;
    return false;
}

void SpaceReservation::before_writing(int fd, const iovec* spans, std::size_t count) {
    if (state_ != State::off) reserve(fd, total_bytes(spans, count));
}

FdSink::FdSink(int fd, std::size_t max_spans)
    : fd_(fd), capacity_(std::clamp<std::size_t>(max_spans, 1, IOV_MAX)), spans_(new iovec[capacity_]) {}

void FdSink::put(std::string_view bytes) {
    if (bytes.empty()) return;
    if (!add_span(spans_.get(), count_, capacity_, bytes.data(), bytes.size())) {
        flush();
        add_span(spans_.get(), count_, capacity_, bytes.data(), bytes.size());
    }
}

void FdSink::flush() {
    if (count_ == 0) return;
    TraceSpan span(trace_, TraceKind::write);
    const std::size_t count = count_;
    count_ = 0;
    write_all(fd_, spans_.get(), count, written_);
}

WriteBehindSink::WriteBehindSink(int fd, ByteSource& source, std::size_t max_spans, std::size_t copy_bytes,
                                 std::uint64_t sync_bytes, unsigned max_batches)
    : fd_(fd), source_(source), max_spans_(std::clamp<std::size_t>(max_spans, 1, IOV_MAX)),
      copy_bytes_(copy_bytes), sync_bytes_(sync_bytes), max_batches_(std::max(max_batches, 1u)),
      batches_(new Batch[max_batches_ + 1]) {
    for (unsigned i = 0; i <= max_batches_; ++i) {
        batches_[i].spans.reset(new iovec[max_spans_]);
        batches_[i].copies.reset(new char[copy_bytes_]);
    }
}

WriteBehindSink::~WriteBehindSink() {
    try {
        complete(0, false);
    } catch (...) {  // the source failed to queue reads: nothing more can be done here
    }
    if (writer_.joinable()) {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        to_writer_.notify_one();
        writer_.join();
    }
}

void WriteBehindSink::append(Batch& batch, const char* data, std::size_t size) {
    if (!add_span(batch.spans.get(), batch.count, max_spans_, data, size)) {
        write_now(batch);  // the spans are still valid: this is the current chunk's feed
        add_span(batch.spans.get(), batch.count, max_spans_, data, size);
    }
}

void WriteBehindSink::put(std::string_view bytes) {
    if (bytes.empty()) return;
    // A short piece is copied: the copies of a run of them, between dense matches, make one span
    // where each would take one and fill the span array every few KiB (DESIGN.md, "Write-behind").
    if (bytes.size() <= copied_piece_bytes) return put_transient(bytes);
    append(slot(submitted_), bytes.data(), bytes.size());
}

void WriteBehindSink::put_transient(std::string_view bytes) {
    if (bytes.empty()) return;
    Batch& batch = slot(submitted_);
    // Write out first when the copy area or the span array is full: writing empties the copy
    // area, which must not happen between the copy and the span that points into it.
    if (bytes.size() > copy_bytes_ - batch.copied || batch.count == max_spans_) {
        write_now(batch);
        if (bytes.size() > copy_bytes_) {  // larger than the copy area: out now, it is still valid
            iovec span{const_cast<char*>(bytes.data()), bytes.size()};
            write_synchronously(&span, 1);
            return;
        }
    }
    char* copy = batch.copies.get() + batch.copied;
    std::memcpy(copy, bytes.data(), bytes.size());
    batch.copied += bytes.size();
    append(batch, copy, bytes.size());
}

void WriteBehindSink::write_now(Batch& batch) {
    complete(0, true);  // keeps the output in order
    const std::size_t count = batch.count;
    batch.count = batch.copied = 0;
    write_synchronously(batch.spans.get(), count);
}

// On this thread, with nothing in flight. After a failure nothing is written: the error again.
void WriteBehindSink::write_synchronously(iovec* spans, std::size_t count) {
    if (count == 0) return;
    if (failure_ != 0) throw WriteError("write error", failure_);
    TraceSpan trace(trace_, TraceKind::write);
    reservation_.before_writing(fd_, spans, count);
    std::uint64_t done = 0;
    try {
        write_all(fd_, spans, count, done);
    } catch (const IoError& e) {
        written_ += done;
        failure_ = e.code();
        throw;
    }
    written_ += done;
}

void WriteBehindSink::flush() {
    Batch& batch = slot(submitted_);
    if (batch.count == 0) {
        // Nothing new, but the source wants its buffers back within a few chunks.
        complete(0, true);
        return;
    }
    // Synchronously: the first bytes, and always when the source cannot lend its buffer (posix,
    // gzip), which then starts no thread at all.
    const unsigned limit = std::min(max_batches_, source_.lease_limit());
    if (written_ < sync_bytes_ || limit == 0 || failure_ != 0 || !start_writer()) return write_now(batch);
    complete(limit - 1, true);
    if (!(batch.lease = source_.lease())) return write_now(batch);
    {
        std::lock_guard lock(mutex_);
        ++submitted_;
    }
    to_writer_.notify_one();
}

void WriteBehindSink::drain() { complete(0, true); }

// Starts the writer once; false when the system refuses a thread (every write is synchronous).
bool WriteBehindSink::start_writer() {
    if (!writer_.joinable() && !writer_refused_) {
        try {
            writer_ = std::thread([this] { run_writer(); });
        } catch (const std::exception&) {  // std::system_error (EAGAIN), std::bad_alloc
            writer_refused_ = true;
        }
    }
    return writer_.joinable();
}

void WriteBehindSink::give_back(Batch& batch) {
    batch.count = batch.copied = 0;
    batch.lease.release();  // empty afterwards, even when it throws (it queues reads)
}

void WriteBehindSink::complete(std::uint64_t keep, bool report_errors) {
    std::uint64_t written_batches = 0;
    int error = 0;
    {
        std::unique_lock lock(mutex_);
        // After a failure the writer only passes batches back: wait for all of them, so that
        // every buffer is back before the error is thrown.
        auto done = [&] {
            return written_batches_ == submitted_ || (error_ == 0 && submitted_ - written_batches_ <= keep);
        };
        if (!done()) {
            TraceSpan trace(trace_, TraceKind::write);
            from_writer_.wait(lock, done);
        }
        written_batches = written_batches_;
        error = error_;
    }
    while (returned_ < written_batches) give_back(slot(returned_++));
    if (error != 0 && failure_ == 0) {
        failure_ = error;  // thrown here once; a later write throws it again
        if (report_errors) throw WriteError("write error", error);
    }
}

// Writes the batches handed over, in order. After a failure it only passes them back.
void WriteBehindSink::run_writer() {
    std::unique_lock lock(mutex_);
    for (;;) {
        to_writer_.wait(lock, [&] { return written_batches_ < submitted_ || stopping_; });
        if (written_batches_ == submitted_) return;
        Batch& batch = slot(written_batches_);
        const bool failed = error_ != 0;
        lock.unlock();
        int error = 0;
        if (!failed) {
            TraceSpan trace(writer_trace_, TraceKind::write);
            reservation_.before_writing(fd_, batch.spans.get(), batch.count);
            std::uint64_t done = 0;
            try {
                write_all(fd_, batch.spans.get(), batch.count, done);
            } catch (const IoError& e) {
                error = e.code();
            } catch (...) {
                error = EIO;
            }
            written_ += done;
        }
        lock.lock();
        if (error != 0 && error_ == 0) error_ = error;
        ++written_batches_;
        from_writer_.notify_one();
    }
}

}  // namespace elvis
