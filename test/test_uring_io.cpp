// The io_uring byte source. Exits 77 (skipped) only when the kernel refuses io_uring.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <random>
#include <thread>

#include "elvis/rewriter.hpp"
#include "elvis/sink.hpp"
#include "io/batch_reader.hpp"
#include "io/syscalls.hpp"
#include "io/uring.hpp"
#include "io/write_behind_sink.hpp"
#include "source_cases.hpp"
#include "support/file_calls.hpp"
#include "support/io.hpp"
#include "support/reference.hpp"

using namespace elvis;
using namespace elvis::testing;

namespace {
std::unique_ptr<Uring> ring;
}

TEST_CASE("io_uring source") {
    for (unsigned depth : {2u, 4u}) {
        CAPTURE(depth);
        run_source_cases([depth](std::size_t size) { return make_uring_source(*ring, size, depth); });
    }
}

TEST_CASE("io_uring source and posix source read the same bytes") {
    std::string content = random_bytes(1 << 20, 9);
    TempFile file(content);
    auto uring = make_uring_source(*ring, 65536, 4);
    auto posix = make_posix_source(65536);
    int a = file.open(), b = file.open();
    uring->open(a);
    posix->open(b);
    CHECK(drain(*uring) == drain(*posix));
    ::close(a);
    ::close(b);
}

TEST_CASE("a leased buffer is not read into again until the lease ends") {
    std::string content = random_bytes(1 << 20, 5);
    TempFile file(content);
    auto source = make_uring_source(*ring, 4096, 4);
    CHECK(source->lease_limit() == 2);
    const int fd = file.open();
    source->open(fd);
    std::span<char> first = source->next();
    REQUIRE(first.size() == 4096);
    BufferLease lease = source->lease();
    REQUIRE(lease);
    // Two buffers later (depth 4) the leased one still holds the first 4 KiB.
    std::string rest;
    for (int i = 0; i < 2; ++i) {
        std::span<char> chunk = source->next();
        REQUIRE(!chunk.empty());
        CHECK(chunk.data() != first.data());
        rest.append(chunk.data(), chunk.size());
    }
    CHECK(std::string_view(first.data(), first.size()) == std::string_view(content).substr(0, 4096));
    BufferLease moved = std::move(lease);  // the loan moves with it
    CHECK(!lease);
    CHECK(moved);
    moved.release();
    CHECK(!moved);
    rest += drain(*source);
    CHECK(rest == content.substr(4096));
    // Kept too long, it is an error, not an early end of input.
    ::lseek(fd, 0, SEEK_SET);
    source->open(fd);
    source->next();
    {
        BufferLease kept = source->lease();
        CHECK_THROWS_AS(for (int i = 0; i < 4; ++i) source->next(), std::logic_error);
    }  // given back by the destructor: the file reads on from there
    ::lseek(fd, 0, SEEK_SET);
    source->open(fd);
    CHECK(drain(*source) == content);
    // A lease that ends by its destructor, during the read: the buffer is read into again.
    ::lseek(fd, 0, SEEK_SET);
    source->open(fd);
    std::string again;
    for (std::span<char> chunk = source->next(); !chunk.empty(); chunk = source->next()) {
        BufferLease brief = source->lease();
        REQUIRE(brief);
        again.append(chunk.data(), chunk.size());
    }
    CHECK(again == content);
    source->close();
    auto posix = make_posix_source(4096);
    CHECK(posix->lease_limit() == 0);
    posix->open(fd);
    REQUIRE(!posix->next().empty());
    CHECK(!posix->lease());  // one buffer: nothing to lend
}

