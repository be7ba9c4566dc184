// --glob patterns (glob_matches); the walk itself is tested through the command line.
#include <doctest/doctest.h>

#include "elvis/tree_walk.hpp"

using elvis::glob_matches;

namespace {
// A file at `relative` below the root.
bool file_matches(const char* pattern, std::string_view relative) {
    const std::size_t slash = relative.rfind('/');
    return glob_matches(pattern, slash == std::string_view::npos ? relative : relative.substr(slash + 1), relative,
                        false);
}
}  // namespace

TEST_CASE("a glob without '/' matches the name at any depth") {
    CHECK(file_matches("*.txt", "top.txt"));
    CHECK(file_matches("*.txt", "a/b/deep.txt"));
    CHECK_FALSE(file_matches("*.txt", "a/b/deep.md"));
    CHECK(file_matches("deep.*", "a/b/deep.md"));
    CHECK(file_matches("**", "a/b/deep.md"));
}

TEST_CASE("a glob with '/' matches the path below the root, '*' within one directory") {
    CHECK(file_matches("a/*.txt", "a/mid.txt"));
    CHECK_FALSE(file_matches("a/*.txt", "a/b/deep.txt"));
    CHECK_FALSE(file_matches("a/*.txt", "x/a/mid.txt"));
    CHECK(file_matches("/a/*.txt", "a/mid.txt"));  // a leading '/' changes nothing
    CHECK(file_matches("*/mid.txt", "a/mid.txt"));
    CHECK_FALSE(file_matches("*/mid.txt", "mid.txt"));
}

TEST_CASE("'**' stands for any number of directories, none included") {
    CHECK(file_matches("**/*.txt", "top.txt"));
    CHECK(file_matches("**/*.txt", "a/mid.txt"));
    CHECK(file_matches("**/*.txt", "a/b/c/deep.txt"));
    CHECK_FALSE(file_matches("**/*.txt", "a/b/deep.md"));
    CHECK(file_matches("a/**/*.txt", "a/mid.txt"));
    CHECK(file_matches("a/**/*.txt", "a/b/c/deep.txt"));
    CHECK_FALSE(file_matches("a/**/*.txt", "b/a/mid.txt"));
    CHECK(file_matches("a/**", "a/b/deep.md"));
    CHECK(file_matches("**/b/**", "a/b/deep.md"));
    CHECK(file_matches("**/b/**", "b/x"));
    CHECK_FALSE(file_matches("**/b/**", "a/bb/x"));
    CHECK(file_matches("a/**/**/x", "a/x"));  // a run of them is one
    CHECK(file_matches("a/**/b/**/x", "a/1/2/b/3/x"));
    CHECK_FALSE(file_matches("a/**/b/**/x", "a/1/2/3/x"));
}

TEST_CASE("a glob ending in '/' only matches directories") {
    CHECK(glob_matches("node_modules/", "node_modules", "web/node_modules", true));
    CHECK_FALSE(glob_matches("node_modules/", "node_modules", "web/node_modules", false));
    CHECK(glob_matches("web/*/", "lib", "web/lib", true));
    CHECK_FALSE(glob_matches("web/*/", "lib", "web/lib", false));
}
