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
// record is ordinary content. A record left open at the end of a stream is not counted. A
// record's content (the bytes between its markers) is a stream of its own, as a WARC record's
// payload is: no match spans a marker (DESIGN.md, "Records").
class RecordCounter {
public:
    // `markers` must be built from record_markers(tag) and outlive the counter, like `terms`.
    RecordCounter(const Matcher& terms, const Matcher& markers, Counting counting = Counting::each_term);
    ~RecordCounter();
    RecordCounter(const RecordCounter&) = delete;
    RecordCounter& operator=(const RecordCounter&) = delete;

    void feed(std::string_view chunk);
    void finish();

    // Per rule: records containing the rule's find text, over all streams so far.
    std::span<const std::uint64_t> counts() const;
    std::uint64_t records() const;

private:
    struct Framing;  // src/records/: the framer and the tally
    std::unique_ptr<Framing> framing_;
};

}  // namespace elvis