namespace {

// Rewrites all of the source's input into the sink and drains it, as the filter does: the code
// of the WriteError that stopped it, or 0.
int rewrite_through(ByteSource& source, StreamRewriter& rewriter, WriteBehindSink& sink) {
    try {
        for (std::span<char> chunk = source.next(); !chunk.empty(); chunk = source.next()) rewriter.feed(chunk, sink);
        rewriter.finish(sink);
        sink.drain();
    } catch (const WriteError& e) {
        return e.code();
    }
    return 0;
}

// Filters `input` (from a file, or a pipe fed by a thread) into a pipe through a
// WriteBehindSink, as the filter does; returns what came out of the pipe.
std::string filter_through_write_behind(const Matcher& matcher, const std::string& input, std::size_t buffer_size,
                                        bool from_pipe, bool nonblocking_output) {
    TempFile file(input);
    int in_fds[2] = {-1, -1}, out_fds[2];
    REQUIRE(::pipe(out_fds) == 0);
    if (nonblocking_output) ::fcntl(out_fds[1], F_SETFL, O_NONBLOCK);
    std::thread producer;
    int in = -1;
    if (from_pipe) {
        REQUIRE(::pipe(in_fds) == 0);
        in = in_fds[0];
        producer = std::thread([&] {
            for (std::size_t at = 0; at < input.size();) {
                ssize_t n = ::write(in_fds[1], input.data() + at, std::min<std::size_t>(input.size() - at, 3001));
                if (n <= 0) break;
                at += static_cast<std::size_t>(n);
            }
            ::close(in_fds[1]);
        });
    } else {
        in = file.open();
    }
    std::string output;
    std::thread consumer([&] {  // reads slowly, so that writes are short or would block
        char buffer[1000];
        for (ssize_t n; (n = ::read(out_fds[0], buffer, sizeof buffer)) > 0;) output.append(buffer, static_cast<std::size_t>(n));
    });
    {
        auto source = make_uring_source(*ring, buffer_size, 4);
        WriteBehindSink sink(out_fds[1], *source, 8, 64, 0);  // small: overflows are exercised
        StreamRewriter rewriter(matcher);
        source->open(in);
        CHECK(rewrite_through(*source, rewriter, sink) == 0);
        source->close();
        CHECK(sink.bytes_written() == rewriter.bytes_out());
    }
    ::close(out_fds[1]);
    consumer.join();
    if (producer.joinable()) producer.join();
    ::close(in);
    ::close(out_fds[0]);
    return output;
}

}  // namespace

TEST_CASE("write-behind output equals the reference for files and pipes, any buffer size") {
    std::mt19937 rng(11);
    const std::string alphabet = "elvisELVIS ab\n\0";
    const std::vector<std::vector<Rule>> rule_sets = {
        {{"elvis", "Elvis"}},                                  // same length: patched in place
        {{"elvis", "The King"}, {"elvi", ""}, {"s e", "~"}},   // gathered spans, held-over bytes
        {{"aaaaaaaaaaaaaaaaaaaaaaab", "X"}, {"a", "aa"}},      // long partial matches held over
    };
    for (const auto& rules : rule_sets) {
        const Matcher matcher(RuleSet(rules, {}));
        for (std::size_t buffer_size : {1u, 7u, 4096u, 65536u}) {
            for (int round = 0; round < 3; ++round) {
                const std::size_t longest = buffer_size < 4096 ? 20000 : 300000;
                std::string input(std::uniform_int_distribution<std::size_t>(0, longest)(rng), 'a');
                for (char& c : input) c = alphabet[std::uniform_int_distribution<std::size_t>(0, alphabet.size() - 1)(rng)];
                if (round == 2) input += std::string(1000, 'a');
                const std::string expected = reference::rewrite(rules, {}, input);
                CAPTURE(buffer_size);
                CAPTURE(round);
                CHECK(filter_through_write_behind(matcher, input, buffer_size, round == 1, round == 2) == expected);
            }
        }
    }
}

