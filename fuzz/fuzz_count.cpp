// Differential fuzzer: elvis::StreamCounter against elvis::reference::count, and
// elvis::RecordCounter against elvis::reference::records, each term on its own and exclusive.
//
// Input encoding (details in fuzz_common.hpp):
//   flags byte (ignore case, whole word, Isa, rule count 1..4, feed mode: unused here, every
//   chunk is read-only), per rule: find length byte, find bytes, replace length byte, replace
//   bytes (the replacement is ignored),
//   record section:
//     T         tag length = (T & 3) + 1; bit 2: the markers match ignoring case
//     T bytes   the tag. A tag holding one of  < > / space \t \n \r  is not tested (the record
//               part is skipped): such tags make markers overlap, e.g. tag "/" gives the opening
//               marker "<//" and the closing marker "<//>", and "the next closing marker" stops
//               being well defined.
//   piece count byte, piece size bytes (cycled; 0 = empty chunk, 255 = the rest),
//   the stream (the rest of the input, at most 64 KiB).
// Inputs whose rules RuleSet rejects (empty find text, duplicates) are skipped (return -1).
//
// Each counter is used for two streams in a row (stream 2: pieces rotated by one); the counts
// are totals over streams, so after stream 2 they must be exactly twice the reference.
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <optional>

#include "elvis/counter.hpp"
#include "fuzz_common.hpp"
#include "support/reference.hpp"

using namespace elvis;
using namespace elvis::fuzz;

namespace {

const char* counting_name(Counting counting) { return counting == Counting::exclusive ? "exclusive" : "each term"; }

[[noreturn]] void fail_counts(const char* what, Counting counting, const Header& h,
                              const std::vector<std::uint8_t>& sizes, std::string_view stream,
                              const std::vector<std::uint64_t>& expected, const std::vector<std::uint64_t>& got) {
    print_case(h, sizes, stream);
    std::fprintf(stderr, "MISMATCH: %s, counting %s\nexpected: %s\ngot:      %s\n", what, counting_name(counting),
                 counts_text(expected).c_str(), counts_text(got).c_str());
    std::abort();
}

std::vector<std::uint64_t> times(std::vector<std::uint64_t> v, std::uint64_t k) {
    for (auto& x : v) x *= k;
    return v;
}

// One counting's checks: StreamCounter, then RecordCounter when the tag is testable.
void check_counts(const Header& h, const Matcher& terms, Counting counting, const std::string& tag,
                 bool markers_ignore_case, bool test_records, const std::vector<std::uint8_t>& sizes,
                 std::string_view stream) {
    // StreamCounter.
    const std::vector<std::uint64_t> expected = reference::count(h.rules, h.options, stream, counting);
    const std::uint64_t total = std::accumulate(expected.begin(), expected.end(), std::uint64_t{0});
    if (print_cases()) {
        print_case(h, sizes, stream);
        std::fprintf(stderr, "expected counts (%s): %s\n", counting_name(counting), counts_text(expected).c_str());
    }
    StreamCounter counter(terms, counting);
    for (std::size_t pass = 1; pass <= 2; ++pass) {
        counter.start_stream();
        for_each_piece(stream, sizes, pass - 1, [&](std::string_view piece, std::size_t) {
            ChunkCopy chunk(piece);
            counter.feed(chunk.view());
        });
        counter.finish();
        const std::vector<std::uint64_t> got(counter.counts().begin(), counter.counts().end());
        if (got != times(expected, pass))
            fail_counts(pass == 1 ? "StreamCounter counts, stream 1" : "StreamCounter counts (totals), stream 2",
                        counting, h, sizes, stream, times(expected, pass), got);
        if (counter.stream_matches() != total)
            fail_counts("StreamCounter stream_matches", counting, h, sizes, stream, {total}, {counter.stream_matches()});
        std::vector<std::uint64_t> in_stream(expected.size(), 0);
        for (std::uint32_t term : counter.stream_terms()) in_stream[term] = counter.stream_count(term);
        if (in_stream != expected || counter.stream_terms().size() != static_cast<std::size_t>(std::count_if(
                                          expected.begin(), expected.end(), [](std::uint64_t n) { return n != 0; })))
            fail_counts("StreamCounter stream_terms", counting, h, sizes, stream, expected, in_stream);
    }

    // RecordCounter.
    if (!test_records) return;
    std::optional<Matcher> markers;
    try {
        markers.emplace(RuleSet(record_markers(tag), MatchOptions{markers_ignore_case, false}), h.isa);
    } catch (const RuleError& e) {
        print_case(h, sizes, stream);
        std::fprintf(stderr, "record_markers(%s) rejected by RuleSet: %s\n", escaped(tag).c_str(), e.what());
        std::abort();
    }
    const reference::Records want = reference::records(h.rules, h.options, tag, markers_ignore_case, stream, counting);
    if (print_cases())
        std::fprintf(stderr, "record tag: %s (markers ignore case: %d)\nexpected records: %llu, counts: %s\n",
                     escaped(tag).c_str(), markers_ignore_case, static_cast<unsigned long long>(want.records),
                     counts_text(want.counts).c_str());
    RecordCounter records(terms, *markers, counting);
    for (std::size_t pass = 1; pass <= 2; ++pass) {
        for_each_piece(stream, sizes, pass - 1, [&](std::string_view piece, std::size_t) {
            ChunkCopy chunk(piece);
            records.feed(chunk.view());
        });
        records.finish();
        const std::vector<std::uint64_t> got(records.counts().begin(), records.counts().end());
        if (got != times(want.counts, pass) || records.records() != pass * want.records) {
            std::fprintf(stderr, "record tag: %s (markers ignore case: %d)\nrecords: expected %llu, got %llu\n",
                         escaped(tag).c_str(), markers_ignore_case,
                         static_cast<unsigned long long>(pass * want.records),
                         static_cast<unsigned long long>(records.records()));
            fail_counts(pass == 1 ? "RecordCounter counts, stream 1" : "RecordCounter counts (totals), stream 2",
                        counting, h, sizes, stream, times(want.counts, pass), got);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Reader in(data, size);
    const Header h = decode_header(in);
    const std::uint8_t record_flags = in.byte();
    const std::string tag = in.bytes((record_flags & 3) + 1);
    const bool markers_ignore_case = record_flags & 4;
    const bool test_records = !tag.empty() && tag.find_first_of("<>/ \t\n\r") == std::string::npos;
    const std::vector<std::uint8_t> sizes = decode_pieces(in).sizes;  // P >> 4 is unused here
    const std::string_view stream = in.rest(max_stream);

    std::optional<Matcher> terms;
    try {
        terms.emplace(RuleSet(h.rules, h.options), h.isa);
    } catch (const RuleError&) {
        return -1;
    }

    for (Counting counting : {Counting::each_term, Counting::exclusive})
        check_counts(h, *terms, counting, tag, markers_ignore_case, test_records, sizes, stream);
    return 0;
}
