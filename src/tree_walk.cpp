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
    for (const std::string& glob : options_.globs) {
        globs_.emplace_back(glob);
        has_includes_ = has_includes_ || !globs_.back().excludes();
    }
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

// The parts of a path or pattern between its '/'s, empty ones included.
std::vector<std::string> split_at_slashes(std::string_view path) {
    std::vector<std::string> parts;
    for (std::size_t start = 0; start <= path.size();) {
        const std::size_t slash = std::min(path.find('/', start), path.size());
        parts.emplace_back(path.substr(start, slash - start));
        start = slash + 1;
    }
    return parts;
}

bool segment_matches(const std::string& pattern, const std::string& name) {
    return ::fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

// pattern[i...] against path[j...]. Runs of "**" were collapsed to one, so the backtracking is
// bounded by the number of "**" segments.
bool segments_match(const std::vector<std::string>& pattern, std::size_t i, const std::vector<std::string>& path,
                    std::size_t j) {
    for (; i < pattern.size(); ++i, ++j) {
        if (pattern[i] == "**") {
            // Last, it stands for what is inside: one segment at least.
            for (std::size_t skip = i + 1 == pattern.size() ? j + 1 : j; skip <= path.size(); ++skip)
                if (segments_match(pattern, i + 1, path, skip)) return true;
            return false;
        }
        if (j == path.size() || !segment_matches(pattern[i], path[j])) return false;
    }
    return j == path.size();
}

}  // namespace

GlobPattern::GlobPattern(std::string_view glob) {
    if (!glob.empty() && glob.front() == '!') {
        exclude_ = true;
        glob.remove_prefix(1);
    }
    if (!glob.empty() && glob.back() == '/') {
        directories_only_ = true;
        glob.remove_suffix(1);
    }
    whole_path_ = glob.find('/') != std::string_view::npos;
    if (!whole_path_) {
        segments_.emplace_back(glob);
        return;
    }
    // Empty segments ("/a", "a//b") and repeated "**" change nothing.
    for (std::string& segment : split_at_slashes(glob))
        if (!segment.empty() && !(segment == "**" && !segments_.empty() && segments_.back() == "**"))
            segments_.push_back(std::move(segment));
}

bool GlobPattern::matches(const std::string& name, std::string_view relative, bool directory) const {
    if (directories_only_ && !directory) return false;
    if (!whole_path_) return segment_matches(segments_.front(), name);
    return segments_match(segments_, 0, split_at_slashes(relative), 0);
}

bool TreeWalker::included(const std::string& name, std::string_view relative, bool directory) const {
    bool included_by_pattern = false;
    for (const GlobPattern& glob : globs_) {
        if (!glob.matches(name, relative, directory)) continue;
        if (glob.excludes()) return false;
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
            Item child;
            child.entry.name = std::string(name);
            if (!included(child.entry.name, relative, type == DT_DIR)) continue;
            child.directory = type == DT_DIR;
            child.entry.dir = dir;
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
