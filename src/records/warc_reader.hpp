// WarcReader: frames a stream of WARC/1.x records by their Content-Length, fed in chunks of any
// size, and hands each record's header and the pieces of its block to a handler.
//
// A record is a version line, header lines up to a blank line (CRLF; LF accepted), a block of
// Content-Length bytes, and CRLF CRLF. The block of a request or response record is an HTTP
// message: its head (up to the first blank line) and its payload are handed apart, so a search
// can skip the head. Nothing is searched for in the block: page text holding "WARC/1.0" or blank
// lines is payload like any other.
//
// Bounded: a header block is at most max_header_bytes (held whole so its fields can be read);
// blocks of any length pass through in the caller's chunks. Allocates only in its constructor.
// A malformed or truncated record throws RecordError with its stream offset; the reader must then
// be reset() before another stream. Then offset() is what the reader took of the stream: the
// bytes handed to the handler, and those of the record's header and trailer it holds
// (header_bytes(), trailer_bytes()); the rest of the chunk was not taken, so that a filter can
// write everything that was read.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "elvis/errors.hpp"

namespace elvis::detail {

// A record's header, valid during WarcHandler::on_header only. Absent fields are empty.
struct WarcHeader {
    std::string_view raw;  // the version line through the blank line, as read
    std::string_view type, target_uri, record_id, languages;
    std::uint64_t content_length = 0;
    std::uint64_t offset = 0;  // of the version line in the stream
};

class WarcHandler {
public:
    virtual ~WarcHandler() = default;
    virtual void on_header(const WarcHeader& header) = 0;
    // The next bytes of the block: of the HTTP head (`payload` false) or of the payload.
    virtual void on_block(std::string_view bytes, bool payload) = 0;
    // The block and its CRLF CRLF (`trailer`, as read: LF LF too) were read: the record is complete.
    virtual void on_record_end(std::string_view trailer) = 0;
};

class WarcReader {
public:
    static constexpr std::size_t max_header_bytes = 64 * 1024;

    WarcReader();

    void feed(std::string_view chunk, WarcHandler& handler);
    // The end of the stream: throws RecordError when it cuts a record.
    void finish();
    void reset();

    std::uint64_t offset() const { return offset_; }  // bytes taken since the stream began
    // Within a record: its header so far (all of it once its block began); its trailer so far.
    std::string_view header_bytes() const { return {header_.get(), header_len_}; }
    std::string_view trailer_bytes() const { return {trailer_, trailer_len_}; }
    bool in_block() const { return state_ != State::header; }  // the header was read, the record not ended

private:
    enum class State { header, block, trailer };
    std::size_t feed_header(std::string_view chunk, WarcHandler& handler);
    std::size_t feed_block(std::string_view chunk, WarcHandler& handler);
    std::size_t feed_trailer(std::string_view chunk, WarcHandler& handler);
    WarcHeader parse_header();
    [[noreturn]] void fail(std::uint64_t at, const std::string& reason) const;

    State state_ = State::header;
    std::uint64_t offset_ = 0;
    std::unique_ptr<char[]> header_;
    std::size_t header_len_ = 0;
    std::size_t line_start_ = 0;  // of the header line being read
    std::uint64_t record_offset_ = 0;
    std::uint64_t block_left_ = 0;
    bool http_ = false;          // the block is an HTTP message
    bool in_http_head_ = false;  // ... and its head is not over
    int head_end_state_ = 0;     // how much of a blank line the head has shown (see feed_block)
    int trailer_lines_ = 0;      // line ends of the CRLF CRLF read
    bool trailer_cr_ = false;    // a CR of it read, its LF not yet
    char trailer_[4] = {};
    std::size_t trailer_len_ = 0;
};

}  // namespace elvis::detail

namespace elvis {
struct WarcOptions;
}

namespace elvis::detail {

// Header field names compare regardless of ASCII case; values are read without the blanks around.
bool same_field_name(std::string_view a, std::string_view b);
std::string_view trim_field(std::string_view value);

// Whether `options` searches the record `header` heads (by its type and languages).
bool warc_selects(const WarcOptions& options, const WarcHeader& header);

// A malformed record as the user is told: "byte N: reason", or "byte N of the inflated data:
// reason" when the input was gzip (the offset counts what the reader was given).
std::string describe(const RecordError& error, bool inflated);

}  // namespace elvis::detail
