// AtomicReplacement: a new version of a file, written beside it and swapped in with rename(2),
// so that a reader (or a crash) only ever sees the complete original or the complete rewrite.
//
// The new file starts as an unnamed O_TMPFILE in the same directory (owner-only; a crash leaves
// nothing behind), or as an exclusively created hidden name where O_TMPFILE is unsupported or
// cannot be named (no /proc and no AT_EMPTY_PATH). Either gets a name, ".NAME.elvis-" and 16
// letters and digits, just before the rename: a crash in that moment leaves it, and the next run
// removes it (remove_stale_temporary; DESIGN.md, "Temporaries a crash leaves"). It
// gets the original's owner, group, mode and extended attributes (ACLs and the SELinux label are
// extended attributes), is fsynced, and replaces the original only if the original still has the
// device, inode, size, mtime and ctime it had when it was opened. The directory is fsynced after.
// A backup is a second hard link to the original, made only where no file has its name.
#pragma once

#include <sys/stat.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace elvis {

struct ReplaceOptions {
    bool fsync = true;
    // Keep going when owner, group or an extended attribute cannot be reproduced.
    bool force = false;
    // Keep the original under name + backup_suffix (empty: no backup); refused (ReplaceRefused)
    // when a file of that name exists: it is never overwritten.
    std::string backup_suffix;
};

class AtomicReplacement {
public:
    // Creates the new file beside `name` in directory `dir_fd`. `original` is the original's
    // stat from when it was opened. Throws IoError (naming the step) on failure.
    AtomicReplacement(int dir_fd, std::string name, const struct stat& original, const ReplaceOptions& options);
    // Discards the new file unless commit() succeeded.
    ~AtomicReplacement();
    AtomicReplacement(const AtomicReplacement&) = delete;
    AtomicReplacement& operator=(const AtomicReplacement&) = delete;

    // Where to write the new content.
    int fd() const { return fd_; }

    // Copies metadata, syncs, checks the original did not change, and renames the new file over
    // it. Throws IoError, or ReplaceRefused when the swap would lose something (the original
    // changed meanwhile, or metadata cannot be reproduced without `force`). Either way the
    // original is left as it was and the new file is gone.
    void commit(int original_fd);

    // The same in two steps, so that many replacements can be synced together in between:
    // prepare() carries the metadata over; the caller then syncs fd() (see sync_all) unless
    // options.fsync is off; swap() checks the original and renames. The caller syncs the
    // directory afterwards. Both throw like commit() and leave the original intact on failure.
    void prepare(int original_fd);
    void swap();

private:
    void discard() noexcept;
    void copy_metadata(int original_fd);

    int dir_fd_;
    std::string name_;
    struct stat original_;
    ReplaceOptions options_;
    int fd_ = -1;
    std::string temp_name_;  // non-empty once the new file has a name in the directory
    bool committed_ = false;
};

class Uring;

// fsyncs every descriptor, all at once through io_uring when a ring is given (the kernel's
// workers run them in parallel, and the file system commits them together), else one by one.
// Returns the errno of each (0: synced). Allocation-free but for the result vector.
std::vector<int> sync_all(Uring* ring, const std::vector<int>& fds);

// How this process made and named its new files, in words for --stats.
std::string new_file_naming();

// Whether `name` has the form of a temporary's name.
bool is_temporary_name(std::string_view name);

// Removes `name` in dir_fd when it is provably a temporary an earlier run left beside its
// original: the form of the name, a check over the original's device and inode (which a
// successful rename would have changed), a regular file with one link, the owner elvis gives it,
// and a ctime older than `started` (this process's start). True when removed.
bool remove_stale_temporary(int dir_fd, const std::string& name, const struct timespec& started);

// The reason a replacement is refused when name + suffix exists already.
std::string backup_exists(const std::string& name, const std::string& suffix);

}  // namespace elvis
