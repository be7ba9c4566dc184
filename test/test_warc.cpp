// WARC records: the reader's framing for every split, its errors and their offsets, counting and
// rewriting against a reference that knows each generated record.
#include <doctest/doctest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "elvis/count_format.hpp"
#include "io/gzip_sink.hpp"
#include "records/record_tally.hpp"
#include "records/warc_framer.hpp"
#include "records/warc_reader.hpp"
#include "records/warc_rewriter.hpp"
#include "support/reference.hpp"
#include "support/split.hpp"

using namespace elvis;
using namespace elvis::detail;

namespace {

struct TestRecord {
    std::string type, payload, http_head;  // http_head: for response records, before the payload
    bool lf_only = false, lowercase = false;
    std::string uri() const { return "http://example.com/" + std::to_string(payload.size()); }
    std::string block() const { return http_head + payload; }
};

TestRecord plain(std::string type, std::string payload) { return {std::move(type), std::move(payload), {}}; }

std::string serialize(const TestRecord& r, std::size_t index) {
    const std::string nl = r.lf_only ? "\n" : "\r\n";
    auto field = [&](std::string name, const std::string& value) {
        if (r.lowercase) name = ascii::lowered(name);
        return name + ": " + value + nl;
    };
    return "WARC/1.0" + nl + field("WARC-Type", r.type) + field("WARC-Target-URI", r.uri()) +
           field("WARC-Record-ID", "<urn:uuid:" + std::to_string(index) + ">") +
           field("Content-Length", std::to_string(r.block().size())) + nl + r.block() + "\r\n\r\n";
}

std::string serialize(const std::vector<TestRecord>& records) {
    std::string out;
    for (std::size_t i = 0; i < records.size(); ++i) out += serialize(records[i], i);
    return out;
}

// Payloads with the traps of real crawls: "WARC/1.0" and blank lines inside, CRLF and LF, empty,
// bytes that are not UTF-8, a term cut between two records.
std::vector<TestRecord> random_records(std::mt19937& rng, std::size_t count) {
    static const char* const words[] = {"elvis", "WARC/1.0\r\n", "\r\n\r\n", "\n\n", "the", "king", "\xff\xfe",
                                        "elv", "is", " ", "Content-Length: 5\r\n", "presley"};
    static const char* const types[] = {"conversion", "response", "resource", "warcinfo", "request", "metadata"};
    std::vector<TestRecord> records(count);
    for (TestRecord& r : records) {
        r.type = types[rng() % 6];
        for (std::size_t n = rng() % 12; n--;) r.payload += words[rng() % std::size(words)];
        if (r.type == "response" || r.type == "request") r.http_head = "HTTP/1.1 200 OK\r\nX-Elvis: elvis\r\n\r\n";
        r.lf_only = rng() % 4 == 0;
        r.lowercase = rng() % 4 == 0;
    }
    return records;
}

// What the reader handed over, per record.
struct Collected final : WarcHandler {
    struct Record {
        std::string type, uri, head, payload, trailer;
        std::uint64_t offset = 0;
    };
    std::vector<Record> records;
    void on_header(const WarcHeader& h) override {
        records.push_back({std::string(h.type), std::string(h.target_uri), {}, {}, {}, h.offset});
    }
    void on_block(std::string_view bytes, bool payload) override {
        (payload ? records.back().payload : records.back().head).append(bytes);
    }
    void on_record_end(std::string_view trailer) override { records.back().trailer = trailer; }
};

Collected read_in_pieces(std::string_view input, const std::vector<std::size_t>& sizes) {
    Collected collected;
    WarcReader reader;
    for (std::size_t at = 0, k = 0; at < input.size(); ++k) {
        const std::size_t n = std::min(sizes[k % sizes.size()], input.size() - at);
        reader.feed(input.substr(at, n), collected);
        at += n;
    }
    reader.finish();
    return collected;
}

// The message and offset of the RecordError reading `input` in `sizes` pieces gives.
std::pair<std::string, std::uint64_t> read_error(std::string_view input, const std::vector<std::size_t>& sizes) {
    try {
        read_in_pieces(input, sizes);
    } catch (const RecordError& e) {
        return {e.what(), e.offset()};
    }
    return {"no error", 0};
}

std::string message_of(std::string_view input) { return read_error(input, {4096}).first; }

}  // namespace

