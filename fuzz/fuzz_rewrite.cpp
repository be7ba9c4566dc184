// Differential fuzzer: elvis::StreamRewriter, fed in pieces, against elvis::reference::rewrite.
//
// Input encoding (details in fuzz_common.hpp):
//   flags byte (ignore case, whole word, Isa, rule count 1..4, feed mode),
//   per rule: find length byte, find bytes, replace length byte, replace bytes,
//   piece count byte, piece size bytes (cycled; 0 = empty chunk, 255 = the rest),
//   the stream (the rest of the input, at most 64 KiB).
//   Bit 4 of the piece count byte P: before stream 1, abandon a stream: feed the pieces to a sink
//   that throws at put number (P >> 5) + 1 (as a failed write does), then call reset().
// Inputs whose rules RuleSet rejects (empty find text, duplicates) are skipped (return -1).
//
// Checks, for one rewriter used for two streams in a row (after the abandoned one, if any):
//   stream 1: the pieces in the given feed mode; stream 2: the pieces rotated by one and the
//   feed mode flipped (writable <-> read-only). Each output must equal the reference, the sink
//   must have been flushed after every feed() and finish(), and bytes_in / bytes_out /
//   replacements must add up. The one-shot elvis::rewrite must agree too.
#include <cstdint>
#include <numeric>
#include <optional>
#include <span>

#include "elvis/rewriter.hpp"
#include "fuzz_common.hpp"
#include "support/reference.hpp"

using namespace elvis;
using namespace elvis::fuzz;

namespace {

std::string run_stream(StreamRewriter& rewriter, std::string_view stream, const std::vector<std::uint8_t>& sizes,
                       std::size_t rotate, FeedMode mode, const Header& h) {
    DeferredSink sink;
    for_each_piece(stream, sizes, rotate, [&](std::string_view piece, std::size_t k) {
        ChunkCopy chunk(piece);
        if (piece_writable(mode, k)) {
            rewriter.feed(std::span<char>(chunk.data(), chunk.size()), sink);
        } else {
            const ChunkCopy& read_only = chunk;
            rewriter.feed(read_only.view(), sink);
        }
        if (!sink.idle()) {
            print_case(h, sizes, stream);
            fail("feed() returned without flushing the sink", "", "");
        }
    });
    rewriter.finish(sink);
    if (!sink.idle()) {
        print_case(h, sizes, stream);
        fail("finish() returned without flushing the sink", "", "");
    }
    return std::move(sink.out);
}

struct SinkFailure {};

// Throws at put number `fail_at` (counting from 1), like a sink whose write failed.
class FailingSink final : public Sink {
public:
    explicit FailingSink(unsigned fail_at) : left_(fail_at) {}
    void put(std::string_view) override {
        if (--left_ == 0) throw SinkFailure{};
    }
    void flush() override {}

private:
    unsigned left_;
};

// Feeds the pieces until the sink throws, without finish(), then abandons the stream.
void abandon_stream(StreamRewriter& rewriter, std::string_view stream, const std::vector<std::uint8_t>& sizes,
                    FeedMode mode, unsigned fail_at) {
    FailingSink sink(fail_at);
    try {
        for_each_piece(stream, sizes, 0, [&](std::string_view piece, std::size_t k) {
            ChunkCopy chunk(piece);
            if (piece_writable(mode, k)) rewriter.feed(std::span<char>(chunk.data(), chunk.size()), sink);
            else rewriter.feed(static_cast<const ChunkCopy&>(chunk).view(), sink);
        });
    } catch (const SinkFailure&) {
    }
    rewriter.reset();
}

void check_total(const char* what, std::uint64_t expected, std::uint64_t got, const Header& h,
                 const std::vector<std::uint8_t>& sizes, std::string_view stream) {
    if (expected == got) return;
    print_case(h, sizes, stream);
    fail(what, std::to_string(expected), std::to_string(got));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Reader in(data, size);
    const Header h = decode_header(in);
    const Pieces pieces = decode_pieces(in);
    const std::vector<std::uint8_t>& sizes = pieces.sizes;
    const bool abandon_first = pieces.extra & 1;
    const unsigned fail_at = (pieces.extra >> 1) + 1u;
    case_note = abandon_first ? "first a stream abandoned (reset()) when the sink threw at put " + std::to_string(fail_at)
                              : std::string();
    const std::string_view stream = in.rest(max_stream);

    std::optional<Matcher> matcher;
    try {
        matcher.emplace(RuleSet(h.rules, h.options), h.isa);
    } catch (const RuleError&) {
        return -1;
    }

    const std::string expected = reference::rewrite(h.rules, h.options, stream);
    if (print_cases()) {
        print_case(h, sizes, stream);
        std::fprintf(stderr, "expected: %s\n", escaped(expected).c_str());
    }
    const auto counts = reference::count(h.rules, h.options, stream, Counting::exclusive);
    const std::uint64_t replacements = std::accumulate(counts.begin(), counts.end(), std::uint64_t{0});

    StreamRewriter rewriter(*matcher);
    if (abandon_first) abandon_stream(rewriter, stream, sizes, h.mode, fail_at);
    // The totals count the abandoned stream too: check what streams 1 and 2 add.
    const std::uint64_t in0 = rewriter.bytes_in(), out0 = rewriter.bytes_out(), rep0 = rewriter.replacements();
    const std::string first = run_stream(rewriter, stream, sizes, 0, h.mode, h);
    if (first != expected) {
        print_case(h, sizes, stream);
        fail("StreamRewriter output, stream 1 (pieces as given)", expected, first);
    }
    check_total("bytes_in after stream 1", stream.size(), rewriter.bytes_in() - in0, h, sizes, stream);
    check_total("bytes_out after stream 1", expected.size(), rewriter.bytes_out() - out0, h, sizes, stream);
    check_total("replacements after stream 1", replacements, rewriter.replacements() - rep0, h, sizes, stream);

    const std::string second = run_stream(rewriter, stream, sizes, 1, flipped(h.mode), h);
    if (second != expected) {
        print_case(h, sizes, stream);
        fail("StreamRewriter output, stream 2 (same rewriter, pieces rotated by one, feed mode flipped)",
             expected, second);
    }
    check_total("bytes_in after stream 2", 2 * stream.size(), rewriter.bytes_in() - in0, h, sizes, stream);
    check_total("bytes_out after stream 2", 2 * expected.size(), rewriter.bytes_out() - out0, h, sizes, stream);
    check_total("replacements after stream 2", 2 * replacements, rewriter.replacements() - rep0, h, sizes, stream);

    const ChunkCopy whole(stream);
    const std::string one_shot = rewrite(*matcher, whole.view());
    if (one_shot != expected) {
        print_case(h, sizes, stream);
        fail("elvis::rewrite (one shot)", expected, one_shot);
    }
    return 0;
}
