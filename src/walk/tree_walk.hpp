// TreeWalker: turns the paths a user named into the regular files to process, walking directories
// with getdents64 and openat, shared by any number of worker threads.
//
// Rules (as ripgrep users expect): paths named explicitly are always taken (a symlink named is
// followed; a FIFO named is read); inside directories only regular files are taken, what ignore
// files name is skipped (walk/ignore.hpp), hidden entries and .git/.hg/.svn are skipped unless
// `hidden`, symlinks are skipped unless `follow` (then loops and dangling links are reported),
// --glob filters apply, and special files are reported.
//
// A walk never leaves the directory it was named: every entry is opened in the descriptor of the
// directory it was listed in, never through a final symbolic link, and a followed link is resolved
// by hand and taken only when it ends inside that directory, checked on the descriptors at the
// moment of use (DESIGN.md, "Staying in the tree").
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "elvis/walk.hpp"
#include "walk/ignore.hpp"

namespace elvis {

// A --glob pattern, read as ripgrep and .gitignore read one. A leading '!' excludes. A pattern
// without '/' matches an entry's name; one with a '/' other than a trailing one matches its path
// below the root, a directory at a time with fnmatch(3), where a "**" segment stands for any
// number of directories, none included, and a trailing "/**" for everything inside, not the
// directory itself. A pattern ending in '/' only matches directories.
class GlobPattern {
public:
    // A pattern with {a,b} braces is several; expand_braces() gives them.
    explicit GlobPattern(std::string_view glob, bool ignore_case = false);
    bool excludes() const { return exclude_; }
    // `name` is the last segment of `relative`, the entry's path below the root.
    bool matches(const std::string& name, std::string_view relative, bool directory) const;

private:
    bool exclude_ = false, directories_only_ = false, whole_path_ = false, ignore_case_ = false;
    std::vector<std::string> segments_;  // one, the name pattern, unless whole_path_
};

// A directory walked, and the directories above it, by identity only: what loop detection needs,
// without keeping their descriptors open (a tree 5,000 levels deep needs no more descriptors than
// a flat one; DESIGN.md, "Descriptors while walking").
struct DirIdentity {
    dev_t dev = 0;
    ino_t ino = 0;
    std::shared_ptr<const DirIdentity> parent;  // null above a named or listed directory
};

// The patterns a glob with {a,b} braces stands for ("*.{c,h}" -> "*.c", "*.h"), nested braces
// too; a brace without its pair is literal.
std::vector<std::string> expand_braces(std::string_view glob);

// An open directory, kept open while entries found in it wait to be processed, and closed when
// the last of them is done.
struct DirHandle {
    int fd = -1;
    dev_t dev = 0;
    ino_t ino = 0;
    std::shared_ptr<const DirIdentity> identity;  // this directory and its ancestors
    std::shared_ptr<const detail::IgnoreLevel> ignore;  // the ignore rules for its entries
    DirHandle() = default;
    DirHandle(const DirHandle&) = delete;
    DirHandle& operator=(const DirHandle&) = delete;
    ~DirHandle();
};

struct FileEntry {
    std::shared_ptr<const DirHandle> dir;   // the directory it was listed in; null for a named path
    std::shared_ptr<const DirHandle> root;  // the named directory it was met under; null for a named path
    std::string name;                       // relative to dir, or the path as named
    std::string path;                       // what to print
    bool named = false;                     // named on the command line
    bool is_stdin = false;                  // "-"
    bool via_symlink = false;               // a followed symbolic link (named or met while walking)

    // Opens for reading: a named path as named, a walked one without leaving root (see above).
    // Returns -1 with errno set on failure (EXDEV: the link leads outside the tree).
    int open() const;
};

// Why an entry could not be opened, in words for the user: "dangling symbolic link", "symbolic
// link leads outside the tree; not followed", or the errno's own text.
std::string describe_open_error(const FileEntry& entry, int error);

class TreeWalker {
public:
    using ErrorHandler = std::function<void(const std::string& path, const std::string& reason)>;

