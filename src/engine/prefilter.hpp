// Prefilter: skips quickly over bytes where no match can start, so the automaton only runs
// near candidates. Chosen once per rule set; SIMD kernels are picked at run time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "elvis/matcher.hpp"
#include "elvis/rules.hpp"

namespace elvis {

class Prefilter {
public:
    // Up to this many distinct find texts get the probe filter; up to max_bucketed_needles the
    // bucket filter (Teddy: a fingerprint of each needle's first bytes, needles in 8 buckets);
    // more a start-byte table.
    static constexpr std::size_t max_probed_needles = 16;
    // Past 32 the buckets' false candidates cost more than they save (DESIGN.md, "The prefilter").
    static constexpr std::size_t max_bucketed_needles = 32;
    static_assert(max_bucketed_needles <= max_verified_needles);
    static constexpr std::size_t buckets = 8;

    Prefilter() = default;
    Prefilter(const RuleSet& rules, Isa isa);

    // Positions below `limit(len)` can be tested by find() and find_each(); the automaton steps
    // over the rest.
    std::size_t limit(std::size_t len) const { return len > reach_ ? len - reach_ : 0; }

    // Without verified needles (a start-byte table, or none): the first position p in
    // [from, limit(len)) where a find text may start, or limit(len) if none. Reads only
    // data[from, len). Never allocates.
    std::size_t find(const unsigned char* data, std::size_t from, std::size_t len) const;

    using Hit = NeedleHit;

    // With verified needles (verifies()): the non-overlapping matches in [from, limit(len)),
    // leftmost first and the longest of those starting at one position, up to `room` of them, go
    // to `hits` and their number to `count`. With whole-word rules a match has no word byte on
    // either side: `word_before_from` says whether the byte before `from` is one (the caller
    // knows: it may lie in an earlier chunk, or have been patched), and a match whose next byte is
    // past `len` cannot be decided. Returns where the search stopped: limit(len) (or `from`, if
    // that is further), the end of the last hit when `room` ran out, or the start of a needle
    // whose word edge cannot be decided yet. Never allocates.
    std::size_t find_each(const unsigned char* data, std::size_t from, std::size_t len, Hit* hits, std::size_t room,
                          std::size_t& count, bool word_before_from = false) const;
    // As find_each, but every match, overlapping ones included: for each position in start order,
    // each needle found there (in rule order). Positions are never split between calls: `room`
    // must be at least needle_count().
    std::size_t find_all(const unsigned char* data, std::size_t from, std::size_t len, Hit* hits, std::size_t room,
                         std::size_t& count, bool word_before_from = false) const;
    std::size_t needle_count() const { return needle_count_; }

    bool enabled() const { return kind_ != Kind::none; }
    // The needles are compared whole: find_each() gives the matches themselves.
    bool verifies() const { return kind_ == Kind::probes || kind_ == Kind::buckets; }
    Isa isa() const { return isa_; }
    std::string_view describe() const;

    struct Probe {
        unsigned char byte;      // folded with |0x20 when `fold` is set
        bool fold;               // the byte is a letter matched case-insensitively
        std::uint32_t offset;    // from the start of the needle
    };
    // Three probe bytes that must all be in place before the needle is compared.
    struct NeedleProbes {
        Probe first, second, third;
        bool fold = false;                 // compare the needle ASCII case-insensitively
        std::uint32_t needle_offset = 0;   // the needle's bytes in needles_ (folded when `fold`)
        std::uint32_t needle_length = 0;
    };

    // The bucket filter: for fingerprint byte k (0 .. fingerprint-1) of a start, the buckets
    // holding a needle that may have that byte there, by the byte's low and high nibble (the SIMD
    // kernels' shuffles) and by the whole byte (the scalar kernel).
    struct Buckets {
        std::uint32_t fingerprint = 0;  // bytes: min(3, shortest needle)
        alignas(16) std::uint8_t low[3][16] = {}, high[3][16] = {};
        std::uint8_t byte[3][256] = {};
        std::uint32_t begin[buckets + 1] = {};  // bucket b's needles: needles[begin[b] .. begin[b + 1])
        std::uint32_t needles[max_bucketed_needles] = {};
    };

private:
    enum class Kind { none, probes, buckets, start_table };
    std::size_t collect(const unsigned char* data, std::size_t from, std::size_t len, Hit* hits, std::size_t room,
                        std::size_t& count, bool word_before_from, bool all) const;
    Kind kind_ = Kind::none;
    Isa isa_ = Isa::scalar;
    bool whole_word_ = false;
    std::size_t reach_ = 0;  // longest needle - 1: find_each() verifies whole needles at p < limit()
    std::size_t needle_count_ = 0;
    std::vector<NeedleProbes> probes_;  // probed or bucketed needles, in rule order
    Buckets buckets_;
    std::array<bool, 256> can_start_{};
    std::string needles_;  // the probed needles' bytes, back to back
};

// Approximate frequency rank of a byte in text and source code: lower means rarer.
unsigned byte_rank(unsigned char b);

}  // namespace elvis
