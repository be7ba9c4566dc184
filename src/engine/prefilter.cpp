// Prefilter: rare-byte probes filter (SSE2/AVX2/scalar) and start-byte table.
#include "engine/prefilter.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <iterator>
#include <utility>

#include "engine/ascii.hpp"

namespace elvis {

namespace {

using NeedleProbes = Prefilter::NeedleProbes;
using Probe = Prefilter::Probe;

bool probe_hit(const Probe& probe, unsigned char b) {
    return (probe.fold ? (b | 0x20) : b) == probe.byte;
}

// Whether needle k (stored folded when matching ignores case) is at `at`.
[[gnu::always_inline]] inline bool needle_at(const NeedleProbes& probes, const char* needles, const unsigned char* at) {
    const char* needle = needles + probes.needle_offset;
    if (!probes.fold) {
        if (probes.needle_length > 16) return std::memcmp(at, needle, probes.needle_length) == 0;
        for (std::uint32_t i = 0; i < probes.needle_length; ++i)  // short: cheaper than a call
            if (at[i] != static_cast<unsigned char>(needle[i])) return false;
        return true;
    }
    for (std::uint32_t i = 0; i < probes.needle_length; ++i)
        if (ascii::lower(at[i]) != static_cast<unsigned char>(needle[i])) return false;
    return true;
}

// Whether all three probe bytes of the needle are where it puts them, for a start at `at`.
bool probes_in_place(const NeedleProbes& probes, const unsigned char* at) {
    return probe_hit(probes.first, at[probes.first.offset]) && probe_hit(probes.second, at[probes.second.offset]) &&
           probe_hit(probes.third, at[probes.third.offset]);
}

// The SIMD kernels test 16, 32 or 64 positions at a time: a position is a candidate when, for some
// needle, all three of its probe bytes are where the needle puts them; candidates are then
// verified against the whole needle (and its word edges), so the hits are the matches.
//
// A lane is one probe as vectors set up once per call: the byte to find, and 0x20 to OR in when
// it is a letter matched case-insensitively (0 otherwise), so the loop has no branch per probe.
struct LaneSse2 {
    __m128i byte, fold;
    std::uint32_t offset;
};
struct LaneAvx2 {
    __m256i byte, fold;
    std::uint32_t offset;
};
struct LaneAvx512 {
    __m512i byte, fold;
    std::uint32_t offset;
};

// Bit i of a mask stands for position p + i of a block starting at p; 64 bits hold the widest.
using Mask = std::uint64_t;

const Probe& probe_of(const NeedleProbes& probes, std::size_t j) {
    return j == 0 ? probes.first : j == 1 ? probes.second : probes.third;
}

char fold_bits(const Probe& probe) { return probe.fold ? char{0x20} : char{0}; }

// With `fold` false (no probe ignores case) the OR is left out: one instruction less per probe.
template <bool fold = true>
__attribute__((target("sse2"))) inline __m128i probe_eq_sse2(const LaneSse2& lane, const unsigned char* at) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at + lane.offset));
    if constexpr (!fold) return _mm_cmpeq_epi8(v, lane.byte);
    return _mm_cmpeq_epi8(_mm_or_si128(v, lane.fold), lane.byte);
}

__attribute__((target("sse2"))) void set_up_sse2(const NeedleProbes& probes, LaneSse2 (&lanes)[3]) {
    for (std::size_t j = 0; j < 3; ++j) {
        const Probe& probe = probe_of(probes, j);
        lanes[j] = {_mm_set1_epi8(static_cast<char>(probe.byte)), _mm_set1_epi8(fold_bits(probe)), probe.offset};
    }
}

// Bit i: all three probes of the needle are in place for position at + i.
template <bool fold = true>
__attribute__((target("sse2"))) inline Mask candidates_sse2(const LaneSse2 (&lanes)[3], const unsigned char* at) {
    return static_cast<unsigned>(_mm_movemask_epi8(_mm_and_si128(
        _mm_and_si128(probe_eq_sse2<fold>(lanes[0], at), probe_eq_sse2<fold>(lanes[1], at)), probe_eq_sse2<fold>(lanes[2], at))));
}

