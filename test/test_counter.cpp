// Counters: streaming counts and record counts against the reference, over every split.
#include <doctest/doctest.h>

#include <random>

#include "elvis/counter.hpp"
#include "support/reference.hpp"

using namespace elvis;

namespace {

std::vector<std::uint64_t> count_in_pieces(const Matcher& matcher, std::string_view input, std::size_t piece) {
    StreamCounter counter(matcher);
    for (std::size_t at = 0; at < input.size(); at += piece) counter.feed(input.substr(at, piece));
    counter.finish();
    return {counter.counts().begin(), counter.counts().end()};
}

std::vector<std::uint64_t> records_in_pieces(const Matcher& terms, const Matcher& markers, std::string_view input,
                                             std::size_t piece) {
    RecordCounter counter(terms, markers);
    for (std::size_t at = 0; at < input.size(); at += piece) counter.feed(input.substr(at, piece));
    counter.finish();
    return {counter.counts().begin(), counter.counts().end()};
}

}  // namespace

TEST_CASE("counts follow leftmost-longest, non-overlapping semantics") {
    Matcher matcher(RuleSet({{"abab", ""}, {"ba", ""}}, {}));
    // abababab: abab at 0, abab at 4 -> 2, ba never starts a match of its own.
    for (std::size_t piece : {1, 2, 3, 5, 100}) {
        CAPTURE(piece);
        CHECK(count_in_pieces(matcher, "abababab", piece) == std::vector<std::uint64_t>{2, 0});
        CHECK(count_in_pieces(matcher, "xbabab", piece) == std::vector<std::uint64_t>{0, 2});
    }
}

TEST_CASE("counts: ignore case and whole words") {
    Matcher ci(RuleSet({{"elvis", ""}}, {.ignore_case = true}));
    CHECK(count_in_pieces(ci, "Elvis ELVIS elvis eLviS", 3) == std::vector<std::uint64_t>{4});
    Matcher word(RuleSet({{"elvis", ""}}, {.whole_word = true}));
    CHECK(count_in_pieces(word, "elvis elvises elvis_ (elvis)", 2) == std::vector<std::uint64_t>{2});
}

TEST_CASE("counts: randomized against the reference") {
    std::mt19937 rng(99);
    const std::string alphabet = "abA ";
    auto text = [&](std::size_t n) {
        std::string s(n, ' ');
        for (char& c : s) c = alphabet[rng() % alphabet.size()];
        return s;
    };
    for (int round = 0; round < 1000; ++round) {
        std::vector<Rule> rules;
        for (std::size_t i = 0, n = 1 + rng() % 4; i < n; ++i) rules.push_back({text(1 + rng() % 4), ""});
        MatchOptions options{.ignore_case = rng() % 2 == 0, .whole_word = rng() % 3 == 0};
        try {
            Matcher matcher(RuleSet(rules, options));
            std::string input = text(rng() % 150);
            CHECK(count_in_pieces(matcher, input, 1 + rng() % 20) == reference::count(rules, options, input));
        } catch (const RuleError&) {
        }
    }
}

TEST_CASE("records: a term counts once per record that contains it") {
    Matcher terms(RuleSet({{"president", ""}, {"elvis", ""}}, {}));
    Matcher markers(RuleSet(record_markers("item"), {}));
    const std::string feed =
        "<rss><item><title>the president</title> president again</item>"
        "<items>elvis outside</items>"
        "<item id=\"2\">elvis and the president</item>"
        "<item>nothing here</item>"
        "president outside"
        "<item>elvis <item>nested opening is content</item>"
        "<item/>"
        "<item>elvis left open at the end";
    for (std::size_t piece : {1, 2, 3, 7, 64, 4096}) {
        CAPTURE(piece);
        CHECK(records_in_pieces(terms, markers, feed, piece) == std::vector<std::uint64_t>{2, 2});
    }
    RecordCounter counter(terms, markers);
    counter.feed(feed);
    counter.finish();
    CHECK(counter.records() == 4);
}

// Regression (fuzz_count, fuzz/regressions/fuzz_count/record-*): RecordCounter returned from
// feed() while one scanner still needed the chunk, so a caller reusing its buffer got wrong
// counts (and ASan a use-after-free). Each chunk here is overwritten as soon as feed() returns.
TEST_CASE("records: counts survive the caller reusing its buffer after feed()") {
    struct Case {
        std::vector<Rule> terms;
        std::string tag;
        std::vector<std::string> pieces;
        std::vector<std::uint64_t> expected;
        std::uint64_t records;
    };
    const std::vector<Case> cases = {
        // "t>xy" consumes the "xy" inside the record, and starts before the record does.
        {{{"<", ""}, {"t>xy", ""}, {"xy", ""}}, "tt", {"<tt", ">xy</tt>"}, {0, 0, 0}, 1},
        {{{"<", ""}}, "r", {"<r"}, {0}, 0},
        {{{"a<t>bc", ""}}, "t", {"a<t>b"}, {0}, 0},
        {{{"elvis", ""}}, "item", {"<item>el", "vis</it", "em><item>elvi", "s</item>"}, {2}, 2},
    };
    for (const Case& c : cases) {
        Matcher terms(RuleSet(c.terms, {}));
        Matcher markers(RuleSet(record_markers(c.tag), {}));
        RecordCounter counter(terms, markers);
        std::string buffer;
        for (const std::string& piece : c.pieces) {
            buffer = piece;
            counter.feed(buffer);
            buffer.assign(buffer.size(), '#');
        }
        counter.finish();
        CHECK(std::vector<std::uint64_t>(counter.counts().begin(), counter.counts().end()) == c.expected);
        CHECK(counter.records() == c.records);
    }
}

TEST_CASE("records: a tag that would make overlapping markers is refused") {
    for (const char* tag : {"", "a/b", "<x", "x>", "two words"}) CHECK_THROWS_AS(record_markers(tag), RuleError);
    CHECK(record_markers("item").size() == 7);
}
