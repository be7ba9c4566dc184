// WalkOptions: which files a walk of the named directories takes (count and --in-place).
//
// Named paths are always taken (a named symbolic link is followed, a named FIFO read). Met while
// walking: regular files only; hidden entries and .git, .hg, .svn only with `hidden` (the
// version-control directories never when `skip_vcs_directories`); symbolic links only with
// `follow`, and never out of the named directory; special files (FIFOs, sockets, devices) are
// skipped and counted, not errors.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace elvis {

struct WalkOptions {
    bool hidden = false;
    bool follow = false;
    // Skip what ignore files name, as git and ripgrep do: .ignore files anywhere and, inside a git
    // work tree and with `ignore_vcs`, .gitignore files at every level, .git/info/exclude and the
    // global excludes file (core.excludesFile, else $XDG_CONFIG_HOME/git/ignore), with git's
    // semantics; the files of directories above a named one count too. Named and listed paths are
    // always taken; a glob that matches decides over the ignore files.
    bool ignore_files = true;
    bool ignore_vcs = true;
    // Never enter .git, .hg or .svn, even with `hidden` (--in-place: nothing of a repository's
    // own is ever rewritten).
    bool skip_vcs_directories = false;
    // --glob patterns, as ripgrep and .gitignore read them: a leading '!' excludes; a pattern
    // without '/' matches a name, one with '/' the path below the root ('**' spans directories);
    // a trailing '/' matches directories only; {a,b} is either. When several match, the last one
    // given decides (as in ripgrep). Files must match an including pattern when there is one;
    // directories matching an excluding pattern are not entered.
    std::vector<std::string> globs;
    // --iglob patterns: the same, matched regardless of case, after (and so over) `globs`.
    std::vector<std::string> iglobs;
    // Paths read from a list (--files-from), taken as if met while walking: no symbolic link on
    // their way is followed unless `follow`, special files are reported, the globs apply and
    // directories are walked; the hidden and ignore rules do not apply (the list named them). A list from
    // `find /` run as root cannot lead a rewrite through a user's link to /etc/passwd.
    std::vector<std::string> listed;
};

// Calls `on_file` with each file a walk of `paths` (and of options.listed) takes, as count and
// --in-place would print it, in the order one thread takes them: the paths in the order given,
// a directory's files before its subdirectories. `on_error` gets each path that cannot be walked
// or is skipped for cause. Returns the number of special files skipped.
std::uint64_t list_files(const std::vector<std::string>& paths, const WalkOptions& options,
                         const std::function<void(const std::string& path)>& on_file,
                         const std::function<void(const std::string& path, const std::string& reason)>& on_error);

}  // namespace elvis
