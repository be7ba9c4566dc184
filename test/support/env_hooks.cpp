// Failure injection for the command tests, linked only into test/elvis-with-test-hooks (never
// into libelvis or the shipped binary): at start-up it reads
//   ELVIS_TEST_URING_ERROR=ENOSYS|EPERM|ENOMEM|EINVAL  every io_uring setup fails so, as a kernel
//                                                      or seccomp profile would make it
//   ELVIS_TEST_WRITE_ERROR=ENOSPC                      every gathered or positioned write fails as
//                                                      on a full disk (where no tmpfs can be mounted)
//   ELVIS_TEST_NO_TMPFILE=1                            O_TMPFILE is refused (EOPNOTSUPP), as by a
//                                                      file system without it
//   ELVIS_TEST_KILLED_AT_RENAME=1                      the process is killed (SIGKILL) when it is
//                                                      about to rename a new file over an original
// and replaces those calls in the system-call seam.
#include <fcntl.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <string_view>

#include "io/syscalls.hpp"

namespace {

int uring_error = 0;

int uring_setup_refused(unsigned, io_uring*, io_uring_params*) { return -uring_error; }

ssize_t writev_disk_full(int, const iovec*, int) {
    errno = ENOSPC;
    return -1;
}

ssize_t pwrite_disk_full(int, const void*, size_t, off_t) {
    errno = ENOSPC;
    return -1;
}

int openat_without_tmpfile(int dir_fd, const char* path, int flags, mode_t mode) {
    if ((flags & O_TMPFILE) == O_TMPFILE) {
        errno = EOPNOTSUPP;
        return -1;
    }
    return elvis::sys::open_at(dir_fd, path, flags, mode);
}

int renameat_killed(int, const char*, int, const char*) {
    ::raise(SIGKILL);
    return -1;
}

int errno_named(const char* name) {
    if (name == nullptr) return 0;
    const std::string_view text(name);
    for (auto [known, code] : {std::pair{"ENOSYS", ENOSYS}, {"EPERM", EPERM}, {"ENOMEM", ENOMEM}, {"EINVAL", EINVAL},
                               {"ENOSPC", ENOSPC}})
        if (text == known) return code;
    return 0;
}

const bool installed = [] {
    elvis::sys::Calls& calls = elvis::sys::calls();
    if ((uring_error = errno_named(std::getenv("ELVIS_TEST_URING_ERROR"))) != 0)
        calls.io_uring_queue_init_params = uring_setup_refused;
    if (errno_named(std::getenv("ELVIS_TEST_WRITE_ERROR")) == ENOSPC) {
        calls.writev = writev_disk_full;
        calls.pwrite = pwrite_disk_full;
    }
    if (std::getenv("ELVIS_TEST_NO_TMPFILE")) calls.openat = openat_without_tmpfile;
    if (std::getenv("ELVIS_TEST_KILLED_AT_RENAME")) calls.renameat = renameat_killed;
    return true;
}();

}  // namespace
