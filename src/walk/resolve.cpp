// resolve and is_beneath: symbolic links followed by hand, containment proven on descriptors.
#include "walk/resolve.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <vector>

namespace elvis::detail {

namespace {

// Appends the components of `path` (empty ones dropped) so that the first one is at the back.
void push_components(std::vector<std::string>& pending, std::string_view path) {
    const std::size_t first = pending.size();
    for (std::size_t begin = 0; begin < path.size();) {
        const std::size_t slash = std::min(path.find('/', begin), path.size());
        if (slash > begin) pending.emplace_back(path.data() + begin, slash - begin);
        begin = slash + 1;
    }
    std::reverse(pending.begin() + static_cast<std::ptrdiff_t>(first), pending.end());
}

}  // namespace

int resolve(int start, std::string_view path, Location& out, int links_allowed) {
    std::vector<std::string> pending;
    push_components(pending, path);
    Fd dir(start, false);
    auto enter = [&](int from, const char* name, int flags) {
        const int fd = ::openat(from, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | flags);
        if (fd < 0) return errno;
        dir = Fd(fd, true);
        return 0;
    };
    if (!path.empty() && path.front() == '/')
        if (int error = enter(AT_FDCWD, "/", 0)) return error;
    std::string name;  // the last component; none when the path ends in a directory
    int links = 0;
    char target[PATH_MAX];
    while (!pending.empty()) {
        std::string part = std::move(pending.back());
        pending.pop_back();
        if (part == ".") continue;
        if (part == "..") {
            if (int error = enter(dir.get(), "..", 0)) return error;
            continue;
        }
        const ssize_t length = ::readlinkat(dir.get(), part.c_str(), target, sizeof target);
        if (length >= 0) {
            if (static_cast<std::size_t>(length) == sizeof target) return ENAMETOOLONG;
            if (++links > links_allowed) return ELOOP;
            const std::string_view link(target, static_cast<std::size_t>(length));
            push_components(pending, link);
            if (!link.empty() && link.front() == '/')
                if (int error = enter(AT_FDCWD, "/", 0)) return error;
            continue;
        }
        if (errno != EINVAL) return errno;  // EINVAL: there, and not a symbolic link
        if (pending.empty()) {
            name = std::move(part);
            break;
        }
        if (int error = enter(dir.get(), part.c_str(), O_NOFOLLOW)) return error;
    }
    if (!dir.owned())
        if (int error = enter(dir.get(), ".", 0)) return error;
    out.dir = std::move(dir);
    out.name = name.empty() ? std::string(".") : std::move(name);
    return 0;
}

bool is_beneath(int dir, dev_t root_dev, ino_t root_ino) {
    struct stat st;
    if (::fstat(dir, &st) != 0) return false;
    Fd at(dir, false);
    while (st.st_dev != root_dev || st.st_ino != root_ino) {
        Fd up(::openat(at.get(), "..", O_PATH | O_DIRECTORY | O_CLOEXEC), true);
        struct stat parent;
        if (up.get() < 0 || ::fstat(up.get(), &parent) != 0) return false;
        if (parent.st_dev == st.st_dev && parent.st_ino == st.st_ino) return false;  // "/": its own parent
        at = std::move(up);
        st = parent;
    }
    return true;
}

}  // namespace elvis::detail
