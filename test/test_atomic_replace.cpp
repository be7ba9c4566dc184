// AtomicReplacement: the original survives every failed or refused swap, and no temporary remains.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "elvis/errors.hpp"
#include "io/atomic_replace.hpp"
#include "io/syscalls.hpp"

using namespace elvis;
namespace fs = std::filesystem;

namespace {

struct Dir {
    fs::path path = fs::temp_directory_path() / ("elvis-replace-" + std::to_string(::getpid()));
    int fd;
    Dir() {
        fs::remove_all(path);
        fs::create_directories(path);
        fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY);
    }
    ~Dir() {
        ::close(fd);
        fs::remove_all(path);
    }
    void write(const char* name, const std::string& text) { std::ofstream(path / name, std::ios::binary) << text; }
    std::string read(const char* name) {
        std::ifstream in(path / name, std::ios::binary);
        std::ostringstream all;
        all << in.rdbuf();
        return all.str();
    }
    std::size_t entries() { return static_cast<std::size_t>(std::distance(fs::directory_iterator(path), {})); }
};

void put(int fd, const std::string& text) { REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size())); }

}  // namespace

TEST_CASE("commit swaps in the new content with the original's mode") {
    Dir dir;
    dir.write("f", "old");
    ::chmod((dir.path / "f").c_str(), 0640);
    int original = ::openat(dir.fd, "f", O_RDONLY);
    struct stat st;
    REQUIRE(::fstat(original, &st) == 0);
    {
        AtomicReplacement replacement(dir.fd, "f", st, {});
        put(replacement.fd(), "new");
        replacement.commit(original);
    }
    CHECK(dir.read("f") == "new");
    struct stat now;
    REQUIRE(::stat((dir.path / "f").c_str(), &now) == 0);
    CHECK((now.st_mode & 07777) == 0640);
    CHECK(now.st_ino != st.st_ino);
    CHECK(dir.entries() == 1);
    ::close(original);
}

TEST_CASE("a concurrent change of the original refuses the swap") {
    Dir dir;
    dir.write("f", "old");
    int original = ::openat(dir.fd, "f", O_RDONLY);
    struct stat st;
    REQUIRE(::fstat(original, &st) == 0);
    AtomicReplacement replacement(dir.fd, "f", st, {});
    put(replacement.fd(), "new");
    dir.write("f", "someone else wrote this");
    CHECK_THROWS_AS(replacement.commit(original), ReplaceRefused);
    CHECK(dir.read("f") == "someone else wrote this");
    CHECK(dir.entries() == 1);
    ::close(original);
}

TEST_CASE("an abandoned replacement leaves nothing behind") {
    Dir dir;
    dir.write("f", "old");
    struct stat st;
    REQUIRE(::stat((dir.path / "f").c_str(), &st) == 0);
    {
        AtomicReplacement replacement(dir.fd, "f", st, {});
        put(replacement.fd(), "half a rewr");
    }
    CHECK(dir.read("f") == "old");
    CHECK(dir.entries() == 1);
}

TEST_CASE("backup keeps the original under NAME+SUFFIX") {
    Dir dir;
    dir.write("f", "old");
    int original = ::openat(dir.fd, "f", O_RDONLY);
    struct stat st;
    REQUIRE(::fstat(original, &st) == 0);
    ReplaceOptions options;
    options.backup_suffix = ".bak";
    AtomicReplacement replacement(dir.fd, "f", st, options);
    put(replacement.fd(), "new");
    replacement.commit(original);
    CHECK(dir.read("f") == "new");
    CHECK(dir.read("f.bak") == "old");
    ::close(original);
}

TEST_CASE("an existing file under the backup's name is never overwritten") {
    Dir dir;
    dir.write("f", "old");
    dir.write("f.bak", "precious");
    int original = ::openat(dir.fd, "f", O_RDONLY);
    struct stat st;
    REQUIRE(::fstat(original, &st) == 0);
    ReplaceOptions options;
    options.backup_suffix = ".bak";
    AtomicReplacement replacement(dir.fd, "f", st, options);
    put(replacement.fd(), "new");
    CHECK_THROWS_WITH_AS(replacement.commit(original), "backup f.bak exists already; left as it is", ReplaceRefused);
    CHECK(dir.read("f") == "old");
    CHECK(dir.read("f.bak") == "precious");
    CHECK(dir.entries() == 2);
    ::close(original);
}

TEST_CASE("a same-size write whose writer sets the mtime back still refuses the swap") {
    Dir dir;
    dir.write("f", "old");
    int original = ::openat(dir.fd, "f", O_RDONLY);
    struct stat st;
    REQUIRE(::fstat(original, &st) == 0);
    AtomicReplacement replacement(dir.fd, "f", st, {});
    put(replacement.fd(), "new");
    ::usleep(10000);  // a ctime the coarsest kernel clock tells apart
    dir.write("f", "OLD");
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    REQUIRE(::utimensat(dir.fd, "f", times, 0) == 0);
    CHECK_THROWS_AS(replacement.commit(original), ReplaceRefused);
    CHECK(dir.read("f") == "OLD");
    CHECK(dir.entries() == 1);
    ::close(original);
}

