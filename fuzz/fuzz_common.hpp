// Shared by the fuzzers: decoding the input, feeding a stream in pieces, printing a failure.
//
// The input encoding (a missing byte at the end of the input reads as 0; a short field is cut):
//
//   byte 0      flags
//                 bit 0     ignore case
//                 bit 1     whole word
//                 bits 2-3  Isa: 0 best (the widest the CPU has: AVX-512 where present), 1 avx2,
//                           2 sse2, 3 scalar (one the CPU lacks: scalar)
//                 bits 4-5  number of rules - 1 (1..4; more through R's bit 6 below)
//                 bits 6-7  feed mode: 0 every piece writable (std::span<char>), 1 every piece
//                           read-only (std::string_view), 2 alternate starting writable,
//                           3 alternate starting read-only
//   per rule    F           find length = (F & 63) + 1
//               F bytes     find text
//               R           replace length = find length if R & 0x80, else R & 63; on the last
//                           rule, bit 6 adds one more rule (up to max_rules: 5 to 16 needles take
//                           the prefilter's probes, more a start-byte table)
//               R bytes     replacement
//   [fuzz_count only: the record section, see fuzz_count.cpp]
//   pieces      P           number of piece sizes = P & 15 (0: the stream is fed in one piece);
//                           fuzz_rewrite only: bit 4 set: first abandon a stream whose sink
//                           throws at put number (P >> 5) + 1, then reset() (see fuzz_rewrite.cpp)
//               P bytes     piece sizes, cycled until the stream is used up:
//                           0 feeds an empty chunk, 255 feeds all the rest, n feeds n bytes
//   stream      the rest of the input, at most 64 KiB (the excess is ignored)
//
// Every chunk is handed to the library in a fresh heap copy of exactly its size, freed right
// after the call, so AddressSanitizer reports any read past a chunk or after feed() returned.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "elvis/rules.hpp"
#include "elvis/sink.hpp"
#include "engine/prefilter.hpp"

namespace elvis::fuzz {

inline constexpr std::size_t max_stream = 64 * 1024;

class Reader {
public:
    Reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

