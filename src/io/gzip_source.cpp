// GzipSource: ISA-L inflate over another byte source (see gzip_source.hpp).
#include "io/gzip_source.hpp"

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace elvis {

bool has_gzip_suffix(std::string_view path) { return path.size() > 3 && path.ends_with(".gz"); }

namespace {

constexpr unsigned char magic0 = 0x1f, magic1 = 0x8b;

// A member's header (RFC 1952, 2.3), read here byte by byte in whatever pieces the input comes,
// its optional CRC-16 checked: ISA-L 2.30's own header reader miscomputes that CRC when the
// header arrives in more than one piece. Then ISA-L inflates the deflate data and checks the
// trailer (ISAL_GZIP_NO_HDR_VER).
class GzipHeader {
public:
    void reset() { *this = GzipHeader(); }
    bool done() const { return step_ == Step::done; }
    // Consumes header bytes from [data, data + size); returns how many. Throws GzipError.
    std::size_t consume(const std::uint8_t* data, std::size_t size) {
        std::size_t used = 0;
        while (used < size && step_ != Step::done) {
            const std::uint8_t byte = data[used];
            if (step_ != Step::header_crc) crc_ = crc32_gzip_refl(crc_, &byte, 1);
            ++used;
            switch (step_) {
                case Step::fixed:
                    fixed_[have_++] = byte;
                    if (have_ == 1 && byte != magic0) fail("incorrect header check");
                    if (have_ == 2 && byte != magic1) fail("incorrect header check");
                    if (have_ == 3 && byte != 8) fail("unknown compression method");
                    if (have_ == 4 && (byte & 0xe0)) fail("unknown header flags set");
                    if (have_ == 10) {
                        flags_ = fixed_[3];
                        have_ = 0;
                        advance();
                    }
                    break;
                case Step::extra_length:
                    extra_left_ |= static_cast<std::size_t>(byte) << (8 * have_++);
                    if (have_ == 2) {
                        have_ = 0;
                        step_ = Step::extra;
                        if (extra_left_ == 0) advance();
                    }
                    break;
                case Step::extra:
                    if (--extra_left_ == 0) advance();
                    break;
                case Step::name:
                case Step::comment:
                    if (byte == 0) advance();
                    break;
                case Step::header_crc:
                    stored_crc_ |= static_cast<std::uint16_t>(byte << (8 * have_++));
                    if (have_ == 2) {
                        if (stored_crc_ != (crc_ & 0xffff)) fail("incorrect header check");
                        step_ = Step::done;
                    }
                    break;
                case Step::done: break;
            }
        }
        return used;
    }

private:
    enum class Step { fixed, extra_length, extra, name, comment, header_crc, done };
    static constexpr unsigned fextra = 4, fname = 8, fcomment = 16, fhcrc = 2;
    // To the next field the flags ask for, after the current one (they come in this order).
    void advance() {
        static constexpr Step optional[] = {Step::extra_length, Step::name, Step::comment, Step::header_crc};
        static constexpr unsigned flag[] = {fextra, fname, fcomment, fhcrc};
        std::size_t i = step_ == Step::fixed ? 0 : step_ == Step::extra ? 1 : step_ == Step::name ? 2 : 3;
        while (i < 4 && !(flags_ & flag[i])) ++i;
        step_ = i < 4 ? optional[i] : Step::done;
    }
    [[noreturn]] static void fail(const char* reason) { throw GzipError(std::string("invalid gzip data: ") + reason); }

    Step step_ = Step::fixed;
    std::uint8_t fixed_[10] = {};
    unsigned flags_ = 0;
    std::size_t have_ = 0;
    std::size_t extra_left_ = 0;
    std::uint32_t crc_ = 0;
    std::uint16_t stored_crc_ = 0;
};

}  // namespace

struct GzipSource::Inflater {
    GzipHeader header;
    inflate_state state;
    // The last 8 bytes inflate consumed: after a member's deflate data, its trailer (CRC-32,
    // ISIZE), read back to say which of the two did not match, as zlib did.
    unsigned char consumed[8] = {};
    unsigned long long consumed_count = 0;

    void note_consumed(const std::uint8_t* from, const std::uint8_t* to) {
        for (const std::uint8_t* p = std::max(from, to - 8); p < to; ++p) consumed[consumed_count++ % 8] = *p;
    }
    std::uint32_t trailer_word(int index) const {  // little-endian word `index` (0, 1) of the last 8 bytes
        std::uint32_t word = 0;
        for (int i = 3; i >= 0; --i) word = (word << 8) | consumed[(consumed_count - 8 + 4 * index + i) % 8];
        return word;
    }
};

GzipSource::GzipSource(ByteSource& inner, std::size_t buffer_size, GzipMode mode, unsigned output_buffers)
    : inner_(inner),
      z_(std::make_unique<Inflater>()),
      out_size_(std::clamp<std::size_t>(buffer_size, 1, UINT_MAX)),
      buffers_(std::clamp(output_buffers, 1u, 32u)),
      mode_(mode) {
    out_.reset(new char[out_size_ * buffers_]);
    isal_inflate_init(&z_->state);
    start();
}

GzipSource::~GzipSource() = default;

void GzipSource::start() {
    phase_ = mode_ == GzipMode::always ? Phase::inflate : Phase::sniff;
    in_member_ = false;
    input_ended_ = false;
    members_ = 0;
    fed_ = 0;
    output_ = 0;
    watch_next_ = 0;
    hit_.reset();
    pending_ = {};
    z_->state.next_in = nullptr;
    z_->state.avail_in = 0;
}

std::uint64_t GzipSource::consumed() const { return fed_ - z_->state.avail_in; }

// A member ended after `produced` bytes of the output being returned.
void GzipSource::member_ended(std::size_t produced) {
    in_member_ = false;
    ++members_;
    if (hit_) return;
    const std::uint64_t end = consumed();
    while (watch_next_ < watch_.size() && watch_[watch_next_] < end) ++watch_next_;
    if (watch_next_ < watch_.size() && watch_[watch_next_] == end) hit_ = MemberEndHit{watch_next_, output_ + produced};
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
    z_->state.next_in = nullptr;
    z_->state.avail_in = 0;
}

int GzipSource::lend() {
    if (buffers_ < 2 || !returned_inflated_) return -1;
    lent_ |= 1u << current_;
    return static_cast<int>(current_);
}

std::span<char> GzipSource::next() {
    returned_inflated_ = false;
    if (lent_ & (1u << current_)) {  // inflate into a free buffer
        unsigned free = 0;
        while (free < buffers_ && (lent_ & (1u << free))) ++free;
        if (free == buffers_) throw std::logic_error("GzipSource: every output buffer is lent");
        current_ = free;
    }
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
        z_->state.next_in = reinterpret_cast<std::uint8_t*>(&held_);
        z_->state.avail_in = 1;
        fed_ = 1;
        pending_ = second;
        return inflate_next();
    }
    phase_ = Phase::pass_through;
    pending_ = second;
    input_ended_ = second.empty();
    return {&held_, 1};
}

