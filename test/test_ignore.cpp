// git's wildmatch and the patterns of one ignore file; which files a walk takes with them is
// compared with git itself in test/cli/test_walk.py.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "walk/ignore.hpp"

using elvis::detail::IgnoreFile;
using elvis::detail::wildmatch;

TEST_CASE("wildmatch: literals, '?', '*' and escapes as git's t3070 has them") {
    CHECK(wildmatch("foo", "foo"));
    CHECK_FALSE(wildmatch("foo", "bar"));
    CHECK_FALSE(wildmatch("foo", "foobar"));
    CHECK(wildmatch("???", "foo"));
    CHECK_FALSE(wildmatch("??", "foo"));
    CHECK(wildmatch("*", "foo"));
    CHECK(wildmatch("f*", "foo"));
    CHECK_FALSE(wildmatch("*f", "foo"));
    CHECK(wildmatch("*foo*", "foo"));
    CHECK(wildmatch("*ob*a*r*", "foobar"));
    CHECK(wildmatch("*ab", "aaaaaaabababab"));
    CHECK(wildmatch("foo\\*", "foo*"));
    CHECK_FALSE(wildmatch("foo\\*bar", "foobar"));
    CHECK(wildmatch("f\\\\oo", "f\\oo"));
    CHECK_FALSE(wildmatch("x\\", "x"));  // a trailing backslash matches nothing
    CHECK(wildmatch("-*-*-*-*-*-*-12-*-*-*-m-*-*-*", "-adobe-courier-bold-o-normal--12-120-75-75-m-70-iso8859-1"));
    CHECK_FALSE(wildmatch("-*-*-*-*-*-*-12-*-*-*-m-*-*-*", "-adobe-courier-bold-o-normal--12-120-75-75-X-70-iso8859-1"));
}

TEST_CASE("wildmatch: bracket expressions") {
    CHECK(wildmatch("*[al]?", "ball"));
    CHECK_FALSE(wildmatch("[ten]", "ten"));
    CHECK(wildmatch("**[!te]", "ten"));
    CHECK_FALSE(wildmatch("**[!ten]", "ten"));
    CHECK(wildmatch("t[a-g]n", "ten"));
    CHECK_FALSE(wildmatch("t[!a-g]n", "ten"));
    CHECK(wildmatch("t[!a-g]n", "ton"));
    CHECK(wildmatch("t[^a-g]n", "ton"));
    CHECK(wildmatch("a[]]b", "a]b"));
    CHECK(wildmatch("a[]-]b", "a-b"));
    CHECK(wildmatch("a[]-]b", "a]b"));
    CHECK_FALSE(wildmatch("a[]-]b", "aab"));
    CHECK(wildmatch("a[]a-]b", "aab"));
    CHECK(wildmatch("]", "]"));
    CHECK(wildmatch("[[:alpha:]][[:digit:]][[:upper:]]", "a1B"));
    CHECK_FALSE(wildmatch("[[:digit:][:upper:][:space:]]", "a"));
    CHECK(wildmatch("[[:digit:][:upper:][:space:]]", "A"));
    CHECK(wildmatch("[a-c[:digit:]x-z]", "5"));
    CHECK(wildmatch("[a-c[:digit:]x-z]", "y"));
    CHECK_FALSE(wildmatch("[a-c[:digit:]x-z]", "q"));
    CHECK_FALSE(wildmatch("[[:nope:]]", "n"));  // an unknown class: the pattern matches nothing
    CHECK(wildmatch("[[:a]", "["));             // no ":]": an ordinary '['
    CHECK_FALSE(wildmatch("a[/]b", "a/b"));     // a class never matches '/'
    CHECK_FALSE(wildmatch("a?b", "a/b"));
}

