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

}  // namespace elvis
