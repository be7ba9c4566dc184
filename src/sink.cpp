// FdSink: gathered writes with writev(2).
#include "elvis/sink.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>

#include "elvis/io_error.hpp"
#include "elvis/syscalls.hpp"

namespace elvis {

FdSink::FdSink(int fd, std::size_t max_spans)
    : fd_(fd), capacity_(std::clamp<std::size_t>(max_spans, 1, IOV_MAX)), spans_(new iovec[capacity_]) {}

void FdSink::put(std::string_view bytes) {
    if (bytes.empty()) return;
    if (count_ > 0) {
        iovec& last = spans_[count_ - 1];
        if (static_cast<const char*>(last.iov_base) + last.iov_len == bytes.data()) {
            last.iov_len += bytes.size();
            return;
        }
    }
    if (count_ == capacity_) flush();
    spans_[count_++] = iovec{const_cast<char*>(bytes.data()), bytes.size()};
}

void FdSink::flush() {
    if (count_ == 0) return;
    TraceSpan span(trace_, TraceKind::write);
    iovec* first = spans_.get();
    std::size_t left = count_;
    while (left > 0) {
        ssize_t n = sys::calls().writev(fd_, first, static_cast<int>(left));
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                sys::wait_ready(fd_, POLLOUT);
                continue;
            }
            int code = errno;
            count_ = 0;
            throw WriteError("write error", code);
        }
        written_ += static_cast<std::uint64_t>(n);
        auto done = static_cast<std::size_t>(n);
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
    count_ = 0;
}

}  // namespace elvis
