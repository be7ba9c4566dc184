// Counters over the stream scanner.
#include "elvis/counter.hpp"

#include <cassert>

namespace elvis {

StreamCounter::StreamCounter(const Matcher& matcher)
    : scanner_(matcher), counts_(matcher.rules().terms(), 0) {}

void StreamCounter::feed(std::string_view chunk) {
    scanner_.feed(chunk);
    Match match;
    while (scanner_.next(match)) ++counts_[scanner_.matcher().rules().term(match.rule)], ++stream_matches_;
}

void StreamCounter::finish() {
    Match match;
    while (scanner_.finish(match)) ++counts_[scanner_.matcher().rules().term(match.rule)], ++stream_matches_;
    scanner_.reset();
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

RecordCounter::RecordCounter(const Matcher& terms, const Matcher& markers)
    : terms_(terms),
      markers_(markers),
      open_rules_(markers.rules().size() - 1),
      counts_(terms.rules().terms(), 0),
      seen_(new bool[terms.rules().terms()]()),
      term_queue_(markers.rules().longest_find() + 1),
      marker_queue_(terms.rules().longest_find() + 1) {
    seen_list_.reserve(terms.rules().terms());
}

void RecordCounter::feed(std::string_view chunk) {
    terms_.feed(chunk);
    markers_.feed(chunk);
    drain(false);
}

void RecordCounter::finish() {
    drain(true);
    term_queue_.clear();
    marker_queue_.clear();
    in_record_ = false;
    for (std::uint32_t rule : seen_list_) seen_[rule] = false;
    seen_list_.clear();
    terms_.reset();
    markers_.reset();
}

// Runs both scanners over the whole chunk (a scanner must use up its chunk before the next
// feed) and takes their matches in start order, a marker first on a tie (a term that starts
// where </TAG> starts is not inside the record). A match waits in its
// queue while the other scanner may still report something that starts before it: that
// scanner's future matches start at or after its decided() offset, so at a chunk's end at most
// (its longest find text) matches can be waiting, which is what the queues hold.
void RecordCounter::drain(bool final) {
    bool terms_done = false, markers_done = false;
    for (;;) {
        Match m;
        bool progressed = false;
        while (!terms_done && !term_queue_.full()) {
            if (final ? terms_.finish(m) : terms_.next(m)) term_queue_.push(m), progressed = true;
            else terms_done = true;
        }
        while (!markers_done && !marker_queue_.full()) {
            if (final ? markers_.finish(m) : markers_.next(m)) marker_queue_.push(m), progressed = true;
            else markers_done = true;
        }
        for (;; progressed = true) {
            const bool term = !term_queue_.empty(), marker = !marker_queue_.empty();
            if (term && (marker ? term_queue_.front().start < marker_queue_.front().start
                                : markers_done && (final || term_queue_.front().start < markers_.decided()))) {
                on_term(term_queue_.front());
                term_queue_.pop();
            } else if (marker && (term || (terms_done && (final || marker_queue_.front().start <= terms_.decided())))) {
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
    const std::uint32_t counted = terms_.matcher().rules().term(term.rule);
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
