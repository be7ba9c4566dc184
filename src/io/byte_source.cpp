// Byte sources: io_uring with read-ahead, and plain read(2).
#include "elvis/byte_source.hpp"

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "elvis/errors.hpp"
#include "io/syscalls.hpp"
#include "io/uring.hpp"

namespace elvis {

IoMode parse_io_mode(std::string_view text) {
    if (text == "auto") return IoMode::automatic;
    if (text == "uring") return IoMode::uring;
    if (text == "posix") return IoMode::posix;
    throw std::invalid_argument("invalid I/O mode '" + std::string(text) + "' (expected auto, uring or posix)");
}

std::string_view backend_name(IoBackend backend) { return backend == IoBackend::uring ? "io_uring" : "posix"; }

namespace {

struct FreeDeleter {
    void operator()(char* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<char, FreeDeleter>;

AlignedBuffer allocate_aligned(std::size_t size) {
    void* p = nullptr;
    if (posix_memalign(&p, 4096, size) != 0) throw std::bad_alloc();
    return AlignedBuffer(static_cast<char*>(p));
}

std::string describe_setup_error(int code) {
    std::string text = std::strerror(code);
    switch (code) {
        case ENOSYS: return text + " (kernel without io_uring)";
        case EPERM: return text + " (blocked by seccomp or kernel.io_uring_disabled)";
        case ENOMEM: return text + " (RLIMIT_MEMLOCK too low)";
        case EINVAL: return text + " (no accepted setup flags)";
        default: return text;
    }
}

class PosixSource final : public ByteSource {
public:
    explicit PosixSource(std::size_t buffer_size) : size_(buffer_size), buffer_(allocate_aligned(buffer_size)) {}

    void open(int fd) override {
        fd_ = fd;
        positioned_ = false;
    }
    void open_range(int fd, std::uint64_t offset, std::uint64_t length) override {
        fd_ = fd;
        positioned_ = true;
        offset_ = offset;
        remaining_ = length;
    }
    void close() override { fd_ = -1; }
    IoBackend backend() const override { return IoBackend::posix; }

    std::span<char> next() override {
        if (fd_ < 0 || (positioned_ && remaining_ == 0)) return {};
        for (;;) {
            ssize_t n = positioned_ ? sys::calls().pread(fd_, buffer_.get(), std::min<std::uint64_t>(size_, remaining_),
                                              static_cast<off_t>(offset_))
                                    : sys::calls().read(fd_, buffer_.get(), size_);
            if (n >= 0) {
                if (positioned_) {
                    // Only a read of nothing is the end: NFS, FUSE and /proc read short mid-file,
                    // and the next call reads on from there.
                    offset_ += static_cast<std::uint64_t>(n);
                    remaining_ = n == 0 ? 0 : remaining_ - static_cast<std::uint64_t>(n);
                }
                return {buffer_.get(), static_cast<std::size_t>(n)};
            }
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                sys::wait_ready(fd_, POLLIN);
                continue;
            }
            throw IoError("read error", errno);
        }
    }

private:
    int fd_ = -1;
    bool positioned_ = false;
    std::uint64_t offset_ = 0, remaining_ = 0;
    std::size_t size_;
    AlignedBuffer buffer_;
};

class UringSource final : public ByteSource {
public:
    UringSource(Uring& ring, std::size_t buffer_size, unsigned depth)
        : ring_(ring), size_(buffer_size), depth_(std::max(depth, 2u)),
          memory_(allocate_aligned(buffer_size * depth_)), slots_(depth_) {}

    ~UringSource() override { drain(); }

    IoBackend backend() const override { return IoBackend::uring; }

    void open(int fd) override {
        assert_nothing_lent();
        close();
        fd_ = fd;
        struct stat st;
        seekable_ = ::fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode));
        off_t here = seekable_ ? ::lseek(fd, 0, SEEK_CUR) : 0;
        next_offset_ = here > 0 ? static_cast<std::uint64_t>(here) : 0;
        limit_ = UINT64_MAX;
        full_reads_ = 0;
        end_of_input_ = false;
    }

    void open_range(int fd, std::uint64_t offset, std::uint64_t length) override {
        assert_nothing_lent();
        close();
        fd_ = fd;
        seekable_ = true;
        next_offset_ = offset;
        limit_ = length > UINT64_MAX - offset ? UINT64_MAX : offset + length;
        full_reads_ = 0;
        end_of_input_ = false;
    }

    void close() override {
        drain();
        fd_ = -1;
        end_of_input_ = true;
    }

