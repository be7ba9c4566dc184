// AtomicReplacement: temporary file beside the original, metadata, checks, rename.
#include "io/atomic_replace.hpp"

#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <vector>

#include "elvis/byte_source.hpp"
#include "elvis/errors.hpp"
#include "io/uring.hpp"

namespace elvis {

namespace {

std::string temporary_name(const std::string& name) {
    thread_local std::mt19937_64 rng(std::random_device{}() ^ static_cast<std::uint64_t>(::getpid()));
    static constexpr char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string temp(1, '.');
    temp.append(name, 0, 200).append(".elvis-");
    for (int i = 0; i < 8; ++i) temp += digits[rng() % 36];
    return temp;
}

bool same_time(const struct timespec& a, const struct timespec& b) {
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

// The ctime too: a writer can set the mtime back (touch -r, rsync -t, utimensat), nobody the ctime.
bool same_file_state(const struct stat& a, const struct stat& b) {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size && same_time(a.st_mtim, b.st_mtim) &&
           same_time(a.st_ctim, b.st_ctim);
}

}  // namespace

std::string backup_exists(const std::string& name, const std::string& suffix) {
    return "backup " + name + suffix + " exists already; left as it is";
}

AtomicReplacement::AtomicReplacement(int dir_fd, std::string name, const struct stat& original,
                                     const ReplaceOptions& options)
    : dir_fd_(dir_fd), name_(std::move(name)), original_(original), options_(options) {
    fd_ = ::openat(dir_fd_, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
    if (fd_ >= 0) return;
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
        throw IoError("cannot create a temporary file in its directory", errno);
    // No O_TMPFILE on this file system: an exclusively created hidden name instead.
    for (int attempt = 0; attempt < 100 && fd_ < 0; ++attempt) {
        temp_name_ = temporary_name(name_);
        fd_ = ::openat(dir_fd_, temp_name_.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd_ < 0 && errno != EEXIST) {
            temp_name_.clear();
            throw IoError("cannot create a temporary file in its directory", errno);
        }
    }
    if (fd_ < 0) {
        temp_name_.clear();
        throw IoError("cannot create a temporary file in its directory", EEXIST);
    }
}

AtomicReplacement::~AtomicReplacement() { discard(); }

void AtomicReplacement::discard() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (!committed_ && !temp_name_.empty()) ::unlinkat(dir_fd_, temp_name_.c_str(), 0);
    temp_name_.clear();
}

void AtomicReplacement::copy_metadata(int original_fd) {
    mode_t mode = original_.st_mode & 07777;
    if (::fchown(fd_, original_.st_uid, original_.st_gid) != 0) {
        if (!options_.force)
            throw ReplaceRefused(std::string("cannot keep its owner and group (") + std::strerror(errno) +
                                 "); left as it is (--force rewrites it anyway)");
        mode &= ~static_cast<mode_t>(S_ISUID | S_ISGID);  // never hand set-id bits to another owner
    }
    if (::fchmod(fd_, mode) != 0) throw IoError("cannot set the mode of the new file", errno);

    std::vector<char> names(1024);
    ssize_t length;
    while ((length = ::flistxattr(original_fd, names.data(), names.size())) < 0 && errno == ERANGE)
        names.resize(names.size() * 4);
    if (length < 0) {
        if (errno == ENOTSUP) return;
        throw IoError("cannot list extended attributes", errno);
    }
    std::vector<char> value(4096);
    for (ssize_t at = 0; at < length; at += static_cast<ssize_t>(std::strlen(names.data() + at)) + 1) {
        const char* name = names.data() + at;
        ssize_t size;
        while ((size = ::fgetxattr(original_fd, name, value.data(), value.size())) < 0 && errno == ERANGE)
            value.resize(value.size() * 4);
        if (size < 0 || ::fsetxattr(fd_, name, value.data(), static_cast<std::size_t>(size), 0) != 0) {
            if (options_.force) continue;
            throw ReplaceRefused(std::string("cannot copy extended attribute ") + name + " (" + std::strerror(errno) +
                                 "); left as it is (--force rewrites it anyway)");
        }
    }
}

void AtomicReplacement::commit(int original_fd) {
    prepare(original_fd);
    try {
        if (options_.fsync && ::fsync(fd_) != 0) throw IoError("cannot sync the new file", errno);
    } catch (...) {
        discard();
        throw;
    }
    swap();
    if (options_.fsync && ::fsync(dir_fd_) != 0) throw IoError("cannot sync its directory", errno);
}

void AtomicReplacement::prepare(int original_fd) {
    try {
        copy_metadata(original_fd);
    } catch (...) {
        discard();
        throw;
    }
}

void AtomicReplacement::swap() {
    try {
        struct stat now;
        if (::fstatat(dir_fd_, name_.c_str(), &now, AT_SYMLINK_NOFOLLOW) != 0 || !same_file_state(now, original_))
            throw ReplaceRefused("changed while it was being rewritten; left as it is");

        if (temp_name_.empty()) {
            // Give the unnamed file a name so rename(2) can swap it in.
            const std::string self = "/proc/self/fd/" + std::to_string(fd_);
            for (int attempt = 0; temp_name_.empty(); ++attempt) {
                std::string candidate = temporary_name(name_);
                if (::linkat(AT_FDCWD, self.c_str(), dir_fd_, candidate.c_str(), AT_SYMLINK_FOLLOW) == 0)
                    temp_name_ = std::move(candidate);
                else if (errno != EEXIST || attempt == 100)
                    throw IoError("cannot name the new file", errno);
            }
        }
        if (!options_.backup_suffix.empty()) {
            // linkat(2) never replaces a name that exists, so nothing there can be lost.
            const std::string backup = name_ + options_.backup_suffix;
            if (::linkat(dir_fd_, name_.c_str(), dir_fd_, backup.c_str(), 0) != 0) {
                if (errno == EEXIST) throw ReplaceRefused(backup_exists(name_, options_.backup_suffix));
                throw IoError("cannot keep the backup " + backup, errno);
            }
        }
        if (::renameat(dir_fd_, temp_name_.c_str(), dir_fd_, name_.c_str()) != 0)
            throw IoError("cannot rename the new file over it", errno);
        committed_ = true;
    } catch (...) {
        discard();
        throw;
    }
    discard();
}

std::vector<int> sync_all(Uring* ring, const std::vector<int>& fds) {
    std::vector<int> errors(fds.size(), 0);
    std::size_t done = 0;
    if (ring != nullptr) {
        io_uring* r = ring->get();
        while (done < fds.size()) {
            std::size_t queued = 0;
            for (std::size_t i = done; i < fds.size(); ++i, ++queued) {
                io_uring_sqe* sqe = io_uring_get_sqe(r);
                if (sqe == nullptr) break;
                io_uring_prep_fsync(sqe, fds[i], 0);
                io_uring_sqe_set_data64(sqe, i);
            }
            int submitted;
            do submitted = io_uring_submit_and_wait(r, static_cast<unsigned>(queued));
            while (submitted == -EINTR);
            if (submitted < 0) break;  // finish the rest one by one
            for (std::size_t seen = 0; seen < queued;) {
                io_uring_cqe* cqe = nullptr;
                int ret = io_uring_wait_cqe(r, &cqe);
                if (ret == -EINTR) continue;
                if (ret < 0) break;
                errors[io_uring_cqe_get_data64(cqe)] = cqe->res < 0 ? -cqe->res : 0;
                io_uring_cqe_seen(r, cqe);
                ++seen;
            }
            done += queued;
        }
    }
    for (std::size_t i = done; i < fds.size(); ++i)
        if (::fsync(fds[i]) != 0) errors[i] = errno;
    return errors;
}

}  // namespace elvis
