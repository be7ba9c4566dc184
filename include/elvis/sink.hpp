// Sinks: where rewritten bytes go. The rewriter hands a sink spans and then calls flush();
// a span only stays valid until that flush, so a sink must write or copy it by then (the
// filter's WriteBehindSink, src/io/write_behind_sink.hpp, keeps the source's buffer instead).
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace elvis {

class TraceRecorder;  // src/pipeline/trace.hpp: the CLI's --trace and --stats

// Whether and when FdSink and the filter's writers reserve disk space ahead of their writes
// (fallocate, FALLOC_FL_KEEP_SIZE): only a regular file on ext4, not opened for appending, and
// writes of min_bytes or more; decided at the first large one, ended by the first refusal
// (DESIGN.md, "Reserving disk space"). Not thread-safe.
class SpaceReservation {
public:
    static constexpr std::size_t min_bytes = 256 * 1024;
    // Reserves the next `bytes` at fd's file position (or at `offset`); true when they were.
    bool reserve(int fd, std::uint64_t bytes, std::int64_t offset = -1);
    void before_writing(int fd, const iovec* spans, std::size_t count);

private:
    enum class State : unsigned char { undecided, reserving, off };
    State state_ = State::undecided;
};

class Sink {
public:
    virtual ~Sink() = default;
    // Queues bytes for output; they are readable until the next flush().
    virtual void put(std::string_view bytes) = 0;
    // The same for bytes that are only readable until the next flush() whatever the source
    // does (the scanner's held-over bytes): a sink that writes after flush() must copy them.
    virtual void put_transient(std::string_view bytes) { put(bytes); }
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
