// FdSink: gathered writes with writev(2). WriteBehindSink: the same through io_uring, in the
// background.
#include "elvis/sink.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "elvis/io_error.hpp"
#include "elvis/syscalls.hpp"

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

// Writes spans[0, count) completely (short writes, EINTR, non-blocking descriptors); the
// iovecs are consumed. Returns the bytes written; throws WriteError.
std::uint64_t write_all(int fd, iovec* first, std::size_t left) {
    std::uint64_t written = 0;
    while (left > 0) {
        ssize_t n = sys::calls().writev(fd, first, static_cast<int>(std::min<std::size_t>(left, IOV_MAX)));
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                sys::wait_ready(fd, POLLOUT);
                continue;
            }
            throw WriteError("write error", errno);
        }
        written += static_cast<std::uint64_t>(n);
        consume(first, left, static_cast<std::size_t>(n));
    }
    return written;
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

}  // namespace

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
    written_ += write_all(fd_, spans_.get(), count);
}

WriteBehindSink::WriteBehindSink(int fd, ByteSource& source, std::size_t max_spans, std::size_t copy_bytes,
                                 std::uint64_t sync_bytes)
    : fd_(fd), source_(source), max_spans_(std::clamp<std::size_t>(max_spans, 1, IOV_MAX)),
      copy_bytes_(copy_bytes), sync_bytes_(sync_bytes) {
    for (Batch& b : batches_) {
        b.spans.reset(new iovec[max_spans_]);
        b.copies.reset(new char[copy_bytes_]);
    }
}

WriteBehindSink::~WriteBehindSink() {
    try {
        complete_in_flight(false);
    } catch (...) {  // the ring failed: nothing more can be done here
    }
}

void WriteBehindSink::append(Batch& batch, const char* data, std::size_t size) {
    if (!add_span(batch.spans.get(), batch.count, max_spans_, data, size)) {
        write_now(batch);  // the spans are still valid: this is the current chunk's feed
        add_span(batch.spans.get(), batch.count, max_spans_, data, size);
    }
    batch.bytes += size;
}

void WriteBehindSink::put(std::string_view bytes) {
    if (!bytes.empty()) append(batches_[filling_], bytes.data(), bytes.size());
}

void WriteBehindSink::put_transient(std::string_view bytes) {
    if (bytes.empty()) return;
    Batch& batch = batches_[filling_];
    // Write out first when the copy area or the span array is full: writing empties the copy
    // area, which must not happen between the copy and the span that points into it.
    if (bytes.size() > copy_bytes_ - batch.copied || batch.count == max_spans_) {
        write_now(batch);
        if (bytes.size() > copy_bytes_) {  // larger than the copy area: out now, it is still valid
            iovec span{const_cast<char*>(bytes.data()), bytes.size()};
            TraceSpan trace(trace_, TraceKind::write);
            written_ += write_all(fd_, &span, 1);
            return;
        }
    }
    char* copy = batch.copies.get() + batch.copied;
    std::memcpy(copy, bytes.data(), bytes.size());
    batch.copied += bytes.size();
    append(batch, copy, bytes.size());
}

void WriteBehindSink::write_now(Batch& batch) {
    complete_in_flight(true);  // keeps the output in order
    const std::size_t count = batch.count;
    batch.count = batch.copied = batch.bytes = 0;
    if (count == 0) return;
    TraceSpan trace(trace_, TraceKind::write);
    written_ += write_all(fd_, batch.spans.get(), count);
}

void WriteBehindSink::flush() {
    Batch& batch = batches_[filling_];
    complete_in_flight(true);  // also when nothing is new: the source wants its buffer back
    if (batch.count == 0) return;
    // Synchronously: the first bytes, and always when the source cannot lend its buffer (posix,
    // gzip), which then sets up no ring at all.
    if (written_ < sync_bytes_ || no_ring_ || (batch.retained = source_.retain()) < 0) return write_now(batch);
    auto give_back_and_write_now = [&] {
        source_.release(batch.retained);
        batch.retained = -1;
        write_now(batch);
    };
    if (!ring_) {
        std::string why_not;
        ring_ = Uring::create(4, why_not);
        no_ring_ = ring_ == nullptr;
        if (no_ring_) return give_back_and_write_now();
    }
    io_uring_sqe* sqe = io_uring_get_sqe(ring_->get());
    if (sqe == nullptr) return give_back_and_write_now();  // cannot happen with one write in flight
    // Offset -1: at the file position, as write(2) would (pipes, terminals, O_APPEND too).
    io_uring_prep_writev(sqe, fd_, batch.spans.get(), static_cast<unsigned>(batch.count), static_cast<std::uint64_t>(-1));
    sqe->flags |= IOSQE_ASYNC;  // an io_uring worker does the copy, not this thread
    int ret;
    do ret = io_uring_submit(ring_->get());
    while (ret == -EINTR);
    if (ret < 0) {
        source_.release(batch.retained);
        batch.retained = -1;
        throw WriteError("io_uring_submit", -ret);
    }
    in_flight_ = true;
    filling_ ^= 1;
}

void WriteBehindSink::drain() { complete_in_flight(true); }

// Waits for the write in flight; finishes a short write synchronously; releases its buffer.
void WriteBehindSink::complete_in_flight(bool report_errors) {
    if (!in_flight_) return;
    Batch& batch = batches_[filling_ ^ 1];
    int result;
    {
        TraceSpan trace(trace_, TraceKind::write);
        io_uring_cqe* cqe = nullptr;
        int ret;
        do ret = io_uring_wait_cqe(ring_->get(), &cqe);
        while (ret == -EINTR || ret == -EAGAIN);
        if (ret < 0) throw WriteError("io_uring_wait_cqe", -ret);
        result = cqe->res;
        io_uring_cqe_seen(ring_->get(), cqe);
    }
    in_flight_ = false;
    auto finish = [&] {  // empty first: release() may throw (it queues reads)
        const int retained = batch.retained;
        batch.retained = -1;
        batch.count = batch.copied = batch.bytes = 0;
        source_.release(retained);
    };
    if (result == -EAGAIN || result == -EINTR) result = 0;  // a non-blocking descriptor: go on with writev
    if (result < 0) {
        finish();
        if (report_errors) throw WriteError("write error", -result);
        return;
    }
    written_ += static_cast<std::uint64_t>(result);
    if (static_cast<std::size_t>(result) < batch.bytes) {
        // A short write: the rest goes out now (the spans are still valid).
        iovec* first = batch.spans.get();
        std::size_t left = batch.count;
        consume(first, left, static_cast<std::size_t>(result));
        try {
            written_ += write_all(fd_, first, left);
        } catch (...) {
            finish();
            if (report_errors) throw;
            return;
        }
    }
    finish();
}

}  // namespace elvis
