// The posix byte source, FdSink, the system-call seam and the io_uring fallback.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "elvis/errors.hpp"
#include "elvis/inplace.hpp"
#include "elvis/sink.hpp"
#include "io/syscalls.hpp"
#include "io/uring.hpp"
#include "io/write_behind_sink.hpp"
#include "source_cases.hpp"
#include "support/file_calls.hpp"
#include "support/reference.hpp"

using namespace elvis;
using namespace elvis::testing;

TEST_CASE("posix source") {
    run_source_cases([](std::size_t size) { return make_posix_source(size); });
}

namespace {
int interruptions = 0;
ssize_t read_interrupted_then_short(int fd, void* buf, size_t count) {
    if (interruptions++ % 2 == 0) {
        errno = EINTR;
        return -1;
    }
    return ::read(fd, buf, std::min<size_t>(count, 3));
}
std::string written;
ssize_t writev_short(int, const iovec* iov, int) {
    // At most 5 bytes per call, and every other call interrupted.
    if (interruptions++ % 2 == 0) {
        errno = EINTR;
        return -1;
    }
    std::size_t n = std::min<std::size_t>(iov[0].iov_len, 5);
    written.append(static_cast<const char*>(iov[0].iov_base), n);
    return static_cast<ssize_t>(n);
}
std::vector<std::size_t> write_sizes;
ssize_t writev_recording(int, const iovec* iov, int count) {
    // Takes everything offered, and remembers how much each call carried.
    std::size_t total = 0;
    for (int i = 0; i < count; ++i) {
        written.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
        total += iov[i].iov_len;
    }
    write_sizes.push_back(total);
    return static_cast<ssize_t>(total);
}
ssize_t writev_full(int, const iovec*, int) {
    errno = ENOSPC;
    return -1;
}
}  // namespace

namespace {
ssize_t pread_interrupted_then_short(int fd, void* buffer, size_t count, off_t offset) {
    // Every other call interrupted, the others at most 3 bytes: short reads mid-file, as NFS,
    // FUSE and /proc give them.
    static unsigned calls = 0;
    if (calls++ % 2 == 0) {
        errno = EINTR;
        return -1;
    }
    return ::pread(fd, buffer, std::min<size_t>(count, 3), offset);
}
}  // namespace

TEST_CASE("posix source reads a range on through short and interrupted positioned reads") {
    sys::ScopedCalls seam({sys::calls().read, sys::calls().writev, sys::calls().fallocate, sys::calls().fstatfs,
                           pread_interrupted_then_short});
    TempFile file("0123456789abcdefghij");
    auto source = make_posix_source(8);
    const int fd = file.open();
    source->open_range(fd, 2, 13);
    CHECK(drain(*source) == "23456789abcde");
    source->open_range(fd, 15, UINT64_MAX);  // to the end
    CHECK(drain(*source) == "fghij");
    ::close(fd);
}

TEST_CASE("posix source retries EINTR and accepts short reads") {
    sys::ScopedCalls seam({read_interrupted_then_short, sys::calls().writev});
    TempFile file("abcdefghij");
    auto source = make_posix_source(4096);
    int fd = file.open();
    source->open(fd);
    CHECK(drain(*source) == "abcdefghij");
    ::close(fd);
}

TEST_CASE("FdSink writes everything through short and interrupted writes") {
    sys::ScopedCalls seam({sys::calls().read, writev_short});
    written.clear();
    FdSink sink(-1, 4);
    std::string a = "first span ", b = "second ", c = "third ", d = "fourth ", e = "fifth";
    for (const std::string* s : {&a, &b, &c, &d, &e}) sink.put(*s);
    sink.flush();
    CHECK(written == "first span second third fourth fifth");
    CHECK(sink.bytes_written() == written.size());
}

TEST_CASE("FdSink: no write carries more than max_write_bytes, and the spans stay whole") {
    sys::ScopedCalls seam({sys::calls().read, writev_recording});
    written.clear();
    write_sizes.clear();
    std::string big(max_write_bytes * 3 + 100, 'x'), small = "small", medium(max_write_bytes - 2, 'm');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
    FdSink sink(-1, 8);
    sink.put(small);
    sink.put(big);
    sink.put(medium);
    sink.put(small);
    sink.flush();
    CHECK(written == small + big + medium + small);
    REQUIRE(!write_sizes.empty());
    for (std::size_t size : write_sizes) CHECK(size <= max_write_bytes);
    CHECK(write_sizes.size() == (written.size() + max_write_bytes - 1) / max_write_bytes);  // full writes but the last
}

TEST_CASE("grow_pipe grows a pipe, never shrinks it, and leaves other files alone") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const int before = ::fcntl(fds[0], F_GETPIPE_SZ);
    REQUIRE(before > 0);
    sys::grow_pipe(fds[1], 256 * 1024);
    CHECK(::fcntl(fds[0], F_GETPIPE_SZ) >= 256 * 1024);  // within the default pipe-max-size (1 MiB)
    sys::grow_pipe(fds[1], 4096);
    CHECK(::fcntl(fds[0], F_GETPIPE_SZ) >= 256 * 1024);
    ::close(fds[0]);
    ::close(fds[1]);
    TempFile file("x");
    const int fd = file.open();
    CHECK_NOTHROW(sys::grow_pipe(fd, 1 << 20));  // not a pipe: nothing to do
    CHECK_NOTHROW(sys::grow_pipe(-1, 1 << 20));
    ::close(fd);
}

