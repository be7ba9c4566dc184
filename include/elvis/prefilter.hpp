// Prefilter: skips quickly over bytes where no match can start, so the automaton only runs
// near candidates. Chosen once per rule set; SIMD kernels are picked at run time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "elvis/rules.hpp"

namespace elvis {

// Instruction sets the prefilter can use. `best` picks the widest the CPU supports.
enum class Isa { best, avx2, sse2, scalar };

// Name of an Isa ("avx2", ...), and whether this CPU can run it.
std::string_view isa_name(Isa isa);
bool isa_supported(Isa isa);

class Prefilter {
public:
    // Up to this many distinct find texts get the rare-byte pair filter; more get a start-byte table.
    static constexpr std::size_t max_pair_needles = 4;

    Prefilter() = default;
    Prefilter(const RuleSet& rules, Isa isa);

    // Positions below `limit(len)` can be tested by find(); the automaton steps over the rest.
    std::size_t limit(std::size_t len) const { return len > reach_ ? len - reach_ : 0; }

    // The first position p in [from, limit(len)) where a match may start, or limit(len) if none.
    // Reads only data[from, len). Never allocates.
    std::size_t find(const unsigned char* data, std::size_t from, std::size_t len) const;

    bool enabled() const { return kind_ != Kind::none; }
    Isa isa() const { return isa_; }
    std::string_view describe() const;

    struct Probe {
        unsigned char byte;      // folded with |0x20 when `fold` is set
        bool fold;               // the byte is a letter matched case-insensitively
        std::uint32_t offset;    // from the start of the needle
    };
    struct Pair {
        Probe first, second;
    };

private:
    enum class Kind { none, pairs, start_table };
    Kind kind_ = Kind::none;
    Isa isa_ = Isa::scalar;
    std::size_t reach_ = 0;  // largest probe offset: find() needs data[p + reach_] in bounds
    std::size_t pair_count_ = 0;
    std::array<Pair, max_pair_needles> pairs_{};
    std::array<bool, 256> can_start_{};
    std::size_t (*pair_kernel_)(const Pair*, const unsigned char*, std::size_t, std::size_t) = nullptr;
};

// Approximate frequency rank of a byte in text and source code: lower means rarer.
unsigned byte_rank(unsigned char b);

}  // namespace elvis
