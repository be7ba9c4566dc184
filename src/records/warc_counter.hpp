// WarcCounter: counts terms in the payloads of WARC records, each record a stream of its own:
// tf (occurrences) and df (records containing the term), and per record for --per-record.
// Only complete records count: a stream that ends or fails inside a record leaves its counts out.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "elvis/corpus_count.hpp"
#include "elvis/counter.hpp"
#include "elvis/warc.hpp"
#include "records/warc_reader.hpp"

namespace elvis::detail {

class WarcCounter final : private WarcHandler {
public:
    WarcCounter(const Matcher& terms, Counting counting, const WarcOptions& options, bool per_record);

    // Throws RecordError on a malformed record (abandon() the stream then).
    void feed(std::string_view chunk) { reader_.feed(chunk, *this); }
    // Ends the stream; throws RecordError when it ends inside a record. Ready for another either way.
    void finish();
    // Drops the record being read, after its stream failed.
    void abandon();

    std::span<const std::uint64_t> counts() const { return tf_; }     // per term, in complete records
    std::span<const std::uint64_t> documents() const { return df_; }  // per term: records containing it
    std::uint64_t records() const { return records_; }                // records searched
    std::uint64_t payload_bytes() const { return payload_bytes_; }    // bytes of their payloads
    // With per_record: the records with a match since the last call, in input order (path empty).
    std::vector<RecordCounts> take_record_counts() { return std::exchange(record_counts_, {}); }

private:
    void on_header(const WarcHeader& header) override;
    void on_block(std::string_view bytes, bool payload) override;
    void on_record_end(std::string_view trailer) override;

    const WarcOptions& options_;
    const bool per_record_;
    WarcReader reader_;
    StreamCounter counter_;
    bool selected_ = false;
    std::uint64_t record_payload_ = 0;
    std::string uri_, record_id_;  // of the record being read, with per_record
    std::vector<std::uint64_t> tf_, df_;
    std::uint64_t records_ = 0, payload_bytes_ = 0;
    std::vector<RecordCounts> record_counts_;
};

}  // namespace elvis::detail
