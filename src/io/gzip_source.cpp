// GzipSource: zlib inflate over another byte source (see gzip_source.hpp).
#include "io/gzip_source.hpp"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <new>
#include <stdexcept>
#include <utility>

namespace elvis {

bool has_gzip_suffix(std::string_view path) { return path.size() > 3 && path.ends_with(".gz"); }

struct GzipSource::Zlib {
    z_stream stream{};
};

namespace {
constexpr unsigned char magic0 = 0x1f, magic1 = 0x8b;
// 15: the largest window; +32: accept the gzip (or zlib) header, found automatically.
constexpr int window_bits = 15 + 32;
}  // namespace

GzipSource::GzipSource(ByteSource& inner, std::size_t buffer_size, GzipMode mode)
    : inner_(inner),
      z_(std::make_unique<Zlib>()),
      out_size_(std::clamp<std::size_t>(buffer_size, 1, UINT_MAX)),
      mode_(mode) {
    out_.reset(new char[out_size_]);
    const int rc = inflateInit2(&z_->stream, window_bits);
    if (rc == Z_MEM_ERROR) throw std::bad_alloc();
    if (rc != Z_OK) throw std::runtime_error("zlib: cannot set up inflate");
    start();
}

GzipSource::~GzipSource() { inflateEnd(&z_->stream); }

void GzipSource::start() {
    phase_ = mode_ == GzipMode::always ? Phase::inflate : Phase::sniff;
    in_member_ = false;
    input_ended_ = false;
    members_ = 0;
    pending_ = {};
    z_->stream.next_in = nullptr;
    z_->stream.avail_in = 0;
}

void GzipSource::open(int fd) {
    inner_.open(fd);
    start();
}

void GzipSource::open_range(int fd, std::uint64_t offset, std::uint64_t length) {
    inner_.open_range(fd, offset, length);
    start();
}

void GzipSource::close() {
    inner_.close();
    pending_ = {};
    z_->stream.next_in = nullptr;
    z_->stream.avail_in = 0;
}

std::span<char> GzipSource::next() {
    switch (phase_) {
        case Phase::sniff: return sniff();
        case Phase::inflate: return inflate_next();
        case Phase::done_inflating: return {};
        case Phase::pass_through: break;
    }
    if (!pending_.empty()) return std::exchange(pending_, {});
    if (input_ended_) return {};
    std::span<char> chunk = inner_.next();
    input_ended_ = chunk.empty();
    return chunk;
}

// The first bytes decide: 1f 8b is gzip; anything else (an empty input too) passes through.
std::span<char> GzipSource::sniff() {
    std::span<char> chunk = inner_.next();
    if (chunk.empty() || static_cast<unsigned char>(chunk[0]) != magic0 ||
        (chunk.size() >= 2 && static_cast<unsigned char>(chunk[1]) != magic1)) {
        phase_ = Phase::pass_through;
        input_ended_ = chunk.empty();
        return chunk;
    }
    if (chunk.size() >= 2) {
        phase_ = Phase::inflate;
        pending_ = chunk;
        return inflate_next();
    }
    // A lone 0x1f (tiny reads): the next chunk decides.
    held_ = static_cast<char>(magic0);
    std::span<char> second = inner_.next();
    if (!second.empty() && static_cast<unsigned char>(second[0]) == magic1) {
        phase_ = Phase::inflate;
        z_->stream.next_in = reinterpret_cast<Bytef*>(&held_);
        z_->stream.avail_in = 1;
        pending_ = second;
        return inflate_next();
    }
    phase_ = Phase::pass_through;
    pending_ = second;
    input_ended_ = second.empty();
    return {&held_, 1};
}

// Points zlib at more input: what sniffing read ahead, else the next inner chunk.
bool GzipSource::refill() {
    std::span<char> chunk = std::exchange(pending_, {});
    if (chunk.empty()) {
        if (input_ended_) return false;
        chunk = inner_.next();
        if (chunk.empty()) {
            input_ended_ = true;
            return false;
        }
    }
    const std::size_t n = std::min<std::size_t>(chunk.size(), UINT_MAX);
    if (n < chunk.size()) pending_ = chunk.subspan(n);
    z_->stream.next_in = reinterpret_cast<Bytef*>(chunk.data());
    z_->stream.avail_in = static_cast<uInt>(n);
    return true;
}

std::span<char> GzipSource::inflate_next() {
    z_stream& z = z_->stream;
    for (;;) {
        if (z.avail_in == 0 && !refill()) {
            if (in_member_ || members_ == 0) throw GzipError("truncated gzip data");
            phase_ = Phase::done_inflating;
            return {};
        }
        if (!in_member_) {  // a new member (the first, or one concatenated after the last)
            inflateReset(&z);  // keeps the window: no allocation
            in_member_ = true;
        }
        z.next_out = reinterpret_cast<Bytef*>(out_.get());
        z.avail_out = static_cast<uInt>(out_size_);
        const int rc = ::inflate(&z, Z_NO_FLUSH);
        const std::size_t produced = out_size_ - z.avail_out;
        switch (rc) {
            case Z_OK: break;
            case Z_STREAM_END:
                in_member_ = false;
                ++members_;
                break;
            case Z_BUF_ERROR:  // no progress possible: only fine when it needs more input
                if (z.avail_in != 0) throw GzipError("invalid gzip data");
                break;
            case Z_NEED_DICT: throw GzipError("invalid gzip data: needs a preset dictionary");
            case Z_MEM_ERROR: throw std::bad_alloc();
            default: throw GzipError(std::string("invalid gzip data: ") + (z.msg ? z.msg : "corrupt stream"));
        }
        if (produced) return {out_.get(), produced};
    }
}

}  // namespace elvis
