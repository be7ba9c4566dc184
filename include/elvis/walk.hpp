// WalkOptions: which files a walk of the named directories takes (count and --in-place).
//
// Named paths are always taken (a named symbolic link is followed, a named FIFO read). Met while
// walking: regular files only; hidden entries and .git, .hg, .svn only with `hidden`; symbolic
// links only with `follow`, and never out of the named directory; special files are reported.
#pragma once

#include <string>
#include <vector>

namespace elvis {

struct WalkOptions {
    bool hidden = false;
    bool follow = false;
    // --glob patterns, as ripgrep and .gitignore read them: a leading '!' excludes; a pattern
    // without '/' matches a name, one with '/' the path below the root ('**' spans directories);
    // a trailing '/' matches directories only. Files must match an including pattern when there
    // is one; directories matching an excluding pattern are not entered.
    std::vector<std::string> globs;
    // Paths read from a list (--files-from), taken as if met while walking: no symbolic link on
    // their way is followed unless `follow`, special files are reported, the globs apply and
    // directories are walked; the hidden rule does not apply (the list named them). A list from
    // `find /` run as root cannot lead a rewrite through a user's link to /etc/passwd.
    std::vector<std::string> listed;
};

}  // namespace elvis
