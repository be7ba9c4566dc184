// AtomicReplacement: temporary file beside the original, metadata, checks, rename.
#include "io/atomic_replace.hpp"

#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "elvis/byte_source.hpp"
#include "elvis/errors.hpp"
#include "io/fd.hpp"
#include "io/syscalls.hpp"
#include "io/uring.hpp"

namespace elvis {

namespace {

constexpr std::string_view temporary_infix = ".elvis-";
constexpr std::size_t nonce_length = 8, check_length = 8;
// The longest original name a temporary can carry whole: NAME_MAX less the dot, the infix and
// the suffix. A longer name is cut, and its temporary cannot be proven stale later.
constexpr std::size_t longest_carried_name = 255 - 1 - temporary_infix.size() - nonce_length - check_length;

// FNV-1a of the nonce and the original's device and inode: ties a temporary's name to the file
// it was to replace, so that no file of the user's is ever taken for one by accident.
std::string check_digits(std::string_view nonce, const struct stat& original) {
    std::uint64_t hash = 14695981039346656037ull;
    auto mix = [&](const void* data, std::size_t size) {
        for (std::size_t i = 0; i < size; ++i) hash = (hash ^ static_cast<const unsigned char*>(data)[i]) * 1099511628211ull;
    };
    const std::uint64_t dev = original.st_dev, ino = original.st_ino;
    mix(nonce.data(), nonce.size());
    mix(&dev, sizeof dev);
    mix(&ino, sizeof ino);
    char digits[check_length + 1];
    std::snprintf(digits, sizeof digits, "%08x", static_cast<unsigned>(hash ^ (hash >> 32)));
    return digits;
}

// ".NAME.elvis-" + a random nonce + check_digits (DESIGN.md, "Temporaries a crash leaves").
std::string temporary_name(const std::string& name, const struct stat& original) {
    thread_local std::mt19937_64 rng(std::random_device{}() ^ static_cast<std::uint64_t>(::getpid()));
    static constexpr char letters[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string nonce;
    for (std::size_t i = 0; i < nonce_length; ++i) nonce += letters[rng() % 36];
    std::string temp(1, '.');
    temp.append(name, 0, longest_carried_name).append(temporary_infix).append(nonce);
    return temp + check_digits(nonce, original);
}

// How an unnamed (O_TMPFILE) file gets the name rename(2) needs, decided once per process.
enum class Naming : int { unknown, proc, empty_path, impossible };
std::atomic<Naming> naming{Naming::unknown};
std::atomic<bool> used_unnamed{false}, used_named{false};

// A live new file is locked (an open file description lock, released when its process dies),
// so a later run can tell a temporary that is still being written from one a crash left.
bool lock_as_live(int fd) {
    struct flock lock = {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    return ::fcntl(fd, F_OFD_SETLK, &lock) == 0;
}

bool locked_by_a_live_writer(int dir_fd, const std::string& name) {
    const detail::Fd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), true);
    if (fd.get() < 0) return true;  // cannot tell: leave it
    struct flock lock = {};
    lock.l_type = F_RDLCK;
    lock.l_whence = SEEK_SET;
    return ::fcntl(fd.get(), F_OFD_GETLK, &lock) != 0 || lock.l_type != F_UNLCK;
}

int link_unnamed(Naming via, int fd, int dir_fd, const char* name) {
    const int result = via == Naming::proc
                           ? ::linkat(AT_FDCWD, ("/proc/self/fd/" + std::to_string(fd)).c_str(), dir_fd, name,
                                      AT_SYMLINK_FOLLOW)
                           : ::linkat(fd, "", dir_fd, name, AT_EMPTY_PATH);
    return result == 0 ? 0 : errno;
}

// Links the unnamed file `fd` to a fresh temporary name for `name`; returns that name.
std::string name_unnamed(Naming via, int fd, int dir_fd, const std::string& name, const struct stat& original) {
    for (int attempt = 0;; ++attempt) {
        std::string candidate = temporary_name(name, original);
        const int error = link_unnamed(via, fd, dir_fd, candidate.c_str());
        if (error == 0) return candidate;
        if (error != EEXIST || attempt == 100) throw IoError("cannot name the new file", error);
    }
}

// Without /proc (a chroot, a minimal container) the /proc/self/fd link fails; linkat(2) with
// AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH on older kernels. A throwaway unnamed file tries each
// (an unnamed file can be linked only once: a linked and unlinked one is gone for good); when
// neither works, new files are exclusively created names from then on.
Naming probe_naming(int dir_fd, const std::string& name, const struct stat& original) {
    const detail::Fd probe(sys::calls().openat(dir_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600), true);
    for (Naming via : {Naming::proc, Naming::empty_path}) {
        try {
            ::unlinkat(dir_fd, name_unnamed(via, probe.get(), dir_fd, name, original).c_str(), 0);
            return via;
        } catch (const IoError&) {
        }
    }
    return Naming::impossible;
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
    if (naming != Naming::impossible) {
        fd_ = sys::calls().openat(dir_fd_, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
        if (fd_ >= 0) {
            if (naming == Naming::unknown) naming = probe_naming(dir_fd_, name_, original_);
            if (naming != Naming::impossible) {
                used_unnamed = true;
                lock_as_live(fd_);
                return;
            }
            ::close(fd_);
            fd_ = -1;
        } else if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
            throw IoError("cannot create a temporary file in its directory", errno);
        }
    }
    // No O_TMPFILE on this file system, or no way to name one: an exclusively created hidden name.
    used_named = true;
    for (int attempt = 0; attempt < 100 && fd_ < 0; ++attempt) {
        temp_name_ = temporary_name(name_, original_);
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
    lock_as_live(fd_);
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

        // rename(2) needs a name: the one moment a crash can leave a temporary behind.
        if (temp_name_.empty()) temp_name_ = name_unnamed(naming, fd_, dir_fd_, name_, original_);
        if (!options_.backup_suffix.empty()) {
            // linkat(2) never replaces a name that exists, so nothing there can be lost.
            const std::string backup = name_ + options_.backup_suffix;
            if (::linkat(dir_fd_, name_.c_str(), dir_fd_, backup.c_str(), 0) != 0) {
                if (errno == EEXIST) throw ReplaceRefused(backup_exists(name_, options_.backup_suffix));
                throw IoError("cannot keep the backup " + backup, errno);
            }
        }
        if (sys::calls().renameat(dir_fd_, temp_name_.c_str(), dir_fd_, name_.c_str()) != 0)
            throw IoError("cannot rename the new file over it", errno);
        committed_ = true;
    } catch (...) {
        discard();
        throw;
    }
    discard();
}

std::string new_file_naming() {
    std::string how;
    if (used_unnamed) how = naming == Naming::proc ? "unnamed (O_TMPFILE), named through /proc/self/fd"
                                                   : "unnamed (O_TMPFILE), named with linkat AT_EMPTY_PATH";
    if (used_named) how += std::string(how.empty() ? "" : "; ") + "named temporaries (O_EXCL)";
    return how.empty() ? "none" : how;
}

bool is_temporary_name(std::string_view name) {
    const std::size_t suffix = temporary_infix.size() + nonce_length + check_length;
    if (name.size() < 2 + suffix || name[0] != '.') return false;
    if (name.substr(name.size() - suffix, temporary_infix.size()) != temporary_infix) return false;
    for (char c : name.substr(name.size() - nonce_length - check_length))
        if (!std::isdigit(static_cast<unsigned char>(c)) && !std::islower(static_cast<unsigned char>(c))) return false;
    return true;
}

bool remove_stale_temporary(int dir_fd, const std::string& name, const struct timespec& started) {
    if (!is_temporary_name(name)) return false;
    const std::size_t suffix = temporary_infix.size() + nonce_length + check_length;
    const std::string original_name = name.substr(1, name.size() - 1 - suffix);
    const std::string_view nonce = std::string_view(name).substr(name.size() - nonce_length - check_length, nonce_length);
    struct stat temp, original;
    if (::fstatat(dir_fd, name.c_str(), &temp, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(temp.st_mode) ||
        temp.st_nlink != 1)
        return false;
    if (::fstatat(dir_fd, original_name.c_str(), &original, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(original.st_mode))
        return false;
    if (name.substr(name.size() - check_length) != check_digits(nonce, original)) return false;
    if (temp.st_uid != original.st_uid && temp.st_uid != ::geteuid()) return false;
    // A run still writing it holds its lock; a file made after this process started may be a
    // run's that has not locked it yet.
    const bool older = temp.st_ctim.tv_sec < started.tv_sec ||
                       (temp.st_ctim.tv_sec == started.tv_sec && temp.st_ctim.tv_nsec < started.tv_nsec);
    return older && !locked_by_a_live_writer(dir_fd, name) && ::unlinkat(dir_fd, name.c_str(), 0) == 0;
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
