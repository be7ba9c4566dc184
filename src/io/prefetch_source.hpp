// PrefetchSource: a ByteSource decorator that runs another source on a thread of its own, so
// that producing the next chunks (inflating gzip, above all) overlaps with the caller's use of
// the current one: one gzip stream on two cores (DESIGN.md, "One gzip file on every core").
//
// While the thread runs, every call on the inner source is made on it; close() joins it and then
// releases and closes the inner source on the caller's thread (so an inner source bound to the
// thread that made it, such as an io_uring ring, does not qualify). The chunks it returns are kept with
// retain() until the caller is done with them, up to retain_limit() ahead (none ahead when the
// inner source cannot retain: then it only moves the work to the other thread). The chunk next()
// returns is valid until the next call to next() or close(). An exception on the thread is thrown
// by the next() that reaches it, after the chunks before it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "elvis/byte_source.hpp"

namespace elvis {

class PrefetchSource final : public ByteSource {
public:
    explicit PrefetchSource(ByteSource& inner);  // not owned; must outlive this source
    ~PrefetchSource() override;
    PrefetchSource(const PrefetchSource&) = delete;
    PrefetchSource& operator=(const PrefetchSource&) = delete;

    void open(int fd) override;
    void open_range(int fd, std::uint64_t offset, std::uint64_t length) override;
    std::span<char> next() override;
    void close() override;
    IoBackend backend() const override { return inner_.backend(); }

private:
    struct Chunk {
        std::span<char> bytes;
        int handle;  // the inner source's retain() handle, -1 if none
    };
    void start(std::function<void()> open_inner);
    void produce(const std::function<void()>& open_inner);

    ByteSource& inner_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable changed_;
    // Guarded by mutex_:
    std::vector<Chunk> ready_;        // produced, not yet taken (oldest first)
    std::vector<int> done_;           // taken and finished with: for the thread to release
    unsigned outstanding_ = 0;        // chunks produced and not yet released by the thread
    bool stopping_ = false, ended_ = true;  // until opened
    std::exception_ptr failure_;
    // The caller's:
    Chunk held_{{}, -1};
    bool holding_ = false;
};

}  // namespace elvis
