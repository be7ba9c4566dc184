// uring_read_probe: how fast io_uring reads a page-cached file into a ring of buffers, with
// plain or registered (fixed) buffers and file, at a given queue depth; each buffer is
// scanned with memchr for newlines so the bytes are touched, as a real consumer would. It
// answers whether registered buffers/files or a deeper queue speed up cached reads (they did
// not on this machine; docs/tuning-log.md, "Tuning log").
//
//   build/bench/uring_read_probe MODE BUFFER_BYTES DEPTH FILE
//   MODE: 0 plain, 1 registered buffers, 2 registered file, 3 both
#include <fcntl.h>
#include <liburing.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: %s MODE(0-3) BUFFER_BYTES DEPTH(>=2) FILE\n", argv[0]);
        return 2;
    }
    const int mode = std::atoi(argv[1]);
    const std::size_t size = std::strtoul(argv[2], nullptr, 0);
    const int depth = std::atoi(argv[3]);
    const int fd = ::open(argv[4], O_RDONLY);
    struct stat st;
    if (fd < 0 || ::fstat(fd, &st) != 0 || depth < 2 || size == 0) {
        std::perror(argv[4]);
        return 2;
    }
    char* memory = static_cast<char*>(std::aligned_alloc(4096, (size * depth + 4095) / 4096 * 4096));
    io_uring ring;
    if (int err = io_uring_queue_init(32, &ring, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN); err < 0) {
        std::fprintf(stderr, "io_uring_queue_init: %s\n", std::strerror(-err));
        return 2;
    }
    std::vector<iovec> buffers(depth);
    for (int i = 0; i < depth; ++i) buffers[i] = {memory + i * size, size};
    if ((mode & 1) && io_uring_register_buffers(&ring, buffers.data(), depth) < 0) return 2;
    int target = fd;
    unsigned char flags = 0;
    if (mode & 2) {
        if (io_uring_register_files(&ring, &fd, 1) < 0) return 2;
        target = 0;
        flags = IOSQE_FIXED_FILE;
    }
    const auto started = std::chrono::steady_clock::now();
    std::vector<int> length(depth, -1);
    off_t next = 0;
    auto submit = [&](int i) {
        io_uring_sqe* sqe = io_uring_get_sqe(&ring);
        if (mode & 1) io_uring_prep_read_fixed(sqe, target, memory + i * size, size, next, i);
        else io_uring_prep_read(sqe, target, memory + i * size, size, next);
        sqe->flags |= flags;
        sqe->user_data = static_cast<unsigned>(i);
        length[i] = -1;
        next += static_cast<off_t>(size);
    };
    int head = 0, tail = 0;
    for (; tail < depth - 1 && next < st.st_size; ++tail) submit(tail);
    io_uring_submit(&ring);
    std::size_t total = 0, newlines = 0;
    while (total < static_cast<std::size_t>(st.st_size)) {
        while (length[head] < 0) {
            io_uring_cqe* cqe;
            if (io_uring_wait_cqe(&ring, &cqe) < 0) return 2;
            length[cqe->user_data] = cqe->res;
            io_uring_cqe_seen(&ring, cqe);
        }
        if (length[head] <= 0) break;
        if (next < st.st_size) {
            submit(tail % depth);
            ++tail;
            io_uring_submit(&ring);
        }
        const char* p = memory + head * size;
        const char* end = p + length[head];
        for (const char* q = p; (q = static_cast<const char*>(std::memchr(q, '\n', static_cast<std::size_t>(end - q)))); ++q)
            ++newlines;
        total += static_cast<std::size_t>(length[head]);
        head = (head + 1) % depth;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const char* names[] = {"plain", "registered buffers", "registered file", "registered buffers and file"};
    std::printf("%s, %zu-byte buffers, depth %d: %.3f s, %.0f MB/s (%zu newlines)\n", names[mode & 3], size, depth,
                seconds, static_cast<double>(total) / seconds / 1e6, newlines);
    io_uring_queue_exit(&ring);
    std::free(memory);
    return 0;
}
