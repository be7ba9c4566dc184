// TreeWalker: getdents64 + openat directory walking shared by worker threads.
#include "walk/tree_walk.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "walk/resolve.hpp"

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

namespace detail {

int locate(const FileEntry& entry, Location& out) {
    if (entry.dir != nullptr && !entry.via_symlink) {
        out = {Fd(entry.dir->fd, false), entry.name};
        return 0;
    }
    if (int error = resolve(entry.dir != nullptr ? entry.dir->fd : AT_FDCWD, entry.name, out)) return error;
    if (entry.dir != nullptr && !is_beneath(out.dir.get(), entry.root->dev, entry.root->ino)) return outside_tree;
    return 0;
}

}  // namespace detail

namespace {

// Opens an entry as FileEntry::open() promises, with `flags`. A file reached through a link is
// inside the tree when the directory holding it is; a directory when it is itself (a link back
// to the root is a loop for the caller to find, not an escape).
int open_entry(const FileEntry& entry, int flags) {
    if (entry.dir == nullptr) return ::open(entry.name.c_str(), flags);
    if (!entry.via_symlink) return ::openat(entry.dir->fd, entry.name.c_str(), flags | O_NOFOLLOW);
    detail::Location where;
    const bool directory = (flags & O_DIRECTORY) != 0;
    if (int error = directory ? detail::resolve(entry.dir->fd, entry.name, where) : detail::locate(entry, where)) {
        errno = error;
        return -1;
    }
    const int fd = ::openat(where.dir.get(), where.name.c_str(), flags | O_NOFOLLOW);
    if (fd >= 0 && directory && !detail::is_beneath(fd, entry.root->dev, entry.root->ino)) {
        ::close(fd);
        errno = detail::outside_tree;
        return -1;
    }
    return fd;
}

}  // namespace

int FileEntry::open() const {
    // O_NONBLOCK: an entry swapped for a FIFO after listing must not hang the worker.
    return open_entry(*this, O_RDONLY | O_CLOEXEC | O_NOCTTY | (dir != nullptr ? O_NONBLOCK : 0));
}

std::string describe_open_error(const FileEntry& entry, int error) {
    if (error == detail::outside_tree) return "symbolic link leads outside the tree; not followed";
    if (error == ENOENT && entry.via_symlink) return "dangling symbolic link";
    return std::strerror(error);
}

TreeWalker::TreeWalker(WalkOptions options, ErrorHandler on_error)
    : options_(std::move(options)), on_error_(std::move(on_error)) {
    for (bool ignore_case : {false, true})
        for (const std::string& glob : ignore_case ? options_.iglobs : options_.globs)
            for (const std::string& pattern : expand_braces(glob)) {
                globs_.emplace_back(pattern, ignore_case);
                has_includes_ = has_includes_ || !globs_.back().excludes();
            }
}

void TreeWalker::error(const std::string& path, const std::string& reason) {
    std::lock_guard lock(mutex_);
    on_error_(path, reason);
}

void TreeWalker::add(const std::string& path) {
    if (std::optional<Item> item = named_item(path)) stack_.push_back(std::move(*item));
}

std::optional<TreeWalker::Item> TreeWalker::named_item(const std::string& path) {
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
            return std::nullopt;
        }
        item.directory = S_ISDIR(st.st_mode);
        item.entry.via_symlink = ::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode);
    }
    return item;
}

void TreeWalker::add_listed(const std::string& path) {
    Item item;
    item.entry.path = path;
    item.listed = true;
    stack_.push_back(std::move(item));
}

