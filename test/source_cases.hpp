// Behaviour every byte source must have, run against each backend by the test files that include it.
#pragma once

#include <doctest/doctest.h>

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>

#include "support/io.hpp"

namespace elvis::testing {

using SourceFactory = std::function<std::unique_ptr<ByteSource>(std::size_t)>;

inline void check_reads_files_whole(const SourceFactory& make) {
    for (std::size_t size : {0, 1, 4095, 4096, 4097, 300000}) {
        std::string content = random_bytes(size, static_cast<unsigned>(size));
        TempFile file(content);
        for (std::size_t buffer : {1, 7, 4096, 65536}) {
            if (buffer == 1 && size > 5000) continue;
            CAPTURE(size);
            CAPTURE(buffer);
            auto source = make(buffer);
            int fd = file.open();
            source->open(fd);
            std::size_t chunks = 0;
            CHECK(drain(*source, &chunks) == content);
            CHECK(chunks == (size + buffer - 1) / buffer);
            CHECK(source->next().empty());
            source->close();
            ::close(fd);
        }
    }
}

inline void check_starts_at_current_offset(const SourceFactory& make) {
    TempFile file("0123456789");
    int fd = file.open();
    REQUIRE(::lseek(fd, 4, SEEK_SET) == 4);
    auto source = make(3);
    source->open(fd);
    CHECK(drain(*source) == "456789");
    ::close(fd);
}

inline void check_reuse_across_files(const SourceFactory& make) {
    TempFile a(random_bytes(100000, 1)), b("second file");
    auto source = make(4096);
    int fa = a.open(), fb = b.open();
    source->open(fa);
    CHECK(source->next().size() == 4096);  // stop early: reads may still be in flight
    source->open(fb);
    CHECK(drain(*source) == "second file");
    ::close(fa);
    ::close(fb);
}

// A slow writer: each piece must come out of the source before the writer sends the next.
inline void check_pipe_is_live(const SourceFactory& make) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    auto source = make(1 << 20);
    source->open(fds[0]);
    for (std::string piece : {"hello ", "elvis", "\n", "x"}) {
        REQUIRE(::write(fds[1], piece.data(), piece.size()) == static_cast<ssize_t>(piece.size()));
        std::span<char> chunk = source->next();
        CHECK(std::string(chunk.data(), chunk.size()) == piece);
    }
    ::close(fds[1]);
    CHECK(source->next().empty());
    ::close(fds[0]);
}

inline void check_pipe_large(const SourceFactory& make) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    std::string content = random_bytes(3 << 20, 3);
    std::thread writer([&] {
        for (std::size_t at = 0; at < content.size();) {
            ssize_t n = ::write(fds[1], content.data() + at, std::min<std::size_t>(content.size() - at, 10007));
            if (n <= 0) break;
            at += static_cast<std::size_t>(n);
        }
        ::close(fds[1]);
    });
    auto source = make(65536);
    source->open(fds[0]);
    CHECK(drain(*source) == content);
    writer.join();
    ::close(fds[0]);
}

inline void check_read_error(const SourceFactory& make) {
    int fd = ::open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    auto source = make(4096);
    source->open(fd);
    CHECK_THROWS_AS(source->next(), IoError);
    ::close(fd);
}

// A regular file that reads short mid-file (as NFS and FUSE may): /proc/kallsyms, a few KiB per
// read of its megabytes. Every byte comes, streamed or in ranges, and the io_uring source resumes
// each short read into the rest of its buffer, so its chunks are full. (Only the first chunks and
// a range near the end: read at offsets out of order, the file is generated again from its start.)
inline void check_short_reads_mid_file(const SourceFactory& make) {
    const int fd = ::open("/proc/kallsyms", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        MESSAGE("no /proc/kallsyms: short reads mid-file not checked");
        return;
    }
    const std::string expected = read_file("/proc/kallsyms");
    constexpr std::size_t buffer = 65536, chunks = 8;
    REQUIRE(expected.size() > 2 * chunks * buffer);
    auto source = make(buffer);
    source->open(fd);
    std::string got;
    for (std::size_t i = 0; i < chunks; ++i) {
        const std::span<char> chunk = source->next();
        REQUIRE(!chunk.empty());
        if (source->backend() == IoBackend::uring) CHECK(chunk.size() == buffer);
        got.append(chunk.data(), chunk.size());
    }
    CHECK(got == expected.substr(0, got.size()));
    // A range that starts and ends inside the file, and one to its end.
    const std::uint64_t from = 100000, length = 2 * buffer + 12345;
    source->open_range(fd, from, length);
    CHECK(drain(*source) == expected.substr(from, length));
    const std::uint64_t tail = expected.size() - 20000;
    source->open_range(fd, tail, UINT64_MAX);
    CHECK(drain(*source) == expected.substr(tail));
    source->close();
    ::close(fd);
}

inline void run_source_cases(const SourceFactory& make) {
    SUBCASE("files whole, any buffer size") { check_reads_files_whole(make); }
    SUBCASE("starts at the current offset") { check_starts_at_current_offset(make); }
    SUBCASE("reusable across files") { check_reuse_across_files(make); }
    SUBCASE("live pipe") { check_pipe_is_live(make); }
    SUBCASE("large pipe") { check_pipe_large(make); }
    SUBCASE("read error") { check_read_error(make); }
    SUBCASE("short reads mid-file") { check_short_reads_mid_file(make); }
}

}  // namespace elvis::testing
