// WarcReader: the header is gathered whole, the block passed through by its length.
#include "records/warc_reader.hpp"

#include <algorithm>
#include <cstring>

#include "elvis/warc.hpp"
#include "engine/ascii.hpp"

namespace elvis::detail {

bool same_field_name(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return ascii::lower(static_cast<unsigned char>(x)) == ascii::lower(static_cast<unsigned char>(y));
           });
}

std::string_view trim_field(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

namespace {

// "WARC/1." and a minor version, then the line end.
bool is_version_line(std::string_view line) {
    line = trim_field(line);
    if (line.size() < 8 || line.substr(0, 7) != "WARC/1.") return false;
    return std::all_of(line.begin() + 7, line.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// What is shown of a malformed field in a message: printable ASCII, at most 40 bytes.
std::string shown(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 40)) out += c >= ' ' && c <= '~' ? c : '?';
    if (s.size() > 40) out += "...";
    return out;
}

}  // namespace

std::string describe(const RecordError& error, bool inflated) {
    if (!inflated) return error.what();
    return "byte " + std::to_string(error.offset()) + " of the inflated data: " + error.reason();
}

bool warc_selects(const WarcOptions& options, const WarcHeader& header) {
    if (std::none_of(options.types.begin(), options.types.end(), [&](const std::string& t) { return same_field_name(t, header.type); }))
        return false;
    if (options.languages.empty()) return true;
    for (std::string_view list = header.languages; !list.empty();) {
        const std::size_t comma = std::min(list.find(','), list.size());
        const std::string_view language = trim_field(list.substr(0, comma));
        list.remove_prefix(std::min(comma + 1, list.size()));
        for (const std::string& wanted : options.languages)
            if (same_field_name(wanted, language)) return true;
    }
    return false;
}

WarcReader::WarcReader() : header_(new char[max_header_bytes]) {}

void WarcReader::reset() {
    state_ = State::header;
    offset_ = record_offset_ = 0;
    header_len_ = 0;
    block_left_ = 0;
    trailer_lines_ = 0;
    trailer_cr_ = false;
    trailer_len_ = 0;
}

void WarcReader::fail(std::uint64_t at, const std::string& reason) const { throw RecordError(at, reason); }

void WarcReader::feed(std::string_view chunk, WarcHandler& handler) {
    while (!chunk.empty()) {
        const std::size_t used = state_ == State::header  ? feed_header(chunk, handler)
                                 : state_ == State::block ? feed_block(chunk, handler)
                                                          : feed_trailer(chunk, handler);
        offset_ += used;
        chunk.remove_prefix(used);
    }
}

// Takes bytes line by line until the blank line; the version line is checked as soon as it ends
// (or fills the buffer), so that input which is not WARC is told so, not "header too long".
std::size_t WarcReader::feed_header(std::string_view chunk, WarcHandler& handler) {
    if (header_len_ == 0) record_offset_ = offset_, line_start_ = 0;
    const char* nl = static_cast<const char*>(std::memchr(chunk.data(), '\n', chunk.size()));
    const std::size_t take = nl ? static_cast<std::size_t>(nl - chunk.data()) + 1 : chunk.size();
    if (header_len_ + take > max_header_bytes) {
        char start[7];
        const std::size_t have = std::min<std::size_t>(header_len_, 7), both = std::min<std::size_t>(header_len_ + take, 7);
        std::memcpy(start, header_.get(), have);
        std::memcpy(start + have, chunk.data(), both - have);
        if (line_start_ == 0 && !std::string_view("WARC/1.").starts_with(std::string_view(start, both)))
            fail(record_offset_, "not a WARC record: the version line is not WARC/1.x");
        fail(record_offset_, "record header longer than 64 KiB");
    }
    std::memcpy(header_.get() + header_len_, chunk.data(), take);
    header_len_ += take;
    if (!nl) return take;
    const std::string_view line(header_.get() + line_start_, header_len_ - line_start_ - 1);
    WarcHeader header;
    try {
        if (line_start_ == 0) {
            if (!is_version_line(line))
                fail(record_offset_, "not a WARC record: the version line is '" + shown(trim_field(line)) + "', not WARC/1.x");
        } else if (line.empty() || line == "\r") {
            header = parse_header();
        }
    } catch (const RecordError&) {
        header_len_ -= take;  // the line was not taken (see offset())
        throw;
    }
    line_start_ = header_len_;
    if (header.raw.data()) {
        handler.on_header(header);
        state_ = block_left_ ? State::block : State::trailer;
    }
    return take;
}

WarcHeader WarcReader::parse_header() {
    WarcHeader header;
    header.raw = {header_.get(), header_len_};
    header.offset = record_offset_;
    std::string_view content_length;
    bool has_length = false;
    std::string_view rest = header.raw.substr(header.raw.find('\n') + 1);
    while (!rest.empty()) {
        const std::size_t end = rest.find('\n');
        const std::string_view line = rest.substr(0, end);
        rest.remove_prefix(end + 1);
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || line.front() == ' ' || line.front() == '\t') continue;
        const std::string_view name = trim_field(line.substr(0, colon)), value = trim_field(line.substr(colon + 1));
        if (same_field_name(name, "Content-Length")) content_length = value, has_length = true;
        else if (same_field_name(name, "WARC-Type")) header.type = value;
        else if (same_field_name(name, "WARC-Target-URI")) header.target_uri = value;
        else if (same_field_name(name, "WARC-Record-ID")) header.record_id = value;
        else if (same_field_name(name, "WARC-Identified-Content-Language")) header.languages = value;
    }
    if (!has_length) fail(record_offset_, "record without a Content-Length header");
    if (content_length.empty() || content_length.size() > 18 ||
        !std::all_of(content_length.begin(), content_length.end(), [](char c) { return c >= '0' && c <= '9'; }))
        fail(record_offset_, "Content-Length '" + shown(content_length) + "' is not a number of bytes");
    for (char c : content_length) header.content_length = header.content_length * 10 + static_cast<unsigned>(c - '0');
    block_left_ = header.content_length;
    http_ = same_field_name(header.type, "response") || same_field_name(header.type, "request");
    in_http_head_ = http_;
    head_end_state_ = 0;
    trailer_lines_ = 0;
    trailer_cr_ = false;
    trailer_len_ = 0;
    return header;
}

