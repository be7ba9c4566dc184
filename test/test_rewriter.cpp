// The streaming rewriter: reference table, self-overlap, multiple rules, case, words, splits.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <sstream>

#include "elvis/rewriter.hpp"
#include "engine/ascii.hpp"
#include "engine/prefilter.hpp"
#include "support/reference.hpp"
#include "support/split.hpp"
#include "support/sweep.hpp"

using namespace elvis;
using elvis::testing::random_sizes;
using elvis::testing::check_rewrite;
using elvis::testing::for_each_isa;
using elvis::testing::rewrite_in_pieces;
using elvis::testing::supported_isas;

namespace {

Matcher make(std::vector<Rule> rules, MatchOptions options = {}, Isa isa = Isa::best) {
    return Matcher(RuleSet(std::move(rules), options), isa);
}

// Checks the one-shot rewrite, then every two-piece split, then single bytes, both ways.
void check_all_splits(const Matcher& matcher, std::string_view input, std::string_view expected) {
    CAPTURE(input);
    REQUIRE(rewrite(matcher, input) == expected);
    for (std::size_t cut = 0; cut <= input.size(); ++cut) {
        CAPTURE(cut);
        StreamRewriter rewriter(matcher);
        StringSink sink;
        std::string first(input.substr(0, cut)), second(input.substr(cut));
        rewriter.feed(std::span<char>(first.data(), first.size()), sink);
        rewriter.feed(std::span<char>(second.data(), second.size()), sink);
        rewriter.finish(sink);
        REQUIRE(sink.out == expected);
    }
    REQUIRE(rewrite_in_pieces(matcher, input, {1}) == expected);
    REQUIRE(rewrite_in_pieces(matcher, input, {1}, false) == expected);
}

const std::vector<std::pair<std::string, std::string>> reference_table = {
    {"abc", "abc"},
    {"elvis", "Elvis"},
    {"aElvis", "aElvis"},
    {"abcelvis", "abcElvis"},
    {"eelvis", "eElvis"},
    {"aelvis", "aElvis"},
    {"aabeeeelvis", "aabeeeElvis"},
    {"e l v i s", "e l v i s"},
    {"aa bb e l v i saa", "aa bb e l v i saa"},
    {" elvi s", " elvi s"},
    {"elvielvis", "elviElvis"},
    {"elvielvielviselvi1", "elvielviElviselvi1"},
    {"elvielviselvis", "elviElvisElvis"},
};

}  // namespace

TEST_CASE("reference table: each row, split at every point") {
    Matcher matcher(RuleSet::default_rules());
    for (const auto& [input, expected] : reference_table) check_all_splits(matcher, input, expected);
}

TEST_CASE("reference table: all rows concatenated, split at every point") {
    Matcher matcher(RuleSet::default_rules());
    std::string input, expected;
    for (const auto& [in, out] : reference_table) input += in, expected += out;
    check_all_splits(matcher, input, expected);
}

TEST_CASE("self-overlapping needles") {
    check_all_splits(make({{"aab", "X"}}), "aaab", "aX");
    check_all_splits(make({{"abab", "X"}}), "abababab", "XX");
    check_all_splits(make({{"abab", "X"}}), "ababab", "Xab");
    check_all_splits(make({{"elvis", "Elvis"}}), "eelvis", "eElvis");
    check_all_splits(make({{"elvis", "Elvis"}}), "elvielvis", "elviElvis");
    check_all_splits(make({{"aaa", "b"}}), "aaaaaaa", "bba");
    check_all_splits(make({{"abcabd", "X"}}), "abcabcabd", "abcX");
}

TEST_CASE("leftmost wins, then longest at the same start") {
    check_all_splits(make({{"bc", "1"}, {"abcd", "2"}}), "abcd", "2");
    check_all_splits(make({{"bc", "1"}, {"abcd", "2"}}), "abce", "a1e");
    check_all_splits(make({{"ab", "1"}, {"abc", "2"}}), "abcab", "21");
    check_all_splits(make({{"abc", "1"}, {"b", "2"}}), "abxabc", "a2x1");
    check_all_splits(make({{"he", "1"}, {"she", "2"}, {"hers", "3"}}), "ushers", "u2rs");
    check_all_splits(make({{"x", "1"}, {"xxxxb", "2"}}), "xxxxxxb", "112");
}

