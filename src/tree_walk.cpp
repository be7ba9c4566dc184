// TreeWalker: getdents64 + openat directory walking shared by worker threads.
#include "elvis/tree_walk.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace elvis {

DirHandle::~DirHandle() {
    if (fd >= 0) ::close(fd);
}

std::string join_path(std::string_view dir, std::string_view name) {
    if (dir.empty() || dir == ".") return std::string(name);
    std::string path(dir);
    if (path.back() != '/') path.push_back('/');
    path.append(name);
    return path;
}

int FileEntry::open(bool follow) const {
    if (dir == nullptr) return ::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    // O_NONBLOCK: an entry swapped for a FIFO after listing must not hang the worker.
    return ::openat(dir->fd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW));
}

TreeWalker::TreeWalker(WalkOptions options, ErrorHandler on_error)
    : options_(std::move(options)), on_error_(std::move(on_error)) {
    for (const std::string& glob : options_.globs) has_includes_ = has_includes_ || glob.empty() || glob[0] != '!';
}

void TreeWalker::error(const std::string& path, const std::string& reason) {
    std::lock_guard lock(mutex_);
    on_error_(path, reason);
}

void TreeWalker::add(const std::string& path) {
    Item item;
    item.entry.name = path;
    item.entry.path = path;
    item.entry.named = true;
    if (path == "-") {
        item.entry.is_stdin = true;
    } else {
        struct stat st, link;
        if (::stat(path.c_str(), &st) != 0) {
            const bool dangling = errno == ENOENT && ::lstat(path.c_str(), &link) == 0;
            on_error_(path, dangling ? "dangling symbolic link" : std::strerror(errno));
            return;
        }
        item.directory = S_ISDIR(st.st_mode);
        item.entry.via_symlink = ::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode);
        if (item.directory && options_.stay_inside) {
            char* real = ::realpath(path.c_str(), nullptr);
            if (real != nullptr) {
                item.root_real = std::make_shared<const std::string>(real);
                std::free(real);
            }
        }
    }
    stack_.push_back(std::move(item));
}

bool TreeWalker::next(FileEntry& entry) {
    std::unique_lock lock(mutex_);
    for (;;) {
        if (!stack_.empty()) {
            Item item = std::move(stack_.back());
            stack_.pop_back();
            if (!item.directory) {
                entry = std::move(item.entry);
                return true;
            }
            ++listing_;
            lock.unlock();
            list_directory(std::move(item));
            lock.lock();
            --listing_;
            wake_.notify_all();
            continue;
        }
        if (listing_ == 0) {
            wake_.notify_all();
            return false;
        }
        wake_.wait(lock);
    }
}

bool TreeWalker::leaves_tree(const std::string& path, const std::string& root_real) const {
    char* real = ::realpath(path.c_str(), nullptr);
    if (real == nullptr) return true;
    const std::string target(real);
    std::free(real);
    return !(target == root_real || (target.size() > root_real.size() && target.compare(0, root_real.size(), root_real) == 0 &&
                                     (root_real == "/" || target[root_real.size()] == '/')));
}

namespace {

// Splits a path or a pattern at '/'.
std::vector<std::string_view> segments(std::string_view path) {
    std::vector<std::string_view> parts;
    for (std::size_t start = 0;;) {
        const std::size_t slash = path.find('/', start);
        parts.push_back(path.substr(start, slash - start));
        if (slash == std::string_view::npos) return parts;
        start = slash + 1;
    }
}

bool segment_matches(std::string_view pattern, std::string_view name) {
    return ::fnmatch(std::string(pattern).c_str(), std::string(name).c_str(), 0) == 0;
}

// pattern[i...] against path[j...]; a run of "**" segments was collapsed to one, so the
// backtracking is bounded by the number of "**" segments.
bool segments_match(const std::vector<std::string_view>& pattern, std::size_t i,
                    const std::vector<std::string_view>& path, std::size_t j) {
    for (; i < pattern.size(); ++i, ++j) {
        if (pattern[i] == "**") {
            for (std::size_t skip = j; skip <= path.size(); ++skip)
                if (segments_match(pattern, i + 1, path, skip)) return true;
            return false;
        }
        if (j == path.size() || !segment_matches(pattern[i], path[j])) return false;
    }
    return j == path.size();
}

}  // namespace

