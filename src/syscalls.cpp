// The system-call seam.
#include "elvis/syscalls.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string_view>

#include "elvis/io_error.hpp"

namespace elvis::sys {

namespace {
// ELVIS_TEST_WRITE_ERROR=ENOSPC makes every gathered write fail as on a full disk, for command
// tests where a small file system cannot be mounted.
ssize_t writev_disk_full(int, const iovec*, int) {
    errno = ENOSPC;
    return -1;
}
}  // namespace

Calls& calls() {
    static Calls table{::read, [] {
        const char* forced = std::getenv("ELVIS_TEST_WRITE_ERROR");
        return forced && std::string_view(forced) == "ENOSPC" ? writev_disk_full : ::writev;
    }()};
    return table;
}

void wait_ready(int fd, short events) {
    pollfd p{fd, events, 0};
    while (::poll(&p, 1, -1) < 0)
        if (errno != EINTR) throw IoError("poll", errno);
}

}  // namespace elvis::sys