template <bool fold = true>
__attribute__((target("avx2"))) inline __m256i probe_eq_avx2(const LaneAvx2& lane, const unsigned char* at) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at + lane.offset));
    if constexpr (!fold) return _mm256_cmpeq_epi8(v, lane.byte);
    return _mm256_cmpeq_epi8(_mm256_or_si256(v, lane.fold), lane.byte);
}

__attribute__((target("avx2"))) void set_up_avx2(const NeedleProbes& probes, LaneAvx2 (&lanes)[3]) {
    for (std::size_t j = 0; j < 3; ++j) {
        const Probe& probe = probe_of(probes, j);
        lanes[j] = {_mm256_set1_epi8(static_cast<char>(probe.byte)), _mm256_set1_epi8(fold_bits(probe)), probe.offset};
    }
}

template <bool fold = true>
__attribute__((target("avx2"))) inline Mask candidates_avx2(const LaneAvx2 (&lanes)[3], const unsigned char* at) {
    return static_cast<unsigned>(_mm256_movemask_epi8(_mm256_and_si256(
        _mm256_and_si256(probe_eq_avx2<fold>(lanes[0], at), probe_eq_avx2<fold>(lanes[1], at)), probe_eq_avx2<fold>(lanes[2], at))));
}

__attribute__((target("avx512f,avx512bw"))) void set_up_avx512(const NeedleProbes& probes, LaneAvx512 (&lanes)[3]) {
    for (std::size_t j = 0; j < 3; ++j) {
        const Probe& probe = probe_of(probes, j);
        lanes[j] = {_mm512_set1_epi8(static_cast<char>(probe.byte)), _mm512_set1_epi8(fold_bits(probe)), probe.offset};
    }
}

// AVX-512 compares into mask registers, so each probe after the first only tests the positions
// still in the running (no AND, no movemask).
template <bool fold = true>
__attribute__((target("avx512f,avx512bw"))) inline Mask candidates_avx512(const LaneAvx512 (&lanes)[3],
                                                                        const unsigned char* at) {
    __mmask64 in_place = ~__mmask64{0};
    for (const LaneAvx512& lane : lanes) {
        __m512i v = _mm512_loadu_si512(at + lane.offset);
        if constexpr (fold) v = _mm512_or_si512(v, lane.fold);
        in_place = _mm512_mask_cmpeq_epi8_mask(in_place, v, lane.byte);
    }
    return in_place;
}

// Whether the needle described by `probes` is a match at q: 1 yes, 0 no, -1 undecided (with
// whole words, the byte after it is not in the data yet: data[len] and beyond).
template <bool whole_word>
int match_at(const NeedleProbes& probes, const char* needles, const unsigned char* data, std::size_t len,
             std::size_t q) {
    if (!needle_at(probes, needles, data + q)) return 0;
    if constexpr (whole_word) {
        const std::size_t end = q + probes.needle_length;
        if (end == len) return -1;
        if (ascii::is_word(data[end])) return 0;
    }
    return 1;
}

// Every occurrence, a batch at a time: returning at each hit would cost a call and the lanes'
// set-up per match, and on dense text (a match every few hundred bytes) that dominates. These
// collect up to `room` non-overlapping matches in one pass: leftmost first and, of the needles
// starting at one position, the longest (find texts are distinct, so it is unique), which is the
// match the automaton would report. With whole words, a needle next to a word byte does not count.
// A hit ends the search for its length, as the scanner resumes after a match. With `all`, every
// needle found at every position is a hit instead (a position's hits are never split between
// batches). The kernels return where the search stopped.
template <std::size_t count, bool whole_word, bool all>
struct HitCollector {
    const NeedleProbes* probes;
    const char* needles;
    const unsigned char* data;
    std::size_t len;         // data[len] and beyond are not there yet
    std::size_t from;        // where the search started
    bool word_before_from;   // whole words: the byte before `from` is a word byte
    Prefilter::Hit* hits;
    std::size_t room;
    std::size_t& found;
    std::size_t allowed;  // no hit may start before this: the previous hit covers it

    // Drops the positions of `mask` (bit i: position p + i) that the last hit covers.
    Mask uncovered(std::size_t p, Mask mask) const {
        if (allowed <= p) return mask;
        return allowed - p >= 64 ? 0 : mask & (~Mask{0} << (allowed - p));
    }

