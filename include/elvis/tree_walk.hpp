// TreeWalker: turns the paths a user named into the regular files to process, walking directories
// with getdents64 and openat, shared by any number of worker threads.
//
// Rules (as ripgrep users expect): paths named explicitly are always taken (a symlink named is
// followed; a FIFO named is read); inside directories only regular files are taken, hidden entries
// and .git/.hg/.svn are skipped unless `hidden`, symlinks are skipped unless `follow` (then loops
// and dangling links are reported), --glob filters apply, and special files are reported.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace elvis {

struct WalkOptions {
    bool hidden = false;
    bool follow = false;
    // Patterns as GlobPattern reads them; a leading '!' excludes. Files must match an
    // including pattern when there is one; directories matching an excluding pattern are not
    // entered.
    std::vector<std::string> globs;
    // When following symlinks, refuse (and report) those that lead outside the named directory.
    bool stay_inside = false;
};

// A --glob pattern, read as ripgrep and .gitignore read one. A leading '!' excludes. A pattern
// without '/' matches an entry's name; one with a '/' other than a trailing one matches its path
// below the root, a directory at a time with fnmatch(3), where a "**" segment stands for any
// number of directories, none included, and a trailing "/**" for everything inside, not the
// directory itself. A pattern ending in '/' only matches directories.
class GlobPattern {
public:
    explicit GlobPattern(std::string_view glob);
    bool excludes() const { return exclude_; }
    // `name` is the last segment of `relative`, the entry's path below the root.
    bool matches(const std::string& name, std::string_view relative, bool directory) const;

private:
    bool exclude_ = false, directories_only_ = false, whole_path_ = false;
    std::vector<std::string> segments_;  // one, the name pattern, unless whole_path_
};

// An open directory, kept open while entries found in it wait to be processed.
struct DirHandle {
    int fd = -1;
    dev_t dev = 0;
    ino_t ino = 0;
    std::shared_ptr<const DirHandle> parent;  // for loop detection when following symlinks
    DirHandle() = default;
    DirHandle(const DirHandle&) = delete;
    DirHandle& operator=(const DirHandle&) = delete;
    ~DirHandle();
};

struct FileEntry {
    std::shared_ptr<const DirHandle> dir;  // null for a path named on the command line
    std::string name;                      // relative to dir, or the path as named
    std::string path;                      // what to print
    bool named = false;                    // named on the command line
    bool is_stdin = false;                 // "-"
    bool via_symlink = false;              // a followed symbolic link (named or met while walking)

    // Opens for reading (openat on the directory, never following a final symlink unless named
    // or following). Returns -1 with errno set on failure.
    int open(bool follow) const;
};

class TreeWalker {
public:
    using ErrorHandler = std::function<void(const std::string& path, const std::string& reason)>;

    // `on_error` is called (serialized) for each path that cannot be walked or is skipped for cause.
    TreeWalker(WalkOptions options, ErrorHandler on_error);

    // Adds a path as the user named it ("-" is standard input). Call before workers start.
    void add(const std::string& path);

    // Hands out the next file; false once every path is exhausted. Thread-safe; a worker that
    // finds the queue empty while others are still listing directories waits for them.
    bool next(FileEntry& entry);

    std::size_t directories_walked() const { return directories_; }

private:
    struct Item {
        FileEntry entry;
        bool directory = false;
        std::string relative;  // path below the root, for globs with '/'
        std::shared_ptr<const std::string> root_real;  // the named directory, resolved (stay_inside)
    };
    void list_directory(Item item);
    void push_directory(std::shared_ptr<const DirHandle> dir, std::string path, std::string relative);
    bool included(const std::string& name, std::string_view relative, bool directory) const;
    bool leaves_tree(const std::string& path, const std::string& root_real) const;
    void error(const std::string& path, const std::string& reason);

    WalkOptions options_;
    std::vector<GlobPattern> globs_;  // options_.globs, parsed
    ErrorHandler on_error_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<Item> stack_;  // LIFO keeps the number of open directories near the tree depth
    unsigned listing_ = 0;     // workers currently listing a directory
    std::size_t directories_ = 0;
    bool has_includes_ = false;
};

// Joins a directory path and an entry name the way users expect to read it ("./x" -> "x").
std::string join_path(std::string_view dir, std::string_view name);

}  // namespace elvis