TEST_CASE("matches seen while a longer needle ran on are reported after the first, not read again") {
    // At 'X', "ab" is final; "bcd" (longest ending at d) overlaps it, "cd" (shorter) follows it.
    check_all_splits(make({{"ab", "1"}, {"abcde", "2"}, {"bcd", "3"}, {"cd", "4"}}), "abcdX", "14X");
    check_all_splits(make({{"ab", "1"}, {"abcde", "2"}, {"bcd", "3"}, {"cd", "4"}}), "abcde abcd", "2 14");
    // The long needle fails after several short matches; one of them also starts it again.
    check_all_splits(make({{"aa", "1"}, {"aaaaab", "2"}}), "aaaaaaab", "12");
    check_all_splits(make({{"aa", "1"}, {"aaaaab", "2"}}), "aaaaaaaaa", "1111a");
    check_all_splits(make({{"aa", "1"}, {"aaaaab", "2"}}, {.whole_word = true}), "aa aaaaab aaaaa", "1 2 aaaaa");
    check_all_splits(make({{"ab", "1"}, {"b", "2"}, {"abxyz", "3"}, {"xy", "4"}}), "abxyQ", "14Q");
    check_all_splits(make({{"he", "1"}, {"hers", "2"}, {"ers", "3"}, {"r", "4"}}, {.ignore_case = true}),
                     "HERe", "14e");
}

TEST_CASE("replacement text is never rescanned") {
    check_all_splits(make({{"a", "aa"}}), "aaa", "aaaaaa");
    check_all_splits(make({{"ab", "b"}, {"b", "c"}}), "aab", "ab");
    check_all_splits(make({{"elvis", "elvis elvis"}}), "elvis", "elvis elvis");
}

TEST_CASE("shorter, longer and empty replacements") {
    check_all_splits(make({{"elvis", ""}}), "elvis has left", " has left");
    check_all_splits(make({{"elvis", "The King"}}), "elvis, elvis!", "The King, The King!");
    check_all_splits(make({{"cat", "dog"}, {"mouse", "rat"}}), "cat and mouse", "dog and rat");
}

TEST_CASE("ignore case folds ASCII letters only") {
    MatchOptions ci{.ignore_case = true};
    check_all_splits(make({{"elvis", "Elvis"}}, ci), "ELVIS eLvIs elvis", "Elvis Elvis Elvis");
    check_all_splits(make({{"\xc3\xa9t\xc3\xa9", "x"}}, ci), "\xc3\x89T\xc3\xa9 \xc3\xa9T\xc3\xa9", "\xc3\x89T\xc3\xa9 x");
    check_all_splits(make({{"a[", "x"}}, ci), "A{ a[ A[", "A{ x x");
}

TEST_CASE("whole word needs a non-word byte (or the edge) on both sides") {
    MatchOptions word{.whole_word = true};
    check_all_splits(make({{"elvis", "Elvis"}}, word), "elvis elvises _elvis elvis1 (elvis) elvis",
                     "Elvis elvises _elvis elvis1 (Elvis) Elvis");
    check_all_splits(make({{"foo", "1"}, {"foobar", "2"}}, word), "foobar foobarx foo", "2 foobarx 1");
    check_all_splits(make({{"a", "1"}, {"a b", "2"}}, word), "a b a ab", "2 1 ab");
    check_all_splits(make({{"ab", "XY"}}, word), "ab ab-ab", "XY XY-XY");
}

TEST_CASE("bytes outside matches pass through untouched") {
    Matcher matcher(RuleSet::default_rules());
    const char in[] = "\0\xff\r\nelvis\0\xc3(\r\n";
    const char out[] = "\0\xff\r\nElvis\0\xc3(\r\n";
    std::string binary(in, sizeof in - 1), expected(out, sizeof out - 1);
    check_all_splits(matcher, binary, expected);
    check_all_splits(matcher, "no newline at the end elvis", "no newline at the end Elvis");
    check_all_splits(make({{std::string("\0\0", 2), "z"}}), std::string("\0\0\0a", 4), std::string("z\0a", 3));
}

