// OccurrenceScanner: the automaton over every byte, stopping only where a needle ends.
#include "elvis/occurrence_scanner.hpp"

#include <cstring>

#include "engine/ascii.hpp"
#include "engine/prefilter.hpp"

namespace elvis {

OccurrenceScanner::OccurrenceScanner(const Matcher& matcher)
    : matcher_(matcher),
      states_(matcher.states_.data()),
      rules_(matcher.rules()),
      whole_word_(matcher.rules().options().whole_word),
      use_hits_(matcher.prefilter().verifies()),
      counted_until_(new std::uint64_t[matcher.rules().terms()]()),
      tail_capacity_(matcher.rules().longest_find() + 1),
      tail_(new unsigned char[tail_capacity_]) {
    reset();
}

void OccurrenceScanner::reset(int byte_before) {
    stream_base_ += pos_;  // every counted_until_ is at most the old base + pos_
    byte_before_ = byte_before;
    state_ = 0;
    pos_ = 0;
    pending_ = 0;
    waiting_for_next_byte_ = false;
    chunk_ = {};
    chunk_base_ = 0;
    final_ = false;
    tail_len_ = 0;
    tail_end_ = 0;
    chunk_kept_ = true;
    hit_count_ = hit_next_ = hits_resume_ = 0;
}

// Keeps the chunk's last bytes for the word tests of the next: when next() has used it up, as the
// caller may reuse its buffer as soon as next() returns false.
void OccurrenceScanner::keep_tail() {
    chunk_kept_ = true;
    if (whole_word_) {
        const std::size_t n = chunk_.size();
        if (n >= tail_capacity_) {
            std::memcpy(tail_.get(), chunk_.data() + n - tail_capacity_, tail_capacity_);
            tail_len_ = tail_capacity_;
        } else {
            const std::size_t keep = std::min(tail_len_, tail_capacity_ - n);
            std::memmove(tail_.get(), tail_.get() + tail_len_ - keep, keep);
            std::memcpy(tail_.get() + keep, chunk_.data(), n);
            tail_len_ = keep + n;
        }
        tail_end_ = chunk_base_ + n;
    }
}

void OccurrenceScanner::feed(std::string_view chunk) {
    if (!chunk_kept_) keep_tail();  // the caller skipped next()
    chunk_base_ += chunk_.size();
    chunk_ = chunk;
    chunk_kept_ = false;
    hit_count_ = hit_next_ = hits_resume_ = 0;
}

bool OccurrenceScanner::word_before(std::uint64_t start) const {
    if (start == 0) return byte_before_ >= 0 && ascii::is_word(static_cast<unsigned char>(byte_before_));
    const std::uint64_t at = start - 1;
    if (!chunk_kept_ && at >= chunk_base_) return ascii::is_word(static_cast<unsigned char>(chunk_[at - chunk_base_]));
    return ascii::is_word(tail_[tail_len_ - (tail_end_ - at)]);
}

bool OccurrenceScanner::take(Match& match) {
    const std::uint32_t t = pending_;
    pending_ = states_[t].out_next;
    const std::uint64_t start = pos_ - states_[t].depth;
    const std::uint32_t rule = states_[t].own_rule;
    std::uint64_t& until = counted_until_[rules_.term(rule)];
    if (stream_base_ + start < until || (whole_word_ && word_before(start))) return false;
    until = stream_base_ + pos_;
    match = {start, pos_, rule};
    return true;
}

bool OccurrenceScanner::take_hit(Match& match) {
    const NeedleHit& hit = hits_[hit_next_++];
    const std::uint64_t start = chunk_base_ + hit.start, end = start + hit.length;
    std::uint64_t& until = counted_until_[rules_.term(hit.needle)];
    if (stream_base_ + start < until) return false;
    until = stream_base_ + end;
    match = {start, end, hit.needle};
    return true;
}

// As StreamScanner::scan, with the prefilter's verified needles: from the root, it finds every
// needle starting before its limit (in start order, which per term is the order they end), and
// the automaton starts again from the root where the prefilter stopped.
bool OccurrenceScanner::next(Match& match) {
    const auto* data = reinterpret_cast<const unsigned char*>(chunk_.data());
    const std::size_t len = chunk_.size();
    const std::uint64_t end = chunk_base_ + len;
    const Prefilter& prefilter = matcher_.prefilter();
    const std::size_t prefilter_limit = use_hits_ ? prefilter.limit(len) : 0;
    for (;;) {
        while (pending_)
            if (take(match)) return true;
        while (hit_next_ < hit_count_)
            if (take_hit(match)) return true;
        if (waiting_for_next_byte_) {
            if (pos_ == end && !final_) return used_up();
            waiting_for_next_byte_ = false;
            if (pos_ == end || !ascii::is_word(data[pos_ - chunk_base_])) arm();
            continue;
        }
        std::size_t i = pos_ - chunk_base_;
        if (i == len) return used_up();  // the outputs at pos_, if any, were taken
        // Locals, so the compiler need not assume the byte reads alias the position or the table.
        const std::uint32_t* delta = matcher_.delta_.data();
        const std::uint16_t* byte_class = matcher_.byte_class_;
        std::uint32_t row = matcher_.row_of(state_);
        bool hits_found = false;
        while (i < len) {
            if (row == 0 && i < prefilter_limit) {
                if (hits_resume_ <= i) {
                    hits_resume_ = prefilter.find_all(data, i, len, hits_.data(), hits_.size(), hit_count_,
                                                      whole_word_ && word_before(chunk_base_ + i));
                    hit_next_ = 0;
                    if (hit_count_) {  // reported before the search goes on from hits_resume_
                        hits_found = true;
                        i = hits_resume_;
                        break;
                    }
                }
                // Every needle starting before hits_resume_ was found; at it, the automaton takes
                // the byte (a position whose needles could not be decided, or not fit in hits_).
                i = hits_resume_;
                if (i >= len) break;
            }
            row = delta[row + byte_class[data[i++]]];
            if (matcher_.row_has_outputs(row)) break;
        }
        pos_ = chunk_base_ + i;
        const std::uint32_t state = state_ = matcher_.state_of(row);
        if (hits_found) continue;
        if (!states_[state].out_len) return used_up();
        if (whole_word_) waiting_for_next_byte_ = true;
        else arm();
    }
}

bool OccurrenceScanner::finish(Match& match) {
    final_ = true;
    return next(match);
}

}  // namespace elvis
