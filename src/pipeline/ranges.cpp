// Ranges of one large file: how they are cut, and the byte before one.
#include "pipeline/ranges.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "elvis/errors.hpp"
#include "io/syscalls.hpp"

namespace elvis {

std::vector<RangeScan> split_into_ranges(std::uint64_t from, std::uint64_t to, unsigned count) {
    std::vector<RangeScan> ranges(std::max(1u, count));
    const std::uint64_t size = to - from;
    for (std::size_t k = 0; k < ranges.size(); ++k) {
        // In 128 bits: size * k must not wrap.
        ranges[k].begin = from + static_cast<std::uint64_t>(static_cast<unsigned __int128>(size) * k / ranges.size());
        ranges[k].end = from + static_cast<std::uint64_t>(static_cast<unsigned __int128>(size) * (k + 1) / ranges.size());
    }
    return ranges;
}

TraceRecorder* range_track(Trace* trace, std::size_t k, std::size_t n, const RangeScan& range, std::size_t buffer_size,
                           unsigned events_per_chunk) {
    if (!trace) return nullptr;
    const std::size_t events =
        std::min<std::uint64_t>(1 << 16, events_per_chunk * ((range.end - range.begin) / buffer_size + 2));
    return trace->add_thread("range " + std::to_string(k + 1) + "/" + std::to_string(n), events);
}

int byte_before(int fd, std::uint64_t offset, bool needed) {
    if (!needed || offset == 0) return -1;
    unsigned char byte;
    for (;;) {
        const ssize_t n = sys::calls().pread(fd, &byte, 1, static_cast<off_t>(offset - 1));
        if (n == 1) return byte;
        if (n == 0) return -1;  // the file shrank; the range's own read ends there too
        if (errno != EINTR) throw IoError("read error", errno);
    }
}

}  // namespace elvis