TEST_CASE("WarcReader frames records by Content-Length for every split") {
    std::mt19937 rng(7);
    for (int round = 0; round < 60; ++round) {
        const std::vector<TestRecord> records = random_records(rng, 1 + rng() % 6);
        const std::string input = serialize(records);
        const std::vector<std::size_t> sizes = round == 0 ? std::vector<std::size_t>{1} : testing::random_sizes(rng, 64);
        const Collected got = read_in_pieces(input, sizes);
        REQUIRE(got.records.size() == records.size());
        std::uint64_t offset = 0;
        for (std::size_t i = 0; i < records.size(); ++i) {
            CAPTURE(i);
            CHECK(got.records[i].type == records[i].type);
            CHECK(got.records[i].uri == records[i].uri());
            CHECK(got.records[i].head == records[i].http_head);
            CHECK(got.records[i].payload == records[i].payload);
            CHECK(got.records[i].trailer == "\r\n\r\n");
            CHECK(got.records[i].offset == offset);
            offset += serialize(records[i], i).size();
        }
    }
}

TEST_CASE("WarcReader: the HTTP head of a response ends at its first blank line, LF LF too") {
    TestRecord r{"response", "body\r\n\r\nmore", "HTTP/1.1 200 OK\nA: b\n\n"};
    const Collected got = read_in_pieces(serialize(r, 0), {1});
    REQUIRE(got.records.size() == 1);
    CHECK(got.records[0].head == "HTTP/1.1 200 OK\nA: b\n\n");
    CHECK(got.records[0].payload == "body\r\n\r\nmore");
}

TEST_CASE("WarcReader errors name the offset, the same for every split") {
    const std::string good = serialize(plain("conversion", "elvis"), 0);  // 0 .. good.size()
    const std::uint64_t second = good.size();
    struct Case {
        const char* name;
        std::string input;
        std::uint64_t offset;
        const char* says;
    };
    const std::string big_header = "WARC/1.0\r\nX: " + std::string(70000, 'x') + "\r\n\r\n";
    const Case cases[] = {
        {"truncated block", good + "WARC/1.0\r\nContent-Length: 100\r\n\r\nshort", second, "runs 95 bytes past"},
        {"truncated header", good + "WARC/1.0\r\nContent-Le", second, "ends in its header"},
        {"no Content-Length", good + "WARC/1.0\r\nWARC-Type: conversion\r\n\r\n", second, "without a Content-Length"},
        {"non-numeric Content-Length", good + "WARC/1.0\r\nContent-Length: 12a\r\n\r\n", second, "'12a' is not a number"},
        {"block not followed by CRLF CRLF", good + "WARC/1.0\r\nContent-Length: 2\r\n\r\nabcd\r\n\r\n",
         second + 33, "not followed by CRLF CRLF"},
        {"header over 64 KiB", good + big_header, second, "longer than 64 KiB"},
        {"not WARC/1.x", good + "HTTP/1.1 200 OK\r\n\r\n", second, "'HTTP/1.1 200 OK', not WARC/1.x"},
        {"WARC/2.0", "WARC/2.0\r\nContent-Length: 0\r\n\r\n\r\n\r\n", 0, "not WARC/1.x"},
        {"binary", std::string(100000, '\x01'), 0, "not WARC/1.x"},
    };
    for (const Case& c : cases) {
        const std::string name = c.name;
        CAPTURE(name);
        CAPTURE(message_of(c.input));
        for (const std::vector<std::size_t>& sizes : {std::vector<std::size_t>{1}, {7}, {4096}, {1 << 20}}) {
            const auto [message, offset] = read_error(c.input, sizes);
            CHECK(offset == c.offset);
            CHECK(message.find(c.says) != std::string::npos);
            CHECK(message.starts_with("byte " + std::to_string(c.offset) + ": "));
        }
    }
}

namespace {

// A WarcFramer into a RecordTally, as count --warc puts them together.
struct WarcCounter {
    WarcCounter(const Matcher& terms, Counting counting, const WarcOptions& warc, bool per_record)
        : tally(terms, counting, per_record), framer(warc, tally) {}
    void feed(std::string_view chunk) { framer.feed(chunk); }
    void finish() { framer.finish(); }
    std::span<const std::uint64_t> counts() const { return tally.counts(); }
    std::span<const std::uint64_t> documents() const { return tally.documents(); }
    std::uint64_t records() const { return tally.records(); }
    std::uint64_t payload_bytes() const { return tally.content_bytes(); }
    std::vector<RecordCounts> take_record_counts() { return tally.take_record_counts(); }
    RecordTally tally;
    WarcFramer framer;
};

}  // namespace

