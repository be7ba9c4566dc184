// TagFramer: --records TAG as RecordFramer cuts records: a record runs from an opening marker
// (`<TAG` then '>', '/' or white space) to the next closing marker (`</TAG>`), its content the
// bytes between them. Records do not nest: an opening marker inside a record is content. A
// record left open at the end of a stream is dropped.
//
// Content goes out as the markers are decided: bytes that may still begin a closing marker wait
// in the marker scanner's own hold-over, so the framer never copies nor allocates after its
// constructor.
#pragma once

#include <cstdint>
#include <string_view>

#include "elvis/matcher.hpp"
#include "elvis/scanner.hpp"
#include "records/record_framing.hpp"

namespace elvis::detail {

class TagFramer final : public RecordFramer {
public:
    // `markers`, built from record_markers(tag), and `handler` must outlive the framer.
    TagFramer(const Matcher& markers, RecordHandler& handler);

    void feed(std::string_view chunk) override;
    void finish() override;
    void abandon() override;

private:
    void on_marker(const Match& marker);
    void content_until(std::uint64_t to);  // hands over content bytes [content_at_, to)
    void reset();

    StreamScanner markers_;
    const std::size_t open_rules_;  // markers_ rules below this index open a record; the rest close one
    RecordHandler& handler_;
    std::string_view chunk_;  // the chunk being fed
    bool in_record_ = false;
    std::uint64_t content_at_ = 0;  // in a record: the first content byte not handed over yet
};

}  // namespace elvis::detail