TEST_CASE("write-behind into a regular file: in order, file position kept") {
    // The output must land after what the descriptor already wrote, interleave correctly with
    // the sink's synchronous writes (a small span array forces them), and leave the file
    // position at its end, so a later write(2) on the same descriptor appends; O_APPEND too.
    std::mt19937 rng(5);
    std::string input(3 * max_write_bytes + 12345, 'x');
    for (char& c : input) c = "elvis ELVIS\n"[rng() % 12];
    // A match every KiB: with a longer replacement, far more spans than the small span array
    // holds, so synchronous writes interleave with the ones in flight.
    for (std::size_t at = 0; at + 5 < input.size(); at += 1000 + rng() % 100) input.replace(at, 5, "elvis");
    for (const auto& rules : std::vector<std::vector<Rule>>{{{"elvis", "Elvis"}}, {{"elvis", "The King"}}}) {
        const Matcher matcher(RuleSet(rules, {}));
        const std::string expected = reference::rewrite(rules, {}, input);
        for (bool append : {false, true}) {
            for (std::size_t max_spans : {8u, 1024u}) {
                CAPTURE(rules[0].replace);
                CAPTURE(append);
                CAPTURE(max_spans);
                TempFile in_file(input), out_file("before|");
                const int out = ::open(out_file.path().c_str(), O_WRONLY | (append ? O_APPEND : 0));
                REQUIRE(out >= 0);
                if (!append) REQUIRE(::lseek(out, 0, SEEK_END) == 7);
                const int in = in_file.open();
                {
                    auto source = make_uring_source(*ring, 1 << 20, 4);
                    WriteBehindSink sink(out, *source, max_spans, 64 * 1024, 0);
                    StreamRewriter rewriter(matcher);
                    source->open(in);
                    CHECK(rewrite_through(*source, rewriter, sink) == 0);
                    source->close();
                    CHECK(sink.bytes_written() == expected.size());
                }
                REQUIRE(::write(out, "|after", 6) == 6);
                ::close(out);
                ::close(in);
                const int check = ::open(out_file.path().c_str(), O_RDONLY);
                std::string got;
                char buffer[65536];
                for (ssize_t n; (n = ::read(check, buffer, sizeof buffer)) > 0;) got.append(buffer, static_cast<std::size_t>(n));
                ::close(check);
                CHECK(got.size() == expected.size() + 13);
                CHECK(got == "before|" + expected + "|after");
            }
        }
    }
}

TEST_CASE("write-behind keeps copied bytes intact when its span array fills up") {
    // Copied (transient) spans alternate with stable ones, so nothing merges and the two spans
    // fill up: the write that empties the copy area must come before the next copy.
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    auto source = make_posix_source(64);  // cannot lend: every flush writes at once
    static const std::string stable = "xyz";
    {
        WriteBehindSink sink(fds[1], *source, 2, 16, 0);
        std::string transient = "AB";
        sink.put_transient(transient);
        sink.put(std::string_view(stable).substr(0, 1));
        transient = "CD";
        sink.put_transient(transient);
        sink.put(std::string_view(stable).substr(1, 1));
        transient = "EFGH";
        sink.put_transient(transient);
        transient = "????";  // the sink must have copied it
        sink.put(std::string_view(stable).substr(2, 1));
        sink.flush();
        sink.drain();
        CHECK(sink.bytes_written() == 11);
    }
    ::close(fds[1]);
    char out[64];
    const ssize_t n = ::read(fds[0], out, sizeof out);
    ::close(fds[0]);
    CHECK(std::string(out, static_cast<std::size_t>(std::max<ssize_t>(n, 0))) == "ABxCDyEFGHz");
}

TEST_CASE("write-behind reports a closed pipe as a write error") {
    ::signal(SIGPIPE, SIG_IGN);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    ::close(fds[0]);
    TempFile file(std::string(1 << 20, 'x'));
    auto source = make_uring_source(*ring, 65536, 4);
    const Matcher matcher(RuleSet({{"elvis", "Elvis"}}, {}));
    StreamRewriter rewriter(matcher);
    const int in = file.open();
    int code = 0;
    {
        WriteBehindSink sink(fds[1], *source, 1024, 64 * 1024, 0);
        source->open(in);
        code = rewrite_through(*source, rewriter, sink);
        sink.drain();  // nothing left in flight after the error
    }
    CHECK(code == EPIPE);
    source->close();
    ::close(in);
    ::close(fds[1]);
}