void TreeWalker::resolve_listed(const std::string& path) {
    const std::string_view relative = std::string_view(path).substr(path.starts_with("./") ? 2 : 0);
    const std::size_t slash = relative.rfind('/');
    const std::string name(slash == std::string_view::npos ? relative : relative.substr(slash + 1));
    if (options_.follow || path == "-") {
        struct stat st;
        if (path != "-" && ::stat(path.c_str(), &st) == 0 && !S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
            error(path, "not a regular file; skipped");  // never opened: a FIFO would block
            return;
        }
        if (!included(name, relative, path != "-" && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))) return;
        std::lock_guard lock(mutex_);
        add(path);
        return;
    }
    const std::string parent = slash == std::string_view::npos ? std::string(".") : std::string(path, 0, path.size() - name.size());
    std::shared_ptr<DirHandle> dir;
    detail::Location where;
    if (name != "." && name != ".." && !name.empty()) {
        std::lock_guard lock(mutex_);
        if (parent == listed_parent_) dir = listed_dir_.lock();
    }
    constexpr const char* link_not_followed = "a symbolic link on its way; not followed (--follow follows it)";
    if (dir != nullptr) {
        where = {detail::Fd(dir->fd, false), name};
    } else if (int failure = detail::resolve(AT_FDCWD, path, where, 0)) {
        error(path, failure == ELOOP ? link_not_followed : std::strerror(failure));
        return;
    }
    const unsigned char type = type_at(where.dir.get(), where.name, path);
    if (type == DT_UNKNOWN) return;  // reported
    if (type == DT_LNK) {  // the last component, in a directory already opened for the list
        error(path, link_not_followed);
        return;
    }
    if (type != DT_DIR && type != DT_REG) {
        error(path, "not a regular file; skipped");
        return;
    }
    if (!included(name, relative, type == DT_DIR)) return;
    if (dir == nullptr) {
        dir = std::make_shared<DirHandle>();
        struct stat st;
        if (::fstat(where.dir.get(), &st) != 0) {
            error(path, std::strerror(errno));
            return;
        }
        dir->dev = st.st_dev;
        dir->ino = st.st_ino;
        dir->fd = where.dir.release();
        if (where.name == name) {  // the path's last component, in the directory `parent` names
            std::lock_guard lock(mutex_);
            listed_parent_ = parent;
            listed_dir_ = dir;
        }
    }
    Item item;
    item.entry.dir = dir;
    item.entry.name = where.name;
    item.entry.path = path;
    item.directory = type == DT_DIR;
    if (!item.directory) item.entry.root = dir;
    std::lock_guard lock(mutex_);
    stack_.push_back(std::move(item));
}

