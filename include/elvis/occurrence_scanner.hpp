// OccurrenceScanner: each term's occurrences, found as if it were the only term.
//
// StreamScanner lets the needles compete (leftmost-longest, one match per byte: what a rewrite
// needs), so `president` hides the `dent` inside it. This scanner reports, for every term, its
// non-overlapping occurrences scanned left to right as if no other term existed (what
// `grep -oF TERM | wc -l` counts); occurrences of different terms may overlap. A term's case
// variants (preserve_case) are the term: they compete with each other only.
//
// Matches come by absolute stream offset, the same for every way of splitting the stream; each
// term's in order, and all in the order they end unless the prefilter's verified needles are
// used (up to Prefilter::max_bucketed_needles find texts), which come in the order they start. Same lifecycle and guarantees as
// StreamScanner: construct (allocates once), feed() and next() until false per chunk, finish()
// until false, reset() for the next stream; none of these allocates. One per thread.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string_view>

#include "elvis/matcher.hpp"
#include "elvis/scanner.hpp"

namespace elvis {

class OccurrenceScanner {
public:
    explicit OccurrenceScanner(const Matcher& matcher);

    // As StreamScanner::reset: `byte_before` precedes the stream for whole-word tests (-1: none).
    void reset(int byte_before = -1);
    // The chunk must stay readable until next() returns false.
    void feed(std::string_view chunk);
    bool next(Match& match);
    // Declares the end of the stream and reports the remaining matches, one per call.
    bool finish(Match& match);

    // Every match still to be reported starts at or after this offset...
    std::uint64_t decided() const {
        const std::uint64_t partial = pos_ - states_[state_].depth;
        return hit_next_ < hit_count_ ? std::min(partial, chunk_base_ + hits_[hit_next_].start) : partial;
    }
    // ...and ends at or after this one.
    std::uint64_t reached() const { return hit_next_ < hit_count_ ? chunk_base_ + hits_[hit_next_].start : pos_; }

    const Matcher& matcher() const { return matcher_; }

private:
    bool word_before(std::uint64_t start) const;
    bool take(Match& match);      // the next output at pos_ (pending_), if it counts
    bool take_hit(Match& match);  // the next of hits_, if it counts
    void keep_tail();
    bool used_up() {
        if (!chunk_kept_) keep_tail();
        return false;
    }
    void arm() { pending_ = states_[state_].own_rule != Matcher::no_rule ? state_ : states_[state_].out_next; }

    const Matcher& matcher_;
    const Matcher::State* states_;
    const RuleSet& rules_;
    bool whole_word_;
    bool use_hits_;

    // Automaton state after every byte before pos_.
    std::uint32_t state_ = 0;
    std::uint64_t pos_ = 0;
    // The needles ending at pos_ not yet considered: a state on the output chain (0: none).
    std::uint32_t pending_ = 0;
    // With whole words, needles ending at pos_ wait for the byte after them.
    bool waiting_for_next_byte_ = false;

    // Per term, where its last reported occurrence ended, plus stream_base_: streams follow each
    // other on one line of offsets, so reset() need not clear every term.
    std::unique_ptr<std::uint64_t[]> counted_until_;
    std::uint64_t stream_base_ = 0;

    std::string_view chunk_;
    std::uint64_t chunk_base_ = 0;
    bool final_ = false;
    int byte_before_ = -1;

    // With whole words: the last bytes of the chunks used up, [tail_end_ - tail_len_, tail_end_),
    // as many as a word test before a needle ending at the next chunk's first byte looks back.
    std::size_t tail_capacity_;
    std::unique_ptr<unsigned char[]> tail_;
    std::size_t tail_len_ = 0;
    std::uint64_t tail_end_ = 0;

    // The prefilter's hits in the chunk (offsets into it): hits_[hit_next_, hit_count_) not yet
    // reported, found from pos_ (at the root) up to hits_resume_.
    std::array<NeedleHit, max_verified_needles> hits_{};
    std::size_t hit_count_ = 0, hit_next_ = 0, hits_resume_ = 0;
    bool chunk_kept_ = true;  // keep_tail() ran for the chunk: its bytes are read from tail_
};

}  // namespace elvis
