// Counters: streaming counts and record counts against the reference, over every split.
#include <doctest/doctest.h>

#include <random>
#include <set>

#include "elvis/counter.hpp"
#include "engine/ascii.hpp"
#include "support/reference.hpp"
#include "support/sweep.hpp"

using namespace elvis;

namespace {

// Feeds `input` in pieces of `piece` bytes, each from a buffer overwritten after its feed, as a
// reader's buffer is, then finishes the stream.
template <class Counter>
void feed_in_pieces(Counter& counter, std::string_view input, std::size_t piece) {
    std::string buffer;
    for (std::size_t at = 0; at < input.size(); at += piece) {
        buffer = input.substr(at, piece);
        counter.feed(buffer);
        buffer.assign(buffer.size(), '#');
    }
    counter.finish();
}

std::vector<std::uint64_t> count_in_pieces(const Matcher& matcher, std::string_view input, std::size_t piece,
                                           Counting counting = Counting::each_term) {
    StreamCounter counter(matcher, counting);
    feed_in_pieces(counter, input, piece);
    return {counter.counts().begin(), counter.counts().end()};
}

std::vector<std::uint64_t> records_in_pieces(const Matcher& terms, const Matcher& markers, std::string_view input,
                                             std::size_t piece, Counting counting = Counting::each_term) {
    RecordCounter counter(terms, markers, counting);
    feed_in_pieces(counter, input, piece);
    return {counter.counts().begin(), counter.counts().end()};
}

// `n` bytes drawn from `alphabet`.
std::string random_text(std::mt19937& rng, std::string_view alphabet, std::size_t n) {
    std::string s(n, ' ');
    for (char& c : s) c = alphabet[rng() % alphabet.size()];
    return s;
}

}  // namespace

TEST_CASE("exclusive counts follow leftmost-longest, non-overlapping semantics") {
    Matcher matcher(RuleSet({{"abab", ""}, {"ba", ""}}, {}));
    // abababab: abab at 0, abab at 4 -> 2, ba never starts a match of its own.
    for (std::size_t piece : {1, 2, 3, 5, 100}) {
        CAPTURE(piece);
        CHECK(count_in_pieces(matcher, "abababab", piece, Counting::exclusive) == std::vector<std::uint64_t>{2, 0});
        CHECK(count_in_pieces(matcher, "xbabab", piece, Counting::exclusive) == std::vector<std::uint64_t>{0, 2});
    }
}

TEST_CASE("each term on its own: overlapping terms are all counted, a term's own occurrences do not overlap") {
    const std::string text = "the vice-president met the president; a dentist";
    Matcher matcher(RuleSet({{"president", ""}, {"vice-president", ""}, {"dent", ""}}, {}));
    CHECK(matcher.terms_overlap());
    CHECK(!matcher.term_overlaps_itself());
    Matcher abab(RuleSet({{"abab", ""}, {"ba", ""}}, {}));
    Matcher runs(RuleSet({{"aa", ""}, {"a", ""}, {"aaa", ""}}, {}));
    CHECK(runs.term_overlaps_itself());
    for (std::size_t piece : {1, 2, 3, 5, 100}) {
        CAPTURE(piece);
        CHECK(count_in_pieces(matcher, text, piece) == std::vector<std::uint64_t>{2, 1, 3});
        CHECK(count_in_pieces(matcher, text, piece, Counting::exclusive) == std::vector<std::uint64_t>{1, 1, 1});
        CHECK(count_in_pieces(abab, "abababab", piece) == std::vector<std::uint64_t>{2, 3});
        CHECK(count_in_pieces(abab, "xbabab", piece) == std::vector<std::uint64_t>{1, 2});
        // grep -o aa | wc -l gives 2 for aaaa and 1 for aaa.
        CHECK(count_in_pieces(runs, "aaaa aaa", piece) == std::vector<std::uint64_t>{3, 7, 2});
    }
}

TEST_CASE("each term on its own: whole words, ignore case and case variants per term") {
    Matcher word(RuleSet({{"elvis", ""}, {"elvis-elvis", ""}, {"vis", ""}}, {.whole_word = true}));
    CHECK(count_in_pieces(word, "x elvis-elvis elvis_ elvis", 2) == std::vector<std::uint64_t>{3, 1, 0});
    Matcher folded(RuleSet({{"Elvis", ""}, {"LVIS", ""}}, {.ignore_case = true}));
    CHECK(count_in_pieces(folded, "ELVIS elvis eLvIs", 4) == std::vector<std::uint64_t>{3, 3});
    // The variants of one term compete with each other only: Elvis is a variant of elvis.
    Matcher variants(RuleSet({{"elvis", ""}, {"lvi", ""}}, {.preserve_case = true}));
    CHECK(count_in_pieces(variants, "Elvis ELVIS elvis", 3) == std::vector<std::uint64_t>{3, 3});
    CHECK(count_in_pieces(variants, "Elvis ELVIS elvis", 3, Counting::exclusive) == std::vector<std::uint64_t>{3, 0});
}

