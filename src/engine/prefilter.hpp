// Prefilter: skips quickly over bytes where no match can start, so the automaton only runs
// near candidates. Chosen once per rule set; SIMD kernels are picked at run time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "elvis/matcher.hpp"
#include "elvis/rules.hpp"

namespace elvis {

class Prefilter {
public:
    // Up to this many distinct find texts get the probe filter; more get a start-byte table.
    static constexpr std::size_t max_probed_needles = 16;

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

    bool enabled() const { return kind_ != Kind::none; }
    // The needles are compared whole: find_each() gives the matches themselves.
    bool verifies() const { return kind_ == Kind::probes; }
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

private:
    enum class Kind { none, probes, start_table };
    Kind kind_ = Kind::none;
    Isa isa_ = Isa::scalar;
    bool whole_word_ = false;
    std::size_t reach_ = 0;  // longest needle - 1: find_each() verifies whole needles at p < limit()
    std::size_t needle_count_ = 0;
    std::array<NeedleProbes, max_probed_needles> probes_{};
    std::array<bool, 256> can_start_{};
    std::string needles_;  // the probed needles' bytes, back to back
};

// Approximate frequency rank of a byte in text and source code: lower means rarer.
unsigned byte_rank(unsigned char b);

}  // namespace elvis
