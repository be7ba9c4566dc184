// Matcher: rules compiled once into a leftmost-longest automaton plus a prefilter.
//
// The automaton is an Aho-Corasick DFA over byte classes (case folded when matching ignores
// case). Scanning state lives in StreamScanner, so one Matcher may be shared read-only by any
// number of threads and streams.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "elvis/rules.hpp"

namespace elvis {

// Instruction sets the prefilter (src/engine/prefilter.hpp) can use. `best` picks the widest the CPU supports.
enum class Isa { best, avx512, avx2, sse2, scalar };
// Every one `best` may pick, widest first (tests and benchmarks run each the CPU supports).
inline constexpr Isa concrete_isas[] = {Isa::avx512, Isa::avx2, Isa::sse2, Isa::scalar};

// Name of an Isa ("avx2", ...), and whether this CPU can run it.
std::string_view isa_name(Isa isa);
bool isa_supported(Isa isa);

class Prefilter;

// A find text found where it starts: bytes [start, start + length) are needle `needle` (the
// rule's index). What the prefilter hands the scanner.
struct NeedleHit {
    std::size_t start;
    std::uint32_t length;
    std::uint32_t needle;
};
// The most find texts the prefilter compares whole itself; a scanner's batch of hits holds this
// many, all the needles that may start at one position.
inline constexpr std::size_t max_verified_needles = 64;

class Matcher {
public:
    static constexpr std::uint32_t no_rule = UINT32_MAX;

    // Compiles `rules`. Allocates; throws RuleError for invalid rules (see RuleSet).
    explicit Matcher(RuleSet rules, Isa isa = Isa::best);
    ~Matcher();
    Matcher(Matcher&&) noexcept;

    const RuleSet& rules() const { return rules_; }
    const Prefilter& prefilter() const { return *prefilter_; }
    std::size_t state_count() const { return states_.size(); }

    // Whether occurrences of two different terms can overlap: one inside the other, or the end of
    // one the start of the other (RuleSet::term: a case variant is its rule's term). Only then
    // does leftmost-longest shadow a term, so only then does counting each term on its own need
    // every occurrence (OccurrenceScanner) instead of the competition (StreamScanner).
    bool terms_overlap() const { return terms_overlap_; }
    // Whether two occurrences of one term can overlap (`aa` twice in `aaa`; conservative: true
    // also when it cannot be told apart from an overlap with another term).
    bool term_overlaps_itself() const { return term_overlaps_itself_; }
    // The most needles that end at one byte (`abc`, `bc` and `c` all end at the `c` of `abc`).
    std::size_t most_outputs() const { return most_outputs_; }

private:
    friend class StreamScanner;
    friend class OccurrenceScanner;

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
        return state_of(delta_[state * class_count_ + byte_class_[byte]]);
    }

    // The scan loops walk the table by row offset (a state's number times class_count_), so a
    // step is one add and one load (DESIGN.md, "The automaton's layout"); the states where a
    // needle ends come last, so that an offset tells them.
    std::uint32_t row_of(std::uint32_t state) const { return state * class_count_; }
    std::uint32_t state_of(std::uint32_t row) const { return (row >> class_zeros_) * class_inverse_; }
    bool row_has_outputs(std::uint32_t row) const { return row >= first_output_row_; }

    RuleSet rules_;
    std::unique_ptr<const Prefilter> prefilter_;  // behind a pointer: its kernels are internal
    std::uint16_t byte_class_[256] = {};
    std::uint32_t class_count_ = 1;
    std::vector<std::uint32_t> delta_;  // state * class_count_ + class -> the next state's row
    // Rows are exact multiples of class_count_ = 2^class_zeros_ * odd: a row's state is the row
    // shifted right, times the odd part's inverse modulo 2^32.
    std::uint32_t class_zeros_ = 0, class_inverse_ = 1;
    std::uint32_t first_output_row_ = 0;

    void renumber(const std::vector<std::uint32_t>& breadth_first);
    std::vector<State> states_;
    bool terms_overlap_ = false;
    bool term_overlaps_itself_ = false;
    std::size_t most_outputs_ = 0;

    void find_overlaps(const std::vector<std::uint32_t>& parent);
};

}  // namespace elvis
