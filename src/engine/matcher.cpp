// Matcher: builds the trie, failure links and the dense DFA.
#include "elvis/matcher.hpp"

#include <algorithm>
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
    std::vector<std::uint32_t> parent(1, 0);
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
                parent.push_back(s);
                delta_.resize(states_.size() * class_count_, 0);
            }
            s = delta_[s * class_count_ + byte_class_[folded(c)]];
        }
        states_[s].own_rule = r;
    }

    // Breadth-first: failure links, outputs, then missing transitions borrowed from the failure state.
    std::vector<std::uint32_t> fail(states_.size(), 0);
    std::vector<std::uint32_t> outputs(states_.size(), 0);  // needles ending at the state
    std::deque<std::uint32_t> queue;
    std::vector<std::uint32_t> breadth_first{0};
    for (std::uint32_t c = 0; c < class_count_; ++c)
        if (std::uint32_t child = delta_[c]) queue.push_back(child);
    while (!queue.empty()) {
        std::uint32_t s = queue.front();
        queue.pop_front();
        breadth_first.push_back(s);
        State& st = states_[s];
        st.fail = fail[s];
        const State& f = states_[fail[s]];
        st.out_next = f.own_rule != no_rule ? fail[s] : f.out_next;
        outputs[s] = (st.own_rule != no_rule) + (st.out_next ? outputs[st.out_next] : 0);
        most_outputs_ = std::max<std::size_t>(most_outputs_, outputs[s]);
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
    find_overlaps(parent);
    renumber(breadth_first);
}

// States renumbered: the root, then the states where no needle ends, then those where one does,
// each group breadth first; the table's entries become rows (DESIGN.md, "The automaton's layout").
void Matcher::renumber(const std::vector<std::uint32_t>& breadth_first) {
    if (states_.size() > UINT32_MAX / class_count_)
        throw RuleError("too many states for one automaton (" + std::to_string(states_.size()) + "): fewer or shorter find texts");
    std::vector<std::uint32_t> renamed(states_.size());
    std::uint32_t next = 0;
    for (bool outputs : {false, true}) {
        if (outputs) first_output_row_ = next * class_count_;
        for (std::uint32_t s : breadth_first)
            if ((states_[s].out_len != 0) == outputs) renamed[s] = next++;
    }
    std::vector<State> states(states_.size());
    for (std::uint32_t s = 0; s < states_.size(); ++s) {
        State moved = states_[s];
        moved.fail = renamed[moved.fail];
        moved.out_next = renamed[moved.out_next];
        states[renamed[s]] = moved;
    }
    states_ = std::move(states);
    // The table in place (it is most of the memory: no second copy): entries become rows, then
    // the rows move along the cycles of the renumbering, one row carried at a time.
    for (std::uint32_t& next : delta_) next = renamed[next] * class_count_;
    std::vector<bool> placed(renamed.size());
    std::vector<std::uint32_t> carried(class_count_);
    auto row = [&](std::uint32_t s) { return delta_.begin() + static_cast<std::ptrdiff_t>(s) * class_count_; };
    for (std::uint32_t s = 0; s < renamed.size(); ++s) {
        if (placed[s]) continue;
        std::copy(row(s), row(s) + class_count_, carried.begin());  // old row s; slot s is free
        for (std::uint32_t at = renamed[s];; at = renamed[at]) {
            placed[at] = true;
            if (at == s) {
                std::copy(carried.begin(), carried.end(), row(s));
                break;
            }
            std::swap_ranges(carried.begin(), carried.end(), row(at));  // now carrying old row `at`
        }
    }
    class_zeros_ = static_cast<std::uint32_t>(__builtin_ctz(class_count_));
    const std::uint32_t odd = class_count_ >> class_zeros_;
    std::uint32_t inverse = odd;  // Newton's iteration: each step doubles the correct low bits
    for (int i = 0; i < 5; ++i) inverse *= 2 - odd * inverse;
    class_inverse_ = inverse;
}

// For each needle: another term's needle inside it is met on the output chains along its path;
// one whose start is this needle's end lies under a state on its failure chain (a proper suffix
// of it that begins another needle). The terms under each state are summarized bottom-up (a
// child's index is above its parent's) as one term, none or several.
void Matcher::find_overlaps(const std::vector<std::uint32_t>& parent) {
    constexpr std::uint32_t none = UINT32_MAX, several = UINT32_MAX - 1;
    std::vector<std::uint32_t> below(states_.size(), none);
    for (std::size_t s = states_.size(); s-- > 0;) {
        if (states_[s].own_rule != no_rule) {
            const std::uint32_t term = rules_.term(states_[s].own_rule);
            below[s] = below[s] == none || below[s] == term ? term : several;
        }
        if (s == 0) break;
        std::uint32_t& up = below[parent[s]];
        up = up == none || up == below[s] ? below[s] : several;
    }
    auto note = [&](std::uint32_t own_term, std::uint32_t other) {
        if (other == own_term) term_overlaps_itself_ = true;
        else terms_overlap_ = true, term_overlaps_itself_ |= other == several;
    };
    for (std::uint32_t r = 0; r < rules_.size() && !(terms_overlap_ && term_overlaps_itself_); ++r) {
        const std::string& find = rules_.rules()[r].find;
        const std::uint32_t term = rules_.term(r);
        std::uint32_t s = 0;
        for (std::size_t i = 0; i < find.size(); ++i) {
            s = delta_[s * class_count_ + byte_class_[static_cast<unsigned char>(find[i])]];  // not renumbered yet
            const bool last = i + 1 == find.size();
            for (std::uint32_t t = states_[s].own_rule != no_rule && !last ? s : states_[s].out_next; t != 0;
                 t = states_[t].out_next)
                note(term, rules_.term(states_[t].own_rule));
        }
        for (std::uint32_t f = states_[s].fail; f != 0; f = states_[f].fail) note(term, below[f]);
    }
}

}  // namespace elvis
