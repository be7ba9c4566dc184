// Counters: how often each term occurs in a stream, or in how many records it occurs.
//
// Both allocate in their constructors only; feed and finish never allocate. One per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "elvis/matcher.hpp"
#include "elvis/occurrence_scanner.hpp"
#include "elvis/scanner.hpp"

namespace elvis {

// What a term's count means.
enum class Counting {
    // Each term on its own: its non-overlapping occurrences as if it were the only term
    // (OccurrenceScanner), so `president` and `dent` are both counted in `president`.
    each_term,
    // The filter's competition: what a rewrite would replace, per rule (StreamScanner's
    // leftmost-longest), so `president` hides `dent`.
    exclusive,
};

// Counts every match.
class StreamCounter {
public:
    explicit StreamCounter(const Matcher& matcher, Counting counting = Counting::each_term);

    void feed(std::string_view chunk);
    // Ends the stream (counts stay) and readies the counter for the next stream.
    void finish();

    // Per rule, in rule order: matches in all streams so far.
    std::span<const std::uint64_t> counts() const { return counts_; }
    // Matches in the current (or just finished) stream, summed over rules.
    std::uint64_t stream_matches() const { return stream_matches_; }
    // The terms counted in the current (or just finished) stream, each once, in the order of
    // their first match, and each one's count there: a stream's counts in the time its matches
    // take, however many terms there are (WARC records are such streams).
    std::span<const std::uint32_t> stream_terms() const { return stream_terms_; }
    std::uint64_t stream_count(std::uint32_t term) const { return stream_counts_[term]; }
    void start_stream();

private:
    template <class Scanner>
    void count(Scanner& scanner, bool final);

    // One of the two: the competition gives each term's own count too when terms cannot overlap
    // (Matcher::terms_overlap), and it has the prefilter.
    std::optional<StreamScanner> exclusive_;
    std::optional<OccurrenceScanner> each_term_;
    std::vector<std::uint64_t> counts_;
    std::uint64_t stream_matches_ = 0;
    std::vector<std::uint64_t> stream_counts_;
    std::vector<std::uint32_t> stream_terms_;  // reserved to the number of terms: never reallocates
};

// Whether counting with `counting` needs OccurrenceScanner (otherwise StreamScanner's matches
// are the counts).
inline bool needs_occurrences(const Matcher& matcher, Counting counting) {
    return counting == Counting::each_term && matcher.terms_overlap();
}

// The markers of a record: `<TAG` followed by '>', '/' or white space opens it, `</TAG>` closes it.
// Throws RuleError for an empty tag or one containing '<', '>', '/' or white space.
std::vector<Rule> record_markers(std::string_view tag);

// Counts records: a record runs from an opening marker to the next closing marker, and counts
// once for each term that occurs inside it. Records do not nest: an opening marker inside a
// record is ordinary content. A record left open at the end of a stream is not counted. With
// Counting::each_term an occurrence is inside when it lies between the markers; exclusive, when
// it starts between them (a match of the competition may run into the closing marker).
class RecordCounter {
public:
    // `markers` must be built from record_markers(tag) and outlive the counter, like `terms`.
    RecordCounter(const Matcher& terms, const Matcher& markers, Counting counting = Counting::each_term);

    void feed(std::string_view chunk);
    void finish();

    // Per rule: records containing the rule's find text, over all streams so far.
    std::span<const std::uint64_t> counts() const { return counts_; }
    std::uint64_t records() const { return records_; }

private:
    // Matches taken from one scanner that wait for the other scanner to decide their place.
    // Capacity: at most (the other side's longest find) of them can wait at a chunk's end.
    class MatchQueue {
    public:
        explicit MatchQueue(std::size_t capacity) : slots_(new Match[capacity]), capacity_(capacity) {}
        bool empty() const { return count_ == 0; }
        bool full() const { return count_ == capacity_; }
        const Match& front() const { return slots_[head_]; }
        void push(const Match& m) { slots_[(head_ + count_++) % capacity_] = m; }
        void pop() { head_ = (head_ + 1) % capacity_, --count_; }
        void clear() { head_ = count_ = 0; }

    private:
        std::unique_ptr<Match[]> slots_;
        std::size_t capacity_, head_ = 0, count_ = 0;
    };

    template <bool by_end, class Scanner>
    void drain(Scanner& terms, bool final);
    void on_term(const Match& term);
    void on_marker(const Match& marker);

    std::optional<StreamScanner> exclusive_;  // one of the two, as in StreamCounter
    std::optional<OccurrenceScanner> each_term_;
    const RuleSet& rules_;
    bool by_end_;  // each term on its own: a term is inside a record when it ends before </TAG>
    StreamScanner markers_;
    std::size_t open_rules_;  // markers_ rules below this index open a record; the rest close one
    std::vector<std::uint64_t> counts_;
    std::unique_ptr<bool[]> seen_;  // per rule: occurs in the open record
    std::vector<std::uint32_t> seen_list_;  // reserved to the rule count: never reallocates
    bool in_record_ = false;
    std::uint64_t record_start_ = 0;
    std::uint64_t records_ = 0;
    MatchQueue term_queue_, marker_queue_;
};

}  // namespace elvis