namespace {

// A system-call seam for the writer thread: records each writev's size, and fails the
// `fail_at`-th call (1-based; 0: none) with EIO.
std::mutex seam_mutex;
std::condition_variable seam_released;
std::vector<std::size_t> seam_sizes;
std::string seam_written;
std::size_t seam_fail_at = 0;
bool seam_hold = false;  // the failing call waits for release_seam() (at most 30 s)

ssize_t writev_seam(int, const iovec* spans, int count) {
    std::unique_lock lock(seam_mutex);
    seam_sizes.push_back(0);
    if (seam_sizes.size() == seam_fail_at) {
        seam_released.wait_for(lock, std::chrono::seconds(30), [] { return !seam_hold; });
        errno = EIO;
        return -1;
    }
    for (int i = 0; i < count; ++i) {
        seam_written.append(static_cast<const char*>(spans[i].iov_base), spans[i].iov_len);
        seam_sizes.back() += spans[i].iov_len;
    }
    return static_cast<ssize_t>(seam_sizes.back());
}

void reset_seam(std::size_t fail_at, bool hold = false) {
    std::lock_guard lock(seam_mutex);
    seam_sizes.clear();
    seam_written.clear();
    seam_fail_at = fail_at;
    seam_hold = hold;
}

void release_seam() {
    {
        std::lock_guard lock(seam_mutex);
        seam_hold = false;
    }
    seam_released.notify_all();
}

}  // namespace

TEST_CASE("write-behind: the caller goes on while max_batches batches wait for a blocked reader") {
    // The reader of the pipe does not read until the caller's feeds return (or 30 s pass). Four
    // batches fit; the fifth feed has to wait for the reader.
    const std::size_t chunk = 65536;
    std::string input = random_bytes(5 * chunk, 9);
    for (std::size_t at = 0; at + 5 < input.size(); at += 777) input.replace(at, 5, "elvis");
    const Matcher matcher(RuleSet({{"elvis", "Elvis"}}, {}));
    const std::string expected = reference::rewrite({{"elvis", "Elvis"}}, {}, input);
    TempFile file(input);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    ::fcntl(fds[1], F_SETPIPE_SZ, 4096);  // far less than one batch
    std::mutex mutex;
    std::condition_variable fed_cv;
    bool fed = false, read_before_fed = false;
    std::string output;
    std::thread consumer([&] {
        {
            std::unique_lock lock(mutex);
            read_before_fed = !fed_cv.wait_for(lock, std::chrono::seconds(30), [&] { return fed; });
        }
        char buffer[4096];
        for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) output.append(buffer, static_cast<std::size_t>(n));
    });
    const int in = file.open();
    {
        auto source = make_uring_source(*ring, chunk, 6);
        REQUIRE(source->lease_limit() == 4);
        WriteBehindSink sink(fds[1], *source, 1024, 64 * 1024, 0, 4);
        StreamRewriter rewriter(matcher);
        source->open(in);
        for (int i = 0; i < 4; ++i) rewriter.feed(source->next(), sink);
        bool late = false;
        {
            std::lock_guard lock(mutex);
            fed = true;
            late = read_before_fed;
        }
        fed_cv.notify_one();
        CHECK_FALSE(late);  // four feeds returned with the reader blocked
        std::span<char> last = source->next();
        REQUIRE(last.size() == chunk);
        rewriter.feed(last, sink);
        rewriter.finish(sink);
        sink.drain();
        source->close();
        CHECK(sink.bytes_written() == expected.size());
    }
    ::close(fds[1]);
    consumer.join();
    ::close(fds[0]);
    ::close(in);
    CHECK(output == expected);
}

