// A unified diff of a file and its rewrite, made from the matches the scanner found in it: the
// lines a match touches are the changed lines, so no line-matching algorithm runs and the time is
// linear in the file (DESIGN.md, "Previews").
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "elvis/rules.hpp"
#include "elvis/scanner.hpp"

namespace elvis::detail {

struct DiffStyle {
    unsigned context = 3;  // unchanged lines around each change
    bool color = false;    // git's colours: bold headers, cyan @@, red -, green +
};

// The diff that turns `before` into `before` with each of `matches` (in order, non-overlapping)
// replaced by its rule's replacement, as `diff -u` and git write it: "diff --git a/PATH b/PATH",
// ---/+++ headers (a path with control bytes, '"' or '\' quoted as git quotes it, one with a space
// followed by a tab), hunks, and
// "\ No newline at end of file". Empty when there is no match. `path` is named as printed; a
// leading '/' is dropped.
std::string unified_diff(std::string_view path, std::string_view before, std::span<const Match> matches,
                         const RuleSet& rules, const DiffStyle& style = {});

// A diff's hunks one by one, for a review that accepts some of them (--interactive): each with
// its text ("@@ ... @@" and its lines) and the matches it shows, [first_match, end_match).
struct DiffHunk {
    std::string text;
    std::size_t first_match = 0, end_match = 0;
};
std::vector<DiffHunk> diff_hunks(std::string_view before, std::span<const Match> matches, const RuleSet& rules,
                                 const DiffStyle& style = {});

// The "diff --git", "---" and "+++" lines of a file's diff.
std::string diff_header(std::string_view path, const DiffStyle& style = {});

// A path as git writes it in a patch header: as it is, or in double quotes with C escapes
// (\t, \n, \", \\, octal for other control bytes) when it needs them.
std::string git_quoted(std::string_view path);

}  // namespace elvis::detail
