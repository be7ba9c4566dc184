// unified_diff: hunks as diff -u writes them (the expectations are GNU diff's output for the same
// files); that patch(1) and git apply take the diffs is tested through the command line.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "elvis/matcher.hpp"
#include "elvis/scanner.hpp"
#include "jobs/unified_diff.hpp"

using namespace elvis;

namespace {

std::string diff_of(const std::string& before, std::vector<Rule> rules, detail::DiffStyle style = {}) {
    const RuleSet set(std::move(rules), {});
    const Matcher matcher(set);
    StreamScanner scanner(matcher);
    std::vector<Match> matches;
    scanner.feed(before);
    for (Match m; scanner.next(m);) matches.push_back(m);
    for (Match m; scanner.finish(m);) matches.push_back(m);
    const std::string diff = detail::unified_diff("f", before, matches, set, style);
    const std::string header = "diff --git a/f b/f\n--- a/f\n+++ b/f\n";
    if (diff.empty()) return diff;
    REQUIRE(diff.starts_with(header));
    return diff.substr(header.size());
}

std::string numbers(int from, int to) {
    std::string text;
    for (int i = from; i <= to; ++i) text += (i == 7 || i == 9 || i == 18 ? "elvis" : std::to_string(i)) + "\n";
    return text;
}

}  // namespace

TEST_CASE("unified_diff: nearby changes share a hunk, distant ones do not") {
    CHECK(diff_of(numbers(1, 20), {{"elvis", "Elvis"}}) ==
          "@@ -4,9 +4,9 @@\n 4\n 5\n 6\n-elvis\n+Elvis\n 8\n-elvis\n+Elvis\n 10\n 11\n 12\n"
          "@@ -15,6 +15,6 @@\n 15\n 16\n 17\n-elvis\n+Elvis\n 19\n 20\n");
}

TEST_CASE("unified_diff: deleted lines, joined lines, a last line without newline") {
    CHECK(diff_of("elvis\n", {{"elvis\n", ""}}) == "@@ -1 +0,0 @@\n-elvis\n");
    CHECK(diff_of("one\nelvis\ntwo\n", {{"elvis\n", "E"}}) == "@@ -1,3 +1,2 @@\n one\n-elvis\n-two\n+Etwo\n");
    CHECK(diff_of("a\nelvis", {{"elvis", "Elvis"}}) ==
          "@@ -1,2 +1,2 @@\n a\n-elvis\n\\ No newline at end of file\n+Elvis\n\\ No newline at end of file\n");
    CHECK(diff_of("elvis\nb", {{"elvis", "x\ny"}}) ==
          "@@ -1,2 +1,3 @@\n-elvis\n+x\n+y\n b\n\\ No newline at end of file\n");
    CHECK(diff_of("no match\n", {{"elvis", "Elvis"}}).empty());
}

TEST_CASE("unified_diff: colour and quoting as git") {
    const RuleSet set({{"e", "E"}}, {});
    const std::vector<Match> one{{0, 1, 0}};
    CHECK(detail::unified_diff("x", "e\n", one, set, {3, true}) ==
          "\x1b[1mdiff --git a/x b/x\x1b[m\n\x1b[1m--- a/x\x1b[m\n\x1b[1m+++ b/x\x1b[m\n\x1b[36m@@ -1 +1 @@\x1b[m\n"
          "\x1b[31m-e\x1b[m\n\x1b[32m+E\x1b[m\n");
    CHECK(detail::git_quoted("a/plain name") == "a/plain name");
    CHECK(detail::git_quoted("a/t\tn\nq\"b\\c\x01") == "\"a/t\\tn\\nq\\\"b\\\\c\\001\"");
}
