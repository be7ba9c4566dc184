// GzipSource: a ByteSource decorator that inflates gzip data read through another source.
//
// Streaming (ISA-L's isal_inflate, ~2.5x zlib: docs/tuning-log.md, "gzip"), so input of any
// length runs in bounded memory: one output buffer of the size given, and the inflater's state
// and 32 KiB window, all allocated in the constructor; opening another file resets them without
// allocating. Multi-member files (concatenated gzip members, as web-crawl WET files are) come out
// as one stream; every member's CRC-32 and ISIZE are checked. Corrupt data throws GzipError
// ("invalid gzip data: <reason>", in zlib's words: incorrect header check, incorrect data
// check, incorrect length check, ...); input that ends inside a member, or an empty input in
// `always` mode, throws GzipError ("truncated gzip data"). Anything after the last member must
// be another member: trailing garbage (or zero padding) is invalid data. Only gzip is read (not
// zlib's own format, which gzip(1) does not read either).
#pragma once

#include <cerrno>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "elvis/byte_source.hpp"
#include "elvis/errors.hpp"

namespace elvis {

enum class GzipMode {
    always,  // the input must be gzip (a file named *.gz)
    detect,  // inflate when the input starts with the gzip magic bytes 1f 8b; else pass it through
};

// True when `path` ends in ".gz".
bool has_gzip_suffix(std::string_view path);

// The mode `elvis -z` uses for a path: `always` for *.gz, `detect` otherwise (standard input too).
inline GzipMode gzip_mode_for(std::string_view path) {
    return has_gzip_suffix(path) ? GzipMode::always : GzipMode::detect;
}

class GzipSource : public ByteSource {
public:
    // `inner` (not owned) must outlive this source. `buffer_size`: the largest chunk next() returns.
    // With `output_buffers` > 1 the inflated chunks go to that many buffers in turn, so up to
    // output_buffers - 1 of them can be lent (ByteSource::lease) while inflating goes on:
    // for a reader on another thread (PrefetchSource).
    GzipSource(ByteSource& inner, std::size_t buffer_size, GzipMode mode = GzipMode::detect,
               unsigned output_buffers = 1);
    ~GzipSource() override;
    GzipSource(const GzipSource&) = delete;
    GzipSource& operator=(const GzipSource&) = delete;

    // The mode for the next open() or open_range().
    void set_mode(GzipMode mode) { mode_ = mode; }

    void open(int fd) override;
    // The range is of the compressed file; it must start at a member's first byte.
    void open_range(int fd, std::uint64_t offset, std::uint64_t length) override;
    std::span<char> next() override;
    void close() override;
    IoBackend backend() const override { return inner_.backend(); }
    unsigned lease_limit() const override { return buffers_ - 1; }

    // Whether the current input is being inflated (known after the first next()).
    bool inflating() const { return phase_ == Phase::inflate || phase_ == Phase::done_inflating; }
    // gzip members completed in the current input.
    std::uint64_t members() const { return members_; }
    // Compressed bytes of the current input the inflater has used (from the open's offset).
    std::uint64_t consumed() const;

    // From the next open() on: end the input after `count` members (0: no limit), so a candidate
    // member can be tried alone (DESIGN.md, "One gzip file on every core").
    void set_member_limit(std::uint64_t count) { member_limit_ = count; }
    // From the next open() on: watch the compressed offsets `ends` (ascending, relative to the open's
    // offset, kept by the caller) for the first one at which a member ends. The hit is known as
    // soon as next() returns the chunk that reaches it, even when members end inside one call.
    void watch_member_ends(std::span<const std::uint64_t> ends) { watch_ = ends; }
    struct MemberEndHit {
        std::size_t index;            // into the watched offsets
        std::uint64_t output_offset;  // decompressed bytes of the input before it
    };
    std::optional<MemberEndHit> member_end_hit() const { return hit_; }

protected:
    // Inflated chunks only (in pass-through a chunk is the inner source's, and not lent).
    int lend() override;
    void take_back(unsigned buffer) noexcept override { lent_ &= ~(1u << buffer); }

private:
    enum class Phase { sniff, inflate, done_inflating, pass_through };
    struct Inflater;  // ISA-L's state, kept out of this header

    void start();
    void member_ended(std::size_t produced);
    std::span<char> sniff();
    std::span<char> inflate_next();
    bool refill();

    ByteSource& inner_;
    std::unique_ptr<Inflater> z_;
    char* out() const { return out_.get() + current_ * out_size_; }

    std::unique_ptr<char[]> out_;  // buffers_ output buffers of out_size_ bytes
    std::size_t out_size_;
    unsigned buffers_;
    unsigned current_ = 0;          // the buffer being inflated into, or last returned
    std::uint32_t lent_ = 0;        // a bit per buffer
    bool returned_inflated_ = false;  // the last chunk returned is in out()
    GzipMode mode_;
    Phase phase_ = Phase::sniff;
    bool in_member_ = false;     // inside a member: input must not end here
    bool input_ended_ = false;   // the inner source returned end of input
    std::uint64_t members_ = 0;
    std::uint64_t member_limit_ = 0;
    std::uint64_t fed_ = 0;      // compressed bytes handed to the inflater
    std::uint64_t output_ = 0;   // decompressed bytes returned
    std::span<const std::uint64_t> watch_;
    std::size_t watch_next_ = 0;
    std::optional<MemberEndHit> hit_;
    char held_ = 0;              // a lone first byte 0x1f while sniffing
    std::span<char> pending_;    // an inner chunk read ahead while sniffing, not yet used
};

}  // namespace elvis
