// SmallFileBatch: linked OPENAT(direct) -> READ -> CLOSE chains, one submission per batch.
#include "io/batch_reader.hpp"

#include <fcntl.h>

#include <cerrno>
#include <cstdlib>

#include "elvis/errors.hpp"

namespace elvis {

namespace {
enum Op : std::uint64_t { op_open = 0, op_read = 1, op_close = 2 };
std::uint64_t tag(unsigned index, Op op) { return (static_cast<std::uint64_t>(index) << 2) | op; }
}  // namespace

std::unique_ptr<SmallFileBatch> SmallFileBatch::create(Uring& ring, std::size_t chunk_size) {
    if (io_uring_register_files_sparse(ring.get(), max_files) != 0) return nullptr;
    return std::unique_ptr<SmallFileBatch>(new SmallFileBatch(ring, chunk_size));
}

SmallFileBatch::SmallFileBatch(Uring& ring, std::size_t chunk_size)
    : ring_(ring), chunk_size_(chunk_size), memory_(nullptr, std::free) {
    void* p = nullptr;
    if (posix_memalign(&p, 4096, chunk_size * max_files) != 0) throw std::bad_alloc();
    memory_.reset(static_cast<char*>(p));
}

SmallFileBatch::~SmallFileBatch() { io_uring_unregister_files(ring_.get()); }

void SmallFileBatch::read(std::span<const File> files, std::span<Result> results) {
    io_uring* ring = ring_.get();
    const auto count = static_cast<unsigned>(std::min<std::size_t>(files.size(), max_files));
    for (unsigned i = 0; i < count; ++i) {
        char* buffer = memory_.get() + i * chunk_size_;
        io_uring_sqe* open = io_uring_get_sqe(ring);
        io_uring_sqe* read = io_uring_get_sqe(ring);
        io_uring_sqe* close = io_uring_get_sqe(ring);
        if (!open || !read || !close) throw IoError("io_uring submission queue too small", EBUSY);
        // O_NONBLOCK: an entry swapped for a FIFO since it was listed must not block the batch.
        const int flags = O_RDONLY | O_NONBLOCK | O_NOFOLLOW;
        io_uring_prep_openat_direct(open, files[i].dir_fd, files[i].name, flags, 0, i);
        open->flags |= IOSQE_IO_LINK;
        io_uring_sqe_set_data64(open, tag(i, op_open));
        io_uring_prep_read(read, static_cast<int>(i), buffer, static_cast<unsigned>(chunk_size_), 0);
        read->flags |= IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK;
        io_uring_sqe_set_data64(read, tag(i, op_read));
        io_uring_prep_close_direct(close, i);
        io_uring_sqe_set_data64(close, tag(i, op_close));
        results[i] = Result{};
    }
    int submitted;
    do submitted = io_uring_submit_and_wait(ring, 3 * count);
    while (submitted == -EINTR);
    if (submitted < 0) throw IoError("io_uring_submit", -submitted);

    unsigned seen = 0;
    while (seen < 3 * count) {
        io_uring_cqe* cqe = nullptr;
        int ret = io_uring_wait_cqe(ring, &cqe);
        if (ret == -EINTR) continue;
        if (ret < 0) throw IoError("io_uring_wait_cqe", -ret);
        const std::uint64_t data = io_uring_cqe_get_data64(cqe);
        const unsigned i = static_cast<unsigned>(data >> 2);
        const int res = cqe->res;
        io_uring_cqe_seen(ring, cqe);
        ++seen;
        Result& r = results[i];
        switch (static_cast<Op>(data & 3)) {
            case op_open:
                if (res < 0) r.error = -res;
                break;
            case op_read:
                if (res >= 0) {
                    r.data = {memory_.get() + i * chunk_size_, static_cast<std::size_t>(res)};
                    r.complete = static_cast<std::size_t>(res) < chunk_size_;
                } else if (r.error == 0 && res != -ECANCELED) {
                    r.error = -res;
                }
                break;
            case op_close: break;  // fails only when the open did, which is already reported
        }
    }
}

}  // namespace elvis