TEST_CASE("write-behind: the writer cuts writes at max_write_bytes, and writes nothing after a failure") {
    const std::size_t chunk = 3 * max_write_bytes + 100;
    std::string input = random_bytes(6 * chunk, 13);
    std::replace(input.begin(), input.end(), 'e', 'x');  // nothing held back: batches are chunks
    TempFile file(input);
    const Matcher matcher(RuleSet({{"elvis", "Elvis"}}, {}));
    const int in = file.open();
    auto run = [&](std::size_t fail_at) -> int {
        reset_seam(fail_at);
        sys::ScopedCalls seam({sys::calls().read, writev_seam});
        auto source = make_uring_source(*ring, chunk, 6);
        WriteBehindSink sink(-1, *source, 1024, 64 * 1024, 0, 4);
        StreamRewriter rewriter(matcher);
        ::lseek(in, 0, SEEK_SET);
        source->open(in);
        const int code = rewrite_through(*source, rewriter, sink);
        sink.drain();  // every batch back before the source closes
        source->close();
        std::lock_guard lock(seam_mutex);
        CHECK(sink.bytes_written() == seam_written.size());
        return code;
    };
    CHECK(run(0) == 0);
    CHECK(seam_written == input);
    for (std::size_t size : seam_sizes) CHECK(size <= max_write_bytes);
    CHECK(seam_sizes.size() == 6 * 4);  // each chunk: three full writes and a short one
    // The fifth write (the second batch's first) fails: nothing after it is written.
    CHECK(run(5) == EIO);
    CHECK(seam_sizes.size() == 5);
    CHECK(seam_written == input.substr(0, chunk));
    // A write that fails half way: what it did write is counted (run() compares).
    CHECK(run(6) == EIO);
    CHECK(seam_written == input.substr(0, chunk + max_write_bytes));
    ::close(in);
}

TEST_CASE("write-behind: a failure with batches queued behind it is thrown once they are all back, "
          "and nothing is written after it") {
    const std::size_t chunk = 3 * max_write_bytes + 100;  // four writes per batch
    std::string input = random_bytes(10 * chunk, 17);
    std::replace(input.begin(), input.end(), 'e', 'x');
    TempFile file(input);
    const Matcher matcher(RuleSet({{"elvis", "Elvis"}}, {}));
    const int in = file.open();
    // The second batch's first write fails, but only once three more batches wait behind it.
    reset_seam(5, true);
    {
        sys::ScopedCalls seam({sys::calls().read, writev_seam});
        auto source = make_uring_source(*ring, chunk, 6);
        {
            WriteBehindSink sink(-1, *source, 1024, 64 * 1024, 0, 4);
            StreamRewriter rewriter(matcher);
            source->open(in);
            for (int i = 0; i < 5; ++i) rewriter.feed(source->next(), sink);
            release_seam();
            // Every later feed fails: the first with the writer's error, the others with the same
            // error again. Reading on through the file shows every buffer came back (a buffer
            // still lent out makes next() throw std::logic_error).
            std::vector<int> codes;
            for (std::span<char> c = source->next(); !c.empty(); c = source->next()) {
                try {
                    rewriter.feed(c, sink);
                } catch (const WriteError& e) {
                    codes.push_back(e.code());
                }
            }
            CHECK(codes == std::vector<int>(5, EIO));
            CHECK_NOTHROW(sink.drain());  // already reported
            CHECK(sink.bytes_written() == chunk);
        }
        source->close();
    }
    std::lock_guard lock(seam_mutex);
    CHECK(seam_sizes.size() == 5);  // nothing after the failed write, the sink's end included
    CHECK(seam_written == input.substr(0, chunk));
    ::close(in);
}

namespace {

// Rewrites `input` (nothing in it matches) into `out` through a WriteBehindSink that writes
// every batch on its thread, recording the file calls; what the file then holds.
// With `synchronous`, the posix source, which lends no buffer: every batch is written at once on
// this thread.
std::string write_behind_into(int out, const std::string& input, std::size_t chunk, bool refuse,
                              bool synchronous = false, long file_system = EXT4_SUPER_MAGIC) {
    TempFile file(input);
    const int in = file.open();
    const Matcher matcher(RuleSet({{"elvis", "Elvis"}}, {}));
    {
        RecordFileCalls record(refuse, file_system);
        auto source = synchronous ? make_posix_source(chunk) : make_uring_source(*ring, chunk, 6);
        WriteBehindSink sink(out, *source, 1024, 64 * 1024, 0, 4);
        StreamRewriter rewriter(matcher);
        source->open(in);
        CHECK(rewrite_through(*source, rewriter, sink) == 0);
        source->close();
    }
    ::close(in);
    return read_all_at(out);
}

}  // namespace