TEST_CASE("WarcFramer and RecordTally: tf and df over the payloads of the records searched, each record its own stream") {
    std::mt19937 rng(11);
    const std::vector<Rule> terms = {{"elvis", {}}, {"is", {}}, {"WARC/1.0", {}}, {"elvisis", {}}};
    for (const MatchOptions options : {MatchOptions{}, MatchOptions{true, false, false}, MatchOptions{false, true, false}}) {
        const Matcher matcher(RuleSet(terms, options));
        WarcOptions warc;
        warc.enabled = true;
        for (int round = 0; round < 40; ++round) {
            const std::vector<TestRecord> records = random_records(rng, 1 + rng() % 8);
            const std::string input = serialize(records);
            std::vector<std::uint64_t> tf(terms.size(), 0), df(terms.size(), 0);
            std::uint64_t searched = 0, payload_bytes = 0;
            std::vector<std::vector<std::uint64_t>> per_record;
            for (const TestRecord& r : records) {
                if (r.type != "conversion" && r.type != "response" && r.type != "resource") continue;
                ++searched, payload_bytes += r.payload.size();
                const auto counts = reference::count(terms, options, r.payload, Counting::each_term);
                for (std::size_t t = 0; t < terms.size(); ++t) tf[t] += counts[t], df[t] += counts[t] != 0;
                if (std::any_of(counts.begin(), counts.end(), [](auto n) { return n != 0; })) per_record.push_back(counts);
            }
            WarcCounter counter(matcher, Counting::each_term, warc, true);
            const auto sizes = testing::random_sizes(rng, 50);
            for (std::size_t at = 0, k = 0; at < input.size(); ++k) {
                const std::size_t n = std::min(sizes[k % sizes.size()], input.size() - at);
                counter.feed(input.substr(at, n));
                at += n;
            }
            counter.finish();
            CHECK(std::vector<std::uint64_t>(counter.counts().begin(), counter.counts().end()) == tf);
            CHECK(std::vector<std::uint64_t>(counter.documents().begin(), counter.documents().end()) == df);
            CHECK(counter.records() == searched);
            CHECK(counter.payload_bytes() == payload_bytes);
            const std::vector<RecordCounts> got = counter.take_record_counts();
            REQUIRE(got.size() == per_record.size());
            for (std::size_t i = 0; i < got.size(); ++i) {
                std::vector<std::uint64_t> counts(terms.size(), 0);
                for (const auto& [term, n] : got[i].counts) counts[term] = n;
                CHECK(counts == per_record[i]);
            }
        }
    }
}

TEST_CASE("WarcFramer and RecordTally: --warc-type and --warc-lang choose the records") {
    const std::string input = "WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Identified-Content-Language: eng,fra\r\n"
                              "Content-Length: 5\r\n\r\nelvis\r\n\r\n"
                              "WARC/1.0\r\nWARC-Type: metadata\r\nContent-Length: 5\r\n\r\nelvis\r\n\r\n"
                              "WARC/1.0\r\nWARC-Type: Conversion\r\nWARC-Identified-Content-Language: deu\r\n"
                              "Content-Length: 5\r\n\r\nelvis\r\n\r\n";
    const Matcher matcher(RuleSet({{"elvis", {}}}, {}));
    auto records_counted = [&](std::vector<std::string> types, std::vector<std::string> languages) {
        WarcOptions warc;
        warc.enabled = true;
        if (!types.empty()) warc.types = types;
        warc.languages = languages;
        WarcCounter counter(matcher, Counting::each_term, warc, false);
        counter.feed(input);
        counter.finish();
        return counter.records();
    };
    CHECK(records_counted({}, {}) == 2);
    CHECK(records_counted({"metadata"}, {}) == 1);
    CHECK(records_counted({"metadata", "conversion"}, {}) == 3);
    CHECK(records_counted({}, {"fra"}) == 1);
    CHECK(records_counted({}, {"ENG", "deu"}) == 2);
    CHECK(split_warc_list(" eng, ,fra ") == std::vector<std::string>{"eng", "fra"});
}

