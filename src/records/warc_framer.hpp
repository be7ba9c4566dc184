// WarcFramer: WARC records as RecordFramer cuts them: each record WarcOptions selects is a
// record, its payload the content (the HTTP head of a response or request left out).
#pragma once

#include "elvis/warc.hpp"
#include "records/record_framing.hpp"
#include "records/warc_reader.hpp"

namespace elvis::detail {

class WarcFramer final : public RecordFramer, private WarcHandler {
public:
    // `options` and `handler` must outlive the framer.
    WarcFramer(const WarcOptions& options, RecordHandler& handler) : options_(options), handler_(handler) {}

    void feed(std::string_view chunk) override { reader_.feed(chunk, *this); }
    // Throws RecordError when the stream ends inside a record.
    void finish() override;
    void abandon() override;

private:
    void on_header(const WarcHeader& header) override;
    void on_block(std::string_view bytes, bool payload) override;
    void on_record_end(std::string_view trailer) override;

    const WarcOptions& options_;
    RecordHandler& handler_;
    WarcReader reader_;
    bool selected_ = false;
};

}  // namespace elvis::detail