TEST_CASE("write-behind: into a file on ext4, each large batch's space is reserved where it is about to be "
          "written, on the writer thread or this one, until refused") {
    const std::size_t chunk = 4 * max_write_bytes + 100;  // five writes per batch, large enough to reserve
    static_assert(4 * max_write_bytes >= SpaceReservation::min_bytes);
    std::string input = random_bytes(6 * chunk, 21);
    std::replace(input.begin(), input.end(), 'e', 'x');  // nothing held back: batches are chunks
    TempFile output("already here: ");
    const off_t start = 14;
    for (bool synchronous : {false, true}) {
        CAPTURE(synchronous);
        const int out = ::open(output.path().c_str(), O_RDWR | O_CLOEXEC);
        ::lseek(out, start, SEEK_SET);
        CHECK(write_behind_into(out, input, chunk, false, synchronous) == "already here: " + input);
        ::close(out);
        std::lock_guard lock(file_calls_mutex);
        std::vector<FileCall> expected;
        for (std::size_t batch = 0; batch < 6; ++batch) {
            const off_t at = start + static_cast<off_t>(batch * chunk);
            expected.push_back({true, at, static_cast<off_t>(chunk), FALLOC_FL_KEEP_SIZE});
            for (std::size_t write = 0; write < 5; ++write)
                expected.push_back({false, at + static_cast<off_t>(write * max_write_bytes),
                                    static_cast<off_t>(write < 4 ? max_write_bytes : 100), 0});
        }
        CHECK(file_calls == expected);
    }
    {  // Refused (a file system without fallocate): asked once, and the writes go on.
        const int out = ::open(output.path().c_str(), O_RDWR | O_TRUNC | O_CLOEXEC);
        CHECK(write_behind_into(out, input, chunk, true) == input);
        ::close(out);
        CHECK(reservations() == 1);
    }
    {  // Another file system: nothing reserved.
        const int out = ::open(output.path().c_str(), O_RDWR | O_TRUNC | O_CLOEXEC);
        CHECK(write_behind_into(out, input, chunk, false, false, TMPFS_MAGIC) == input);
        ::close(out);
        CHECK(reservations() == 0);
    }
    {  // Appending: where the writes land is the end of the file by then, so nothing is reserved.
        const int out = ::open(output.path().c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
        CHECK(write_behind_into(out, input, chunk, false) == input + input);
        ::close(out);
        CHECK(reservations() == 0);
    }
}

TEST_CASE("write-behind: into a pipe, nothing is reserved") {
    const std::size_t chunk = 4 * max_write_bytes + 100;  // large enough to reserve into a file
    static_assert(4 * max_write_bytes >= SpaceReservation::min_bytes);
    std::string input = random_bytes(6 * chunk, 22);
    std::replace(input.begin(), input.end(), 'e', 'x');
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    std::string output;
    std::thread consumer([&] {
        char buffer[65536];
        for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) output.append(buffer, static_cast<std::size_t>(n));
    });
    write_behind_into(fds[1], input, chunk, false);  // reading the pipe back finds nothing
    ::close(fds[1]);
    consumer.join();
    ::close(fds[0]);
    CHECK(output == input);
    CHECK(reservations() == 0);
    std::lock_guard lock(file_calls_mutex);
    CHECK_FALSE(file_calls.empty());  // the writes were recorded
}

int main(int argc, char** argv) {
    std::string why_not;
    ring = Uring::create(16, why_not);
    if (!ring) {
        std::printf("skipped: the kernel refuses io_uring: %s\n", why_not.c_str());
        return 77;
    }
    doctest::Context context(argc, argv);
    int status = context.run();
    ring.reset();
    return status;
}

