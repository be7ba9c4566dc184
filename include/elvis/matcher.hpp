// Matcher: rules compiled once into a leftmost-longest automaton plus a prefilter.
//
// The automaton is an Aho-Corasick DFA over byte classes (case folded when matching ignores
// case). Scanning state lives in StreamScanner, so one Matcher may be shared read-only by any
// number of threads and streams.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "elvis/prefilter.hpp"
#include "elvis/rules.hpp"

namespace elvis {

class Matcher {
public:
    static constexpr std::uint32_t no_rule = UINT32_MAX;

    // Compiles `rules`. Allocates; throws RuleError for invalid rules (see RuleSet).
    explicit Matcher(RuleSet rules, Isa isa = Isa::best);

    const RuleSet& rules() const { return rules_; }
    const Prefilter& prefilter() const { return prefilter_; }
    std::size_t state_count() const { return states_.size(); }

private:
    friend class StreamScanner;

    struct State {
        std::uint32_t depth = 0;       // length of the needle prefix this state stands for
        std::uint32_t out_len = 0;     // longest needle ending here (0: none)
        std::uint32_t out_rule = no_rule;
        std::uint32_t own_rule = no_rule;  // rule whose find text is exactly this prefix
        std::uint32_t out_next = 0;    // next state down the failure chain with own_rule (0: none)
        std::uint32_t fail = 0;        // the longest proper suffix of this prefix that is a state
        bool leaf = true;              // no needle extends this prefix
    };

    std::uint32_t step(std::uint32_t state, unsigned char byte) const {
        return delta_[state * class_count_ + byte_class_[byte]];
    }

    RuleSet rules_;
    Prefilter prefilter_;
    std::uint16_t byte_class_[256] = {};
    std::uint32_t class_count_ = 1;
    std::vector<std::uint32_t> delta_;  // state * class_count_ + class -> state
    std::vector<State> states_;
};

}  // namespace elvis
