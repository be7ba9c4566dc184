// Counters over the stream scanner.
#include "elvis/counter.hpp"

namespace elvis {

StreamCounter::StreamCounter(const Matcher& matcher)
    : scanner_(matcher), counts_(matcher.rules().size(), 0) {}

void StreamCounter::feed(std::string_view chunk) {
    scanner_.feed(chunk);
    Match match;
    while (scanner_.next(match)) ++counts_[match.rule], ++stream_matches_;
}

void StreamCounter::finish() {
    Match match;
    while (scanner_.finish(match)) ++counts_[match.rule], ++stream_matches_;
    scanner_.reset();
}

std::vector<Rule> record_markers(std::string_view tag) {
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
      counts_(terms.rules().size(), 0),
      seen_(new bool[terms.rules().size()]()) {
    seen_list_.reserve(terms.rules().size());
}

void RecordCounter::feed(std::string_view chunk) {
    terms_.feed(chunk);
    markers_.feed(chunk);
    drain(false);
}

void RecordCounter::finish() {
    drain(true);
    in_record_ = false;
    for (std::uint32_t rule : seen_list_) seen_[rule] = false;
    seen_list_.clear();
    terms_.reset();
    markers_.reset();
}

bool RecordCounter::pull_term(bool final) {
    if (!has_term_) has_term_ = final ? terms_.finish(term_) : terms_.next(term_);
    return has_term_;
}

bool RecordCounter::pull_marker(bool final) {
    if (!has_marker_) has_marker_ = final ? markers_.finish(marker_) : markers_.next(marker_);
    return has_marker_;
}

// Takes term and marker matches in start order (a term first on a tie). When one scanner has
// no match ready, its future matches start at or after its decided() offset, which says whether
// the other side's match may go first or must wait for more input.
void RecordCounter::drain(bool final) {
    for (;;) {
        const bool term = pull_term(final);
        const bool marker = pull_marker(final);
        bool take_term = false;
        if (term && marker) take_term = term_.start < marker_.start;
        else if (term) take_term = final || term_.start < markers_.decided();
        else if (marker) take_term = false;
        else return;
        if (take_term) {
            if (in_record_ && term_.start >= record_start_ && !seen_[term_.rule]) {
                seen_[term_.rule] = true;
                seen_list_.push_back(term_.rule);
            }
            has_term_ = false;
        } else if (marker && (term || final || marker_.start <= terms_.decided())) {
            on_marker(marker_);
            has_marker_ = false;
        } else {
            return;
        }
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