TEST_CASE("counts with every prefilter (probes, buckets, start table) and instruction set, both countings") {
    std::mt19937 rng(64);
    const std::string stems[] = {"pre", "sid", "ent", "de", "vi", "ce", "-", "a", "Ab"};
    auto word = [&](std::size_t most) {
        std::string w;
        for (std::size_t k = 0, n = 1 + rng() % most; k < n; ++k) w += stems[rng() % std::size(stems)];
        return w;
    };
    for (int round = 0; round < 400; ++round) {
        const std::size_t sizes[] = {2, 9, 16, 17, 30, 64, 65, 120};
        const std::size_t terms = sizes[round % std::size(sizes)];
        MatchOptions options{.ignore_case = rng() % 3 == 0, .whole_word = rng() % 3 == 0};
        std::vector<Rule> rules;
        std::set<std::string> seen;
        while (rules.size() < terms)
            if (std::string w = word(3); seen.insert(options.ignore_case ? ascii::lowered(w) : w).second) rules.push_back({w, ""});
        std::string input;
        while (input.size() < 2000) input += word(4) + (rng() % 3 ? "" : rng() % 2 ? " " : "\n");
        for (Counting counting : {Counting::each_term, Counting::exclusive}) {
            const auto expected = reference::count(rules, options, input, counting);
            CAPTURE(terms);
            CAPTURE(static_cast<int>(counting));
            elvis::testing::for_each_isa(RuleSet(rules, options), [&](const Matcher& matcher) {
                CHECK(count_in_pieces(matcher, input, 1 + rng() % 300, counting) == expected);
                CHECK(count_in_pieces(matcher, input, 4096, counting) == expected);
            });
        }
    }
}

TEST_CASE("Matcher tells terms that overlap each other or themselves") {
    auto flags = [](std::vector<Rule> rules, MatchOptions options = {}) {
        Matcher m(RuleSet(std::move(rules), options));
        return std::pair{m.terms_overlap(), m.term_overlaps_itself()};
    };
    CHECK(flags({{"elvis", ""}, {"king", ""}}) == std::pair{false, false});
    CHECK(flags({{"elvis", ""}, {"vis", ""}}) == std::pair{true, false});      // one inside the other
    CHECK(flags({{"elvis", ""}, {"visit", ""}}) == std::pair{true, false});    // the end of one starts the other
    CHECK(flags({{"elvis", ""}, {"el", ""}}) == std::pair{true, false});       // a prefix
    CHECK(flags({{"abab", ""}, {"xy", ""}}) == std::pair{false, true});        // abab twice in ababab
    CHECK(flags({{"elvis", ""}, {"KING", ""}}, {.ignore_case = true}) == std::pair{false, false});
    CHECK(flags({{"elvis", ""}, {"Vis", ""}}) == std::pair{false, false});
    CHECK(flags({{"elvis", ""}, {"Vis", ""}}, {.ignore_case = true}) == std::pair{true, false});
    CHECK(flags({{"visa", ""}, {"ELVIS", ""}}, {.ignore_case = true}) == std::pair{true, false});
    CHECK(flags({{"elvis", ""}}, {.preserve_case = true}) == std::pair{false, false});
}

TEST_CASE("counts: ignore case and whole words") {
    Matcher ci(RuleSet({{"elvis", ""}}, {.ignore_case = true}));
    CHECK(count_in_pieces(ci, "Elvis ELVIS elvis eLviS", 3) == std::vector<std::uint64_t>{4});
    Matcher word(RuleSet({{"elvis", ""}}, {.whole_word = true}));
    CHECK(count_in_pieces(word, "elvis elvises elvis_ (elvis)", 2) == std::vector<std::uint64_t>{2});
}

TEST_CASE("counts: randomized against the reference") {
    std::mt19937 rng(99);
    auto text = [&](std::size_t n) { return random_text(rng, "abA ", n); };
    for (int round = 0; round < 2000; ++round) {
        std::vector<Rule> rules;
        for (std::size_t i = 0, n = 1 + rng() % 6; i < n; ++i) rules.push_back({text(1 + rng() % 4), ""});
        MatchOptions options{.ignore_case = rng() % 2 == 0, .whole_word = rng() % 3 == 0};
        const Counting counting = round % 2 ? Counting::each_term : Counting::exclusive;
        try {
            Matcher matcher(RuleSet(rules, options));
            std::string input = text(rng() % 150);
            CAPTURE(input);
            CAPTURE(static_cast<int>(counting));
            CHECK(count_in_pieces(matcher, input, 1 + rng() % 20, counting) ==
                  reference::count(rules, options, input, counting));
        } catch (const RuleError&) {
        }
    }
}

