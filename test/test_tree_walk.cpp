// --glob patterns (GlobPattern); the walk itself is tested through the command line.
#include <doctest/doctest.h>

#include "elvis/tree_walk.hpp"

using elvis::GlobPattern;

namespace {
// An entry at `relative` below the root.
bool matches(const char* glob, std::string_view relative, bool directory = false) {
    const std::size_t slash = relative.rfind('/');
    const std::string name(slash == std::string_view::npos ? relative : relative.substr(slash + 1));
    return GlobPattern(glob).matches(name, relative, directory);
}
}  // namespace

TEST_CASE("a glob without '/' matches the name at any depth") {
    CHECK(matches("*.txt", "top.txt"));
    CHECK(matches("*.txt", "a/b/deep.txt"));
    CHECK_FALSE(matches("*.txt", "a/b/deep.md"));
    CHECK(matches("deep.*", "a/b/deep.md"));
    CHECK(matches("**", "a/b/deep.md"));
    CHECK(GlobPattern("!*.txt").excludes());
    CHECK(GlobPattern("!*.txt").matches("x.txt", "x.txt", false));
    CHECK_FALSE(GlobPattern("*.txt").excludes());
}

TEST_CASE("a glob with '/' matches the path below the root, '*' within one directory") {
    CHECK(matches("a/*.txt", "a/mid.txt"));
    CHECK_FALSE(matches("a/*.txt", "a/b/deep.txt"));
    CHECK_FALSE(matches("a/*.txt", "x/a/mid.txt"));
    CHECK(matches("*/mid.txt", "a/mid.txt"));
    CHECK_FALSE(matches("*/mid.txt", "mid.txt"));
    CHECK(matches("a//mid.txt", "a/mid.txt"));  // an empty segment changes nothing
}

TEST_CASE("a leading '/' anchors a glob to the root") {
    CHECK(matches("/top.txt", "top.txt"));
    CHECK_FALSE(matches("/top.txt", "src/top.txt"));
    CHECK(matches("/a/*.txt", "a/mid.txt"));
    CHECK_FALSE(matches("/a/*.txt", "x/a/mid.txt"));
    CHECK(matches("/build/", "build", true));
    CHECK_FALSE(matches("/build/", "src/build", true));
}

TEST_CASE("'**' stands for any number of directories, none included") {
    CHECK(matches("**/*.txt", "top.txt"));
    CHECK(matches("**/*.txt", "a/mid.txt"));
    CHECK(matches("**/*.txt", "a/b/c/deep.txt"));
    CHECK_FALSE(matches("**/*.txt", "a/b/deep.md"));
    CHECK(matches("a/**/*.txt", "a/mid.txt"));
    CHECK(matches("a/**/*.txt", "a/b/c/deep.txt"));
    CHECK_FALSE(matches("a/**/*.txt", "b/a/mid.txt"));
    CHECK(matches("**/b/**", "a/b/deep.md"));
    CHECK(matches("**/b/**", "b/x"));
    CHECK_FALSE(matches("**/b/**", "a/bb/x"));
    CHECK(matches("a/**/**/x", "a/x"));  // a run of them is one
    CHECK(matches("a/**/b/**/x", "a/1/2/b/3/x"));
    CHECK_FALSE(matches("a/**/b/**/x", "a/1/2/3/x"));
}

TEST_CASE("a trailing '/**' matches what is inside, not the directory itself") {
    CHECK(matches("docs/**", "docs/a.md"));
    CHECK(matches("docs/**", "docs/x/y/a.md"));
    CHECK_FALSE(matches("docs/**", "docs"));
    CHECK_FALSE(matches("docs/**", "docs", true));
    CHECK(matches("docs/**/", "docs/x", true));
    CHECK_FALSE(matches("docs/**/", "docs", true));
}

TEST_CASE("a glob ending in '/' only matches directories") {
    CHECK(matches("node_modules/", "web/node_modules", true));
    CHECK_FALSE(matches("node_modules/", "web/node_modules", false));
    CHECK(matches("web/*/", "web/lib", true));
    CHECK_FALSE(matches("web/*/", "web/lib", false));
}