    int match_at(std::size_t k, std::size_t q) const { return elvis::match_at<whole_word>(probes[k], needles, data, len, q); }

    // Checks the positions flagged in masks[k] (needle k). False when the search must stop: at
    // `allowed`, which is where `hits` filled up, or a position the data cannot decide. The
    // caller also resumes at `allowed` when it lies beyond the block: a long hit skips its length.
    bool take(std::size_t p, const Mask (&masks)[count]) {
        Mask any = 0;
        for (std::size_t k = 0; k < count; ++k) any |= masks[k];
        any = uncovered(p, any);
        while (any) {
            const unsigned bit = static_cast<unsigned>(__builtin_ctzll(any));
            const std::size_t q = p + bit;
            if constexpr (all) {
                if (!take_all(q, masks, bit)) return false;
                any &= any - 1;
                continue;
            }
            std::uint32_t length = 0, needle = 0;
            if (!whole_word || !(q == from ? word_before_from : ascii::is_word(data[q - 1]))) {
                for (std::size_t k = 0; k < count; ++k) {
                    if (count > 1 && (!(masks[k] >> bit & 1) || probes[k].needle_length <= length)) continue;
                    const int match = match_at(k, q);
                    if (match < 0) {
                        allowed = q;
                        return false;
                    }
                    if (match) {
                        length = probes[k].needle_length;
                        needle = static_cast<std::uint32_t>(k);
                    }
                }
            }
            if (length == 0) {
                any &= any - 1;
                continue;
            }
            hits[found++] = {q, length, needle};
            allowed = q + length;
            if (found == room) return false;
            any = uncovered(p, any);  // drops q too
        }
        return true;
    }

    // Every needle of `masks` found at q (bit `bit` of its block).
    bool take_all(std::size_t q, const Mask (&masks)[count], unsigned bit) {
        if (whole_word && (q == from ? word_before_from : ascii::is_word(data[q - 1]))) return true;
        const std::size_t first = found;
        for (std::size_t k = 0; k < count; ++k) {
            if (!(masks[k] >> bit & 1)) continue;
            const int match = match_at(k, q);
            if (match < 0 || (match > 0 && found == room)) {
                found = first;
                allowed = q;
                return false;
            }
            if (match) hits[found++] = {q, probes[k].needle_length, static_cast<std::uint32_t>(k)};
        }
        return true;
    }
};

// The bucket filter's hits at one candidate position, as HitCollector's.
template <bool whole_word, bool all>
struct BucketCollector {
    const Prefilter::Buckets& buckets;
    const NeedleProbes* probes;
    const char* needles;
    const unsigned char* data;
    std::size_t len;
    std::size_t from;
    bool word_before_from;
    Prefilter::Hit* hits;
    std::size_t room;
    std::size_t& found;
    std::size_t allowed;

    // The needles of the buckets in `bits` at q. False when the search must stop, at `allowed`.
    bool take(std::size_t q, unsigned bits) {
        if (q < allowed) return true;  // inside the last hit
        if (whole_word && (q == from ? word_before_from : ascii::is_word(data[q - 1]))) return true;
        const std::size_t first = found;
        std::uint32_t length = 0, needle = 0;
        for (; bits; bits &= bits - 1) {
            const unsigned b = static_cast<unsigned>(__builtin_ctz(bits));
            for (std::uint32_t i = buckets.begin[b]; i < buckets.begin[b + 1]; ++i) {
                const std::uint32_t k = buckets.needles[i];
                if (!all && probes[k].needle_length <= length) continue;
                const int match = match_at<whole_word>(probes[k], needles, data, len, q);
                if (match < 0 || (all && match > 0 && found == room)) {
                    found = first;
                    allowed = q;
                    return false;
                }
                if (match == 0) continue;
                if constexpr (all) hits[found++] = {q, probes[k].needle_length, k};
                else length = probes[k].needle_length, needle = k;
            }
        }
        if (all || length == 0) return true;
        hits[found++] = {q, length, needle};
        allowed = q + length;
        return found < room;
    }
};