// Points the inflater at more input: what sniffing read ahead, else the next inner chunk.
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
    z_->state.next_in = reinterpret_cast<std::uint8_t*>(chunk.data());
    z_->state.avail_in = static_cast<std::uint32_t>(n);
    fed_ += n;
    return true;
}

namespace {

// zlib's words for ISA-L's error codes in deflate data, which users of gzip tools know.
std::string inflate_error(int code) {
    switch (code) {
        case ISAL_INVALID_BLOCK: return "invalid gzip data: invalid block";
        case ISAL_INVALID_SYMBOL: return "invalid gzip data: invalid code";
        case ISAL_INVALID_LOOKBACK: return "invalid gzip data: invalid distance too far back";
        case ISAL_NEED_DICT: return "invalid gzip data: needs a preset dictionary";
        default: return "invalid gzip data: error " + std::to_string(code);
    }
}

}  // namespace

std::span<char> GzipSource::inflate_next() {
    inflate_state& s = z_->state;
    for (;;) {
        if (!in_member_ && member_limit_ && members_ == member_limit_) {
            phase_ = Phase::done_inflating;
            return {};
        }
        if (s.avail_in == 0 && !input_ended_) refill();
        if (s.avail_in == 0 && input_ended_ && !in_member_) {
            if (members_ == 0) throw GzipError("truncated gzip data");
            phase_ = Phase::done_inflating;
            return {};
        }
        if (!in_member_) {  // a new member (the first, or one concatenated after the last)
            z_->header.reset();
            in_member_ = true;
        }
        if (!z_->header.done()) {
            const std::size_t used = z_->header.consume(s.next_in, s.avail_in);
            s.next_in += used;
            s.avail_in -= static_cast<std::uint32_t>(used);
            if (!z_->header.done()) {
                if (input_ended_) throw GzipError("truncated gzip data");
                continue;
            }
            std::uint8_t* next_in = s.next_in;
            const std::uint32_t avail_in = s.avail_in;
            isal_inflate_reset(&s);  // keeps the window and tables: no allocation
            s.crc_flag = ISAL_GZIP_NO_HDR_VER;  // inflate, then check the trailer's CRC-32 and ISIZE
            s.next_in = next_in;
            s.avail_in = avail_in;
        }
        s.next_out = reinterpret_cast<std::uint8_t*>(out());
        s.avail_out = static_cast<std::uint32_t>(out_size_);
        const std::uint8_t* before = s.next_in;
        const std::uint32_t avail_before = s.avail_in;
        const int rc = isal_inflate(&s);
        z_->note_consumed(before, s.next_in);
        const std::size_t produced = out_size_ - s.avail_out;
        if (rc == ISAL_INCORRECT_CHECKSUM)  // the trailer's: its CRC-32, else its ISIZE
            throw GzipError(z_->trailer_word(0) != s.crc ? "invalid gzip data: incorrect data check"
                                                         : "invalid gzip data: incorrect length check");
        if (rc != ISAL_DECOMP_OK) throw GzipError(inflate_error(rc));
        if (s.block_state == ISAL_BLOCK_FINISH) member_ended(produced);
        if (produced) {
            output_ += produced;
            returned_inflated_ = true;
            return {out(), produced};
        }
        if (!in_member_) continue;
        if (s.avail_in == 0 && input_ended_) throw GzipError("truncated gzip data");
        if (s.avail_in == avail_before && s.avail_in != 0) throw GzipError("invalid gzip data");  // no progress
    }
}

}  // namespace elvis
