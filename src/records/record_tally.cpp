// RecordTally: each record's content goes through one StreamCounter stream.
#include "records/record_tally.hpp"

#include <algorithm>

namespace elvis::detail {

RecordTally::RecordTally(const Matcher& terms, Counting counting, bool per_record)
    : per_record_(per_record), counter_(terms, counting), tf_(terms.rules().terms(), 0), df_(terms.rules().terms(), 0) {}

void RecordTally::on_record_begin(std::string_view uri, std::string_view id) {
    counter_.start_stream();
    open_ = true;
    record_bytes_ = 0;
    if (per_record_) uri_.assign(uri), record_id_.assign(id);
}

void RecordTally::on_content(std::string_view bytes) {
    counter_.feed(bytes);
    record_bytes_ += bytes.size();
}

void RecordTally::on_record_end() {
    open_ = false;
    counter_.finish();
    ++records_;
    content_bytes_ += record_bytes_;
    for (std::uint32_t term : counter_.stream_terms()) tf_[term] += counter_.stream_count(term), ++df_[term];
    if (!per_record_ || counter_.stream_terms().empty()) return;
    RecordCounts& record = record_counts_.emplace_back();
    record.uri = uri_;
    record.record_id = record_id_;
    for (std::uint32_t term : counter_.stream_terms()) record.counts.emplace_back(term, counter_.stream_count(term));
    std::sort(record.counts.begin(), record.counts.end());
}

void RecordTally::on_record_dropped() {
    if (open_) counter_.finish(), open_ = false;  // ends the scan; its counts are not taken
}

}  // namespace elvis::detail
