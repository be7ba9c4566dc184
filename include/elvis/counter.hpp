// Counters: how often each rule's find text occurs in a stream, with the rewriter's
// leftmost-longest, non-overlapping semantics, or in how many records it occurs.
//
// Both allocate in their constructors only; feed and finish never allocate. One per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "elvis/matcher.hpp"
#include "elvis/scanner.hpp"

namespace elvis {

// Counts every match.
class StreamCounter {
public:
    explicit StreamCounter(const Matcher& matcher);

    void feed(std::string_view chunk);
    // Ends the stream (counts stay) and readies the counter for the next stream.
    void finish();

    // Per rule, in rule order: matches in all streams so far.
    std::span<const std::uint64_t> counts() const { return counts_; }
    // Matches in the current (or just finished) stream, summed over rules.
    std::uint64_t stream_matches() const { return stream_matches_; }
    void start_stream() { stream_matches_ = 0; }

private:
    StreamScanner scanner_;
    std::vector<std::uint64_t> counts_;
    std::uint64_t stream_matches_ = 0;
};

// The markers of a record: `<TAG` followed by '>', '/' or white space opens it, `</TAG>` closes it.
// Throws RuleError for an empty tag or one containing '<', '>', '/' or white space.
std::vector<Rule> record_markers(std::string_view tag);

// Counts records: a record runs from an opening marker to the next closing marker, and counts
// once for each rule whose find text occurs inside it. Records do not nest: an opening marker
// inside a record is ordinary content. A record left open at the end of a stream is not counted.
class RecordCounter {
public:
    // `markers` must be built from record_markers(tag) and outlive the counter, like `terms`.
    RecordCounter(const Matcher& terms, const Matcher& markers);

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

    void drain(bool final);
    void on_term(const Match& term);
    void on_marker(const Match& marker);

    StreamScanner terms_, markers_;
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
