// PrefetchSource: a ByteSource decorator that runs another source on a thread of its own, so
// that producing the next chunks (inflating gzip, above all) overlaps with the caller's use of
// the current one: one gzip stream on two cores (DESIGN.md, "One gzip file on every core").
//
// While the thread runs, every call on the inner source is made on it; close() joins it and then
// releases and closes the inner source on the caller's thread (so an inner source bound to the
// thread that made it, such as an io_uring ring, does not qualify). The chunks it returns are
// leased from the inner source until the caller is done with them, up to lease_limit() ahead
// (none ahead when the inner source cannot lend: then it only moves the work to the other thread). The chunk next()
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
        BufferLease lease;  // of the inner source's buffer; empty if it could not lend
    };
    void start(std::function<void()> open_inner);
    void produce(const std::function<void()>& open_inner);

    ByteSource& inner_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable changed_;
    // Guarded by mutex_:
    std::vector<Chunk> ready_;        // produced, not yet taken (oldest first)
    std::vector<BufferLease> done_;   // taken and finished with: for the thread to give back
    unsigned outstanding_ = 0;        // chunks produced and not yet released by the thread
    bool stopping_ = false, ended_ = true;  // until opened
    std::exception_ptr failure_;
    // The caller's:
    Chunk held_;
    bool holding_ = false;
};

}  // namespace elvis
