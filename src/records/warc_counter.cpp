// WarcCounter: each selected record's payload goes through one StreamCounter stream.
#include "records/warc_counter.hpp"

#include <algorithm>

namespace elvis::detail {

WarcCounter::WarcCounter(const Matcher& terms, Counting counting, const WarcOptions& options, bool per_record)
    : options_(options),
      per_record_(per_record),
      counter_(terms, counting),
      tf_(terms.rules().terms(), 0),
      df_(terms.rules().terms(), 0) {}

void WarcCounter::on_header(const WarcHeader& header) {
    selected_ = warc_selects(options_, header);
    if (!selected_) return;
    counter_.start_stream();
    record_payload_ = 0;
    if (per_record_) uri_.assign(header.target_uri), record_id_.assign(header.record_id);
}

void WarcCounter::on_block(std::string_view bytes, bool payload) {
    if (!selected_ || !payload) return;
    counter_.feed(bytes);
    record_payload_ += bytes.size();
}

void WarcCounter::on_record_end(std::string_view) {
    if (!selected_) return;
    selected_ = false;
    counter_.finish();
    ++records_;
    payload_bytes_ += record_payload_;
    for (std::uint32_t term : counter_.stream_terms()) tf_[term] += counter_.stream_count(term), ++df_[term];
    if (!per_record_ || counter_.stream_terms().empty()) return;
    RecordCounts& record = record_counts_.emplace_back();
    record.uri = uri_;
    record.record_id = record_id_;
    for (std::uint32_t term : counter_.stream_terms()) record.counts.emplace_back(term, counter_.stream_count(term));
    std::sort(record.counts.begin(), record.counts.end());
}

void WarcCounter::finish() {
    try {
        reader_.finish();
    } catch (...) {
        abandon();
        throw;
    }
    reader_.reset();
}

void WarcCounter::abandon() {
    if (selected_) counter_.finish(), selected_ = false;  // ends the scan; its counts are not taken
    reader_.reset();
}

}  // namespace elvis::detail