    // `on_error` is called (serialized) for each path that cannot be walked or is skipped for cause.
    TreeWalker(WalkOptions options, ErrorHandler on_error);

    // Offered every entry met while walking, before any rule; returning true takes it out of the
    // walk. Called from the listing thread, not serialized. Set before workers start.
    using EntryClaim = std::function<bool(int dir_fd, const std::string& name, const std::string& path)>;
    void claim_entries(EntryClaim claim) { claim_ = std::move(claim); }

    // Adds each of `named` (as add() does) and each of `listed` (as add_listed() does) so that
    // they are handed out in the order given, the named ones first (the walker hands out what
    // was added last first): --interactive asks about the files of `elvis --in-place a b` in that
    // order, and paths that cannot be walked are reported in it. Call before workers start.
    void add_in_order(const std::vector<std::string>& named, const std::vector<std::string>& listed);

    // Hands out the next file; false once every path is exhausted. Thread-safe; a worker that
    // finds the queue empty while others are still listing directories waits for them.
    bool next(FileEntry& entry);

    std::size_t directories_walked() const { return directories_; }
    // A directory is listed this many entries at a time, so that a wide one is never held whole.
    static constexpr std::size_t entries_per_listing = 4096;
    // FIFOs, sockets and devices met while walking, skipped.
    std::size_t special_files_skipped() const { return specials_; }

private:
    struct Item {
        FileEntry entry;
        bool directory = false;
        std::string relative;  // path below the root, for globs with '/'
        bool listed = false;   // from add_listed(), not resolved yet
        std::shared_ptr<DirHandle> listing;  // a directory listed in part, to go on with
        std::vector<Item> subdirectories;    // its subdirectories found so far, in order
    };
    // Adds a path as the user named it ("-" is standard input).
    void add(const std::string& path);
    // A named path's item; nullopt when it cannot be walked (reported).
    std::optional<Item> named_item(const std::string& path);
    // Adds a path read from a list (--files-from) as if it had been met while walking: no symbolic
    // link on its way is followed unless `follow` (a link is reported), a special file is
    // reported, the globs apply, and a directory is walked. The hidden rule does not: the list
    // named it.
    void add_listed(const std::string& path);
    // Lists up to entries_per_listing entries of a directory (opening it first), and leaves the
    // rest to a later call (DESIGN.md, "Descriptors while walking").
    void list_directory(Item item);
    std::shared_ptr<DirHandle> open_directory(const Item& item);
    // Resolves a listed path (add_listed) and pushes what it is, or reports why not. Done as it
    // is handed out, so that a list of a million paths holds no descriptors while it waits.
    void resolve_listed(const std::string& path);
    // The directory of the last listed path resolved, shared by the next ones in it (a list from
    // find names a directory's files one after the other): one descriptor for all of them.
    std::string listed_parent_;
    std::weak_ptr<DirHandle> listed_dir_;
    // The DT_ type of an entry, or DT_UNKNOWN once an error is reported; special files are DT_FIFO.
    unsigned char type_at(int dir_fd, const std::string& name, const std::string& path);
    unsigned char link_target_type(const FileEntry& link);
    // The last glob that matches decides; none matching: taken unless there are including globs
    // (a directory always is). With `ignore`, what the ignore files say comes before that rule.
    bool included(const std::string& name, std::string_view relative, bool directory,
                  const detail::IgnoreLevel* ignore = nullptr) const;
    void error(const std::string& path, const std::string& reason);

    WalkOptions options_;
    std::vector<GlobPattern> globs_;  // options_.globs, parsed
    ErrorHandler on_error_;
    EntryClaim claim_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<Item> stack_;  // LIFO keeps the number of open directories near the tree depth
    unsigned listing_ = 0;     // workers currently listing a directory
    std::size_t directories_ = 0;
    std::size_t specials_ = 0;
    bool has_includes_ = false;
};

// Joins a directory path and an entry name the way users expect to read it ("./x" -> "x").
std::string join_path(std::string_view dir, std::string_view name);

}  // namespace elvis
