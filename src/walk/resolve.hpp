// Resolving a path by hand, one component at a time, so that a walk can prove where a symbolic
// link really leads before it opens or replaces anything there (DESIGN.md, "Staying in the tree").
#pragma once

#include <sys/types.h>

#include <cerrno>
#include <string>
#include <string_view>

#include "io/fd.hpp"

namespace elvis {
struct FileEntry;
}

namespace elvis::detail {

// Where a path leads: the directory that holds its last component, and that component's name
// there ("." when the path ends in a directory). The name is not a symbolic link when resolve()
// returned it; open it with O_NOFOLLOW, so that a link swapped in since then fails instead of
// being followed.
struct Location {
    Fd dir;
    std::string name;
};

// Follows `path` from the directory `start` (AT_FDCWD: the working directory), opening each
// directory with O_NOFOLLOW and reading each symbolic link met with readlinkat(2), at most
// `links_allowed` of them (40 as the kernel allows; 0 for a path that must have none). `out.dir`
// is always a descriptor of its own. Returns 0, or the errno of the step that failed (ENOENT:
// something on the way is missing, ELOOP: too many links).
constexpr int max_links = 40;  // the kernel's own limit (MAXSYMLINKS)
int resolve(int start, std::string_view path, Location& out, int links_allowed = max_links);

// Whether the directory open as `dir` is the directory (root_dev, root_ino) or below it. Walks
// ".." up from the descriptor, so no path that could change meanwhile is trusted.
bool is_beneath(int dir, dev_t root_dev, ino_t root_ino);

// The errno locate() gives for a symbolic link that leads outside the tree, as openat2(2)'s
// RESOLVE_BENEATH does.
constexpr int outside_tree = EXDEV;

// Where a file met while walking is, as FileEntry::open() finds it: in the directory it was
// listed in, or, for a followed symbolic link, resolve()d and then outside_tree unless the
// directory holding it is_beneath() the root. A named path is resolve()d from the working
// directory, wherever it leads. Defined with the walk.
int locate(const FileEntry& entry, Location& out);

}  // namespace elvis::detail