    std::span<char> next() override {
        if (holding_) {
            holding_ = false;
            head_ = (head_ + 1) % depth_;
        }
        if (fd_ < 0 || (end_of_input_ && in_flight_ == 0)) return {};
        top_up();
        Slot& slot = slots_[head_];
        // Buffers are used in turn: one lent out too long would otherwise look like the end.
        if (slot.state == Slot::lent) throw std::logic_error("a leased buffer was not given back in time");
        if (slot.state == Slot::free) return {};  // the range is read
        for (;;) {
            while (slot.state != Slot::ready) reap(true);
            if (slot.result == -EINTR || slot.result == -EAGAIN) {
                submit(head_);
                flush_submissions();
                continue;
            }
            if (seekable_ && slot.result > 0 && slot.filled + static_cast<std::size_t>(slot.result) < slot.length) {
                // A short read of a file (NFS, FUSE, /proc) is resumed where it stopped, into the
                // rest of the same buffer, as liburing's io_uring-cp does: the reads queued
                // behind it are at the right offsets still. Only a read of nothing is the end.
                slot.filled += static_cast<std::size_t>(slot.result);
                submit(head_);
                flush_submissions();
                continue;
            }
            break;
        }
        const int result = slot.result;
        const std::size_t got = slot.filled + static_cast<std::size_t>(std::max(result, 0));
        slot.state = Slot::free;  // the caller's until the next call (holding_)
        slot.filled = 0;
        if (result < 0 && got == 0) {
            close();
            throw IoError("read error", -result);
        }
        if (got == 0) {
            close();
            return {};
        }
        if (seekable_ && got == slot.length) ++full_reads_;
        if (seekable_ && got < slot.length) {
            // The reads queued behind are past the end of the file (a resumed read gave nothing),
            // or behind an error that came after part of this buffer: drop them. The bytes before
            // an error are handed over first, and the next read, from where they end, meets it.
            const unsigned current = head_;
            drain();
            head_ = current;
            tail_ = (current + 1) % depth_;
            if (result < 0) next_offset_ = slot.offset + got;
            else end_of_input_ = true;
        }
        holding_ = true;
        top_up();  // keep the kernel reading while the caller scans this buffer
        return {buffer(head_), got};
    }

    // One buffer is the caller's and one must be free to read into.
    unsigned lease_limit() const override { return depth_ - 2; }

protected:
    int lend() override {
        if (!holding_) return -1;
        slots_[head_].state = Slot::lent;
        return static_cast<int>(head_);
    }

    void take_back(unsigned buffer) noexcept override { slots_[buffer].state = Slot::free; }

    void reuse() override { top_up(); }  // the reads that waited for a buffer

private:
    struct Slot {
        enum State : unsigned char {
            free,     // nothing in it (or the caller's, when it is slots_[head_] and holding_)
            reading,  // a read into it is in flight
            ready,    // the read completed: `result` is its return value
            lent,     // leased beyond next(): not read into until the lease ends
        };
        State state = free;
        int result = 0;
        std::uint64_t offset = 0;  // of the buffer's first byte (UINT64_MAX: a pipe's position)
        std::size_t length = 0;    // wanted
        std::size_t filled = 0;    // already read into it, by reads that came back short
    };