// An HTTP head ends at its first blank line: LF LF, or LF CR LF (so CRLF CRLF too).
// head_end_state_: 1 after an LF, 2 after an LF and a CR.
std::size_t WarcReader::feed_block(std::string_view chunk, WarcHandler& handler) {
    const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(block_left_, chunk.size()));
    std::string_view bytes = chunk.substr(0, take);
    if (in_http_head_) {
        std::size_t i = 0;
        for (; i < bytes.size() && in_http_head_; ++i) {
            const char c = bytes[i];
            if (c == '\n') {
                if (head_end_state_) in_http_head_ = false;
                else head_end_state_ = 1;
            } else {
                head_end_state_ = c == '\r' && head_end_state_ == 1 ? 2 : 0;
            }
        }
        handler.on_block(bytes.substr(0, i), false);
        bytes.remove_prefix(i);
    }
    if (!bytes.empty()) handler.on_block(bytes, true);
    block_left_ -= take;
    if (block_left_ == 0) state_ = State::trailer;
    return take;
}

std::size_t WarcReader::feed_trailer(std::string_view chunk, WarcHandler& handler) {
    std::size_t i = 0;
    while (i < chunk.size() && trailer_lines_ < 2) {
        const char c = chunk[i];
        if (c == '\n') {
            ++trailer_lines_, trailer_cr_ = false;
        } else if (c == '\r' && !trailer_cr_) {
            trailer_cr_ = true;
        } else {
            offset_ += i;  // the trailer's bytes before this one were taken
            fail(offset_, "the block of the record at byte " + std::to_string(record_offset_) +
                                  " is not followed by CRLF CRLF (is its Content-Length right?)");
        }
        trailer_[trailer_len_++] = c;
        ++i;
    }
    if (trailer_lines_ == 2) {
        handler.on_record_end({trailer_, trailer_len_});
        state_ = State::header;
        header_len_ = 0;
        trailer_len_ = 0;
    }
    return i;
}

void WarcReader::finish() {
    switch (state_) {
        case State::header:
            if (header_len_) fail(record_offset_, "truncated record: the input ends in its header");
            return;
        case State::block:
            fail(record_offset_, "truncated record: its Content-Length runs " + std::to_string(block_left_) +
                                     " bytes past the end of the input (at byte " + std::to_string(offset_) + ")");
        case State::trailer:
            fail(offset_, "truncated record: the block of the record at byte " + std::to_string(record_offset_) +
                              " is not followed by CRLF CRLF");
    }
}

}  // namespace elvis::detail

namespace elvis {

std::vector<std::string> split_warc_list(std::string_view list) {
    std::vector<std::string> items;
    while (!list.empty()) {
        const std::size_t comma = std::min(list.find(','), list.size());
        const std::string_view item = detail::trim_field(list.substr(0, comma));
        if (!item.empty()) items.emplace_back(item);
        list.remove_prefix(std::min(comma + 1, list.size()));
    }
    return items;
}

}  // namespace elvis
