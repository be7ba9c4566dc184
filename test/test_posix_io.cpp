// The posix byte source, FdSink, the system-call seam and the io_uring fallback.
#include <doctest/doctest.h>

#include <cerrno>
#include <cstdlib>

#include "elvis/io_error.hpp"
#include "elvis/sink.hpp"
#include "elvis/syscalls.hpp"
#include "source_cases.hpp"

using namespace elvis;
using namespace elvis::testing;

#include "elvis/io_error.hpp"

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
ssize_t writev_full(int, const iovec*, int) {
    errno = ENOSPC;
    return -1;
}
}  // namespace

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
    for (const char* error : {"ENOSYS", "EPERM", "ENOMEM", "EINVAL"}) {
        CAPTURE(error);
        ::setenv("ELVIS_TEST_URING_ERROR", error, 1);
        SourceChoice choice = choose_source(IoMode::automatic, 4096);
        CHECK(choice.source->backend() == IoBackend::posix);
        CHECK(choice.fallback_reason.find("io_uring setup failed") == 0);
        CHECK_THROWS_AS(choose_source(IoMode::uring, 4096), std::runtime_error);
        ::unsetenv("ELVIS_TEST_URING_ERROR");
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