TEST_CASE("SmallFileBatch reads each file's first chunk through the descriptor it keeps") {
    std::string why_not;
    std::unique_ptr<Uring> batch_ring = Uring::create(SmallFileBatch::ring_entries, why_not);
    REQUIRE(batch_ring);
    constexpr std::size_t chunk = 4096;
    SmallFileBatch batch(*batch_ring, chunk);
    char dir_template[] = "/tmp/elvis-batch-XXXXXX";
    REQUIRE(::mkdtemp(dir_template));
    const std::string dir = dir_template;
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(dir_fd >= 0);
    const std::size_t sizes[] = {0, 1, chunk - 1, chunk, chunk + 1, 3 * chunk + 7};
    std::vector<std::string> names, contents;
    for (std::size_t i = 0; i < SmallFileBatch::max_files - 3; ++i) {
        names.emplace_back("f").append(std::to_string(i));  // not "f" + ...: GCC 12's false -Wrestrict
        contents.push_back(random_bytes(sizes[i % std::size(sizes)], static_cast<unsigned>(i)));
        const int fd = ::openat(dir_fd, names.back().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        REQUIRE(::write(fd, contents.back().data(), contents.back().size()) == static_cast<ssize_t>(contents.back().size()));
        ::close(fd);
    }
    REQUIRE(::symlinkat("f1", dir_fd, "link") == 0);
    REQUIRE(::mkdirat(dir_fd, "sub", 0700) == 0);
    names.insert(names.end(), {"missing", "link", "sub"});
    std::vector<SmallFileBatch::File> files;
    for (const std::string& name : names) files.push_back({dir_fd, name.c_str()});
    std::vector<SmallFileBatch::Result> results(files.size());
    batch.read(files, results);
    for (std::size_t i = 0; i < contents.size(); ++i) {
        CAPTURE(i);
        const SmallFileBatch::Result& r = results[i];
        REQUIRE(r.error == 0);
        const std::string& whole = contents[i];
        CHECK(std::string(r.data.data(), r.data.size()) == whole.substr(0, chunk));
        CHECK(r.complete == (whole.size() < chunk));
        // The rest through the same descriptor, even once the name points at another file.
        const int other = ::openat(dir_fd, "other", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        REQUIRE(::write(other, "replaced", 8) == 8);
        ::close(other);
        REQUIRE(::renameat(dir_fd, "other", dir_fd, names[i].c_str()) == 0);
        std::string rest(whole.size() > chunk ? whole.size() - chunk : 0, '\0');
        CHECK(::pread(r.file.get(), rest.data(), rest.size(), static_cast<off_t>(chunk)) == static_cast<ssize_t>(rest.size()));
        CHECK(rest == (whole.size() > chunk ? whole.substr(chunk) : std::string()));
    }
    CHECK(results[contents.size()].error == ENOENT);
    CHECK(results[contents.size() + 1].error == ELOOP);  // a symbolic link is never followed
    CHECK(results[contents.size() + 2].error == EISDIR);
    results.clear();
    ::close(dir_fd);
    std::filesystem::remove_all(dir);
}

TEST_CASE("SmallFileBatch reads on through short reads: only a read of nothing is a file's end") {
    // /proc/PID/smaps of a sleeping child reads a few KiB at a time even through io_uring, as NFS
    // and FUSE may read a small file; it stays the same while the child sleeps.
    char sleep_arg0[] = "sleep", sleep_arg1[] = "30";
    char* argv[] = {sleep_arg0, sleep_arg1, nullptr};
    pid_t child = 0;
    REQUIRE(::posix_spawnp(&child, "sleep", nullptr, nullptr, argv, environ) == 0);
    const std::string path = "/proc/" + std::to_string(child) + "/smaps";
    std::string expected;
    for (int attempt = 0; attempt < 50; ++attempt) {  // until the exec has happened and the map is still
        ::usleep(20000);
        std::string first = read_file(path), second = read_file(path);
        if (!first.empty() && first == second && first.find("sleep") != std::string::npos) {
            expected = first;
            break;
        }
    }
    std::string why_not;
    std::unique_ptr<Uring> batch_ring = Uring::create(SmallFileBatch::ring_entries, why_not);
    if (!expected.empty() && batch_ring) {
        REQUIRE(expected.size() < (1u << 20));
        SmallFileBatch batch(*batch_ring, 1 << 20);
        const SmallFileBatch::File files[] = {{AT_FDCWD, path.c_str()}};
        SmallFileBatch::Result results[1];
        batch.read(files, results);
        REQUIRE(results[0].error == 0);
        CHECK(results[0].data.size() == expected.size());
        CHECK(std::string_view(results[0].data.data(), results[0].data.size()) == expected);
        CHECK(results[0].complete);
    } else {
        MESSAGE("no stable /proc/PID/smaps: short reads in a batch not checked");
    }
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
}
