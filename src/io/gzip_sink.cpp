// GzipSink: ISA-L deflate onto another sink (see gzip_sink.hpp).
#include "io/gzip_sink.hpp"

#include <isa-l/igzip_lib.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <stdexcept>
#include <string>


namespace elvis {

struct GzipSink::Deflater {
    isal_zstream stream;
    std::unique_ptr<std::uint8_t[]> level_buffer;
};

namespace {

std::uint32_t level_buffer_size(unsigned level) {
    switch (level) {
        case 0: return 0;
        case 1: return ISAL_DEF_LVL1_DEFAULT;
        case 2: return ISAL_DEF_LVL2_DEFAULT;
        default: return ISAL_DEF_LVL3_DEFAULT;
    }
}

}  // namespace

GzipSink::GzipSink(Sink& inner, unsigned level, std::size_t buffer_size)
    : inner_(inner), z_(std::make_unique<Deflater>()), out_size_(std::clamp<std::size_t>(buffer_size, 64, UINT_MAX)) {
    out_.reset(new char[out_size_]);
    stage_.reset(new char[stage_size]);
    level_ = std::min(level, 3u);
    const std::uint32_t size = level_buffer_size(level_);
    if (size) z_->level_buffer.reset(new std::uint8_t[size]);
    start_member();
}

// A fresh stream for the next member: isal_deflate_reset() would not write its header again.
void GzipSink::start_member() {
    isal_zstream& s = z_->stream;
    isal_deflate_init(&s);
    s.level = level_;
    s.level_buf_size = level_buffer_size(level_);
    s.level_buf = z_->level_buffer.get();
    s.gzip_flag = IGZIP_GZIP;
    s.flush = NO_FLUSH;
    s.next_out = reinterpret_cast<std::uint8_t*>(out_.get());
    s.avail_out = static_cast<std::uint32_t>(out_size_);
}

GzipSink::~GzipSink() = default;

// Small pieces (the bytes between two matches) are gathered first: one isal_deflate() call per
// piece costs more than copying them.
void GzipSink::put(std::string_view bytes) {
    bytes_in_ += bytes.size();
    const bool large = bytes.size() >= stage_size / 2;
    if (large || staged_ + bytes.size() > stage_size) deflate_staged();  // in order, always
    if (large) {
        deflate(bytes, false);
        return;
    }
    std::memcpy(stage_.get() + staged_, bytes.data(), bytes.size());
    staged_ += bytes.size();
}

void GzipSink::flush() {
    deflate_staged();
    pass_on();
    inner_.flush();
}

void GzipSink::finish_member() {
    deflate_staged();
    deflate({}, true);
    flush();
    start_member();
}

void GzipSink::deflate_staged() {
    if (staged_ == 0) return;
    deflate({stage_.get(), staged_}, false);
    staged_ = 0;
}

// The compressed bytes so far to `inner`; the output buffer is free again once it has them.
void GzipSink::pass_on() {
    isal_zstream& s = z_->stream;
    const std::size_t have = out_size_ - s.avail_out;
    if (have == 0) return;
    inner_.put({out_.get(), have});
    inner_.flush();
    s.next_out = reinterpret_cast<std::uint8_t*>(out_.get());
    s.avail_out = static_cast<std::uint32_t>(out_size_);
}

void GzipSink::deflate(std::string_view bytes, bool end) {
    isal_zstream& s = z_->stream;
    do {
        const std::size_t n = std::min<std::size_t>(bytes.size(), UINT_MAX);
        s.next_in = reinterpret_cast<std::uint8_t*>(const_cast<char*>(bytes.data()));
        s.avail_in = static_cast<std::uint32_t>(n);
        s.end_of_stream = end && n == bytes.size();
        while (s.avail_in > 0 || (s.end_of_stream && s.internal_state.state != ZSTATE_END)) {
            if (s.avail_out == 0) pass_on();
            const std::uint32_t in_before = s.avail_in, out_before = s.avail_out;
            const int rc = isal_deflate(&s);
            if (rc != COMP_OK || (s.avail_in == in_before && s.avail_out == out_before && s.avail_out != 0))
                throw std::runtime_error("gzip compression failed: ISA-L error " + std::to_string(rc));
        }
        bytes.remove_prefix(n);
    } while (!bytes.empty());
}

}  // namespace elvis
