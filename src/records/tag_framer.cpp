// TagFramer: the markers' matches decide where records are; the bytes between come from the
// chunk, or from the scanner's hold-over for those of an earlier chunk (as StreamRewriter
// writes them).
#include "records/tag_framer.hpp"

#include <algorithm>

namespace elvis::detail {

TagFramer::TagFramer(const Matcher& markers, RecordHandler& handler)
    : markers_(markers), open_rules_(markers.rules().size() - 1), handler_(handler) {}

void TagFramer::feed(std::string_view chunk) {
    chunk_ = chunk;
    markers_.feed(chunk);
    for (Match marker; markers_.next(marker);) on_marker(marker);
    if (in_record_) content_until(markers_.decided());
}

void TagFramer::finish() {
    for (Match marker; markers_.finish(marker);) on_marker(marker);
    chunk_ = {};
    if (in_record_) handler_.on_record_dropped();
    reset();
}

void TagFramer::abandon() {
    if (in_record_) handler_.on_record_dropped();
    reset();
}

void TagFramer::reset() {
    markers_.reset();
    chunk_ = {};
    in_record_ = false;
    content_at_ = 0;
}

void TagFramer::on_marker(const Match& marker) {
    if (marker.rule < open_rules_) {
        if (in_record_) return;  // records do not nest
        in_record_ = true;
        content_at_ = marker.end;
        handler_.on_record_begin({}, {});
        return;
    }
    if (!in_record_) return;
    content_until(marker.start);
    in_record_ = false;
    handler_.on_record_end();
}

void TagFramer::content_until(std::uint64_t to) {
    if (to <= content_at_) return;
    const std::uint64_t base = markers_.chunk_start();
    if (content_at_ < base) {
        const std::uint64_t held_end = std::min(to, base);
        handler_.on_content(markers_.held(content_at_, held_end));
        content_at_ = held_end;
    }
    if (to > content_at_) handler_.on_content(chunk_.substr(content_at_ - base, to - content_at_));
    content_at_ = to;
}

}  // namespace elvis::detail
