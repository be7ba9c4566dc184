// The system-call seam.
#include "io/syscalls.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "elvis/errors.hpp"

namespace elvis::sys {

int open_at(int dir_fd, const char* path, int flags, mode_t mode) { return ::openat(dir_fd, path, flags, mode); }

Calls& calls() {
    static Calls table;
    return table;
}

void wait_ready(int fd, short events) {
    pollfd p{fd, events, 0};
    while (::poll(&p, 1, -1) < 0)
        if (errno != EINTR) throw IoError("poll", errno);
}

void grow_pipe(int fd, std::size_t bytes) {
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode)) return;
    const int size = ::fcntl(fd, F_GETPIPE_SZ);
    if (size >= 0 && static_cast<std::size_t>(size) < bytes) ::fcntl(fd, F_SETPIPE_SZ, static_cast<int>(bytes));
}

bool reserve_space(int fd, std::uint64_t bytes, std::int64_t offset) {
    const off_t position = offset >= 0 ? offset : ::lseek(fd, 0, SEEK_CUR);
    return position >= 0 && calls().fallocate(fd, FALLOC_FL_KEEP_SIZE, position, static_cast<off_t>(bytes)) == 0;
}

unsigned usable_cpus() {
    cpu_set_t set;
    if (::sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
    return std::max(1u, std::thread::hardware_concurrency());
}

void hold_standard_fds() {
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
        const int held = ::open("/dev/null", (fd == 0 ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
        if (held >= 0 && held != fd) {  // only if a lower descriptor was closed meanwhile
            ::dup3(held, fd, O_CLOEXEC);
            ::close(held);
        }
    }
}

}  // namespace elvis::sys
