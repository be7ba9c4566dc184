// PrefetchSource: the inner source read ahead on a thread of its own (see prefetch_source.hpp).
#include "io/prefetch_source.hpp"

#include <algorithm>
#include <utility>

namespace elvis {

PrefetchSource::PrefetchSource(ByteSource& inner) : inner_(inner) {}

PrefetchSource::~PrefetchSource() { close(); }

void PrefetchSource::open(int fd) {
    start([this, fd] { inner_.open(fd); });
}

void PrefetchSource::open_range(int fd, std::uint64_t offset, std::uint64_t length) {
    start([this, fd, offset, length] { inner_.open_range(fd, offset, length); });
}

void PrefetchSource::start(std::function<void()> open_inner) {
    close();
    stopping_ = ended_ = false;
    failure_ = nullptr;
    outstanding_ = 0;
    ready_.clear();
    done_.clear();
    holding_ = false;
    try {
        thread_ = std::thread([this, open_inner = std::move(open_inner)] { produce(open_inner); });
    } catch (...) {
        ended_ = true;  // next() returns the end rather than wait
        throw;
    }
}

void PrefetchSource::produce(const std::function<void()>& open_inner) {
    // Chunks produced but not given back may number at most the inner source's limit; a chunk
    // it could not lend must be given back before the inner source is read again.
    const unsigned ahead = std::max(1u, inner_.lease_limit());
    bool unleased_out = false;
    std::vector<BufferLease> releasing;
    auto may_read = [&] { return unleased_out ? outstanding_ == 0 : outstanding_ < ahead; };
    try {
        open_inner();
        for (;;) {
            {
                std::unique_lock lock(mutex_);
                changed_.wait(lock, [&] { return stopping_ || !done_.empty() || may_read(); });
                releasing.swap(done_);
                outstanding_ -= static_cast<unsigned>(releasing.size());
                if (stopping_) break;
            }
            for (BufferLease& lease : releasing) lease.release();
            releasing.clear();
            {
                std::lock_guard lock(mutex_);
                if (!may_read()) continue;
            }
            const std::span<char> bytes = inner_.next();
            BufferLease lease = bytes.empty() ? BufferLease() : inner_.lease();
            unleased_out = !lease;
            std::lock_guard lock(mutex_);
            if (bytes.empty()) {
                ended_ = true;
                changed_.notify_all();
                break;
            }
            ready_.push_back({bytes, std::move(lease)});
            ++outstanding_;
            changed_.notify_all();
        }
    } catch (...) {
        std::lock_guard lock(mutex_);
        failure_ = std::current_exception();
        ended_ = true;
        changed_.notify_all();
    }
    for (BufferLease& lease : releasing) lease.release();
}

std::span<char> PrefetchSource::next() {
    std::unique_lock lock(mutex_);
    if (holding_) {
        done_.push_back(std::move(held_.lease));
        holding_ = false;
        changed_.notify_all();
    }
    changed_.wait(lock, [&] { return !ready_.empty() || ended_; });
    if (!ready_.empty()) {
        held_ = std::move(ready_.front());
        ready_.erase(ready_.begin());
        holding_ = true;
        return held_.bytes;
    }
    if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
    return {};
}

void PrefetchSource::close() {
    if (!thread_.joinable()) {
        ended_ = true;  // a next() after close() returns the end
        return;
    }
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        changed_.notify_all();
    }
    thread_.join();
    // The thread is gone: what it leased is given back here, then the inner source closed.
    if (holding_) done_.push_back(std::move(held_.lease));
    for (Chunk& chunk : ready_) done_.push_back(std::move(chunk.lease));
    for (BufferLease& lease : done_) lease.release();
    ready_.clear();
    done_.clear();
    holding_ = false;
    ended_ = true;
    inner_.close();
}

}  // namespace elvis
