// Ranges of one large file: how they are cut, and the byte before one.
#include "elvis/ranges.hpp"

#include <unistd.h>

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

int byte_before(int fd, std::uint64_t offset, bool needed) {
    unsigned char byte;
    if (!needed || offset == 0 || ::pread(fd, &byte, 1, static_cast<off_t>(offset - 1)) != 1) return -1;
    return byte;
}

}  // namespace elvis
