// Matcher: builds the trie, failure links and the dense DFA.
#include "elvis/matcher.hpp"

#include <deque>

#include "engine/ascii.hpp"
#include "engine/prefilter.hpp"

namespace elvis {

Matcher::~Matcher() = default;
Matcher::Matcher(Matcher&&) noexcept = default;

Matcher::Matcher(RuleSet rules, Isa isa)
    : rules_(std::move(rules)), prefilter_(std::make_unique<const Prefilter>(rules_, isa)) {
    const bool fold = rules_.options().ignore_case;
    auto folded = [fold](char c) {
        auto b = static_cast<unsigned char>(c);
        return fold ? ascii::lower(b) : b;
    };

    // Byte classes: each (folded) byte used by a needle gets its own class; all others share 0.
    for (const Rule& rule : rules_.rules())
        for (char c : rule.find)
            if (byte_class_[folded(c)] == 0) byte_class_[folded(c)] = static_cast<std::uint16_t>(class_count_++);
    if (fold)
        for (unsigned b = 'A'; b <= 'Z'; ++b) byte_class_[b] = byte_class_[b + 32];

    // Trie, with the dense table doubling as child links while it is built (0 = no child).
    states_.emplace_back();
    delta_.assign(class_count_, 0);
    for (std::uint32_t r = 0; r < rules_.size(); ++r) {
        std::uint32_t s = 0;
        for (char c : rules_.rules()[r].find) {
            std::uint32_t& next = delta_[s * class_count_ + byte_class_[folded(c)]];
            if (next == 0) {
                states_[s].leaf = false;
                next = static_cast<std::uint32_t>(states_.size());
                State child;
                child.depth = states_[s].depth + 1;
                states_.push_back(child);
                delta_.resize(states_.size() * class_count_, 0);
            }
            s = delta_[s * class_count_ + byte_class_[folded(c)]];
        }
        states_[s].own_rule = r;
    }

    // Breadth-first: failure links, outputs, then missing transitions borrowed from the failure state.
    std::vector<std::uint32_t> fail(states_.size(), 0);
    std::deque<std::uint32_t> queue;
    for (std::uint32_t c = 0; c < class_count_; ++c)
        if (std::uint32_t child = delta_[c]) queue.push_back(child);
    while (!queue.empty()) {
        std::uint32_t s = queue.front();
        queue.pop_front();
        State& st = states_[s];
        st.fail = fail[s];
        const State& f = states_[fail[s]];
        st.out_next = f.own_rule != no_rule ? fail[s] : f.out_next;
        if (st.own_rule != no_rule) {
            st.out_len = st.depth;
            st.out_rule = st.own_rule;
        } else {
            st.out_len = f.out_len;
            st.out_rule = f.out_rule;
        }
        for (std::uint32_t c = 0; c < class_count_; ++c) {
            std::uint32_t& next = delta_[s * class_count_ + c];
            std::uint32_t via_fail = delta_[fail[s] * class_count_ + c];
            if (next != 0) {
                fail[next] = via_fail;
                queue.push_back(next);
            } else {
                next = via_fail;
            }
        }
    }
}

}  // namespace elvis