// How far ahead of the block being tested the SIMD loops ask for the data: on text streamed from
// memory the hardware prefetcher alone falls behind (DESIGN.md, "The prefilter").
constexpr std::size_t prefetch_distance = 1024;

// A prefetch never faults, so it may point past the data (the address is formed as an integer:
// pointer arithmetic past the end would be undefined).
inline void prefetch_ahead(const unsigned char* at) {
    _mm_prefetch(reinterpret_cast<const char*>(reinterpret_cast<std::uintptr_t>(at) + prefetch_distance), _MM_HINT_T0);
}

template <std::size_t count, bool whole_word, bool all>
std::size_t each_scalar(HitCollector<count, whole_word, all>& c, std::size_t from, std::size_t limit) {
    for (std::size_t p = std::max(from, c.allowed); p < limit; p = std::max(p + 1, c.allowed)) {
        Mask masks[count];
        Mask any = 0;
        for (std::size_t k = 0; k < count; ++k) any |= masks[k] = probes_in_place(c.probes[k], c.data + p);
        if (any && !c.take(p, masks)) return c.allowed;
    }
    return limit;
}

template <bool fold, std::size_t count, bool whole_word, bool all>
__attribute__((target("sse2"))) std::size_t each_sse2(HitCollector<count, whole_word, all>& c, std::size_t from,
                                                     std::size_t limit) {
    LaneSse2 lanes[count][3];
    for (std::size_t k = 0; k < count; ++k) set_up_sse2(c.probes[k], lanes[k]);
    std::size_t p = from;
    for (; p + 16 <= limit; p = std::max(p + 16, c.allowed)) {
        prefetch_ahead(c.data + p);
        Mask masks[count];
        Mask any = 0;
        for (std::size_t k = 0; k < count; ++k) any |= masks[k] = candidates_sse2<fold>(lanes[k], c.data + p);
        if (any && !c.take(p, masks)) return c.allowed;
    }
    return each_scalar(c, p, limit);
}

template <bool fold, std::size_t count, bool whole_word, bool all>
__attribute__((target("avx2"))) std::size_t each_avx2(HitCollector<count, whole_word, all>& c, std::size_t from,
                                                     std::size_t limit) {
    LaneAvx2 lanes[count][3];
    for (std::size_t k = 0; k < count; ++k) set_up_avx2(c.probes[k], lanes[k]);
    std::size_t p = from;
    for (; p + 32 <= limit; p = std::max(p + 32, c.allowed)) {
        prefetch_ahead(c.data + p);
        Mask masks[count];
        Mask any = 0;
        for (std::size_t k = 0; k < count; ++k) any |= masks[k] = candidates_avx2<fold>(lanes[k], c.data + p);
        if (any && !c.take(p, masks)) return c.allowed;
    }
    return each_sse2<fold>(c, p, limit);
}

template <bool fold, std::size_t count, bool whole_word, bool all>
__attribute__((target("avx512f,avx512bw"))) std::size_t each_avx512(HitCollector<count, whole_word, all>& c,
                                                                   std::size_t from, std::size_t limit) {
    LaneAvx512 lanes[count][3];
    for (std::size_t k = 0; k < count; ++k) set_up_avx512(c.probes[k], lanes[k]);
    std::size_t p = from;
    for (; p + 64 <= limit; p = std::max(p + 64, c.allowed)) {
        prefetch_ahead(c.data + p);
        Mask masks[count];
        Mask any = 0;
        for (std::size_t k = 0; k < count; ++k) any |= masks[k] = candidates_avx512<fold>(lanes[k], c.data + p);
        if (any && !c.take(p, masks)) return c.allowed;
    }
    return each_avx2<fold>(c, p, limit);
}

struct EachArgs {
    Isa isa;
    const NeedleProbes* probes;
    const char* needles;
    const unsigned char* data;
    std::size_t from, limit, len;
    bool word_before_from;
    Prefilter::Hit* hits;
    std::size_t room;
};