bool TreeWalker::next(FileEntry& entry) {
    std::unique_lock lock(mutex_);
    for (;;) {
        if (!stack_.empty()) {
            Item item = std::move(stack_.back());
            stack_.pop_back();
            if (item.listed) {
                ++listing_;
                lock.unlock();
                resolve_listed(item.entry.path);
                lock.lock();
                --listing_;
                wake_.notify_all();
                continue;
            }
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

bool segment_matches(const std::string& pattern, const std::string& name, bool ignore_case) {
    return ::fnmatch(pattern.c_str(), name.c_str(), ignore_case ? FNM_CASEFOLD : 0) == 0;
}

// pattern[i...] against path[j...]. Runs of "**" were collapsed to one, so the backtracking is
// bounded by the number of "**" segments.
bool segments_match(const std::vector<std::string>& pattern, std::size_t i, const std::vector<std::string>& path,
                    std::size_t j, bool ignore_case) {
    for (; i < pattern.size(); ++i, ++j) {
        if (pattern[i] == "**") {
            // Last, it stands for what is inside: one segment at least.
            for (std::size_t skip = i + 1 == pattern.size() ? j + 1 : j; skip <= path.size(); ++skip)
                if (segments_match(pattern, i + 1, path, skip, ignore_case)) return true;
            return false;
        }
        if (j == path.size() || !segment_matches(pattern[i], path[j], ignore_case)) return false;
    }
    return j == path.size();
}

}  // namespace

std::vector<std::string> expand_braces(std::string_view glob) {
    // The first '{' with its matching '}' and a top-level ',' between them.
    for (std::size_t open = 0; open < glob.size(); ++open) {
        if (glob[open] == '\\') {
            ++open;
            continue;
        }
        if (glob[open] != '{') continue;
        std::vector<std::size_t> commas;
        std::size_t close = std::string_view::npos;
        int depth = 0;
        for (std::size_t i = open + 1; i < glob.size() && close == std::string_view::npos; ++i) {
            if (glob[i] == '\\') ++i;
            else if (glob[i] == '{') ++depth;
            else if (glob[i] == '}' && depth > 0) --depth;
            else if (glob[i] == '}') close = i;
            else if (glob[i] == ',' && depth == 0) commas.push_back(i);
        }
        if (close == std::string_view::npos) break;
        std::vector<std::string> out;
        std::size_t from = open + 1;
        commas.push_back(close);
        for (std::size_t comma : commas) {
            const std::string one = std::string(glob.substr(0, open)) + std::string(glob.substr(from, comma - from)) +
                                    std::string(glob.substr(close + 1));
            for (std::string& expanded : expand_braces(one)) out.push_back(std::move(expanded));
            from = comma + 1;
        }
        return out;
    }
    return {std::string(glob)};
}

GlobPattern::GlobPattern(std::string_view glob, bool ignore_case) : ignore_case_(ignore_case) {
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
    if (!whole_path_) return segment_matches(segments_.front(), name, ignore_case_);
    return segments_match(segments_, 0, split_at_slashes(relative), 0, ignore_case_);
}

bool TreeWalker::included(const std::string& name, std::string_view relative, bool directory,
                          const detail::IgnoreLevel* ignore) const {
    for (auto glob = globs_.rbegin(); glob != globs_.rend(); ++glob)
        if (glob->matches(name, relative, directory)) return !glob->excludes();
    if (ignore != nullptr && detail::is_ignored(*ignore, relative, name, directory, options_.ignore_vcs)) return false;
    return directory || !has_includes_;
}

namespace {

unsigned char file_type(mode_t mode) {
    return S_ISDIR(mode) ? DT_DIR : S_ISREG(mode) ? DT_REG : S_ISLNK(mode) ? DT_LNK : DT_FIFO;  // DT_FIFO: special
}

}  // namespace

unsigned char TreeWalker::type_at(int dir_fd, const std::string& name, const std::string& path) {
    struct stat st;
    if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return file_type(st.st_mode);
    error(path, std::strerror(errno));
    return DT_UNKNOWN;
}

unsigned char TreeWalker::link_target_type(const FileEntry& link) {
    detail::Location where;
    int failure = detail::resolve(link.dir->fd, link.name, where);
    const unsigned char type = failure ? static_cast<unsigned char>(DT_UNKNOWN) : type_at(where.dir.get(), where.name, link.path);
    // A directory is checked as it is opened (open_entry); a file here, to report it now.
    if (type == DT_REG && !detail::is_beneath(where.dir.get(), link.root->dev, link.root->ino))
        failure = detail::outside_tree;
    if (failure) {
        error(link.path, describe_open_error(link, failure));
        return DT_UNKNOWN;
    }
    return type;
}

void TreeWalker::list_directory(Item item) {
    if (item.listing == nullptr) {
        item.listing = open_directory(item);
        if (item.listing == nullptr) return;  // reported
    }
    const std::shared_ptr<DirHandle> dir = item.listing;
    const FileEntry& at = item.entry;
    const int fd = dir->fd;
    // A named or listed directory is the root of what is met in it.
    const std::shared_ptr<const DirHandle> root = at.root != nullptr ? at.root : dir;

    std::vector<Item> found;
    bool finished = false;
    alignas(8) char buffer[32 * 1024];
    while (found.size() < entries_per_listing) {
        long n = ::syscall(SYS_getdents64, fd, buffer, sizeof buffer);
        if (n < 0) error(at.path, std::strerror(errno));
        if (n <= 0) {
            finished = true;
            break;
        }
        for (long offset = 0; offset < n;) {
            auto* d = reinterpret_cast<struct dirent64*>(buffer + offset);
            offset += d->d_reclen;
            std::string_view name(d->d_name);
            if (name == "." || name == "..") continue;
            if (claim_ && claim_(fd, std::string(name), join_path(at.path, name))) continue;
            if (!options_.hidden && name[0] == '.') continue;  // also .git, .hg, .svn
            if (options_.skip_vcs_directories && (name == ".git" || name == ".hg" || name == ".svn")) continue;
            Item child;
            child.entry.dir = dir;
            child.entry.root = root;
            child.entry.name = std::string(name);
            child.entry.path = join_path(at.path, name);
            unsigned char type = d->d_type;
            if (type == DT_UNKNOWN) type = type_at(fd, child.entry.name, child.entry.path);
            if (type == DT_LNK) {
                if (!options_.follow) continue;  // not following symlinks met while walking
                child.entry.via_symlink = true;
                type = link_target_type(child.entry);
            }
            if (type == DT_UNKNOWN) continue;  // reported
            if (type != DT_DIR && type != DT_REG) {  // a FIFO, socket or device: not a file to read
                std::lock_guard lock(mutex_);
                ++specials_;
                continue;
            }
            child.relative = join_path(item.relative, name);
            if (!included(child.entry.name, child.relative, type == DT_DIR, dir->ignore.get())) continue;
            child.directory = type == DT_DIR;
            found.push_back(std::move(child));
        }
    }
    for (Item& found_item : found)
        if (found_item.directory) item.subdirectories.push_back(std::move(found_item));
    std::lock_guard lock(mutex_);
    if (finished) ++directories_;
    // The LIFO stack hands out the files in directory order, then the subdirectories in directory
    // order: a directory's descriptor is then held only while subdirectories of it wait. A wide
    // directory is listed a part at a time: the rest of it waits under the files found so far,
    // keeping its subdirectories until it is done, so memory grows with its subdirectories only.
    if (finished)
        for (auto it = item.subdirectories.rbegin(); it != item.subdirectories.rend(); ++it) stack_.push_back(std::move(*it));
    else
        stack_.push_back(std::move(item));
    for (auto it = found.rbegin(); it != found.rend(); ++it)
        if (!it->directory) stack_.push_back(std::move(*it));
}

std::shared_ptr<DirHandle> TreeWalker::open_directory(const Item& item) {
    const FileEntry& at = item.entry;
    const int fd = open_entry(at, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        error(at.path, describe_open_error(at, errno));
        return nullptr;
    }
    auto dir = std::make_shared<DirHandle>();
    dir->fd = fd;
    struct stat st;
    if (::fstat(fd, &st) != 0) {
        error(at.path, std::strerror(errno));
        return nullptr;
    }
    dir->dev = st.st_dev;
    dir->ino = st.st_ino;
    // A named or listed directory starts the chain.
    std::shared_ptr<const DirIdentity> ancestors = at.root != nullptr ? at.dir->identity : nullptr;
    for (const DirIdentity* up = ancestors.get(); up != nullptr; up = up->parent.get()) {
        if (up->dev == dir->dev && up->ino == dir->ino) {
            error(at.path, "symbolic link loop (leads back to a parent directory); not followed");
            return nullptr;
        }
    }
    dir->identity = std::make_shared<const DirIdentity>(DirIdentity{dir->dev, dir->ino, std::move(ancestors)});
    if (options_.ignore_files) {
        // A named or listed directory starts with the rules of the directories above it.
        auto above = at.root != nullptr ? at.dir->ignore : detail::levels_above(at.path, options_.ignore_vcs);
        dir->ignore = detail::enter_directory(std::move(above), fd, item.relative, {}, true, true, true, options_.ignore_vcs);
    }
    return dir;
}

void TreeWalker::add_in_order(const std::vector<std::string>& named, const std::vector<std::string>& listed) {
    for (auto path = listed.rbegin(); path != listed.rend(); ++path) add_listed(*path);
    // Made in order, so that a path that cannot be walked is reported in the order given.
    std::vector<Item> items;
    for (const std::string& path : named)
        if (std::optional<Item> item = named_item(path)) items.push_back(std::move(*item));
    for (auto item = items.rbegin(); item != items.rend(); ++item) stack_.push_back(std::move(*item));
}

std::uint64_t list_files(const std::vector<std::string>& paths, const WalkOptions& options,
                         const std::function<void(const std::string& path)>& on_file,
                         const std::function<void(const std::string& path, const std::string& reason)>& on_error) {
    TreeWalker walker(options, on_error);
    walker.add_in_order(paths, options.listed);
    for (FileEntry entry; walker.next(entry);) on_file(entry.path);
    return walker.special_files_skipped();
}

}  // namespace elvis
