// SmallFileBatch: all OPENATs of a batch in one submission, then all first READs in another.
#include "io/batch_reader.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "elvis/errors.hpp"

namespace elvis {

SmallFileBatch::SmallFileBatch(Uring& ring, std::size_t chunk_size)
    : ring_(ring), chunk_size_(chunk_size), memory_(nullptr, std::free) {
    void* p = nullptr;
    if (posix_memalign(&p, 4096, chunk_size * max_files) != 0) throw std::bad_alloc();
    memory_.reset(static_cast<char*>(p));
}

template <typename OnCompletion>
void SmallFileBatch::complete(unsigned expected, OnCompletion on_completion) {
    io_uring* ring = ring_.get();
    int submitted;
    do submitted = io_uring_submit_and_wait(ring, expected);
    while (submitted == -EINTR);
    if (submitted < 0) throw IoError("io_uring_submit", -submitted);
    for (unsigned seen = 0; seen < expected;) {
        io_uring_cqe* cqe = nullptr;
        const int ret = io_uring_wait_cqe(ring, &cqe);
        if (ret == -EINTR) continue;
        if (ret < 0) throw IoError("io_uring_wait_cqe", -ret);
        const auto index = static_cast<unsigned>(io_uring_cqe_get_data64(cqe));
        const int res = cqe->res;
        io_uring_cqe_seen(ring, cqe);
        ++seen;
        on_completion(index, res);
    }
}

void SmallFileBatch::read(std::span<const File> files, std::span<Result> results) {
    io_uring* ring = ring_.get();
    const auto count = static_cast<unsigned>(std::min<std::size_t>(files.size(), max_files));
    auto next_sqe = [&] {
        io_uring_sqe* sqe = io_uring_get_sqe(ring);
        if (!sqe) throw IoError("io_uring submission queue too small", EBUSY);
        return sqe;
    };
    for (unsigned i = 0; i < count; ++i) {
        results[i] = Result{};
        io_uring_sqe* open = next_sqe();
        // O_NONBLOCK: an entry swapped for a FIFO since it was listed must not block the batch.
        io_uring_prep_openat(open, files[i].dir_fd, files[i].name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC, 0);
        io_uring_sqe_set_data64(open, i);
    }
    unsigned opened = 0;
    complete(count, [&](unsigned i, int res) {
        if (res < 0) {
            results[i].error = -res;
        } else {
            results[i].file = detail::Fd(res, true);
            ++opened;
        }
    });
    // The first reads, then the rest of each chunk a read filled only in part: a short read is
    // not the end of a file (NFS, FUSE and /proc read short), only a read of nothing is. One
    // more submission for all of them, most often of reads that find the end at once.
    bool reading[max_files] = {};
    for (unsigned i = 0; i < count; ++i) {
        reading[i] = results[i].error == 0;
        results[i].data = {memory_.get() + i * chunk_size_, 0};
    }
    for (unsigned expected = opened; expected > 0;) {
        for (unsigned i = 0; i < count; ++i) {
            if (!reading[i]) continue;
            const std::span<char> data = results[i].data;  // read so far
            io_uring_sqe* read = next_sqe();
            io_uring_prep_read(read, results[i].file.get(), data.data() + data.size(),
                               static_cast<unsigned>(chunk_size_ - data.size()), data.size());
            io_uring_sqe_set_data64(read, i);
        }
        complete(expected, [&](unsigned i, int res) {
            Result& r = results[i];
            if (res < 0) {
                r.error = -res;
                r.file = detail::Fd();
                r.data = {};
                reading[i] = false;
                return;
            }
            r.data = {r.data.data(), r.data.size() + static_cast<std::size_t>(res)};
            r.complete = res == 0;
            reading[i] = res > 0 && r.data.size() < chunk_size_;
        });
        expected = static_cast<unsigned>(std::count(reading, reading + count, true));
    }
}

}  // namespace elvis