template <std::size_t count, bool whole_word, bool all>
std::size_t each_kernel(const EachArgs& a, std::size_t& found) {
    HitCollector<count, whole_word, all> c{a.probes, a.needles, a.data, a.len, a.from, a.word_before_from,
                                      a.hits,   a.room,    found,  a.from};
    const bool fold = a.probes[0].fold;  // the same for every needle: the rules' ignore_case
    switch (a.isa) {
        case Isa::avx512: return fold ? each_avx512<true>(c, a.from, a.limit) : each_avx512<false>(c, a.from, a.limit);
        case Isa::avx2: return fold ? each_avx2<true>(c, a.from, a.limit) : each_avx2<false>(c, a.from, a.limit);
        case Isa::sse2: return fold ? each_sse2<true>(c, a.from, a.limit) : each_sse2<false>(c, a.from, a.limit);
        default: return each_scalar(c, a.from, a.limit);
    }
}

using EachKernel = std::size_t (*)(const EachArgs&, std::size_t&);

// Indexed by [every match][whole words][needle count - 1].
template <std::size_t... counts>
constexpr std::array<std::array<std::array<EachKernel, sizeof...(counts)>, 2>, 2> each_kernels(
    std::index_sequence<counts...>) {
    return {{{{{each_kernel<counts + 1, false, false>...}, {each_kernel<counts + 1, true, false>...}}},
             {{{each_kernel<counts + 1, false, true>...}, {each_kernel<counts + 1, true, true>...}}}}};
}
constexpr auto each_kernel_table = each_kernels(std::make_index_sequence<Prefilter::max_probed_needles>{});

// The bucket filter (Teddy, as in Hyperscan and the aho-corasick crate): a position is a
// candidate for bucket b when each of its first `fingerprint` bytes may be that byte of one of
// b's needles; candidates are verified against b's needles. The SIMD kernel finds a byte's
// buckets 32 positions at a time with two shuffles, by low and high nibble; the scalar one by
// the whole byte.
template <std::uint32_t fingerprint, bool whole_word, bool all>
std::size_t buckets_scalar(BucketCollector<whole_word, all>& c, std::size_t from, std::size_t limit) {
    const auto& byte = c.buckets.byte;
    for (std::size_t p = std::max(from, c.allowed); p < limit; p = std::max(p + 1, c.allowed)) {
        unsigned bits = byte[0][c.data[p]];
        if constexpr (fingerprint > 1) bits &= byte[1][c.data[p + 1]];
        if constexpr (fingerprint > 2) bits &= byte[2][c.data[p + 2]];
        if (bits && !c.take(p, bits)) return c.allowed;
    }
    return limit;
}

template <std::uint32_t fingerprint, bool whole_word, bool all>
__attribute__((target("avx2"))) std::size_t buckets_avx2(BucketCollector<whole_word, all>& c, std::size_t from,
                                                        std::size_t limit) {
    __m256i low[fingerprint], high[fingerprint];
    for (std::uint32_t k = 0; k < fingerprint; ++k) {
        low[k] = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(c.buckets.low[k])));
        high[k] = _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(c.buckets.high[k])));
    }
    const __m256i nibble = _mm256_set1_epi8(0x0f);
    std::size_t p = from;
    for (; p + 32 <= limit; p = std::max(p + 32, c.allowed)) {
        prefetch_ahead(c.data + p);
        __m256i candidates = _mm256_set1_epi8(-1);
        for (std::uint32_t k = 0; k < fingerprint; ++k) {
            const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c.data + p + k));
            const __m256i by_low = _mm256_shuffle_epi8(low[k], _mm256_and_si256(v, nibble));
            const __m256i by_high = _mm256_shuffle_epi8(high[k], _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble));
            candidates = _mm256_and_si256(candidates, _mm256_and_si256(by_low, by_high));
        }
        auto mask = ~static_cast<std::uint32_t>(
            _mm256_movemask_epi8(_mm256_cmpeq_epi8(candidates, _mm256_setzero_si256())));
        if (mask == 0) continue;
        alignas(32) std::uint8_t bits[32];
        _mm256_store_si256(reinterpret_cast<__m256i*>(bits), candidates);
        for (; mask; mask &= mask - 1) {
            const unsigned i = static_cast<unsigned>(__builtin_ctz(mask));
            if (!c.take(p + i, bits[i])) return c.allowed;
        }
    }
    return buckets_scalar<fingerprint>(c, p, limit);
}

