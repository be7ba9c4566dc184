// The system-call seam: the POSIX reader, the sinks and the io_uring setup call through this
// table so tests can inject EINTR, EAGAIN, short transfers and failures such as ENOSPC, or a
// kernel that refuses io_uring. Only test binaries replace entries (test/support/env_hooks.cpp).
#pragma once

#include <fcntl.h>
#include <liburing.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

namespace elvis::sys {

// openat(2) without its variadic tail, so that it fits the table.
int open_at(int dir_fd, const char* path, int flags, mode_t mode);

// A test that replaces some calls names them; the rest stay the real ones.
struct Calls {
    ssize_t (*read)(int fd, void* buf, size_t count) = ::read;
    ssize_t (*writev)(int fd, const iovec* iov, int iovcnt) = ::writev;
    int (*fallocate)(int fd, int mode, off_t offset, off_t length) = ::fallocate;
    int (*fstatfs)(int fd, struct statfs* buf) = ::fstatfs;
    ssize_t (*pread)(int fd, void* buf, size_t count, off_t offset) = ::pread;
    ssize_t (*pwrite)(int fd, const void* buf, size_t count, off_t offset) = ::pwrite;
    int (*fstat)(int fd, struct stat* st) = ::fstat;
    // The new file of an in-place rewrite is created, and renamed over the original, through these.
    int (*openat)(int dir_fd, const char* path, int flags, mode_t mode) = open_at;
    int (*renameat)(int old_dir_fd, const char* old_path, int new_dir_fd, const char* new_path) = ::renameat;
    // Returns -errno, as liburing does.
    int (*io_uring_queue_init_params)(unsigned entries, io_uring* ring, io_uring_params* params) =
        ::io_uring_queue_init_params;
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

// What the filter grows its pipes to, and count its input pipe: against the default 64 KiB,
// fewer wake-ups on both sides; against 1 MiB, the bytes are still in the cache when the other
// side copies them (DESIGN.md, "Pipes").
inline constexpr std::size_t grown_pipe_bytes = 256 << 10;

// Allocates disk space for the next `bytes` written at fd's file position (or at `offset`, when
// given), leaving the file's size alone (fallocate with FALLOC_FL_KEEP_SIZE), before they are
// written: on ext4 the writes then skip delayed allocation's per-page reservation (DESIGN.md,
// "Reserving disk space"). False when the space could not be reserved, for whatever reason (a
// pipe, a file system without fallocate, a full disk): it only saves time, so the caller stops
// asking and the writes report real errors.
bool reserve_space(int fd, std::uint64_t bytes, std::int64_t offset = -1);

// The CPUs this process may run on (its affinity mask, which taskset and cgroup cpusets narrow;
// std::thread::hardware_concurrency counts every CPU of the machine); at least 1.
unsigned usable_cpus();

// Puts /dev/null on whichever of descriptors 0, 1 and 2 is closed, open in the direction that
// fails: reads of a closed stdin and writes to a closed stdout or stderr still fail with EBADF,
// as they would have, but no file elvis opens (an io_uring ring, an input) can take their
// numbers and be read or written as standard input or output by mistake.
void hold_standard_fds();

}  // namespace elvis::sys
