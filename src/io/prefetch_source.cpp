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
    // Chunks produced but not released may number at most the inner source's limit; a chunk it
    // could not retain must be given back before the inner source is read again.
    const unsigned ahead = std::max(1u, inner_.retain_limit());
    bool unretained_out = false;
    std::vector<int> releasing;
    auto may_read = [&] { return unretained_out ? outstanding_ == 0 : outstanding_ < ahead; };
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
            for (int handle : releasing) inner_.release(handle);
            releasing.clear();
            {
                std::lock_guard lock(mutex_);
                if (!may_read()) continue;
            }
            const std::span<char> bytes = inner_.next();
            const int handle = bytes.empty() ? -1 : inner_.retain();
            unretained_out = handle < 0;
            std::lock_guard lock(mutex_);
            if (bytes.empty()) {
                ended_ = true;
                changed_.notify_all();
                break;
            }
            ready_.push_back({bytes, handle});
            ++outstanding_;
            changed_.notify_all();
        }
    } catch (...) {
        std::lock_guard lock(mutex_);
        failure_ = std::current_exception();
        ended_ = true;
        changed_.notify_all();
    }
    for (int handle : releasing) inner_.release(handle);
}

std::span<char> PrefetchSource::next() {
    std::unique_lock lock(mutex_);
    if (holding_) {
        done_.push_back(held_.handle);
        holding_ = false;
        changed_.notify_all();
    }
    changed_.wait(lock, [&] { return !ready_.empty() || ended_; });
    if (!ready_.empty()) {
        held_ = ready_.front();
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
    // The thread is gone: what it retained is released here, then the inner source closed.
    if (holding_) done_.push_back(held_.handle);
    for (const Chunk& chunk : ready_) done_.push_back(chunk.handle);
    for (int handle : done_) inner_.release(handle);
    ready_.clear();
    done_.clear();
    holding_ = false;
    ended_ = true;
    inner_.close();
}

}  // namespace elvis
