// io_uring: the ring each thread owns, the io_uring byte source, and the choice of a source for
// a front end (io_uring when the kernel allows it, else read(2)).
#pragma once

#include <liburing.h>

#include <memory>
#include <string>

#include "elvis/byte_source.hpp"

namespace elvis {

// One io_uring instance, set up with the best flags this kernel accepts. Owned by one thread.
class Uring {
public:
    // Returns nullptr and sets `why_not` when the kernel refuses io_uring (ENOSYS, EPERM from
    // seccomp or kernel.io_uring_disabled, ENOMEM from RLIMIT_MEMLOCK). EINVAL for a setup flag
    // makes it retry with fewer flags first.
    static std::unique_ptr<Uring> create(unsigned entries, std::string& why_not);
    ~Uring();
    Uring(const Uring&) = delete;
    Uring& operator=(const Uring&) = delete;

    io_uring* get() { return &ring_; }
    unsigned setup_flags() const { return flags_; }

private:
    Uring() = default;
    io_uring ring_{};
    unsigned flags_ = 0;
    bool initialized_ = false;
};

// io_uring reads into `depth` buffers: for seekable files up to depth-1 reads at increasing
// offsets stay in flight while the caller scans a buffer; for pipes and terminals one read is in
// flight while the caller scans the previous one.
std::unique_ptr<ByteSource> make_uring_source(Uring& ring, std::size_t buffer_size, unsigned depth = 4);

// What a front end needs: a source for the chosen mode, and why io_uring was not used (if not).
struct SourceChoice {
    std::unique_ptr<Uring> ring;  // owned here when io_uring is used
    std::unique_ptr<ByteSource> source;
    std::string fallback_reason;  // empty unless `automatic` fell back to posix
};

// Mode `automatic` falls back silently to posix; `uring` throws IoError when io_uring is refused.
// The environment variable ELVIS_IO (auto|uring|posix) overrides `automatic`.
// `ring_entries` sizes the submission queue for callers that batch more work on the same ring.
// `depth` is the io_uring source's number of buffers (see make_uring_source).
SourceChoice choose_source(IoMode mode, std::size_t buffer_size, unsigned ring_entries = 8, unsigned depth = 4);

}  // namespace elvis
