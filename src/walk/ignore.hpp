// Ignore files, read as git reads .gitignore (and ripgrep reads .ignore): the patterns of each
// directory's files, and the rules for which of them decides (DESIGN.md, "Ignore files").
//
// git's own code is the specification: a pattern without '/' (a trailing one aside) matches an
// entry's name at any depth; one with a '/' matches its path below the ignore file's directory,
// anchored there; a trailing '/' matches directories only; a leading '!' re-includes; '#' starts
// a comment, trailing spaces are dropped unless escaped. Within a file the last matching pattern
// decides; the file of the deepest directory that has a matching pattern decides over those
// above it; then .git/info/exclude, then the global excludes file.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace elvis::detail {

// git's wildmatch(3) with WM_PATHNAME: '*' and '?' and [classes] never match '/'; "**" between
// slashes (or at either end) matches any number of directories, none included; '\' escapes.
bool wildmatch(std::string_view pattern, std::string_view text);

// The patterns of one ignore file.
class IgnoreFile {
public:
    IgnoreFile() = default;
    explicit IgnoreFile(std::string_view text);
    bool empty() const { return patterns_.empty(); }
    // `path` is the entry's path below the file's directory, `name` its last part. Returns true
    // when the last matching pattern ignores it, false when it re-includes it ('!'), nothing when
    // no pattern matches.
    std::optional<bool> decide(std::string_view path, std::string_view name, bool directory) const;

private:
    struct Pattern {
        enum Kind { literal, suffix, wild } kind;  // literal/suffix: the name is or ends with `text`
        std::string text;
        bool negated = false, directories_only = false, name_only = false;
    };
    std::vector<Pattern> patterns_;
};

// Reads an ignore file; empty when it does not exist or cannot be read (as git and rg do). One in
// the tree is not read through a symbolic link (git 2.32 on), unless `follow`.
IgnoreFile read_ignore_file(int dir_fd, const char* name, bool follow = false);

// The ignore rules in force in one directory: its own files and, through `parent`, those of the
// directories above it. Directories without ignore files share their parent's level.
struct IgnoreLevel {
    std::shared_ptr<const IgnoreLevel> parent;
    // Where this directory is relative to the walk's root: above it, the path from here down to
    // the root ("src/" for the repository above a walk of src); at or below it, the length of its
    // path below the root with the '/' after it (0 at the root).
    std::string above;
    std::size_t below = 0;
    IgnoreFile dot_ignore;  // .ignore
    IgnoreFile gitignore;   // .gitignore
    // At a repository's top directory (one holding .git): .git/info/exclude and the global
    // excludes file (core.excludesFile, else $XDG_CONFIG_HOME/git/ignore).
    bool repository = false;
    std::shared_ptr<const IgnoreFile> exclude, global;
    // The nearest level at or above that is a repository's top; null outside any work tree,
    // where the git files do not apply.
    const IgnoreLevel* work_tree = nullptr;
};

// Whether an entry met in a directory with rules `level` is ignored: .ignore files first (the
// deepest deciding), then, inside a work tree and when `vcs`, the .gitignore files up to the
// work tree's top, its info/exclude and the global file. `relative` is its path below the root.
bool is_ignored(const IgnoreLevel& level, std::string_view relative, std::string_view name, bool directory, bool vcs);

// The level for directory `dir_fd` (at `relative` below the root, or `above` it as
// IgnoreLevel::above says; its parent's rules `parent`), or `parent` itself when the directory has
// no ignore file and is no repository's top. `has_*` say which of .ignore, .gitignore and .git
// to look for (git's only when `vcs`).
std::shared_ptr<const IgnoreLevel> enter_directory(std::shared_ptr<const IgnoreLevel> parent, int dir_fd,
                                                   std::string_view relative, std::string above, bool has_ignore,
                                                   bool has_gitignore, bool has_git, bool vcs);

// The rules above a named directory: the .ignore files of every directory above it and, when it
// is inside a git work tree, the .gitignore files from the work tree's top down to its parent.
std::shared_ptr<const IgnoreLevel> levels_above(const std::string& directory, bool vcs);

}  // namespace elvis::detail
