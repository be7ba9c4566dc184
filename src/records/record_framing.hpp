// The record-framing interface the record modes share (DESIGN.md, "Records"). A framer cuts a
// stream into records and hands each record's content, the bytes searched, to a RecordHandler:
// WarcFramer for --warc (payloads, framed by Content-Length), TagFramer for --records TAG (what
// lies between <TAG ...> and </TAG>). What is done with records (RecordTally counts them) is
// written once, against RecordHandler, whatever cut them.
#pragma once

#include <string_view>

namespace elvis::detail {

class RecordHandler {
public:
    // A record begins; `uri` and `id` are its WARC-Target-URI and WARC-Record-ID (empty for tags).
    virtual void on_record_begin(std::string_view uri, std::string_view id) = 0;
    // The next bytes of its content, in order, in pieces of any size.
    virtual void on_content(std::string_view bytes) = 0;
    // The record is complete.
    virtual void on_record_end() = 0;
    // The record will not be completed (its stream ended or failed inside it).
    virtual void on_record_dropped() = 0;

protected:
    ~RecordHandler() = default;
};

class RecordFramer {
public:
    virtual ~RecordFramer() = default;
    // Throws RecordError on a malformed record (then abandon() the stream).
    virtual void feed(std::string_view chunk) = 0;
    // Ends the stream, ready for another; throws RecordError where a record cut short is an
    // error (WARC), else drops it.
    virtual void finish() = 0;
    // Ends a stream that failed: the record open, if any, is dropped.
    virtual void abandon() = 0;
};

}  // namespace elvis::detail
