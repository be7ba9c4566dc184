// A system-call seam that records what a sink asks of a file: reservations and writes, each
// with the file position it applied to. For the tests of space reservation (sys::reserve_space).
#pragma once

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <vector>

#include "io/syscalls.hpp"

namespace elvis::testing {

struct FileCall {
    bool reserve;  // fallocate, else a write
    off_t at, bytes;
    int mode;  // fallocate's
    bool operator==(const FileCall&) const = default;
};

// The calls since the last RecordFileCalls began; the sink's writer thread appends under the mutex.
inline std::mutex file_calls_mutex;
inline std::vector<FileCall> file_calls;
inline bool refuse_reservations = false;
inline long file_system_type = EXT4_SUPER_MAGIC;

// Pretends to reserve (or refuses, as a file system without fallocate would).
inline int fallocate_recorded(int, int mode, off_t offset, off_t length) {
    std::lock_guard lock(file_calls_mutex);
    file_calls.push_back({true, offset, length, mode});
    if (refuse_reservations) {
        errno = EOPNOTSUPP;
        return -1;
    }
    return 0;
}

// The real answer, but for the file system's type: the one the test chose.
inline int fstatfs_chosen(int fd, struct statfs* buf) {
    const int result = ::fstatfs(fd, buf);
    std::lock_guard lock(file_calls_mutex);
    buf->f_type = file_system_type;
    return result;
}

inline ssize_t writev_recorded(int fd, const iovec* spans, int count) {
    const off_t at = ::lseek(fd, 0, SEEK_CUR);
    const ssize_t n = ::writev(fd, spans, count);
    std::lock_guard lock(file_calls_mutex);
    if (n > 0) file_calls.push_back({false, at, n, 0});
    return n;
}

// Records writes and reservations while it lives, with every file on a file system of type
// `type` (ext4 by default, whatever /tmp is), and reservations refused as by a file system
// without fallocate, if asked.
class RecordFileCalls {
public:
    explicit RecordFileCalls(bool refuse = false, long type = EXT4_SUPER_MAGIC)
        : seam_({.writev = writev_recorded, .fallocate = fallocate_recorded, .fstatfs = fstatfs_chosen}) {
        std::lock_guard lock(file_calls_mutex);
        file_calls.clear();
        refuse_reservations = refuse;
        file_system_type = type;
    }

private:
    sys::ScopedCalls seam_;
};

inline std::size_t reservations() {
    std::lock_guard lock(file_calls_mutex);
    return static_cast<std::size_t>(std::count_if(file_calls.begin(), file_calls.end(), [](const FileCall& c) { return c.reserve; }));
}

// The whole content of the file at fd, whatever its position.
inline std::string read_all_at(int fd) {
    std::string content;
    char buffer[65536];
    for (ssize_t n; (n = ::pread(fd, buffer, sizeof buffer, static_cast<off_t>(content.size()))) > 0;)
        content.append(buffer, static_cast<std::size_t>(n));
    return content;
}

}  // namespace elvis::testing
