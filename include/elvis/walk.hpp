// WalkOptions: which files a walk of the named directories takes (count and --in-place).
//
// Named paths are always taken (a named symbolic link is followed, a named FIFO read). Met while
// walking: regular files only; hidden entries and .git, .hg, .svn only with `hidden` (the
// version-control directories never when `skip_vcs_directories`); symbolic links only with
// `follow`, and never out of the named directory; special files (FIFOs, sockets, devices) are
// skipped and counted, not errors.
#pragma once

#include <string>
#include <vector>

namespace elvis {

struct WalkOptions {
    bool hidden = false;
    bool follow = false;
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
    // directories are walked; the hidden rule does not apply (the list named them). A list from
    // `find /` run as root cannot lead a rewrite through a user's link to /etc/passwd.
    std::vector<std::string> listed;
};

}  // namespace elvis
