// StreamScanner: finds leftmost-longest, non-overlapping matches in a stream fed in chunks.
//
// Matches are reported by absolute stream offset. The scanner carries partial matches across
// chunk boundaries itself, so a chunk may be any size from one byte up and the matches found are
// the same for every way of splitting the stream. Bytes that may still belong to a match are
// held over in a fixed array: at most (longest find - 1) bytes, one more with whole-word matching,
// plus one byte of left context for whole-word matching.
//
// Lifecycle: construct (allocates once), then for each chunk: feed(), next() until false; at the
// end of the stream finish() until false; reset() to start another stream. None of feed, next,
// finish, reset or held allocates. Not thread-safe; use one scanner per thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "elvis/matcher.hpp"

namespace elvis {

struct Match {
    std::uint64_t start = 0;  // absolute offset of the first byte
    std::uint64_t end = 0;    // one past the last byte
    std::uint32_t rule = 0;   // index into the rule set
};

class StreamScanner {
public:
    explicit StreamScanner(const Matcher& matcher);

    // Starts a new stream at offset 0. `byte_before` is the byte preceding the stream, for
    // whole-word tests when the stream is a range cut out of a larger one (-1: none).
    void reset(int byte_before = -1);

    // Appends the next chunk of the stream. The chunk must stay readable until next() returns
    // false; bytes of matches already reported may be modified (patched) by the caller meanwhile.
    void feed(std::string_view chunk);

    // Reports the next match that lies within the bytes fed so far and can no longer change.
    // Returns false when the chunk is used up and more input is needed.
    bool next(Match& match);

    // Declares the end of the stream and reports the remaining matches, one per call.
    bool finish(Match& match);

    // Every byte before this offset is decided: it is outside any match still to be reported.
    std::uint64_t decided() const;
    // Offset of the first byte of the current chunk; bytes before it were held over.
    std::uint64_t chunk_start() const { return chunk_base_; }
    // Bytes [from, to) of the stream held over from earlier chunks (to <= chunk_start()).
    // Valid until the next feed(), finish() or reset().
    std::string_view held(std::uint64_t from, std::uint64_t to) const;

    const Matcher& matcher() const { return matcher_; }

private:
    unsigned char byte_at(std::uint64_t offset) const;
    bool word_before(std::uint64_t start) const;
    void consider(std::uint64_t start, std::uint64_t end, std::uint32_t rule);
    template <typename Usable>
    void consider_outputs(std::uint32_t state, std::uint64_t end, Usable usable);
    void consider_word_outputs(bool next_is_word);
    void remember_later(const Match& match);
    void forget_later(std::uint64_t end);
    bool scan(Match& match);
    void commit(Match& match);          // reports the candidate; the next one comes from later_
    void report(const Match& match);    // resumes scanning right after the match
    void hold_tail();
    void forget_hits();

    const Matcher& matcher_;
    const Matcher::State* states_;
    bool whole_word_;
    bool verified_hits_;  // the prefilter compares the needles whole: its hits are the matches

    // Automaton state after consuming every byte before pos_.
    std::uint32_t state_ = 0;
    std::uint64_t pos_ = 0;

    // The best match seen that may still be beaten by an earlier or longer one.
    bool has_candidate_ = false;
    Match candidate_{};

    // Matches seen that start after the candidate, the longest per start, kept so that after a
    // commit the scan goes on from where it is instead of reading the bytes past the match again
    // (with `aaa` and a long `aaa…ab`, that rereading made the time grow with the long needle).
    // All lie within one longest find of the candidate: slot start % later_size_. When more than
    // max_outputs_kept_per_byte needles end at one byte, keeping stops (later_complete_ false)
    // and the bytes past the candidate are read again, so neither many nested needles nor one
    // long one costs more than a constant per byte unless both come together.
    static constexpr std::size_t max_outputs_kept_per_byte = 16;
    bool later_complete_ = true;
    std::size_t later_size_;
    std::unique_ptr<Match[]> later_;    // end == 0: empty
    std::size_t later_count_ = 0;
    std::uint64_t later_from_ = 0;      // no remembered match starts before this

    // Last byte of the last reported match as it was read, before any caller patched it.
    std::uint64_t last_end_ = 0;
    unsigned char last_byte_ = 0;
    int byte_before_ = -1;

    // The current chunk covers [chunk_base_, chunk_base_ + chunk_.size()).
    std::string_view chunk_;
    std::uint64_t chunk_base_ = 0;
    bool chunk_held_ = false;  // hold_tail() already ran for this chunk
    bool final_ = false;

    // Verified hits: matches the prefilter found ahead in the current chunk (offsets into it),
    // hits_[hit_next_, hit_count_) not yet reported; between the scan position and hits_resume_
    // the chunk holds no other match.
    std::array<NeedleHit, max_verified_needles> hits_{};
    std::size_t hit_count_ = 0, hit_next_ = 0, hits_resume_ = 0;

    // held_ covers [held_base_, held_base_ + held_len_) == the bytes held before the chunk;
    // spare_ receives the next held bytes so held() stays valid until the next feed().
    std::size_t hold_capacity_;
    std::unique_ptr<unsigned char[]> held_, spare_;
    std::uint64_t held_base_ = 0;
    std::size_t held_len_ = 0;
    std::uint64_t spare_base_ = 0;
    std::size_t spare_len_ = 0;
};

}  // namespace elvis
