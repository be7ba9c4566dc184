// The system-call seam: the POSIX reader and FdSink call read/writev through this table so tests
// can inject EINTR, EAGAIN, short transfers and failures such as ENOSPC.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

namespace elvis::sys {

struct Calls {
    ssize_t (*read)(int fd, void* buf, size_t count);
    ssize_t (*writev)(int fd, const iovec* iov, int iovcnt);
};

// The table in use; the real system calls unless a test swapped it.
Calls& calls();

// Restores the real calls when it goes out of scope.
class ScopedCalls {
public:
    explicit ScopedCalls(Calls replacement) : saved_(calls()) { calls() = replacement; }
    ~ScopedCalls() { calls() = saved_; }
    ScopedCalls(const ScopedCalls&) = delete;
    ScopedCalls& operator=(const ScopedCalls&) = delete;

private:
    Calls saved_;
};

// Waits until fd is ready for `events` (POLLIN/POLLOUT); used after EAGAIN on a non-blocking fd.
void wait_ready(int fd, short events);

}  // namespace elvis::sys