template <std::uint32_t fingerprint, bool whole_word, bool all>
std::size_t bucket_kernel(const Prefilter::Buckets& buckets, const EachArgs& a, std::size_t& found) {
    BucketCollector<whole_word, all> c{buckets, a.probes, a.needles, a.data, a.len, a.from, a.word_before_from,
                                       a.hits,  a.room,   found,     a.from};
    // AVX-512 takes the AVX2 kernel; SSE2 has no byte shuffle (SSSE3 does), so it takes the scalar one.
    if (a.isa == Isa::avx512 || a.isa == Isa::avx2) return buckets_avx2<fingerprint>(c, a.from, a.limit);
    return buckets_scalar<fingerprint>(c, a.from, a.limit);
}

using BucketKernel = std::size_t (*)(const Prefilter::Buckets&, const EachArgs&, std::size_t&);

// Indexed by [every match][whole words][fingerprint - 1].
template <bool all, bool whole_word>
constexpr std::array<BucketKernel, 3> bucket_kernels() {
    return {bucket_kernel<1, whole_word, all>, bucket_kernel<2, whole_word, all>, bucket_kernel<3, whole_word, all>};
}
constexpr std::array<std::array<std::array<BucketKernel, 3>, 2>, 2> bucket_kernel_table = {
    {{{bucket_kernels<false, false>(), bucket_kernels<false, true>()}},
     {{bucket_kernels<true, false>(), bucket_kernels<true, true>()}}}};

// Needles sorted by their first bytes and cut into buckets of nearly equal size, so that a
// bucket's needles share their first bytes where they can: fewer nibbles per bucket, fewer
// false candidates.
Prefilter::Buckets make_buckets(const std::vector<NeedleProbes>& probes, const std::string& needles, bool fold) {
    Prefilter::Buckets b;
    b.fingerprint = 3;
    for (const NeedleProbes& n : probes) b.fingerprint = std::min(b.fingerprint, n.needle_length);
    std::vector<std::uint32_t> order(probes.size());
    for (std::uint32_t k = 0; k < order.size(); ++k) order[k] = k;
    auto head = [&](std::uint32_t k) {
        return std::string_view(needles).substr(probes[k].needle_offset, b.fingerprint);
    };
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t x, std::uint32_t y) { return head(x) < head(y); });
    for (std::size_t bucket = 0; bucket <= Prefilter::buckets; ++bucket)
        b.begin[bucket] = static_cast<std::uint32_t>(bucket * order.size() / Prefilter::buckets);
    for (std::size_t bucket = 0; bucket < Prefilter::buckets; ++bucket)
        for (std::uint32_t i = b.begin[bucket]; i < b.begin[bucket + 1]; ++i) {
            b.needles[i] = order[i];
            const std::string_view bytes = head(order[i]);
            for (std::uint32_t k = 0; k < b.fingerprint; ++k) {
                const auto c = static_cast<unsigned char>(bytes[k]);  // stored lower case when folding
                for (unsigned char v : {c, fold && ascii::is_alpha(c) ? ascii::upper(c) : c}) {
                    b.low[k][v & 15] |= static_cast<std::uint8_t>(1u << bucket);
                    b.high[k][v >> 4] |= static_cast<std::uint8_t>(1u << bucket);
                    b.byte[k][v] |= static_cast<std::uint8_t>(1u << bucket);
                }
            }
        }
    return b;
}