    std::uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
    std::string bytes(std::size_t n) {
        n = std::min(n, size_ - at_);
        std::string out(reinterpret_cast<const char*>(data_ + at_), n);
        at_ += n;
        return out;
    }
    std::string_view rest(std::size_t limit) {
        std::size_t n = std::min(limit, size_ - at_);
        std::string_view out(reinterpret_cast<const char*>(data_ + at_), n);
        at_ += n;
        return out;
    }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t at_ = 0;
};

enum class FeedMode { writable, read_only, alternate_writable_first, alternate_read_only_first };

struct Header {
    MatchOptions options;
    Isa isa = Isa::best;
    FeedMode mode = FeedMode::writable;
    std::vector<Rule> rules;
};

inline constexpr std::size_t max_rules = 64;

inline Header decode_header(Reader& in) {
    Header h;
    const std::uint8_t flags = in.byte();
    h.options.ignore_case = flags & 1;
    h.options.whole_word = flags & 2;
    static constexpr Isa isas[] = {Isa::best, Isa::avx2, Isa::sse2, Isa::scalar};
    h.isa = isas[(flags >> 2) & 3];
    if (!isa_supported(h.isa)) h.isa = Isa::scalar;
    std::size_t rule_count = ((flags >> 4) & 3) + 1;
    h.mode = static_cast<FeedMode>(flags >> 6);
    for (std::size_t r = 0; r < rule_count; ++r) {
        Rule rule;
        rule.find = in.bytes((in.byte() & 63) + 1);
        const std::uint8_t rl = in.byte();
        rule.replace = in.bytes((rl & 0x80) ? rule.find.size() : (rl & 63));
        h.rules.push_back(std::move(rule));
        if (r + 1 == rule_count && (rl & 0x40) && rule_count < max_rules) ++rule_count;
    }
    return h;
}

struct Pieces {
    std::vector<std::uint8_t> sizes;
    std::uint8_t extra = 0;  // P >> 4
};

inline Pieces decode_pieces(Reader& in) {
    const std::uint8_t p = in.byte();
    Pieces pieces{std::vector<std::uint8_t>(p & 15), static_cast<std::uint8_t>(p >> 4)};
    for (auto& s : pieces.sizes) s = in.byte();
    return pieces;
}

// Calls fn(piece, index) for the pieces of `stream`: sizes cycled from sizes[rotate % n].
// No sizes: one piece. Only zero sizes: one empty piece, then the whole stream.
template <class Fn>
void for_each_piece(std::string_view stream, const std::vector<std::uint8_t>& sizes, std::size_t rotate, Fn fn) {
    if (sizes.empty() || std::all_of(sizes.begin(), sizes.end(), [](std::uint8_t s) { return s == 0; })) {
        std::size_t k = 0;
        if (!sizes.empty()) fn(std::string_view{}, k++);
        fn(stream, k);
        return;
    }
    std::size_t at = 0;
    for (std::size_t k = 0; at < stream.size(); ++k) {
        const std::size_t s = sizes[(k + rotate) % sizes.size()];
        const std::size_t n = s == 255 ? stream.size() - at : std::min(s, stream.size() - at);
        fn(stream.substr(at, n), k);
        at += n;
    }
}

inline bool piece_writable(FeedMode mode, std::size_t k) {
    switch (mode) {
        case FeedMode::writable: return true;
        case FeedMode::read_only: return false;
        case FeedMode::alternate_writable_first: return k % 2 == 0;
        case FeedMode::alternate_read_only_first: return k % 2 == 1;
    }
    return false;
}

inline FeedMode flipped(FeedMode mode) {
    switch (mode) {
        case FeedMode::writable: return FeedMode::read_only;
        case FeedMode::read_only: return FeedMode::writable;
        case FeedMode::alternate_writable_first: return FeedMode::alternate_read_only_first;
        case FeedMode::alternate_read_only_first: return FeedMode::alternate_writable_first;
    }
    return mode;
}

// A fresh heap copy of exactly the piece's size: ASan catches reads past it or after it is freed.
class ChunkCopy {
public:
    explicit ChunkCopy(std::string_view piece) : size_(piece.size()), data_(new char[piece.size()]) {
        if (size_) std::memcpy(data_.get(), piece.data(), size_);
    }
    ~ChunkCopy() {
        // Scribble before freeing, in case the memory is reused before anyone reads it.
        if (size_) std::memset(data_.get(), '#', size_);
    }
    char* data() { return data_.get(); }
    std::size_t size() const { return size_; }
    std::string_view view() const { return {data_.get(), size_}; }

private:
    std::size_t size_;
    std::unique_ptr<char[]> data_;
};

// Keeps the spans it is given and copies them only at flush(), so a span that dies or changes
// before the flush (against the Sink contract) shows up as a wrong output or an ASan report.
class DeferredSink final : public Sink {
public:
    void put(std::string_view bytes) override { pending_.push_back(bytes); }
    void flush() override {
        for (std::string_view s : pending_) out.append(s);
        pending_.clear();
    }
    bool idle() const { return pending_.empty(); }
    std::string out;

private:
    std::vector<std::string_view> pending_;
};

inline std::string escaped(std::string_view s, std::size_t limit = 4096) {
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size() && i < limit; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '\\' || c == '"') out += '\\', out += static_cast<char>(c);
        else if (c == '\n') out += "\\n";
        else if (c == '\t') out += "\\t";
        else if (c == '\r') out += "\\r";
        else if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
        else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    out += '"';
    if (s.size() > limit) out += " ... (" + std::to_string(s.size()) + " bytes)";
    return out;
}

// Anything else the fuzzer decoded, printed by print_case().
inline std::string case_note;

inline void print_case(const Header& h, const std::vector<std::uint8_t>& sizes, std::string_view stream) {
    std::fprintf(stderr, "rules:");
    for (const Rule& r : h.rules)
        std::fprintf(stderr, " %s -> %s;", escaped(r.find).c_str(), escaped(r.replace).c_str());
    std::fprintf(stderr, "\noptions: ignore_case=%d whole_word=%d isa=%s feed=%d\npiece sizes (cycled):",
                 h.options.ignore_case, h.options.whole_word, std::string(isa_name(h.isa)).c_str(),
                 static_cast<int>(h.mode));
    for (std::uint8_t s : sizes) std::fprintf(stderr, " %u", s);
    std::fprintf(stderr, "\nstream (%zu bytes): %s\n", stream.size(), escaped(stream).c_str());
    if (!case_note.empty()) std::fprintf(stderr, "%s\n", case_note.c_str());
}

// ELVIS_FUZZ_PRINT=1 in the environment: print every decoded case (for replaying by hand).
inline bool print_cases() {
    static const bool print = std::getenv("ELVIS_FUZZ_PRINT") != nullptr;
    return print;
}

[[noreturn]] inline void fail(const char* what, const std::string& expected, const std::string& got) {
    std::size_t at = 0;
    while (at < expected.size() && at < got.size() && expected[at] == got[at]) ++at;
    std::fprintf(stderr, "MISMATCH: %s (first difference at byte %zu)\nexpected (%zu bytes): %s\ngot      (%zu bytes): %s\n",
                 what, at, expected.size(), escaped(expected).c_str(), got.size(), escaped(got).c_str());
    std::abort();
}

inline std::string counts_text(const std::vector<std::uint64_t>& counts) {
    std::string out = "[";
    for (std::size_t i = 0; i < counts.size(); ++i) out += (i ? ", " : "") + std::to_string(counts[i]);
    return out + "]";
}

}  // namespace elvis::fuzz
