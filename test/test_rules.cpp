// Rules: validation, escapes and the rules-file format.
#include <doctest/doctest.h>

#include "elvis/rules.hpp"

using namespace elvis;

TEST_CASE("empty find text is an error") {
    CHECK_THROWS_AS(RuleSet({{"", "x"}}, {}), RuleError);
    CHECK_THROWS_AS(RuleSet({}, {}), RuleError);
}

TEST_CASE("duplicate find texts are an error, case-folded under ignore-case") {
    CHECK_THROWS_AS(RuleSet({{"a", "1"}, {"a", "2"}}, {}), RuleError);
    CHECK_NOTHROW(RuleSet({{"a", "1"}, {"A", "2"}}, {}));
    CHECK_THROWS_AS(RuleSet({{"a", "1"}, {"A", "2"}}, {.ignore_case = true}), RuleError);
}

TEST_CASE("rule set facts") {
    RuleSet set({{"abc", "xyz"}, {"de", "fgh"}}, {});
    CHECK(set.longest_find() == 3);
    CHECK_FALSE(set.same_length());
    CHECK(RuleSet::default_rules().same_length());
}

TEST_CASE("escapes") {
    CHECK(unescape("a\\tb\\n\\\\\\x41\\0") == std::string("a\tb\n\\A\0", 7));
    CHECK_THROWS_AS(unescape("bad\\q"), RuleError);
    CHECK_THROWS_AS(unescape("bad\\x4"), RuleError);
    CHECK_THROWS_AS(unescape("bad\\"), RuleError);
}

TEST_CASE("rules file") {
    auto rules = parse_rules("foo\tbar\r\n\nold name\tnew\\tname\n\\x00\t\n", "r.tsv");
    REQUIRE(rules.size() == 3);
    CHECK(rules[0].find == "foo");
    CHECK(rules[0].replace == "bar");
    CHECK(rules[1].replace == "new\tname");
    CHECK(rules[2].find == std::string(1, '\0'));
    CHECK(rules[2].replace.empty());
    try {
        parse_rules("ok\tfine\nno tab here\n", "r.tsv");
        FAIL("expected an error");
    } catch (const RuleError& e) {
        CHECK(std::string(e.what()) == "r.tsv:2: expected FIND<TAB>REPLACE");
    }
    CHECK_THROWS_WITH_AS(parse_rules("\tx\n", "r"), "r:1: empty find text", RuleError);
    CHECK_THROWS_WITH_AS(parse_rules("a\tb\n# c\td\te\nf\tg\th\n", "r"),
                         "r:3: more than one TAB (a TAB inside FIND or REPLACE is written \\t)", RuleError);
    // A byte order mark and comment lines are not rules; \x23 is a leading '#'.
    const auto commented = parse_rules("\xef\xbb\xbf# rules\nfoo\tbar\n#x\ty\n\\x23x\ty\n", "r");
    REQUIRE(commented.size() == 2);
    CHECK(commented[0].find == "foo");
    CHECK(commented[1].find == "#x");
    CHECK_THROWS_AS(parse_rules("\n\n", "r"), RuleError);
}

TEST_CASE("preserve_case: each rule stands for its lower, Capitalized and UPPER variants") {
    const RuleSet set({{"elvis", "presley"}, {"ELVIS", "KING"}, {"McD", "bk"}}, {false, false, true});
    CHECK(set.terms() == 3);
    std::vector<std::pair<std::string, std::string>> pairs;
    std::vector<std::uint32_t> terms;
    for (std::uint32_t i = 0; i < set.rules().size(); ++i) {
        pairs.emplace_back(set.rules()[i].find, set.rules()[i].replace);
        terms.push_back(set.term(i));
    }
    // ELVIS is a rule of its own, so elvis's UPPER variant is left to it; McD keeps its own case.
    CHECK(pairs[3] == std::pair<std::string, std::string>{"Elvis", "Presley"});
    CHECK(pairs.size() == 6);  // elvis: Elvis; ELVIS: none new; McD (its own capitals kept): mcd, MCD
    CHECK(pairs[4] == std::pair<std::string, std::string>{"mcd", "bk"});
    CHECK(pairs[5] == std::pair<std::string, std::string>{"MCD", "BK"});
    CHECK(terms == std::vector<std::uint32_t>{0, 1, 2, 0, 2, 2});
    CHECK_THROWS_AS(RuleSet({{"a", "b"}}, {true, false, true}), RuleError);
    // A replacement with its own inner capitals keeps them when Capitalized.
    const RuleSet inner({{"elvis", "McCartney"}}, {false, false, true});
    REQUIRE(inner.rules().size() == 3);
    CHECK(inner.rules()[1].find == "Elvis");
    CHECK(inner.rules()[1].replace == "McCartney");
    CHECK(inner.rules()[2].replace == "MCCARTNEY");
    const RuleSet plain({{"elvis", "presley"}}, {});
    CHECK(plain.rules().size() == 1);
    CHECK(plain.term(0) == 0);
}
