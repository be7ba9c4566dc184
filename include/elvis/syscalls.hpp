// The system-call seam: the POSIX reader and FdSink call read/writev through this table so tests
// can inject EINTR, EAGAIN, short transfers and failures such as ENOSPC.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>

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

// Grows the pipe at fd to hold `bytes` (up to /proc/sys/fs/pipe-max-size, 1 MiB by default, for
// users without CAP_SYS_RESOURCE). Never shrinks it; does nothing for anything but a pipe or
// when the kernel refuses. Fewer, larger transfers mean fewer wake-ups of both ends.
void grow_pipe(int fd, std::size_t bytes);

// Puts /dev/null on whichever of descriptors 0, 1 and 2 is closed, open in the direction that
// fails: reads of a closed stdin and writes to a closed stdout or stderr still fail with EBADF,
// as they would have, but no file elvis opens (an io_uring ring, an input) can take their
// numbers and be read or written as standard input or output by mistake.
void hold_standard_fds();

}  // namespace elvis::sys