TEST_CASE("a needle longer than every chunk") {
    std::string needle(4096, 'a');
    needle += 'b';
    Matcher matcher = make({{needle, "X"}});
    std::string input = std::string(5000, 'a') + "b" + std::string(10, 'a');
    std::string expected = std::string(5000 - 4096, 'a') + "X" + std::string(10, 'a');
    for (std::size_t size : {1, 7, 512, 4096, 4097, 9000}) CHECK(rewrite_in_pieces(matcher, input, {size}) == expected);
}

TEST_CASE("randomized: streaming equals the reference for every split and instruction set") {
    std::mt19937 rng(20261125);
    const std::string alphabet = "abAB_ ";
    auto text_of_length = [&](std::size_t len) {
        std::string s(len, ' ');
        for (char& c : s) c = alphabet[rng() % alphabet.size()];
        return s;
    };
    auto random_text = [&](std::size_t max_len) { return text_of_length(rng() % max_len); };
    std::size_t few_probed_rounds = 0, many_probed_rounds = 0, bucketed_rounds = 0, start_table_rounds = 0;
    for (int round = 0; round < 4000; ++round) {
        // Up to 110 rules: the prefilter's probes take up to max_probed_needles, its buckets up to
        // max_bucketed_needles, a start-byte table the rest.
        MatchOptions options{.ignore_case = rng() % 3 == 0, .whole_word = rng() % 3 == 0};
        std::vector<Rule> rules;
        std::set<std::string> seen;
        const std::size_t count = round % 3 == 0 ? 70 + rng() % 40 : round % 3 == 1 ? 1 + rng() % 20 : 17 + rng() % 16;
        // Same-length replacements are patched into the chunk in place, so later word tests
        // must judge the bytes as they were read.
        const bool same_length = rng() % 2 == 0;
        for (std::size_t i = 0; i < count; ++i) {
            std::string find = random_text(6);
            if (find.empty()) find.assign(1, 'a');
            if (!seen.insert(options.ignore_case ? ascii::lowered(find) : find).second) continue;  // a duplicate
            rules.push_back({find, same_length ? text_of_length(find.size()) : random_text(4)});
        }
        const auto set = std::make_unique<RuleSet>(rules, options);
        ++(rules.size() > Prefilter::max_bucketed_needles ? start_table_rounds
           : rules.size() > Prefilter::max_probed_needles ? bucketed_rounds
           : rules.size() > 4                             ? many_probed_rounds
                                                          : few_probed_rounds);
        std::string input = random_text(200);
        std::string expected = reference::rewrite(rules, options, input);
        CAPTURE(input);
        CAPTURE(round);
        check_rewrite(*set, input, expected, {random_sizes(rng, 40), random_sizes(rng, 40)});
    }
    CHECK(few_probed_rounds > 300);
    CHECK(many_probed_rounds > 300);
    CHECK(bucketed_rounds > 100);
    CHECK(start_table_rounds > 100);
}

TEST_CASE("randomized: long English-like text with one needle crosses SIMD blocks") {
    std::mt19937 rng(7);
    const char* words[] = {"elvis", "elvi", "lvis", "eelvis", "the", "king", "ELVIS", "presley", "\n", "e"};
    std::string input;
    while (input.size() < 200000) input += std::string(words[rng() % 10]) + (rng() % 4 ? " " : "");
    for (bool ci : {false, true}) {
        MatchOptions options{.ignore_case = ci};
        std::vector<Rule> rules{{"elvis", "Elvis"}};
        check_rewrite(RuleSet(rules, options), input, reference::rewrite(rules, options, input), {{4096, 3, 65536, 17}});
    }
}