TEST_CASE("each term on its own: up to thousands of terms with shared prefixes and suffixes") {
    std::mt19937 rng(2026);
    for (std::size_t terms : {1, 17, 300, 2000}) {
        CAPTURE(terms);
        // Words over a small alphabet with common stems, so terms nest and chain.
        const std::string stems[] = {"pre", "sid", "ent", "de", "vi", "ce", "-"};
        auto word = [&] {
            std::string w;
            for (std::size_t k = 0, n = 1 + rng() % 4; k < n; ++k) w += stems[rng() % std::size(stems)];
            return w;
        };
        std::vector<Rule> rules;
        std::set<std::string> seen;
        while (rules.size() < terms)
            if (std::string w = word(); seen.insert(w).second) rules.push_back({w, ""});
        std::string input;
        while (input.size() < 6000) input += word() + (rng() % 3 ? "" : " ");
        for (MatchOptions options : {MatchOptions{}, MatchOptions{.whole_word = true}}) {
            Matcher matcher(RuleSet(rules, options));
            const auto expected = reference::count(rules, options, input, Counting::each_term);
            for (std::size_t piece : {std::size_t{1} + rng() % 7, std::size_t{4096}})
                CHECK(count_in_pieces(matcher, input, piece) == expected);
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
        Counting counting = Counting::exclusive;
    };
    const std::vector<Case> cases = {
        // "t>xy" would start in the opening marker: a record's content is a stream of its own.
        {{{"<", ""}, {"t>xy", ""}, {"xy", ""}}, "tt", {"<tt", ">xy</tt>"}, {0, 0, 1}, 1},
        // Each term on its own, the "xy" inside is there too.
        {{{"<", ""}, {"t>xy", ""}, {"xy", ""}}, "tt", {"<tt", ">xy</tt>"}, {0, 0, 1}, 1, Counting::each_term},
        {{{"<", ""}}, "r", {"<r"}, {0}, 0},
        {{{"a<t>bc", ""}}, "t", {"a<t>b"}, {0}, 0},
        {{{"elvis", ""}}, "item", {"<item>el", "vis</it", "em><item>elvi", "s</item>"}, {2}, 2},
        // A term that would run into </rec> is not inside, whatever the counting
        // (fuzz/regressions/fuzz_count/record-each-term-straddles-closing-marker).
        {{{"s</re", ""}}, "rec", {"<rec>elvis</rec>"}, {0}, 1},
        {{{"s</re", ""}}, "rec", {"<rec>elvis</rec>"}, {0}, 1, Counting::each_term},
        {{{"elvis", ""}, {"vis", ""}}, "item", {"<item>el", "vis</it", "em><item>elvi", "s</item>"}, {2, 2}, 2,
         Counting::each_term},
    };
    for (const Case& c : cases) {
        Matcher terms(RuleSet(c.terms, {}));
        Matcher markers(RuleSet(record_markers(c.tag), {}));
        RecordCounter counter(terms, markers, c.counting);
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

TEST_CASE("records: randomized against the reference, each term on its own and exclusive") {
    std::mt19937 rng(7);
    auto text = [&](std::size_t n) { return random_text(rng, "ab<>/ ", n); };
    Matcher markers(RuleSet(record_markers("a"), {}));
    for (int round = 0; round < 2000; ++round) {
        std::vector<Rule> rules;
        for (std::size_t i = 0, n = 1 + rng() % 5; i < n; ++i) rules.push_back({text(1 + rng() % 4), ""});
        MatchOptions options{.whole_word = rng() % 3 == 0};
        const Counting counting = round % 2 ? Counting::each_term : Counting::exclusive;
        try {
            Matcher terms(RuleSet(rules, options));
            std::string input = text(rng() % 200);
            CAPTURE(input);
            CAPTURE(static_cast<int>(counting));
            const reference::Records want = reference::records(rules, options, "a", false, input, counting);
            RecordCounter counter(terms, markers, counting);
            feed_in_pieces(counter, input, 1 + rng() % 20);
            CHECK(std::vector<std::uint64_t>(counter.counts().begin(), counter.counts().end()) == want.counts);
            CHECK(counter.records() == want.records);
        } catch (const RuleError&) {
        }
    }
}

TEST_CASE("records: a tag that would make overlapping markers is refused") {
    for (const char* tag : {"", "a/b", "<x", "x>", "two words"}) CHECK_THROWS_AS(record_markers(tag), RuleError);
    CHECK(record_markers("item").size() == 7);
}
