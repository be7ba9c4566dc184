// StreamScanner: the leftmost-longest scan loop and the held-over bytes between chunks.
#include "elvis/scanner.hpp"

#include <cassert>
#include <cstring>
#include <utility>

#include "engine/ascii.hpp"
#include "engine/prefilter.hpp"

namespace elvis {

StreamScanner::StreamScanner(const Matcher& matcher)
    : matcher_(matcher),
      states_(matcher.states_.data()),
      whole_word_(matcher.rules().options().whole_word),
      verified_hits_(matcher.prefilter().verifies()),
      later_size_(matcher.rules().longest_find() + 1),
      later_(new Match[later_size_]),
      hold_capacity_(matcher.rules().longest_find() + 2),
      held_(new unsigned char[hold_capacity_]),
      spare_(new unsigned char[hold_capacity_]) {
    reset();
}

void StreamScanner::reset(int byte_before) {
    byte_before_ = byte_before;
    state_ = 0;
    pos_ = 0;
    has_candidate_ = false;
    forget_later(UINT64_MAX);
    later_complete_ = true;
    last_end_ = 0;
    chunk_ = {};
    chunk_base_ = 0;
    chunk_held_ = true;
    final_ = false;
    held_base_ = spare_base_ = 0;
    held_len_ = spare_len_ = 0;
    forget_hits();
}

void StreamScanner::forget_hits() {
    hit_count_ = hit_next_ = 0;
    hits_resume_ = 0;
}

void StreamScanner::feed(std::string_view chunk) {
    assert(chunk_held_ && "next() must return false before the next feed()");
    std::swap(held_, spare_);
    held_base_ = spare_base_;
    held_len_ = spare_len_;
    chunk_base_ += chunk_.size();
    chunk_ = chunk;
    chunk_held_ = false;
    forget_hits();
}

bool StreamScanner::next(Match& match) {
    // Hits found ahead are the next matches: scan() stops at the root before each of them and only
    // leaves the root past the last one. So the next is reported without the way through scan(),
    // which on dense text (one `elvis` per 290 bytes) cost as much as the search.
    if (hit_next_ < hit_count_) {
        assert(state_ == 0 && !has_candidate_ && pos_ >= chunk_base_ && hits_[hit_next_].start >= pos_ - chunk_base_);
        const Prefilter::Hit& hit = hits_[hit_next_++];
        match = {chunk_base_ + hit.start, chunk_base_ + hit.start + hit.length, hit.needle};
        report(match);
        return true;
    }
    if (scan(match)) return true;
    if (!chunk_held_) {
        hold_tail();
        chunk_held_ = true;
    }
    return false;
}

bool StreamScanner::finish(Match& match) {
    if (!final_) {
        if (!chunk_held_) {
            // The caller skipped next(): drain the chunk first so nothing is lost.
            if (next(match)) return true;
        }
        feed({});
        chunk_held_ = true;
        final_ = true;
    }
    if (scan(match)) return true;
    if (whole_word_ && states_[state_].out_len) consider_word_outputs(false);
    if (has_candidate_) {
        commit(match);
        return true;
    }
    return false;
}

std::uint64_t StreamScanner::decided() const {
    std::uint64_t partial = pos_ - states_[state_].depth;
    return has_candidate_ && candidate_.start < partial ? candidate_.start : partial;
}

std::string_view StreamScanner::held(std::uint64_t from, std::uint64_t to) const {
    assert(from >= held_base_ && to <= held_base_ + held_len_ && from <= to);
    return {reinterpret_cast<const char*>(held_.get()) + (from - held_base_), to - from};
}

inline unsigned char StreamScanner::byte_at(std::uint64_t offset) const {
    if (offset >= chunk_base_) return static_cast<unsigned char>(chunk_[offset - chunk_base_]);
    assert(offset >= held_base_);
    return held_[offset - held_base_];
}

bool StreamScanner::word_before(std::uint64_t start) const {
    if (start == 0) return byte_before_ >= 0 && ascii::is_word(static_cast<unsigned char>(byte_before_));
    // The caller may have patched the last reported match; judge by the byte as it was read.
    if (start == last_end_) return ascii::is_word(last_byte_);
    return ascii::is_word(byte_at(start - 1));
}

void StreamScanner::consider(std::uint64_t start, std::uint64_t end, std::uint32_t rule) {
    // The candidate stays unless the new match starts earlier, or starts with it and is longer
    // (either way the new one ends later and covers the old). A match starting after the
    // candidate's end is kept for when the candidate has been reported; one starting inside it
    // can never be reported.
    const Match found{start, end, rule};
    if (!has_candidate_ || start < candidate_.start || (start == candidate_.start && end > candidate_.end)) {
        candidate_ = found;
        has_candidate_ = true;
    } else if (start >= candidate_.end && later_complete_) {
        remember_later(found);
    }
}

void StreamScanner::remember_later(const Match& match) {
    Match& slot = later_[match.start % later_size_];
    assert(slot.end == 0 || slot.start == match.start);
    if (slot.end == 0) {
        slot = match;
        if (later_count_++ == 0 || match.start < later_from_) later_from_ = match.start;
    } else if (match.end > slot.end) {
        slot = match;
    }
}

// The needles ending at `end`, longest (earliest) first, that pass `usable` (whole-word tests).
// Past the first, only those after the candidate matter; when many end at one byte (needles
// that are suffixes of each other), keeping them all would cost more than reading the bytes
// past the candidate again, so the scanner stops keeping and will read them again.
template <typename Usable>
void StreamScanner::consider_outputs(std::uint32_t state, std::uint64_t end, Usable usable) {
    const Matcher::State& here = states_[state];
    std::size_t steps = 0;
    for (std::uint32_t t = here.own_rule != Matcher::no_rule ? state : here.out_next; t != 0; t = states_[t].out_next) {
        const std::uint64_t start = end - states_[t].depth;
        const bool first = !has_candidate_;
        if (usable(start)) {
            consider(start, end, states_[t].own_rule);
            // A new candidate covers the rest; not keeping, the first usable one is all we need.
            if (!later_complete_ || (candidate_.start == start && candidate_.end == end)) return;
        }
        if (!first && ++steps > max_outputs_kept_per_byte) {
            later_complete_ = false;
            return;
        }
    }
}

// Whole-word matching judges the needles ending at pos_ once the byte after them is known.
void StreamScanner::consider_word_outputs(bool next_is_word) {
    if (next_is_word) return;
    consider_outputs(state_, pos_, [&](std::uint64_t start) { return !word_before(start); });
}

// The scan loop, in one function on purpose: its fast path (automaton steps and prefilter jumps
// from the root) and its slow path (candidates, whole-word tests, held-over bytes) share the
// state it keeps in locals, which helper calls would force back to memory on every byte
// (DESIGN.md, "Leftmost-longest, and why").
bool StreamScanner::scan(Match& match) {
    const auto* data = reinterpret_cast<const unsigned char*>(chunk_.data());
    const std::size_t len = chunk_.size();
    const std::uint64_t base = chunk_base_;
    const std::uint64_t end = base + len;
    const Prefilter& prefilter = matcher_.prefilter();
    const std::size_t prefilter_limit = prefilter.enabled() ? prefilter.limit(len) : 0;
    const Matcher::State* states = states_;
    const std::uint32_t* delta = matcher_.delta_.data();
    const std::uint16_t* byte_class = matcher_.byte_class_;

    // No match can start before the current partial match, so an earlier candidate is final;
    // one that starts with it is final when nothing can extend it (with whole words, a leaf's
    // own needle still waits for the byte after it).
    auto candidate_is_final = [&](std::uint64_t pos, const Matcher::State& here) {
        const std::uint64_t partial_start = pos - here.depth;
        return partial_start > candidate_.start ||
               (partial_start == candidate_.start && here.leaf && !whole_word_);
    };

    // A candidate remembered from before the last commit may be final already.
    if (has_candidate_ && candidate_is_final(pos_, states[state_])) {
        commit(match);
        return true;
    }
    // Locals, so the compiler need not assume the byte reads alias them.
    std::uint64_t pos = pos_;
    std::uint32_t state = state_;
    while (pos < end) {
        if (!has_candidate_ && pos >= base && states[state].out_len == 0) {
            // Fast path: no candidate and no needle ending here, so only the automaton moves,
            // and from the root the prefilter jumps to the next place a needle may start.
            std::size_t i = pos - base;
            bool at_output = false;
            std::uint32_t row = matcher_.row_of(state);
            while (i < len) {
                if (row == 0 && i < prefilter_limit) {
                    if (verified_hits_) {
                        // The prefilter compares the needles whole (and their word edges), a
                        // batch of hits at a time: nothing longer starts at a hit and nothing
                        // earlier is pending, so each is final. It goes straight to `match`: a
                        // trip through candidate_ stalls the store buffer.
                        assert(hit_next_ == hit_count_);  // next() hands out the hits found ahead
                        if (hits_resume_ <= i) {
                            hits_resume_ = prefilter.find_each(data, i, len, hits_.data(), hits_.size(), hit_count_,
                                                               whole_word_ && word_before(base + i));
                            hit_next_ = 0;
                        }
                        if (hit_next_ < hit_count_) {
                            const Prefilter::Hit& hit = hits_[hit_next_++];
                            match = {base + hit.start, base + hit.start + hit.length, hit.needle};
                            report(match);
                            return true;
                        }
                        i = hits_resume_;  // no hit in between
                        if (i >= len) break;
                    } else {
                        i = prefilter.find(data, i, len);
                        if (i == len) break;
                    }
                }
                row = delta[row + byte_class[data[i++]]];
                if (matcher_.row_has_outputs(row)) {
                    at_output = true;
                    break;
                }
            }
            state = matcher_.state_of(row);
            pos = base + i;
            if (at_output && !whole_word_) {
                const Matcher::State& here = states[state];
                // Shorter needles ending here lie inside this one: whatever is reported instead
                // of it covers them too.
                consider(pos - here.out_len, pos, here.out_rule);
                if (candidate_is_final(pos, here)) {
                    pos_ = pos;
                    state_ = state;
                    commit(match);
                    return true;
                }
            }
            continue;
        }
        // Slow path, one byte: candidates, whole-word tests, or bytes held over from the last chunk.
        const unsigned char byte = pos >= base ? data[pos - base] : byte_at(pos);
        if (whole_word_ && states[state].out_len) {
            pos_ = pos;
            state_ = state;
            consider_word_outputs(ascii::is_word(byte));
        }
        state = matcher_.step(state, byte);
        ++pos;
        const Matcher::State& here = states[state];
        if (!whole_word_ && here.out_len) consider_outputs(state, pos, [](std::uint64_t) { return true; });
        if (has_candidate_ && candidate_is_final(pos, here)) {
            pos_ = pos;
            state_ = state;
            commit(match);
            return true;
        }
    }
    pos_ = pos;
    state_ = state;
    return false;
}

void StreamScanner::commit(Match& match) {
    match = candidate_;
    has_candidate_ = false;
    if (!later_complete_) {
        // Too many matches to keep went by: read the bytes after the match again.
        later_complete_ = true;
        forget_later(UINT64_MAX);
        report(match);
        return;
    }
    last_end_ = match.end;
    last_byte_ = byte_at(match.end - 1);
    // Scanning goes on from pos_, past the match: the partial match in state_ keeps only the
    // part after the match, and the next candidate is the first remembered match after it.
    while (pos_ - states_[state_].depth < match.end) state_ = states_[state_].fail;
    forget_later(match.end);
}

// Drops the remembered matches starting before `end`; the first one after becomes the candidate.
void StreamScanner::forget_later(std::uint64_t end) {
    for (std::uint64_t start = later_from_; later_count_ > 0; ++start) {
        Match& slot = later_[start % later_size_];
        if (slot.end == 0 || slot.start != start) continue;
        const Match found = slot;
        slot = Match{};
        --later_count_;
        if (start >= end) {
            candidate_ = found;
            has_candidate_ = true;
            later_from_ = start + 1;
            return;
        }
    }
}

void StreamScanner::report(const Match& match) {
    last_end_ = match.end;
    last_byte_ = byte_at(match.end - 1);
    // Scanning resumes right after the match, from a fresh state: a verified hit had nothing
    // read past it, and a commit that kept no later matches reads those bytes again.
    state_ = 0;
    pos_ = match.end;
}

void StreamScanner::hold_tail() {
    std::uint64_t from = decided();
    if (whole_word_ && from > 0) --from;  // left context for the next match's word test
    const std::uint64_t end = chunk_base_ + chunk_.size();
    assert(end - from <= hold_capacity_);
    spare_base_ = from;
    spare_len_ = end - from;
    std::size_t n = 0;
    if (from < chunk_base_) {
        n = chunk_base_ - from;
        std::memcpy(spare_.get(), held_.get() + (from - held_base_), n);
        from = chunk_base_;
    }
    std::memcpy(spare_.get() + n, chunk_.data() + (from - chunk_base_), end - from);
}

}  // namespace elvis