TEST_CASE("one needle: the prefilter's batches of hits, self-overlapping and denser than a batch") {
    // Also as whole words: "elvis" between spaces, inside "elvielvis", at a chunk's edge.
    // Far more hits per chunk than one batch holds, needles that overlap themselves, and hits
    // right at the end of the prefilter's reach, for every instruction set and several splits.
    const std::vector<std::pair<std::string, std::string>> cases = {
        {std::string(1000, 'a'), "aa"},       {std::string(999, 'a'), "aaa"},
        {[] { std::string s; while (s.size() < 3000) s += "ab"; return s; }(), "aba"},
        {[] { std::string s; while (s.size() < 3000) s += "elvis elvielvis "; return s; }(), "elvis"},
        {[] { std::string s; while (s.size() < 3000) s += "ElViS eLvIeLVIS elvis "; return s; }(), "elvis"},
        {[] { std::string s; while (s.size() < 5000) s += "the king of rock and roll, THE KING OF ROCK AND ROL "; return s; }(),
         "the king of rock and roll"},  // longer than 16 bytes: compared with memcmp
    };
    for (const auto& one : cases) {
        const std::string& input = one.first;
        const std::string& find = one.second;
        for (const auto& flags : {std::pair{false, false}, {true, false}, {false, true}, {true, true}}) {
            const bool ci = flags.first, ww = flags.second;  // not structured bindings: clang 14 cannot CAPTURE those
            MatchOptions options{.ignore_case = ci, .whole_word = ww};
            const std::vector<Rule> rules{{find, "XY"}};
            const RuleSet set(rules, options);
            CAPTURE(find);
            CAPTURE(ww);
            for_each_isa(set, [](const Matcher& matcher) { REQUIRE(matcher.prefilter().verifies()); });
            check_rewrite(set, input, reference::rewrite(rules, options, input), {{31, 1, 64, 7, 500}, {33}});
        }
    }
}

TEST_CASE("whole words: a batch judges the byte before it as it was read, not as patched") {
    // 100 whole-word matches in a row: the first batch of hits ends inside them, and the next one
    // starts right after a match that the rewriter has already patched into a word byte.
    const std::string input = " " + std::string(100, '.') + " ";
    const std::string expected = " " + std::string(100, 'x') + " ";
    const std::vector<Rule> rules{{".", "x"}};
    const MatchOptions options{.whole_word = true};
    REQUIRE(reference::rewrite(rules, options, input) == expected);
    check_rewrite(RuleSet(rules, options), input, expected, {{70, 5}});
}

TEST_CASE("a few needles: the prefilter's batches of hits, leftmost first, then the longest") {
    // Needles that are prefixes, suffixes and overlaps of each other, hits denser than a batch,
    // one needle longer than 16 bytes, whole words where the longest needle fails the word test
    // and a shorter one passes: every batch must give what the automaton would.
    auto repeat = [](std::string_view unit, std::size_t size) {
        std::string s;
        while (s.size() < size) s += unit;
        return s;
    };
    const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
        {repeat("abcdabcxabcbcdab ab abcd bc ", 3000), {"ab", "abcd", "bc"}},
        {repeat("aaaaaaa b aa ", 3000), {"aa", "aaa"}},
        {repeat("elvis elvi lvis presley, Elvis Presley! is ", 3000), {"elvis", "elvi", "lvis presley", "is"}},
        {repeat("the king of rock and roll, the king of rock, THE KING OF ROCK AND ROLL ", 6000),
         {"the king of rock and roll", "king", "rock", "of"}},
        {repeat("ab abc abcd bc ab_c (ab) abc. ab-cd ab-c xab ", 3000), {"ab", "abcd", "bc", "ab-c"}},
    };
    for (const auto& one : cases) {
        const std::string& input = one.first;
        const std::vector<std::string>& finds = one.second;
        for (const auto& flags : {std::pair{false, false}, {true, false}, {false, true}, {true, true}}) {
            const bool ci = flags.first, ww = flags.second;  // not structured bindings: clang 14 cannot CAPTURE those
            MatchOptions options{.ignore_case = ci, .whole_word = ww};
            std::vector<Rule> rules;
            for (const std::string& find : finds) rules.push_back({find, std::string(1, static_cast<char>('0' + rules.size()))});
            const std::string expected = reference::rewrite(rules, options, input);
            REQUIRE(expected != input);
            CAPTURE(finds.front());
            CAPTURE(ci);
            CAPTURE(ww);
            const RuleSet set(rules, options);
            for_each_isa(set, [](const Matcher& matcher) { REQUIRE(matcher.prefilter().verifies()); });
            check_rewrite(set, input, expected, {{31, 1, 64, 7, 500}, {33}});
        }
    }
}

