// The system-call seam.
#include "elvis/syscalls.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include "elvis/io_error.hpp"

namespace elvis::sys {

Calls& calls() {
    static Calls table{::read, ::writev};
    return table;
}

void wait_ready(int fd, short events) {
    pollfd p{fd, events, 0};
    while (::poll(&p, 1, -1) < 0)
        if (errno != EINTR) throw IoError("poll", errno);
}

}  // namespace elvis::sys