TEST_CASE("wildmatch: '*' stays in a directory, '**' between slashes spans them") {
    CHECK_FALSE(wildmatch("foo*bar", "foo/baz/bar"));
    CHECK_FALSE(wildmatch("foo**bar", "foo/baz/bar"));
    CHECK(wildmatch("foo/**/bar", "foo/baz/bar"));
    CHECK(wildmatch("foo/**/bar", "foo/b/a/z/bar"));
    CHECK(wildmatch("foo/**/bar", "foo/bar"));
    CHECK(wildmatch("foo/**/**/bar", "foo/b/a/z/bar"));
    CHECK(wildmatch("**/foo", "foo"));
    CHECK(wildmatch("**/foo", "XXX/foo"));
    CHECK(wildmatch("**/foo", "bar/baz/foo"));
    CHECK_FALSE(wildmatch("*/foo", "bar/baz/foo"));
    CHECK(wildmatch("*/foo", "bar/foo"));
    CHECK_FALSE(wildmatch("**/bar*", "foo/bar/baz"));
    CHECK(wildmatch("**/bar/*", "deep/foo/bar/baz"));
    CHECK_FALSE(wildmatch("**/bar/*", "deep/foo/bar/baz/"));
    CHECK(wildmatch("**/bar/**", "deep/foo/bar/baz/"));
    CHECK_FALSE(wildmatch("**/bar/*", "deep/foo/bar"));
    CHECK(wildmatch("**/bar/**", "deep/foo/bar/"));
    CHECK(wildmatch("*/bar/**", "foo/bar/baz/x"));
    CHECK_FALSE(wildmatch("*/bar/**", "deep/foo/bar/baz/x"));
    CHECK(wildmatch("**/bar/*/*", "deep/foo/bar/baz/x"));
    CHECK_FALSE(wildmatch("foo/**", "foo"));
    CHECK(wildmatch("foo/**", "foo/a/b"));
}

TEST_CASE("wildmatch stays fast on patterns that backtrack") {
    const std::string text(4000, 'a');
    const auto started = std::chrono::steady_clock::now();
    CHECK_FALSE(wildmatch("*a*a*a*a*a*a*a*a*a*a*a*a*b", text));
    CHECK_FALSE(wildmatch("**/*a/**/*a/**/*a/**/*a/**/b", "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/c"));
    // Not a timing test: a runaway backtrack takes hours, not the seconds a slow machine needs.
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(60));
}

TEST_CASE("IgnoreFile: comments, negation, directories only, anchoring, trailing spaces") {
    const IgnoreFile file("\xEF\xBB\xBF# a comment\n"
                          "*.o\n"
                          "!keep.o\n"
                          "build/\n"
                          "/top.txt\n"
                          "doc/*.html\n"
                          "trailing   \n"
                          "escaped\\ \n"
                          "\\#hash\n"
                          "\\!bang\n"
                          "\n");
    CHECK(file.decide("a/b.o", "b.o", false) == true);
    CHECK(file.decide("a/keep.o", "keep.o", false) == false);
    CHECK(file.decide("x/build", "build", true) == true);
    CHECK_FALSE(file.decide("x/build", "build", false).has_value());
    CHECK(file.decide("top.txt", "top.txt", false) == true);
    CHECK_FALSE(file.decide("sub/top.txt", "top.txt", false).has_value());
    CHECK(file.decide("doc/a.html", "a.html", false) == true);
    CHECK_FALSE(file.decide("x/doc/a.html", "a.html", false).has_value());
    CHECK(file.decide("trailing", "trailing", false) == true);
    CHECK(file.decide("escaped ", "escaped ", false) == true);
    CHECK_FALSE(file.decide("escaped", "escaped", false).has_value());
    CHECK(file.decide("#hash", "#hash", false) == true);
    CHECK(file.decide("!bang", "!bang", false) == true);
    CHECK_FALSE(file.decide("# a comment", "# a comment", false).has_value());
    CHECK(IgnoreFile("# nothing\n\n").empty());
    // CRLF lines, as git reads them: the CR goes before trailing spaces are trimmed.
    const IgnoreFile crlf("build\r\nfoo \r\n");
    CHECK(crlf.decide("build", "build", false) == true);
    CHECK(crlf.decide("foo", "foo", false) == true);
}
