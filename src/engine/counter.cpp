// Counters over the stream scanner.
#include "elvis/counter.hpp"

#include <algorithm>
#include <cassert>
#include <type_traits>

namespace elvis {

StreamCounter::StreamCounter(const Matcher& matcher, Counting counting)
    : counts_(matcher.rules().terms(), 0), stream_counts_(matcher.rules().terms(), 0) {
    if (needs_occurrences(matcher, counting)) each_term_.emplace(matcher);
    else exclusive_.emplace(matcher);
    stream_terms_.reserve(matcher.rules().terms());
}

void StreamCounter::start_stream() {
    stream_matches_ = 0;
    for (std::uint32_t term : stream_terms_) stream_counts_[term] = 0;
    stream_terms_.clear();
}

template <class Scanner>
void StreamCounter::count(Scanner& scanner, bool final) {
    const RuleSet& rules = scanner.matcher().rules();
    Match match;
    while (final ? scanner.finish(match) : scanner.next(match)) {
        const std::uint32_t term = rules.term(match.rule);
        ++counts_[term], ++stream_matches_;
        if (stream_counts_[term]++ == 0) stream_terms_.push_back(term);
    }
    if (final) scanner.reset();
}

void StreamCounter::feed(std::string_view chunk) {
    if (each_term_) each_term_->feed(chunk), count(*each_term_, false);
    else exclusive_->feed(chunk), count(*exclusive_, false);
}

void StreamCounter::finish() {
    if (each_term_) count(*each_term_, true);
    else count(*exclusive_, true);
}

std::vector<Rule> record_markers(std::string_view tag) {
    if (tag.empty() || tag.find_first_of("<>/ \t\r\n") != std::string_view::npos)
        throw RuleError("invalid record tag '" + std::string(tag) + "' (a tag name such as item, without <, >, / or spaces)");
    std::vector<Rule> markers;
    for (char after : {'>', '/', ' ', '\t', '\n', '\r'}) {
        std::string open(1, '<');
        open.append(tag).push_back(after);
        markers.push_back({std::move(open), {}});
    }
    std::string close("</");
    close.append(tag).push_back('>');
    markers.push_back({std::move(close), {}});
    return markers;
}

// Terms wait in their queue for the markers to be decided: with every occurrence reported, as
// many as end at one byte (Matcher::most_outputs) for each byte a marker may still span.
RecordCounter::RecordCounter(const Matcher& terms, const Matcher& markers, Counting counting)
    : rules_(terms.rules()),
      by_end_(counting == Counting::each_term),
      markers_(markers),
      open_rules_(markers.rules().size() - 1),
      counts_(terms.rules().terms(), 0),
      seen_(new bool[terms.rules().terms()]()),
      term_queue_((markers.rules().longest_find() + 1) *
                  (needs_occurrences(terms, counting) ? std::max<std::size_t>(1, terms.most_outputs()) : 1)),
      marker_queue_(terms.rules().longest_find() + 1) {
    if (needs_occurrences(terms, counting)) each_term_.emplace(terms, true);
    else exclusive_.emplace(terms);
    seen_list_.reserve(terms.rules().terms());
}

void RecordCounter::feed(std::string_view chunk) {
    markers_.feed(chunk);
    if (each_term_) each_term_->feed(chunk), drain<true>(*each_term_, false);
    else if (by_end_) exclusive_->feed(chunk), drain<true>(*exclusive_, false);
    else exclusive_->feed(chunk), drain<false>(*exclusive_, false);
}

void RecordCounter::finish() {
    if (each_term_) drain<true>(*each_term_, true), each_term_->reset();
    else if (by_end_) drain<true>(*exclusive_, true), exclusive_->reset();
    else drain<false>(*exclusive_, true), exclusive_->reset();
    term_queue_.clear();
    marker_queue_.clear();
    in_record_ = false;
    for (std::uint32_t rule : seen_list_) seen_[rule] = false;
    seen_list_.clear();
    markers_.reset();
}

// Runs both scanners over the whole chunk (a scanner must use up its chunk before the next
// feed) and takes their matches in order, a marker first on a tie (a term that starts where
// </TAG> starts is not inside the record): exclusive, by where a term starts; each term on its
// own, by where it ends (occurrences come in that order; the competition's matches, which do not
// overlap, too) against where a marker starts. A match waits in its queue while the other
// scanner may still report something that goes before it: that scanner's future matches start
// at or after its decided() offset (and end after it, or at or after an OccurrenceScanner's
// reached()), so at a chunk's end only matches within one longest find text of its end can be
// waiting, which is what the queues hold.
template <bool by_end, class Scanner>
void RecordCounter::drain(Scanner& terms, bool final) {
    auto term_first = [](const Match& term, const Match& marker) {
        return by_end ? term.end <= marker.start : term.start < marker.start;
    };
    auto term_settled = [&](const Match& term) {
        return by_end ? term.end <= markers_.decided() : term.start < markers_.decided();
    };
    auto marker_settled = [&](const Match& marker) {
        if constexpr (std::is_same_v<Scanner, OccurrenceScanner>) return marker.start < terms.reached();
        else return marker.start <= terms.decided();
    };
    bool terms_done = false, markers_done = false;
    for (;;) {
        Match m;
        bool progressed = false;
        while (!terms_done && !term_queue_.full()) {
            if (final ? terms.finish(m) : terms.next(m)) term_queue_.push(m), progressed = true;
            else terms_done = true;
        }
        while (!markers_done && !marker_queue_.full()) {
            if (final ? markers_.finish(m) : markers_.next(m)) marker_queue_.push(m), progressed = true;
            else markers_done = true;
        }
        for (;; progressed = true) {
            const bool term = !term_queue_.empty(), marker = !marker_queue_.empty();
            if (term && (marker ? term_first(term_queue_.front(), marker_queue_.front())
                                : markers_done && (final || term_settled(term_queue_.front())))) {
                on_term(term_queue_.front());
                term_queue_.pop();
            } else if (marker && (term || (terms_done && (final || marker_settled(marker_queue_.front()))))) {
                on_marker(marker_queue_.front());
                marker_queue_.pop();
            } else {
                break;
            }
        }
        if (terms_done && markers_done) return;
        assert(progressed && "a match queue is too small for the matches that can wait");
        if (!progressed) return;
    }
}

void RecordCounter::on_term(const Match& term) {
    const std::uint32_t counted = rules_.term(term.rule);
    if (in_record_ && term.start >= record_start_ && !seen_[counted]) {
        seen_[counted] = true;
        seen_list_.push_back(counted);
    }
}

void RecordCounter::on_marker(const Match& marker) {
    if (marker.rule < open_rules_) {
        if (!in_record_) in_record_ = true, record_start_ = marker.end;
        return;
    }
    if (!in_record_) return;
    ++records_;
    for (std::uint32_t rule : seen_list_) {
        ++counts_[rule];
        seen_[rule] = false;
    }
    seen_list_.clear();
    in_record_ = false;
}

}  // namespace elvis