// Picks the rarest position of a (folded) needle and the first and last bytes around it (the
// ends of a needle tell near misses such as "elvi" or "lvis" from it); fewer for short needles.
NeedleProbes pick_probes(std::string_view needle, bool ignore_case) {
    auto probe_at = [&](std::size_t i) {
        auto b = static_cast<unsigned char>(needle[i]);
        bool fold = ignore_case && ascii::is_alpha(b);
        return Probe{fold ? static_cast<unsigned char>(b | 0x20) : b, fold, static_cast<std::uint32_t>(i)};
    };
    auto rank_at = [&](std::size_t i) {
        auto b = static_cast<unsigned char>(needle[i]);
        // A case-insensitive letter matches two bytes, so it is as common as both together.
        return ignore_case && ascii::is_alpha(b)
                   ? byte_rank(ascii::lower(b)) + byte_rank(static_cast<unsigned char>(b & ~0x20))
                   : byte_rank(b);
    };
    std::size_t rarest = 0;
    for (std::size_t i = 1; i < needle.size(); ++i)
        if (rank_at(i) < rank_at(rarest)) rarest = i;
    NeedleProbes probes;
    probes.first = probe_at(0);
    probes.second = probe_at(rarest);
    probes.third = probe_at(needle.size() - 1);
    return probes;
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
        case Isa::avx512: return "avx512";
        case Isa::avx2: return "avx2";
        case Isa::sse2: return "sse2";
        case Isa::scalar: return "scalar";
    }
    return "?";
}

bool isa_supported(Isa isa) {
    switch (isa) {
        case Isa::avx512: return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
        case Isa::avx2: return __builtin_cpu_supports("avx2");
        case Isa::sse2: return __builtin_cpu_supports("sse2");
        default: return true;
    }
}

Prefilter::Prefilter(const RuleSet& rules, Isa isa) {
    if (isa == Isa::best)
        isa = *std::find_if(std::begin(concrete_isas), std::end(concrete_isas), isa_supported);  // scalar, last, always is
    isa_ = isa;
    whole_word_ = rules.options().whole_word;
    const bool ignore_case = rules.options().ignore_case;
    if (rules.size() <= max_bucketed_needles) {
        kind_ = rules.size() <= max_probed_needles ? Kind::probes : Kind::buckets;
        for (const Rule& rule : rules.rules()) {
            NeedleProbes& probes = probes_.emplace_back(pick_probes(rule.find, ignore_case));
            ++needle_count_;
            probes.fold = ignore_case;
            probes.needle_offset = static_cast<std::uint32_t>(needles_.size());
            probes.needle_length = static_cast<std::uint32_t>(rule.find.size());
            needles_ += ignore_case ? ascii::lowered(rule.find) : rule.find;
            // Verification reads the whole needle, so a candidate must fit in the data.
            reach_ = std::max<std::size_t>(reach_, rule.find.size() - 1);
        }
        if (kind_ == Kind::buckets) buckets_ = make_buckets(probes_, needles_, ignore_case);
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
    assert(!verifies() && "verified needles are found with find_each");
    const std::size_t end = limit(len);
    if (from >= end) return end;
    if (kind_ == Kind::start_table) {
        for (std::size_t p = from; p < end; ++p)
            if (can_start_[data[p]]) return p;
        return end;
    }
    return from;
}

std::size_t Prefilter::find_each(const unsigned char* data, std::size_t from, std::size_t len, Hit* hits,
                                 std::size_t room, std::size_t& count, bool word_before_from) const {
    return collect(data, from, len, hits, room, count, word_before_from, false);
}

std::size_t Prefilter::find_all(const unsigned char* data, std::size_t from, std::size_t len, Hit* hits,
                                std::size_t room, std::size_t& count, bool word_before_from) const {
    assert(room >= needle_count_);
    return collect(data, from, len, hits, room, count, word_before_from, true);
}

std::size_t Prefilter::collect(const unsigned char* data, std::size_t from, std::size_t len, Hit* hits,
                               std::size_t room, std::size_t& count, bool word_before_from, bool all) const {
    assert(verifies());
    count = 0;
    const std::size_t end = limit(len);
    if (from >= end) return from;
    if (room == 0) return from;  // nothing found, nothing skipped
    const EachArgs args{isa_, probes_.data(), needles_.data(), data, from, end, len, word_before_from, hits, room};
    if (kind_ == Kind::buckets) return bucket_kernel_table[all][whole_word_][buckets_.fingerprint - 1](buckets_, args, count);
    return each_kernel_table[all][whole_word_][needle_count_ - 1](args, count);
}

std::string_view Prefilter::describe() const {
    switch (kind_) {
        case Kind::probes: return "probe bytes";
        case Kind::buckets: return "buckets (Teddy)";
        case Kind::start_table: return "start-byte table";
        case Kind::none: return "none";
    }
    return "?";
}

}  // namespace elvis