    // A buffer still lent out could be read into for the next file (next() ends the input
    // itself, with a buffer lent, which is fine: nothing is read until the next open).
    void assert_nothing_lent() const {
        assert(std::none_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.state == Slot::lent; }) &&
               "end the leases before opening the next input");
    }

    char* buffer(unsigned index) { return memory_.get() + static_cast<std::size_t>(index) * size_; }

    // Queues reads into free slots: several at increasing offsets for files, one for pipes.
    void top_up() {
        if (end_of_input_ || fd_ < 0) return;
        // Read ahead only once the file proved larger than one buffer: most files are small.
        const unsigned usable = std::min(depth_ - (holding_ ? 1 : 0), 1 + full_reads_);
        unsigned queued = 0;
        while (in_flight_ + ready_ahead() < usable && (seekable_ || in_flight_ == 0)) {
            if (slots_[tail_].state != Slot::free) break;
            if (seekable_ && next_offset_ >= limit_) break;
            const std::size_t length = seekable_ ? std::min<std::uint64_t>(size_, limit_ - next_offset_) : size_;
            submit(tail_, seekable_ ? next_offset_ : UINT64_MAX, length);
            if (seekable_) next_offset_ += length;
            tail_ = (tail_ + 1) % depth_;
            ++queued;
            if (!seekable_) break;
        }
        if (queued) flush_submissions();
    }

    unsigned ready_ahead() const {
        unsigned n = 0;
        for (const Slot& s : slots_) n += s.state == Slot::ready ? 1 : 0;
        return n;
    }

    void submit(unsigned index, std::uint64_t offset, std::size_t length) {
        slots_[index].offset = offset;
        slots_[index].length = length;
        slots_[index].filled = 0;
        submit(index);
    }

    // (Re)queues the read of what slot `index` still lacks: after `filled` bytes, at the offset
    // they end at (UINT64_MAX, a pipe's current position, stays as it is).
    void submit(unsigned index) {
        Slot& slot = slots_[index];
        io_uring_sqe* sqe = io_uring_get_sqe(ring_.get());
        if (sqe == nullptr) {
            flush_submissions();
            sqe = io_uring_get_sqe(ring_.get());
            if (sqe == nullptr) throw IoError("io_uring submission queue full", EBUSY);
        }
        const std::uint64_t offset = slot.offset == UINT64_MAX ? UINT64_MAX : slot.offset + slot.filled;
        io_uring_prep_read(sqe, fd_, buffer(index) + slot.filled, static_cast<unsigned>(slot.length - slot.filled), offset);
        io_uring_sqe_set_data64(sqe, index);
        slot.state = Slot::reading;
        ++in_flight_;
    }

    void flush_submissions() {
        int ret;
        do ret = io_uring_submit(ring_.get());
        while (ret == -EINTR);
        if (ret < 0) throw IoError("io_uring_submit", -ret);
    }

    // Collects completions: waits for one when `wait`, then takes whatever else is ready.
    void reap(bool wait) {
        io_uring_cqe* cqe = nullptr;
        int ret = wait ? io_uring_wait_cqe(ring_.get(), &cqe) : io_uring_peek_cqe(ring_.get(), &cqe);
        if (ret == -EINTR || ret == -EAGAIN) return;
        if (ret < 0) throw IoError("io_uring_wait_cqe", -ret);
        unsigned seen = 0;
        unsigned head;
        io_uring_for_each_cqe(ring_.get(), head, cqe) {
            Slot& slot = slots_[io_uring_cqe_get_data64(cqe)];
            slot.state = Slot::ready;
            slot.result = cqe->res;
            --in_flight_;
            ++seen;
        }
        io_uring_cq_advance(ring_.get(), seen);
    }

    // Waits for every read in flight and forgets all buffered results.
    void drain() {
        while (in_flight_ > 0) reap(true);
        for (Slot& s : slots_)
            if (s.state == Slot::ready) s.state = Slot::free;
        holding_ = false;
        head_ = tail_;
    }

    Uring& ring_;
    std::size_t size_;
    unsigned depth_;
    AlignedBuffer memory_;
    std::vector<Slot> slots_;
    int fd_ = -1;
    bool seekable_ = false;
    bool end_of_input_ = true;
    bool holding_ = false;          // slots_[head_] is lent to the caller
    std::uint64_t next_offset_ = 0; // offset of the next read to queue (seekable files)
    std::uint64_t limit_ = UINT64_MAX;  // no reads at or past this offset
    unsigned full_reads_ = 0;           // reads that filled their buffer since open
    unsigned head_ = 0;             // slot whose data is handed out next
    unsigned tail_ = 0;             // slot the next read is queued into
    unsigned in_flight_ = 0;
};

}  // namespace

std::unique_ptr<Uring> Uring::create(unsigned entries, std::string& why_not) {
    static constexpr unsigned flag_sets[] = {
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN,
        IORING_SETUP_COOP_TASKRUN,
        0,
    };
    std::unique_ptr<Uring> uring(new Uring);
    int error = EINVAL;
    for (unsigned flags : flag_sets) {
        io_uring_params params{};
        params.flags = flags;
        int ret = sys::calls().io_uring_queue_init_params(entries, &uring->ring_, &params);
        if (ret == 0) {
            uring->initialized_ = true;
            uring->flags_ = flags;
            return uring;
        }
        error = -ret;
        if (error != EINVAL) break;  // only an unknown flag is worth another try
    }
    why_not = describe_setup_error(error);
    return nullptr;
}

Uring::~Uring() {
    if (initialized_) io_uring_queue_exit(&ring_);
}

std::unique_ptr<ByteSource> make_posix_source(std::size_t buffer_size) {
    return std::make_unique<PosixSource>(buffer_size);
}

std::unique_ptr<ByteSource> make_uring_source(Uring& ring, std::size_t buffer_size, unsigned depth) {
    return std::make_unique<UringSource>(ring, buffer_size, depth);
}

SourceChoice choose_source(IoMode mode, std::size_t buffer_size, unsigned ring_entries, unsigned depth) {
    if (mode == IoMode::automatic)
        if (const char* env = std::getenv("ELVIS_IO"); env != nullptr && *env != '\0') mode = parse_io_mode(env);
    SourceChoice choice;
    if (mode != IoMode::posix) {
        std::string why_not;
        choice.ring = Uring::create(std::max(depth * 2, ring_entries), why_not);
        if (choice.ring) {
            choice.source = make_uring_source(*choice.ring, buffer_size, depth);
            return choice;
        }
        if (mode == IoMode::uring) throw std::runtime_error("io_uring is not available: " + why_not);
        choice.fallback_reason = "io_uring setup failed: " + why_not;
    }
    choice.source = make_posix_source(buffer_size);
    return choice;
}

}  // namespace elvis
