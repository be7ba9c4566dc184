// Prefilter: rare-byte pair filter (SSE2/AVX2/scalar) and start-byte table.
#include "elvis/prefilter.hpp"

#include <immintrin.h>

#include <algorithm>
#include <utility>

#include "elvis/ascii.hpp"

namespace elvis {

namespace {

using Pair = Prefilter::Pair;
using Probe = Prefilter::Probe;

bool probe_hit(const Probe& probe, unsigned char b) {
    return (probe.fold ? (b | 0x20) : b) == probe.byte;
}

bool pairs_hit(const Pair* pairs, std::size_t count, const unsigned char* at) {
    for (std::size_t k = 0; k < count; ++k)
        if (probe_hit(pairs[k].first, at[pairs[k].first.offset]) &&
            probe_hit(pairs[k].second, at[pairs[k].second.offset]))
            return true;
    return false;
}

template <std::size_t count>
std::size_t pairs_scalar(const Pair* pairs, const unsigned char* data, std::size_t from, std::size_t limit) {
    for (std::size_t p = from; p < limit; ++p)
        if (pairs_hit(pairs, count, data + p)) return p;
    return limit;
}

// The SIMD kernels test 16 or 32 positions at a time: a position is a candidate when, for some
// needle, both of its probe bytes are where the needle puts them.
__attribute__((target("sse2"))) inline __m128i probe_eq_sse2(const Probe& probe, const unsigned char* at) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at + probe.offset));
    if (probe.fold) v = _mm_or_si128(v, _mm_set1_epi8(0x20));
    return _mm_cmpeq_epi8(v, _mm_set1_epi8(static_cast<char>(probe.byte)));
}

template <std::size_t count>
__attribute__((target("sse2"))) std::size_t pairs_sse2(const Pair* pairs, const unsigned char* data,
                                                       std::size_t from, std::size_t limit) {
    std::size_t p = from;
    for (; p + 16 <= limit; p += 16) {
        unsigned mask = 0;
        for (std::size_t k = 0; k < count; ++k)
            mask |= static_cast<unsigned>(_mm_movemask_epi8(
                _mm_and_si128(probe_eq_sse2(pairs[k].first, data + p), probe_eq_sse2(pairs[k].second, data + p))));
        if (mask) return p + static_cast<std::size_t>(__builtin_ctz(mask));
    }
    return pairs_scalar<count>(pairs, data, p, limit);
}

__attribute__((target("avx2"))) inline __m256i probe_eq_avx2(const Probe& probe, const unsigned char* at) {
    __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at + probe.offset));
    if (probe.fold) v = _mm256_or_si256(v, _mm256_set1_epi8(0x20));
    return _mm256_cmpeq_epi8(v, _mm256_set1_epi8(static_cast<char>(probe.byte)));
}

template <std::size_t count>
__attribute__((target("avx2"))) std::size_t pairs_avx2(const Pair* pairs, const unsigned char* data,
                                                       std::size_t from, std::size_t limit) {
    std::size_t p = from;
    for (; p + 32 <= limit; p += 32) {
        unsigned mask = 0;
        for (std::size_t k = 0; k < count; ++k)
            mask |= static_cast<unsigned>(_mm256_movemask_epi8(
                _mm256_and_si256(probe_eq_avx2(pairs[k].first, data + p), probe_eq_avx2(pairs[k].second, data + p))));
        if (mask) return p + static_cast<std::size_t>(__builtin_ctz(mask));
    }
    return pairs_sse2<count>(pairs, data, p, limit);
}

using PairKernel = std::size_t (*)(const Pair*, const unsigned char*, std::size_t, std::size_t);

template <std::size_t... counts>
PairKernel pick_kernel(Isa isa, std::size_t count, std::index_sequence<counts...>) {
    PairKernel kernel = nullptr;
    ((count == counts + 1 ? kernel = isa == Isa::avx2   ? pairs_avx2<counts + 1>
                                     : isa == Isa::sse2 ? pairs_sse2<counts + 1>
                                                        : pairs_scalar<counts + 1>
                          : kernel),
     ...);
    return kernel;
}