TEST_CASE("WarcFramer and RecordTally: only complete records count") {
    const Matcher matcher(RuleSet({{"elvis", {}}}, {}));
    WarcOptions warc;
    warc.enabled = true;
    WarcCounter counter(matcher, Counting::each_term, warc, false);
    counter.feed(serialize(plain("conversion", "elvis elvis"), 0) + "WARC/1.0\r\nContent-Length: 50\r\n\r\nelvis");
    CHECK_THROWS_AS(counter.finish(), RecordError);
    CHECK(counter.counts()[0] == 2);
    CHECK(counter.records() == 1);
    counter.feed(serialize(plain("conversion", "elvis"), 1));  // a new stream after the error
    counter.finish();
    CHECK(counter.counts()[0] == 3);
}

namespace {

std::string rewrite_records(const Matcher& matcher, const WarcOptions& warc, std::string_view input, std::size_t piece,
                            std::optional<std::string>* error = nullptr) {
    StringSink out;
    WarcRewriter rewriter(matcher, warc, out, nullptr);
    for (std::size_t at = 0; at < input.size(); at += piece) rewriter.feed(input.substr(at, piece));
    const std::optional<RecordError> e = rewriter.finish();
    if (error && e) *error = e->what();
    return out.out;
}

}  // namespace

TEST_CASE("WarcRewriter: payloads rewritten, Content-Length and digests fixed, the rest as it was") {
    const Matcher matcher(RuleSet({{"x", "abc"}, {"elvis", "The King"}}, {}));
    WarcOptions warc;
    warc.enabled = true;
    // sha1("abc") is A9993E36...D89D, in base32 VGMT4NSH...BWE5 (RFC 3174's and RFC 4648's vectors).
    const std::string input =
        "WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Block-Digest: sha1:OLD\r\nContent-Length: 1\r\n\r\nx\r\n\r\n"
        "WARC/1.0\r\nWARC-Type: metadata\r\nContent-Length: 5\r\n\r\nelvis\r\n\r\n"
        "WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Block-Digest: sha1:KEPT\r\nContent-Length: 4\r\n\r\nnone\r\n\r\n"
        "WARC/1.0\r\nWARC-Type: response\r\nWARC-Payload-Digest: sha1:OLD\r\nWARC-Block-Digest: md5:OLD\r\n"
        "content-length: 11\n\nHTTP/1.1\n\nx\r\n\r\n";
    const std::string expected =
        "WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Block-Digest: sha1:VGMT4NSHA2AWVOR6EVYXQUGCNSONBWE5\r\n"
        "Content-Length: 3\r\n\r\nabc\r\n\r\n"
        "WARC/1.0\r\nWARC-Type: metadata\r\nContent-Length: 5\r\n\r\nelvis\r\n\r\n"
        "WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Block-Digest: sha1:KEPT\r\nContent-Length: 4\r\n\r\nnone\r\n\r\n"
        "WARC/1.0\r\nWARC-Type: response\r\nWARC-Payload-Digest: sha1:VGMT4NSHA2AWVOR6EVYXQUGCNSONBWE5\r\n"
        "content-length: 13\n\nHTTP/1.1\n\nabc\r\n\r\n";
    for (std::size_t piece : {1, 3, 64, 4096}) {
        CAPTURE(piece);
        CHECK(rewrite_records(matcher, warc, input, piece) == expected);
    }
    warc.digests = WarcOptions::Digests::drop;
    CHECK(rewrite_records(matcher, warc, input, 5).find("sha1:VGMT") == std::string::npos);
    CHECK(rewrite_records(matcher, warc, input, 5).find("sha1:KEPT") != std::string::npos);
}

TEST_CASE("WarcRewriter: a block larger than its memory goes through a temporary file") {
    const Matcher matcher(RuleSet({{"elvis", "Elvis"}}, {}));
    WarcOptions warc;
    warc.enabled = true;
    std::string payload;
    while (payload.size() < WarcRewriter::memory_bytes + 100000) payload += "elvis and the king, ";
    const std::string input = serialize(plain("conversion", payload), 0);
    std::string expected = input;
    for (std::size_t at = input.find("\r\n\r\n"); (at = expected.find("elvis", at)) != std::string::npos;) expected[at] = 'E';
    const std::string got = rewrite_records(matcher, warc, input, 1 << 20);
    CHECK(got.size() == expected.size());
    CHECK(got == expected);  // same length: the header only differs if a digest were there
}

