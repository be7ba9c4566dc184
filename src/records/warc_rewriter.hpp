// WarcRewriter: the filter over WARC records. Each searched record's payload is rewritten whole
// before the record is written, because its header comes first and must carry the new
// Content-Length and digests (DESIGN.md, "WARC records"); the block is held in memory up to
// memory_bytes and in an unnamed temporary file beyond, so memory stays bounded for a record of
// any size. A record nothing was replaced in, and one not searched, is written as it was read.
//
// A malformed record does not stop the output: what was read of it (its payload as rewritten so
// far, as the plain filter writes a failed input) and everything after it unchanged are written,
// so nothing is lost, and finish() says what and where.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "elvis/matcher.hpp"
#include "elvis/rewriter.hpp"
#include "elvis/sink.hpp"
#include "elvis/warc.hpp"
#include "records/warc_reader.hpp"

namespace elvis {
class GzipSink;
}

namespace elvis::detail {

class WarcRewriter final : private WarcHandler {
public:
    static constexpr std::size_t memory_bytes = 2 << 20;

    // `out` receives each record whole, flushed; with `members`, each record ends a gzip member.
    WarcRewriter(const Matcher& matcher, const WarcOptions& options, Sink& out, GzipSink* members);
    ~WarcRewriter() override;

    void feed(std::string_view chunk);
    // The end of a stream (a record it cuts is written as read): the stream's first malformed
    // record, if any. Ready for another stream, also after feed() or
    // finish() threw something else (a temporary file that cannot be written, say).
    std::optional<RecordError> finish();
    std::uint64_t replacements() const { return rewriter_.replacements(); }
    std::uint64_t bytes_out() const { return bytes_out_; }

private:
    class Block;
    void on_header(const WarcHeader& header) override;
    void on_block(std::string_view bytes, bool payload) override;
    void on_record_end(std::string_view trailer) override;
    void put(std::string_view bytes);
    void end_record();
    void salvage(const RecordError& e);
    void abandon();  // after a failure that is not the input's: ready for another stream
    std::string changed_header() const;

    const WarcOptions& options_;
    Sink& out_;
    GzipSink* members_;
    WarcReader reader_;
    StreamRewriter rewriter_;
    std::unique_ptr<Block> block_;
    std::string changed_header_;  // the header written for the record being written
    bool selected_ = false;
    std::uint64_t replacements_before_ = 0;  // the rewriter's count when the record began
    bool member_open_ = false;
    std::optional<RecordError> error_;
    std::uint64_t bytes_out_ = 0;
};

}  // namespace elvis::detail