TEST_CASE("isa_supported agrees with the CPU flags the kernel reports") {
    // Checked against /proc/cpuinfo, not against itself: a detection that wrongly said "no"
    // would silently route every scan to a narrower kernel with the same output.
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line) && line.rfind("flags", 0) != 0) {
    }
    if (line.rfind("flags", 0) != 0) {
        MESSAGE("no flags line in /proc/cpuinfo: nothing to compare");
        return;
    }
    std::set<std::string> flags;
    std::istringstream words(line.substr(line.find(':') + 1));
    for (std::string word; words >> word;) flags.insert(word);
    CHECK(isa_supported(Isa::sse2) == flags.contains("sse2"));
    CHECK(isa_supported(Isa::avx2) == flags.contains("avx2"));
    CHECK(isa_supported(Isa::avx512) == (flags.contains("avx512f") && flags.contains("avx512bw")));
    CHECK(isa_supported(Isa::scalar));
}

TEST_CASE("Isa::best is the widest instruction set this CPU supports") {
    const RuleSet rules({{"elvis", "Elvis"}}, MatchOptions{});
    const Isa widest = *std::find_if(std::begin(concrete_isas), std::end(concrete_isas), isa_supported);
    CAPTURE(isa_name(widest));
    CHECK(Prefilter(rules, Isa::best).isa() == widest);
    CHECK(Matcher(rules, Isa::best).prefilter().isa() == widest);
}

TEST_CASE("Prefilter::find_each: of several needles starting at one byte, the longest") {
    // "abc" beats "ab" at 0 and 8; "c" inside a hit is covered; "ab" alone at 3; "c" alone at 6.
    const std::string text = "abcab c abc" + std::string(8, ' ');
    const RuleSet rules({{"ab", ""}, {"abc", ""}, {"c", ""}}, MatchOptions{});
    const std::vector<std::array<std::size_t, 3>> expected = {{0, 3, 1}, {3, 2, 0}, {6, 1, 2}, {8, 3, 1}};
    for (Isa isa : supported_isas()) {
        CAPTURE(isa_name(isa));
        const Prefilter prefilter(rules, isa);
        REQUIRE(prefilter.verifies());
        const auto* data = reinterpret_cast<const unsigned char*>(text.data());
        for (std::size_t room : {1u, 3u, 64u}) {
            CAPTURE(room);
            std::vector<std::array<std::size_t, 3>> found;
            std::vector<Prefilter::Hit> batch(room);
            std::size_t from = 0, count = 0;
            while (from < prefilter.limit(text.size())) {
                const std::size_t resume = prefilter.find_each(data, from, text.size(), batch.data(), room, count);
                REQUIRE(resume > from);
                for (std::size_t i = 0; i < count; ++i) found.push_back({batch[i].start, batch[i].length, batch[i].needle});
                if (count == room) REQUIRE(resume == found.back()[0] + found.back()[1]);
                from = resume;
            }
            CHECK(found == expected);
        }
    }
}

