// Sinks: where rewritten bytes go. The rewriter hands a sink spans and then calls flush();
// a span only stays valid until that flush, so a sink must write or copy it by then.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "elvis/trace.hpp"

namespace elvis {

class Sink {
public:
    virtual ~Sink() = default;
    // Queues bytes for output; they are readable until the next flush().
    virtual void put(std::string_view bytes) = 0;
    // Consumes everything queued. Throws IoError on failure.
    virtual void flush() = 0;
};

// Gathers spans into a fixed iovec array and writes them with writev(2): unchanged input is
// never copied. Handles short writes, EINTR and non-blocking descriptors. Allocates only in the
// constructor. Throws IoError (EPIPE included; the caller decides how quiet to be).
class FdSink final : public Sink {
public:
    explicit FdSink(int fd, std::size_t max_spans = 1024);
    void put(std::string_view bytes) override;
    void flush() override;
    std::uint64_t bytes_written() const { return written_; }
    // Records each flush as a write span (null: no tracing).
    void trace(TraceRecorder* recorder) { trace_ = recorder; }

private:
    TraceRecorder* trace_ = nullptr;
    int fd_;
    std::size_t capacity_;
    std::size_t count_ = 0;
    std::unique_ptr<iovec[]> spans_;
    std::uint64_t written_ = 0;
};

// Appends to a string; for tests and library users rewriting in memory.
class StringSink final : public Sink {
public:
    void put(std::string_view bytes) override { out.append(bytes); }
    void flush() override {}
    std::string out;
};

}  // namespace elvis
