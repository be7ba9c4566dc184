// RecordTally: counts terms in records, each record's content a stream of its own: tf
// (occurrences), df (records containing the term), records, content bytes, and, when asked, each
// record's counts (--per-record). Only complete records count.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "elvis/corpus_count.hpp"
#include "elvis/counter.hpp"
#include "records/record_framing.hpp"

namespace elvis::detail {

class RecordTally final : public RecordHandler {
public:
    RecordTally(const Matcher& terms, Counting counting, bool per_record);

    void on_record_begin(std::string_view uri, std::string_view id) override;
    void on_content(std::string_view bytes) override;
    void on_record_end() override;
    void on_record_dropped() override;

    std::span<const std::uint64_t> counts() const { return tf_; }     // per term
    std::span<const std::uint64_t> documents() const { return df_; }  // per term: records containing it
    std::uint64_t records() const { return records_; }
    std::uint64_t content_bytes() const { return content_bytes_; }
    // With per_record: the records with a match since the last call, in input order (path empty).
    std::vector<RecordCounts> take_record_counts() { return std::exchange(record_counts_, {}); }

private:
    const bool per_record_;
    StreamCounter counter_;
    bool open_ = false;
    std::uint64_t record_bytes_ = 0;
    std::string uri_, record_id_;  // of the record being read, with per_record
    std::vector<std::uint64_t> tf_, df_;
    std::uint64_t records_ = 0, content_bytes_ = 0;
    std::vector<RecordCounts> record_counts_;
};

}  // namespace elvis::detail