TEST_CASE("Prefilter::find_each: whole words, the byte before the search, and undecided ends") {
    const RuleSet rules({{"ab", ""}, {"ab-c", ""}}, MatchOptions{.whole_word = true});
    for (Isa isa : supported_isas()) {
        CAPTURE(isa_name(isa));
        const Prefilter prefilter(rules, isa);
        std::vector<Prefilter::Hit> hits(8);
        std::size_t count = 0;
        // "xab": a word byte before. At 4 "ab-c" is followed by 'd', so the shorter "ab" is the
        // match. The last "ab" lies past the limit (left to the automaton).
        const std::string text = "xab ab-cd ab";
        const auto* data = reinterpret_cast<const unsigned char*>(text.data());
        REQUIRE(prefilter.limit(text.size()) == 9);
        CHECK(prefilter.find_each(data, 0, text.size(), hits.data(), hits.size(), count) == 9);
        REQUIRE(count == 1);
        CHECK((hits[0].start == 4 && hits[0].length == 2 && hits[0].needle == 0));
        // The caller says the byte before `from` is a word byte (say, from an earlier chunk).
        CHECK(prefilter.find_each(data, 4, text.size(), hits.data(), hits.size(), count, true) == 9);
        CHECK(count == 0);
        CHECK(prefilter.find_each(data, 4, text.size(), hits.data(), hits.size(), count, false) == 9);
        CHECK(count == 1);
        // "ab-c" ends where the data does: whether it is a whole word is not known yet, so the
        // search stops there, before the "ab" inside it, and reports nothing.
        const std::string cut = "  ab-c";
        const auto* cut_data = reinterpret_cast<const unsigned char*>(cut.data());
        CHECK(prefilter.find_each(cut_data, 0, cut.size(), hits.data(), hits.size(), count) == 2);
        CHECK(count == 0);
        // The hits before such a needle are kept.
        const std::string after_hit = "ab ab-c";
        const auto* after_hit_data = reinterpret_cast<const unsigned char*>(after_hit.data());
        CHECK(prefilter.find_each(after_hit_data, 0, after_hit.size(), hits.data(), hits.size(), count) == 3);
        REQUIRE(count == 1);
        CHECK((hits[0].start == 0 && hits[0].length == 2));
    }
}

TEST_CASE("Prefilter::find_each: non-overlapping hits, leftmost first, resumable when full") {
    const std::string lower = std::string(70, 'a') + "xaaxaaa" + std::string(40, 'a');
    std::string text = lower;
    for (std::size_t i = 0; i < text.size(); i += 3)
        if (text[i] == 'a') text[i] = 'A';  // only the case-insensitive needle matches across these
    // Naive: every non-overlapping "aa" below the prefilter's limit, scanning left to right.
    auto naive = [](const std::string& haystack) {
        std::vector<std::size_t> hits;
        for (std::size_t p = 0; p + 2 <= haystack.size();)
            if (haystack.compare(p, 2, "aa") == 0) {
                hits.push_back(p);
                p += 2;
            } else {
                ++p;
            }
        return hits;
    };
    const RuleSet exact({{"aa", ""}}, MatchOptions{});
    const RuleSet folded({{"aA", ""}}, MatchOptions{.ignore_case = true});
    REQUIRE(naive(text) != naive(lower));
    for (Isa isa : supported_isas()) {
        for (const RuleSet* set : {&exact, &folded}) {
            CAPTURE(isa_name(isa));
            CAPTURE(set->options().ignore_case);
            const std::vector<std::size_t> expected = naive(set == &exact ? text : lower);
            const Prefilter prefilter(*set, isa);
            const auto* data = reinterpret_cast<const unsigned char*>(text.data());
            REQUIRE(prefilter.limit(text.size()) == text.size() - 1);
            for (std::size_t room : {1u, 2u, 5u, 64u}) {
                CAPTURE(room);
                std::vector<std::size_t> found;
                std::vector<Prefilter::Hit> batch(room);
                std::size_t from = 0, count = 0;
                while (from < prefilter.limit(text.size())) {
                    const std::size_t resume = prefilter.find_each(data, from, text.size(), batch.data(), room, count);
                    REQUIRE(count <= room);
                    REQUIRE(resume > from);
                    for (std::size_t i = 0; i < count; ++i) {
                        CHECK(batch[i].length == 2);
                        CHECK(batch[i].needle == 0);
                        found.push_back(batch[i].start);
                    }
                    if (count == room) REQUIRE(resume == found.back() + 2);
                    from = resume;
                }
                CHECK(found == expected);
            }
        }
    }
}