bool glob_matches(std::string_view pattern, std::string_view name, std::string_view relative, bool directory) {
    if (!pattern.empty() && pattern.back() == '/') {
        if (!directory) return false;
        pattern.remove_suffix(1);
    }
    if (!pattern.empty() && pattern.front() == '/') pattern.remove_prefix(1);
    if (pattern.find('/') == std::string_view::npos) return segment_matches(pattern, name);
    std::vector<std::string_view> parts = segments(pattern);
    parts.erase(std::unique(parts.begin(), parts.end(),
                            [](std::string_view a, std::string_view b) { return a == "**" && b == "**"; }),
                parts.end());
    return segments_match(parts, 0, segments(relative), 0);
}

bool TreeWalker::included(std::string_view name, std::string_view relative, bool directory) const {
    bool included_by_pattern = false;
    for (const std::string& glob : options_.globs) {
        const bool exclude = !glob.empty() && glob[0] == '!';
        if (!glob_matches(std::string_view(glob).substr(exclude ? 1 : 0), name, relative, directory)) continue;
        if (exclude) return false;
        included_by_pattern = true;
    }
    return directory || !has_includes_ || included_by_pattern;
}

void TreeWalker::list_directory(Item item) {
    const FileEntry& at = item.entry;
    const int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
    int fd = at.dir ? ::openat(at.dir->fd, at.name.c_str(), flags | (options_.follow ? 0 : O_NOFOLLOW))
                    : ::open(at.name.c_str(), flags);
    if (fd < 0) {
        error(at.path, std::strerror(errno));
        return;
    }
    auto dir = std::make_shared<DirHandle>();
    dir->fd = fd;
    dir->parent = at.dir;
    struct stat st;
    if (::fstat(fd, &st) != 0) {
        error(at.path, std::strerror(errno));
        return;
    }
    dir->dev = st.st_dev;
    dir->ino = st.st_ino;
    for (const DirHandle* up = dir->parent.get(); up != nullptr; up = up->parent.get()) {
        if (up->dev == dir->dev && up->ino == dir->ino) {
            error(at.path, "symbolic link loop (leads back to a parent directory); not followed");
            return;
        }
    }

    std::vector<Item> found;
    alignas(8) char buffer[32 * 1024];
    for (;;) {
        long n = ::syscall(SYS_getdents64, fd, buffer, sizeof buffer);
        if (n < 0) {
            error(at.path, std::strerror(errno));
            break;
        }
        if (n == 0) break;
        for (long offset = 0; offset < n;) {
            auto* d = reinterpret_cast<struct dirent64*>(buffer + offset);
            offset += d->d_reclen;
            std::string_view name(d->d_name);
            if (name == "." || name == "..") continue;
            if (!options_.hidden && name[0] == '.') continue;  // also .git, .hg, .svn
            unsigned char type = d->d_type;
            std::string path = join_path(at.path, name);
            if (type == DT_UNKNOWN || (type == DT_LNK && options_.follow)) {
                struct stat entry_stat;
                int stat_flags = type == DT_LNK ? 0 : AT_SYMLINK_NOFOLLOW;
                if (::fstatat(fd, d->d_name, &entry_stat, stat_flags) != 0) {
                    error(path, type == DT_LNK && errno == ENOENT ? "dangling symbolic link" : std::strerror(errno));
                    continue;
                }
                type = S_ISDIR(entry_stat.st_mode)   ? DT_DIR
                       : S_ISREG(entry_stat.st_mode) ? DT_REG
                       : S_ISLNK(entry_stat.st_mode) ? DT_LNK
                                                     : DT_UNKNOWN;
            }
            if (type == DT_LNK) continue;  // not following symlinks met while walking
            const bool via_symlink = d->d_type == DT_LNK;
            if (via_symlink && item.root_real && leaves_tree(path, *item.root_real)) {
                error(path, "symbolic link leads outside the tree; not followed");
                continue;
            }
            std::string relative = join_path(item.relative, name);
            if (type != DT_DIR && type != DT_REG) {
                error(path, "not a regular file; skipped");
                continue;
            }
            if (!included(name, relative, type == DT_DIR)) continue;
            Item child;
            child.directory = type == DT_DIR;
            child.entry.dir = dir;
            child.entry.name = std::string(name);
            child.entry.path = std::move(path);
            child.entry.via_symlink = via_symlink;
            child.relative = std::move(relative);
            child.root_real = item.root_real;
            found.push_back(std::move(child));
        }
    }
    std::lock_guard lock(mutex_);
    ++directories_;
    // Reversed, so the LIFO stack hands entries out in directory order.
    for (auto it = found.rbegin(); it != found.rend(); ++it) stack_.push_back(std::move(*it));
}

}  // namespace elvis