TEST_CASE("WarcRewriter: a malformed record and all after it are written, and reported") {
    const Matcher matcher(RuleSet({{"elvis", "Elvis"}}, {}));
    WarcOptions warc;
    warc.enabled = true;
    const std::string good = serialize(plain("conversion", "nothing"), 0);
    for (const std::string& bad : {std::string("WARC/1.0\r\nContent-Length: 2\r\n\r\nabcd\r\n\r\nWARC/1.0 more"),
                                   std::string("WARC/1.0\r\nContent-Length: 99\r\n\r\nabcd"),
                                   std::string("HTTP/1.1 200\r\n\r\nelvis")}) {
        for (std::size_t piece : {1, 7, 4096}) {
            std::optional<std::string> error;
            CHECK(rewrite_records(matcher, warc, good + bad, piece, &error) == good + bad);
            REQUIRE(error);
            CHECK(error->starts_with("byte "));
        }
    }
}

TEST_CASE("WarcRewriter with gzip output: one member per record") {
    const Matcher matcher(RuleSet({{"elvis", "Elvis"}}, {}));
    WarcOptions warc;
    warc.enabled = true;
    StringSink compressed;
    GzipSink gzip(compressed);
    WarcRewriter rewriter(matcher, warc, gzip, &gzip);
    const std::string input = serialize({plain("conversion", "elvis"), plain("metadata", "x"), plain("resource", "")});
    rewriter.feed(input);
    CHECK(!rewriter.finish());
    // Each member starts with the gzip magic and ends with the length of one record.
    std::size_t members = 0;
    for (std::size_t at = 0; (at = compressed.out.find("\x1f\x8b\x08", at)) != std::string::npos; ++at) ++members;
    CHECK(members == 3);
}

TEST_CASE("merge sums the #warc line and refuses to mix WARC counts with others") {
    TsvMerger merger;
    merger.add("a", "elvis\t3\t2\n#warc\trecords\t10\tpayload-bytes\t100\n");
    merger.add("b", "elvis\t1\t1\n#warc\trecords\t5\tpayload-bytes\t7\n");
    CHECK(merger.output() == "elvis\t4\t3\n#warc\trecords\t15\tpayload-bytes\t107\n");
    TsvMerger mixed;
    mixed.add("a", "elvis\t3\t2\n#warc\trecords\t10\tpayload-bytes\t100\n");
    CHECK_THROWS_AS(mixed.add("b", "elvis\t3\t2\n"), MergeError);
    TsvMerger malformed;
    CHECK_THROWS_AS(malformed.add("a", "#warc\trecords\tx\tpayload-bytes\t1\n"), MergeError);
}

TEST_CASE("WarcRewriter: a digest field given twice gets the same digest twice") {
    const Matcher matcher(RuleSet({{"x", "abc"}}, {}));
    WarcOptions warc;
    warc.enabled = true;
    const std::string input = "WARC/1.0\r\nWARC-Type: resource\r\nWARC-Block-Digest: sha1:A\r\nWARC-Block-Digest: sha1:B\r\n"
                              "Content-Length: 1\r\n\r\nx\r\n\r\n";
    const std::string digest = "WARC-Block-Digest: sha1:VGMT4NSHA2AWVOR6EVYXQUGCNSONBWE5\r\n";
    CHECK(rewrite_records(matcher, warc, input, 4096) ==
          "WARC/1.0\r\nWARC-Type: resource\r\n" + digest + digest + "Content-Length: 3\r\n\r\nabc\r\n\r\n");
}

TEST_CASE("WarcRewriter: a temporary file that cannot be made fails the stream, and the next one goes on") {
    const Matcher matcher(RuleSet({{"elvis", "Elvis"}}, {}));
    WarcOptions warc;
    warc.enabled = true;
    const char* saved = std::getenv("TMPDIR");
    const std::string kept = saved ? saved : "";
    ::setenv("TMPDIR", "/nonexistent-elvis-test", 1);
    StringSink out;
    WarcRewriter rewriter(matcher, warc, out, nullptr);
    CHECK_THROWS_AS(rewriter.feed(serialize(plain("conversion", std::string(WarcRewriter::memory_bytes + 10, 'e')), 0)), IoError);
    CHECK(!rewriter.finish());
    if (saved) ::setenv("TMPDIR", kept.c_str(), 1);
    else ::unsetenv("TMPDIR");
    out.out.clear();
    const std::string small = serialize(plain("conversion", "elvis"), 0);
    rewriter.feed(small);
    CHECK(!rewriter.finish());
    CHECK(out.out == serialize(plain("conversion", "Elvis"), 0));
}