// Picks the two rarest positions of a (folded) needle; one probe twice for a 1-byte needle.
Pair rare_pair(std::string_view needle, bool ignore_case) {
    auto probe_at = [&](std::size_t i) {
        auto b = static_cast<unsigned char>(needle[i]);
        bool fold = ignore_case && ascii::is_alpha(b);
        return Probe{fold ? static_cast<unsigned char>(b | 0x20) : b, fold,
                     static_cast<std::uint32_t>(i)};
    };
    auto rank_at = [&](std::size_t i) {
        auto b = static_cast<unsigned char>(needle[i]);
        // A case-insensitive letter matches two bytes, so it is as common as both together.
        return ignore_case && ascii::is_alpha(b)
                   ? byte_rank(ascii::lower(b)) + byte_rank(static_cast<unsigned char>(b & ~0x20))
                   : byte_rank(b);
    };
    std::size_t best = 0;
    for (std::size_t i = 1; i < needle.size(); ++i)
        if (rank_at(i) < rank_at(best)) best = i;
    std::size_t second = best;
    for (std::size_t i = 0; i < needle.size(); ++i)
        if (i != best && (second == best || rank_at(i) < rank_at(second))) second = i;
    Pair pair{probe_at(std::min(best, second)), probe_at(std::max(best, second))};
    return pair;
}

}  // namespace

unsigned byte_rank(unsigned char b) {
    // Letters by English frequency, most common last; space and newline are the most common bytes.
    static constexpr std::string_view common_last = "zqxjkvbpygfwmucldrhsnioate";
    if (b == ' ') return 255;
    if (b == '\n') return 250;
    if (b >= 'a' && b <= 'z') return 200 + static_cast<unsigned>(common_last.find(static_cast<char>(b)));
    if (b >= 'A' && b <= 'Z')
        return 120 + static_cast<unsigned>(common_last.find(static_cast<char>(b | 0x20)));
    if (b >= '0' && b <= '9') return 110;
    if (b == '\t' || b == '\r') return 100;
    if (b >= 0x21 && b <= 0x7e) return 90;  // punctuation
    if (b >= 0x80) return 40;               // UTF-8 continuation and lead bytes
    return 10;                              // other control bytes
}

std::string_view isa_name(Isa isa) {
    switch (isa) {
        case Isa::best: return "best";
        case Isa::avx2: return "avx2";
        case Isa::sse2: return "sse2";
        case Isa::scalar: return "scalar";
    }
    return "?";
}

bool isa_supported(Isa isa) {
    switch (isa) {
        case Isa::avx2: return __builtin_cpu_supports("avx2");
        case Isa::sse2: return __builtin_cpu_supports("sse2");
        default: return true;
    }
}

Prefilter::Prefilter(const RuleSet& rules, Isa isa) {
    if (isa == Isa::best) isa = isa_supported(Isa::avx2) ? Isa::avx2 : Isa::sse2;
    isa_ = isa;
    const bool ignore_case = rules.options().ignore_case;
    if (rules.size() <= max_pair_needles) {
        kind_ = Kind::pairs;
        for (const Rule& rule : rules.rules()) {
            pairs_[pair_count_++] = rare_pair(rule.find, ignore_case);
            reach_ = std::max<std::size_t>(reach_, pairs_[pair_count_ - 1].second.offset);
        }
        pair_kernel_ = pick_kernel(isa_, pair_count_, std::make_index_sequence<max_pair_needles>{});
        return;
    }
    std::size_t starts = 0;
    auto mark = [&](unsigned char b) { starts += !can_start_[b]; can_start_[b] = true; };
    for (const Rule& rule : rules.rules()) {
        auto b = static_cast<unsigned char>(rule.find[0]);
        mark(b);
        if (ignore_case && ascii::is_alpha(b)) {
            mark(ascii::lower(b));
            mark(static_cast<unsigned char>(ascii::lower(b) - 32));
        }
    }
    // When most bytes can start a match, the table only costs time.
    kind_ = starts <= 128 ? Kind::start_table : Kind::none;
}

std::size_t Prefilter::find(const unsigned char* data, std::size_t from, std::size_t len) const {
    const std::size_t end = limit(len);
    if (from >= end) return end;
    switch (kind_) {
        case Kind::pairs: return pair_kernel_(pairs_.data(), data, from, end);
        case Kind::start_table:
            for (std::size_t p = from; p < end; ++p)
                if (can_start_[data[p]]) return p;
            return end;
        case Kind::none: return from;
    }
    return from;
}

std::string_view Prefilter::describe() const {
    switch (kind_) {
        case Kind::pairs: return "rare-byte pairs";
        case Kind::start_table: return "start-byte table";
        case Kind::none: return "none";
    }
    return "?";
}

}  // namespace elvis