TEST_CASE("FdSink merges adjacent spans") {
    sys::ScopedCalls seam({sys::calls().read, writev_short});
    written.clear();
    std::string text = "0123456789";
    FdSink sink(-1, 1);  // one span only: adjacent pieces must merge, others force a flush
    sink.put(std::string_view(text).substr(0, 3));
    sink.put(std::string_view(text).substr(3, 4));
    sink.put("X");
    sink.flush();
    CHECK(written == "0123456X");
}

TEST_CASE("FdSink reports a failed write as WriteError with errno") {
    sys::ScopedCalls seam({sys::calls().read, writev_full});
    FdSink sink(-1);
    sink.put("data");
    try {
        sink.flush();
        FAIL("expected WriteError");
    } catch (const WriteError& e) {
        CHECK(e.code() == ENOSPC);
    }
}

TEST_CASE("io_uring refusals fall back to posix silently, or fail when uring is forced") {
    static int refusal;
    for (int error : {ENOSYS, EPERM, ENOMEM, EINVAL}) {
        CAPTURE(error);
        refusal = error;
        sys::Calls refusing;
        refusing.io_uring_queue_init_params = [](unsigned, io_uring*, io_uring_params*) { return -refusal; };
        sys::ScopedCalls scoped(refusing);
        SourceChoice choice = choose_source(IoMode::automatic, 4096);
        CHECK(choice.source->backend() == IoBackend::posix);
        CHECK(choice.fallback_reason.find("io_uring setup failed") == 0);
        CHECK(choice.fallback_reason.find(std::strerror(error)) != std::string::npos);
        CHECK_THROWS_AS(choose_source(IoMode::uring, 4096), std::runtime_error);
    }
    CHECK(choose_source(IoMode::posix, 4096).source->backend() == IoBackend::posix);
}

TEST_CASE("ELVIS_IO picks the backend when the mode is auto") {
    ::setenv("ELVIS_IO", "posix", 1);
    CHECK(choose_source(IoMode::automatic, 4096).source->backend() == IoBackend::posix);
    ::setenv("ELVIS_IO", "bogus", 1);
    CHECK_THROWS_AS(choose_source(IoMode::automatic, 4096), std::invalid_argument);
    ::unsetenv("ELVIS_IO");
    CHECK(parse_io_mode("uring") == IoMode::uring);
}

TEST_CASE("SpaceReservation: large reservations at the file position, on ext4 only, until refused") {
    const std::size_t large = SpaceReservation::min_bytes;
    TempFile file("0123456789");
    const int fd = ::open(file.path().c_str(), O_RDWR | O_CLOEXEC);
    ::lseek(fd, 4, SEEK_SET);
    {
        RecordFileCalls record;
        SpaceReservation reservation;
        CHECK_FALSE(reservation.reserve(fd, large - 1));  // not worth a system call
        CHECK(reservation.reserve(fd, large));
        CHECK(reservation.reserve(fd, 3 * large));
        std::lock_guard lock(file_calls_mutex);
        CHECK(file_calls == std::vector<FileCall>{{true, 4, static_cast<off_t>(large), FALLOC_FL_KEEP_SIZE},
                                                  {true, 4, static_cast<off_t>(3 * large), FALLOC_FL_KEEP_SIZE}});
    }
    {
        RecordFileCalls record(true);  // a file system without fallocate: asked once
        SpaceReservation reservation;
        CHECK_FALSE(reservation.reserve(fd, large));
        CHECK_FALSE(reservation.reserve(fd, large));
        CHECK(reservations() == 1);
    }
    {
        RecordFileCalls record(false, TMPFS_MAGIC);  // not measured there: never asked
        CHECK_FALSE(SpaceReservation().reserve(fd, large));
        CHECK(reservations() == 0);
    }
    ::close(fd);
    {
        RecordFileCalls record;
        const int appending = ::open(file.path().c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
        CHECK_FALSE(SpaceReservation().reserve(appending, large));  // the position says nothing
        ::close(appending);
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        CHECK_FALSE(SpaceReservation().reserve(fds[1], large));
        ::close(fds[0]);
        ::close(fds[1]);
        CHECK(reservations() == 0);
    }
}

TEST_CASE("rewrite in place: the new file's space is reserved whole before it is written") {
    char dir[] = "/tmp/elvis-test-XXXXXX";
    REQUIRE(::mkdtemp(dir) != nullptr);
    const std::string path = std::string(dir) + "/big.txt";
    std::string content;
    while (content.size() < 2 * SpaceReservation::min_bytes) content += "elvis and more text\n";
    {
        TempFile staged(content);
        REQUIRE(::rename(staged.path().c_str(), path.c_str()) == 0);
    }
    InPlaceSettings settings;
    settings.rules = {{"elvis", "E"}};  // shorter: the unused rest is given back
    settings.fsync = false;
    settings.io = IoMode::posix;
    InPlaceProgress progress;
    {
        RecordFileCalls record;
        const InPlaceReport report = rewrite_in_place(settings, {dir}, {}, progress);
        CHECK(report.changed == 1);
    }
    const std::string expected = reference::rewrite({{"elvis", "E"}}, {}, content);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    CHECK(read_all_at(fd) == expected);
    ::close(fd);
    {
        std::lock_guard lock(file_calls_mutex);
        REQUIRE_FALSE(file_calls.empty());
        CHECK(file_calls.front() == FileCall{true, 0, static_cast<off_t>(content.size()), FALLOC_FL_KEEP_SIZE});
        CHECK(std::count_if(file_calls.begin(), file_calls.end(), [](const FileCall& c) { return c.reserve; }) == 1);
    }
    ::unlink(path.c_str());
    ::rmdir(dir);
}