namespace {

// The name a crash between naming the new file and renaming it leaves: renameat fails once, after
// the temporary's name is caught (and kept through a second link, put back once it is discarded).
std::string caught_temporary;
int catch_temporary(int dir_fd, const char* old_path, int, const char*) {
    caught_temporary = old_path;
    if (::linkat(dir_fd, old_path, dir_fd, "caught", 0) != 0) return -1;
    errno = EIO;
    return -1;
}

std::string crash_before_rename(Dir& dir, const char* name) {
    const int original = ::openat(dir.fd, name, O_RDONLY);
    struct stat st;
    REQUIRE(::fstat(original, &st) == 0);
    {
        const sys::ScopedCalls crash([] {
            sys::Calls calls;
            calls.renameat = catch_temporary;
            return calls;
        }());
        AtomicReplacement replacement(dir.fd, name, st, {});
        put(replacement.fd(), "new");
        CHECK_THROWS_AS(replacement.commit(original), IoError);
    }
    ::close(original);
    REQUIRE(::renameat(dir.fd, "caught", dir.fd, caught_temporary.c_str()) == 0);
    return caught_temporary;
}

struct timespec now() {
    struct timespec t;
    ::clock_gettime(CLOCK_REALTIME, &t);
    return t;
}

}  // namespace

TEST_CASE("a temporary left by a crash is proven and removed by a later run") {
    Dir dir;
    dir.write("f", "old");
    const std::string temp = crash_before_rename(dir, "f");
    CHECK(temp.rfind(".f.elvis-", 0) == 0);
    CHECK(is_temporary_name(temp));
    CHECK(dir.entries() == 2);
    const struct timespec before = {0, 0};
    CHECK_FALSE(remove_stale_temporary(dir.fd, temp, before));  // newer than the process: maybe in flight
    ::usleep(10000);
    CHECK(remove_stale_temporary(dir.fd, temp, now()));
    CHECK(dir.entries() == 1);
    CHECK(dir.read("f") == "old");
}

TEST_CASE("only what elvis provably made is taken for a stale temporary") {
    Dir dir;
    dir.write("f", "old");
    const std::string temp = crash_before_rename(dir, "f");
    ::usleep(10000);
    SUBCASE("other check digits") {
        std::string other = temp;
        other.back() = other.back() == '0' ? '1' : '0';
        REQUIRE(::renameat(dir.fd, temp.c_str(), dir.fd, other.c_str()) == 0);
        CHECK(is_temporary_name(other));
        CHECK_FALSE(remove_stale_temporary(dir.fd, other, now()));
    }
    SUBCASE("a second hard link") {
        REQUIRE(::linkat(dir.fd, temp.c_str(), dir.fd, "kept", 0) == 0);
        CHECK_FALSE(remove_stale_temporary(dir.fd, temp, now()));
    }
    SUBCASE("the original gone since") {
        REQUIRE(::renameat(dir.fd, "f", dir.fd, "g") == 0);
        CHECK_FALSE(remove_stale_temporary(dir.fd, temp, now()));
        REQUIRE(::renameat(dir.fd, "g", dir.fd, "f") == 0);
    }
    SUBCASE("a symbolic link of that name") {
        REQUIRE(::unlinkat(dir.fd, temp.c_str(), 0) == 0);
        REQUIRE(::symlinkat("f", dir.fd, temp.c_str()) == 0);
        CHECK_FALSE(remove_stale_temporary(dir.fd, temp, now()));
    }
    CHECK(dir.read("f") == "old");
    CHECK(dir.entries() >= 2);
}

TEST_CASE("the form of a temporary's name") {
    CHECK(is_temporary_name(".a.txt.elvis-k1r34iza0a5a2fac"));
    CHECK_FALSE(is_temporary_name("a.txt.elvis-k1r34iza0a5a2fac"));   // not hidden
    CHECK_FALSE(is_temporary_name(".a.txt.elvis-k1r34iza0a5a2fa"));   // one short
    CHECK_FALSE(is_temporary_name(".a.txt.elvis-K1R34IZA0A5A2FAC"));  // capitals
    CHECK_FALSE(is_temporary_name(".elvis-k1r34iza0a5a2fac"));        // no original name
}

TEST_CASE("a temporary still being written is never taken for a stale one") {
    Dir dir;
    dir.write("f", "old");
    const int original = ::openat(dir.fd, "f", O_RDONLY);
    struct stat st;
    REQUIRE(::fstat(original, &st) == 0);
    const sys::ScopedCalls named([] {  // no O_TMPFILE: the temporary has its name from the start
        sys::Calls calls;
        calls.openat = [](int dir_fd, const char* path, int flags, mode_t mode) {
            if ((flags & O_TMPFILE) == O_TMPFILE) {
                errno = EOPNOTSUPP;
                return -1;
            }
            return sys::open_at(dir_fd, path, flags, mode);
        };
        return calls;
    }());
    AtomicReplacement replacement(dir.fd, "f", st, {});
    put(replacement.fd(), "new");
    std::string temp;
    for (const auto& e : fs::directory_iterator(dir.path))
        if (is_temporary_name(e.path().filename().string())) temp = e.path().filename().string();
    REQUIRE(!temp.empty());
    ::usleep(10000);
    CHECK_FALSE(remove_stale_temporary(dir.fd, temp, now()));  // its writer holds the lock
    CHECK(dir.entries() == 2);
    replacement.commit(original);
    CHECK(dir.read("f") == "new");
    ::close(original);
}
