// FdSink: gathered writes with writev(2). WriteBehindSink: the same through io_uring, in the
// background.
#include "elvis/sink.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
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

// Writes spans[0, count) completely (short writes, EINTR, non-blocking descriptors), at most
// max_write_bytes per writev; the iovecs are consumed. Returns the bytes written; throws WriteError.
std::uint64_t write_all(int fd, iovec* first, std::size_t left) {
    std::uint64_t written = 0;
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
      copy_bytes_(copy_bytes), sync_bytes_(sync_bytes), chain_spans_(new iovec[max_spans_ + max_chain]) {
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
        give_back(batch);
        write_now(batch);
    };
    if (!ring_) {
        std::string why_not;
        ring_ = Uring::create(max_chain, why_not);
        no_ring_ = ring_ == nullptr;
        if (no_ring_) return give_back_and_write_now();
    }
    if (!submit_chain(batch)) return give_back_and_write_now();
    in_flight_ = true;
    filling_ ^= 1;
}

// Submits the batch. To a regular file the writes go at explicit offsets, at most
// max_write_bytes each: io_uring runs buffered writes to one file one after another anyway (it
// hashes them by inode), and no link is needed (a linked write is only started from this
// thread's task work, which stalls the chain). Anything else (pipes, terminals, O_APPEND) gets
// one write at the file position, which keeps the output in order. False (nothing submitted)
// when that would take more than max_chain writes.
bool WriteBehindSink::submit_chain(Batch& batch) {
    if (positioned_ < 0) {
        struct stat st;
        const int flags = ::fcntl(fd_, F_GETFL);
        positioned_ = ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) && flags >= 0 && !(flags & O_APPEND);
    }
    if (positioned_) {
        // Where the synchronous writes left the file position; nothing else is in flight.
        const off_t here = ::lseek(fd_, 0, SEEK_CUR);
        if (here < 0) positioned_ = 0;
        offset_ = static_cast<std::uint64_t>(std::max<off_t>(here, 0));
    }
    const std::size_t cap = positioned_ ? max_write_bytes : SIZE_MAX;
    if (positioned_ && batch.bytes > max_chain * max_write_bytes) return false;
    io_uring* ring = ring_->get();
    std::size_t pieces = 0, first_piece = 0, in_write = 0;
    std::uint64_t at = offset_;
    unsigned writes = 0;
    auto close_write = [&] {
        io_uring_sqe* sqe = io_uring_get_sqe(ring);  // the ring has max_chain entries, all free
        assert(sqe != nullptr);
        // Offset -1: at the file position, as write(2) would.
        io_uring_prep_writev(sqe, fd_, chain_spans_.get() + first_piece, static_cast<unsigned>(pieces - first_piece),
                             positioned_ ? at : static_cast<std::uint64_t>(-1));
        sqe->flags |= IOSQE_ASYNC;  // an io_uring worker does the copy, not this thread
        io_uring_sqe_set_data64(sqe, writes);
        chain_bytes_[writes++] = in_write;
        at += in_write;
        first_piece = pieces;
        in_write = 0;
    };
    for (std::size_t i = 0; i < batch.count; ++i) {
        char* data = static_cast<char*>(batch.spans[i].iov_base);
        std::size_t size = batch.spans[i].iov_len;
        while (size > 0) {
            const std::size_t take = std::min(size, cap - in_write);
            chain_spans_[pieces++] = iovec{data, take};
            data += take;
            size -= take;
            in_write += take;
            if (in_write == cap) close_write();
        }
    }
    if (in_write > 0) close_write();
    // The kernel may take fewer than queued (EAGAIN when it cannot allocate): the rest stays
    // queued and goes with the next call.
    chain_length_ = chain_seen_ = 0;
    for (int tries = 0; chain_length_ < writes;) {
        const int ret = io_uring_submit(ring);
        if (ret > 0) {
            chain_length_ += static_cast<unsigned>(ret);
            continue;
        }
        if (ret == -EINTR || ((ret == -EAGAIN || ret == -EBUSY || ret == 0) && ++tries < 1000)) {
            if (ret != -EINTR) ::usleep(100);
            continue;
        }
        // Refused: wait for what went, write nothing more through this ring, report it.
        in_flight_ = chain_length_ > 0;
        no_ring_ = true;
        if (in_flight_) filling_ ^= 1;  // complete_in_flight() finds the batch in the other slot
        else give_back(batch);
        throw WriteError("io_uring_submit", ret < 0 ? -ret : EAGAIN);
    }
    return true;
}

void WriteBehindSink::drain() { complete_in_flight(true); }

// Hands the batch's buffer back to the source, marked free first: release() may throw (it queues
// reads), and the batch must not keep a buffer it no longer holds.
void WriteBehindSink::give_back(Batch& batch) {
    const int retained = batch.retained;
    batch.retained = -1;
    source_.release(retained);
}

// Waits for the write in flight; finishes a short write synchronously; releases its buffer.
void WriteBehindSink::complete_in_flight(bool report_errors) {
    if (!in_flight_) return;
    Batch& batch = batches_[filling_ ^ 1];
    // The bytes written are those of the complete writes before the first that failed or fell
    // short, plus what that one wrote; the rest is written again from there.
    std::size_t done = 0;
    int failure = 0;
    bool stopped = false;
    {
        TraceSpan trace(trace_, TraceKind::write);
        while (chain_seen_ < chain_length_) {  // a member: a throw here leaves it right for a retry
            io_uring_cqe* cqe = nullptr;
            int ret;
            do ret = io_uring_wait_cqe(ring_->get(), &cqe);
            while (ret == -EINTR || ret == -EAGAIN);
            if (ret < 0) throw WriteError("io_uring_wait_cqe", -ret);
            const std::uint64_t index = io_uring_cqe_get_data64(cqe);
            if (index < chain_length_) {
                chain_results_[index] = cqe->res;
                ++chain_seen_;
            }
            io_uring_cqe_seen(ring_->get(), cqe);
        }
        for (unsigned i = 0; i < chain_length_ && !stopped; ++i) {
            const int result = chain_results_[i];
            if (result >= 0) done += static_cast<std::size_t>(result);
            // A non-blocking descriptor or a signal: go on with writev.
            else if (result != -EAGAIN && result != -EINTR) failure = -result;
            stopped = result < 0 || static_cast<std::size_t>(result) < chain_bytes_[i];
        }
    }
    in_flight_ = false;
    if (positioned_ > 0) {
        // pwritev leaves the file position alone: move it past what was written, for the
        // synchronous writes below and after this sink.
        offset_ += done;
        if (::lseek(fd_, static_cast<off_t>(offset_), SEEK_SET) < 0 && !failure) failure = errno;
    }
    auto finish = [&] {  // empty first: release() may throw (it queues reads)
        batch.count = batch.copied = batch.bytes = 0;
        give_back(batch);
    };
    written_ += done;
    if (failure) {
        finish();
        if (report_errors) throw WriteError("write error", failure);
        return;
    }
    if (done < batch.bytes) {
        // A short write: the rest goes out now (the spans are still valid).
        iovec* first = batch.spans.get();
        std::size_t left = batch.count;
        consume(first, left, done);
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
