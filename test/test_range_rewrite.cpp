// rewrite_in_ranges and plan_range_rewrite: output against the reference rewrite for every way
// of cutting the input, file positions, and the error paths.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <random>
#include <string>
#include <vector>

#include "elvis/errors.hpp"
#include "elvis/matcher.hpp"
#include "elvis/rewriter.hpp"
#include "elvis/sink.hpp"
#include "io/syscalls.hpp"
#include "io/uring.hpp"
#include "pipeline/range_rewrite.hpp"
#include "pipeline/ranges.hpp"
#include "support/file_calls.hpp"
#include "support/io.hpp"
#include "support/reference.hpp"
#include "support/sweep.hpp"

using namespace elvis;
using elvis::testing::backends;
using elvis::testing::read_all_at;
using elvis::testing::TempFile;

namespace {

// An output file holding `prefix`, its position at the end (as after `{ printf PREFIX; elvis; } > out`).
struct Output {
    explicit Output(std::string_view prefix = {}) : file(prefix) {
        fd = ::open(file.path().c_str(), O_RDWR | O_CLOEXEC);
        ::lseek(fd, 0, SEEK_END);
    }
    ~Output() { ::close(fd); }
    TempFile file;
    int fd;
};

// Rewrites `content` after its first `skip` bytes onto an output holding `prefix`; returns the output.
std::string rewrite_file(const Matcher& matcher, const std::string& content, std::size_t skip, const std::string& prefix,
                         unsigned threads, std::size_t buffer, IoMode io, std::uint64_t* replacements = nullptr) {
    TempFile input(content);
    const int in = input.open();
    ::lseek(in, static_cast<off_t>(skip), SEEK_SET);
    Output out(prefix);
    const std::optional<RangeRewritePlan> plan = plan_range_rewrite(matcher, in, out.fd, 1);
    REQUIRE(plan);
    CHECK(plan->from == skip);
    CHECK(plan->to == content.size());
    CHECK(plan->out_at == prefix.size());
    RangeRewriteSettings settings;
    settings.threads = threads;
    settings.buffer_size = buffer;
    settings.io = io;
    const RangeRewriteReport report = rewrite_in_ranges(matcher, in, out.fd, *plan, settings);
    CHECK(report.bytes == content.size() - skip);
    // Both positions moved past what was read and written.
    CHECK(::lseek(in, 0, SEEK_CUR) == static_cast<off_t>(content.size()));
    CHECK(::lseek(out.fd, 0, SEEK_CUR) == static_cast<off_t>(prefix.size() + content.size() - skip));
    ::close(in);
    if (replacements) *replacements = report.replacements;
    return read_all_at(out.fd);
}

}  // namespace

TEST_CASE("rewrite_in_ranges writes what one stream's rewrite writes, however the ranges fall") {
    struct Case {
        std::vector<Rule> rules;
        std::string content;
        MatchOptions match;
    };
    std::string abab, elvises;
    for (int i = 0; i < 300; ++i) abab += "ab";
    for (int i = 0; i < 200; ++i) elvises += i % 3 ? "elvis " : "elvielvis";
    const std::vector<Case> cases = {
        // Chains of matches that cross every cut, and whose ranges never agree with the true scan.
        {{{"aa", "xy"}}, std::string(1001, 'a'), {}},
        {{{"aaa", "bcd"}}, std::string(999, 'a'), {}},
        {{{"abab", "XYZW"}}, abab, {}},
        // Longest wins across a cut: "xxxxb" over "x".
        {{{"x", "y"}, {"xxxxb", "12345"}}, std::string(500, 'x') + "b" + std::string(77, 'x') + "b", {}},
        {{{"elvis", "Elvis"}}, elvises, {}},
        {{{"ab", "AB"}, {"a", "A"}}, "aab ab a abab aa b ab" + std::string(300, 'a'), {.ignore_case = true, .whole_word = true}},
        // The match where the rescan meets the range's own scan is reported a chunk after its
        // bytes (abcd would have been longer): bytes past it must keep the range's own rewrite.
        {{{"qqq", "123"}, {"ab", "XY"}, {"abcd", "PQRS"}, {"cx", "UV"}}, ".......qqqabcx..........", {}},
        // The same end, but another start and rule, than the range's own last match: the true
        // one is what runs into the next range.
        {{{"abcdef", "123456"}, {"def", "XYZ"}}, "abcdef", {}},
        {{{"Lx", "12"}, {"xxc", "PQR"}, {"cdef", "1234"}, {"def", "XYZ"}}, "Lxxcdef", {}},
        // The meeting match reported only at the end of the input.
        {{{"a", "X"}, {"a a", "XZX"}, {" ", "X"}, {" a ", "XXY"}}, "a baaaabbaabb aa a baaaa a a", {}},
    };
    for (const Case& c : cases) {
        const Matcher matcher(RuleSet(c.rules, c.match));
        for (IoMode io : backends())
            for (unsigned threads : {1u, 2u, 3u, 5u, 6u, 7u, 8u, 9u})
                for (std::size_t buffer : {1, 3, 4, 64, 4096})
                    for (std::size_t skip : {0, 3}) {
                        CAPTURE(c.content.substr(0, 20));
                        CAPTURE(threads);
                        CAPTURE(buffer);
                        CAPTURE(skip);
                        const std::string rest = c.content.substr(skip);
                        std::uint64_t replacements = 0;
                        CHECK(rewrite_file(matcher, c.content, skip, "head\n", threads, buffer, io, &replacements) ==
                              "head\n" + reference::rewrite(c.rules, c.match, rest));
                        StreamRewriter stream(matcher);
                        StringSink sink;
                        stream.feed(std::string_view(rest), sink);
                        stream.finish(sink);
                        CHECK(replacements == stream.replacements());
                    }
    }
}

TEST_CASE("rewrite_in_ranges: randomized against the reference") {
    // Small buffers and many ranges: matches cross chunks and ranges everywhere, and rules that
    // are prefixes of each other make the scans disagree near each cut.
    std::mt19937 rng(2026);
    for (int round = 0; round < 3000; ++round) {
        std::string content(20 + rng() % 300, 'a');
        for (char& ch : content) ch = "aab "[rng() % 4];
        std::vector<Rule> rules;
        for (std::size_t i = 0, n = 1 + rng() % 4; i < n; ++i) {
            std::string find(1 + rng() % 5, 'a'), replace;
            for (char& ch : find) ch = "ab "[rng() % 3];
            for (std::size_t k = 0; k < find.size(); ++k) replace += "XYZ"[rng() % 3];
            rules.push_back({find, replace});
        }
        const MatchOptions match{.ignore_case = rng() % 4 == 0, .whole_word = rng() % 4 == 0};
        std::optional<Matcher> matcher;
        try {
            matcher.emplace(RuleSet(rules, match));
        } catch (const RuleError&) {
            continue;
        }
        const unsigned threads = 2 + rng() % 8;
        const std::size_t skip = rng() % 8;
        const std::size_t buffer = rng() % 2 ? 1 + rng() % 12 : 1 + rng() % 200;
        CAPTURE(content);
        CAPTURE(threads);
        CAPTURE(skip);
        CAPTURE(buffer);
        CHECK(rewrite_file(*matcher, content, skip, "", threads, buffer, IoMode::posix) ==
              reference::rewrite(rules, match, content.substr(skip)));
    }
}

TEST_CASE("plan_range_rewrite takes only what ranges can rewrite") {
    const Matcher same(RuleSet::default_rules());
    TempFile input(std::string(1000, 'e'));
    const int in = input.open();
    Output out;
    CHECK(plan_range_rewrite(same, in, out.fd, 1000));
    CHECK_FALSE(plan_range_rewrite(same, in, out.fd, 1001));  // too small to be worth it

    SUBCASE("a replacement of another length moves later bytes") {
        const Matcher longer(RuleSet({{"elvis", "The King"}}, {}));
        CHECK_FALSE(plan_range_rewrite(longer, in, out.fd, 1));
    }
    SUBCASE("appending writes land at the end, not at an offset") {
        const int appending = ::open(out.file.path().c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
        CHECK_FALSE(plan_range_rewrite(same, in, appending, 1));
        ::close(appending);
    }
    SUBCASE("an output with bytes past its position (1<>): a failed read could not give them back") {
        Output filled("keep these bytes");
        ::lseek(filled.fd, 2, SEEK_SET);
        CHECK_FALSE(plan_range_rewrite(same, in, filled.fd, 1));
    }
    SUBCASE("the input as its own output") {
        const int both = ::open(input.path().c_str(), O_RDWR | O_CLOEXEC);
        ::lseek(both, 0, SEEK_END);
        CHECK_FALSE(plan_range_rewrite(same, in, both, 1));
        ::close(both);
    }
    SUBCASE("pipes") {
        int p[2];
        REQUIRE(::pipe(p) == 0);
        CHECK_FALSE(plan_range_rewrite(same, p[0], out.fd, 1));
        CHECK_FALSE(plan_range_rewrite(same, in, p[1], 1));
        ::close(p[0]);
        ::close(p[1]);
    }
    SUBCASE("nothing left to read") {
        ::lseek(in, 0, SEEK_END);
        CHECK_FALSE(plan_range_rewrite(same, in, out.fd, 1));
    }
    ::close(in);
}

namespace {
ssize_t pwrite_disk_full(int, const void*, size_t, off_t) {
    errno = ENOSPC;
    return -1;
}
// Writes fail from 30005 on (past "head\n" and 30000 bytes): the last range has written some.
ssize_t pwrite_full_late(int fd, const void* buffer, size_t count, off_t offset) {
    if (offset < 30005) return ::pwrite(fd, buffer, count, offset);
    errno = ENOSPC;
    return -1;
}
// Reads fail from 30000 on: the last range has written its first chunks by then.
ssize_t pread_fails_late(int fd, void* buffer, size_t count, off_t offset) {
    if (offset < 30000) return ::pread(fd, buffer, count, offset);
    errno = EIO;
    return -1;
}
// The file ends at 20000 from now on, as if cut short while it was read.
ssize_t pread_shrunk(int fd, void* buffer, size_t count, off_t offset) {
    if (offset >= 20000) return 0;
    return ::pread(fd, buffer, std::min<size_t>(count, static_cast<size_t>(20000 - offset)), offset);
}
}  // namespace

TEST_CASE("rewrite_in_ranges: a failed write is a WriteError; a failed read gives the output back") {
    const Matcher matcher(RuleSet::default_rules());
    std::string content;
    for (int i = 0; i < 2000; ++i) content += "a line with elvis\n";
    TempFile input(content);
    const int in = input.open();
    Output out("head\n");
    const std::optional<RangeRewritePlan> plan = plan_range_rewrite(matcher, in, out.fd, 1);
    REQUIRE(plan);
    RangeRewriteSettings settings;
    settings.threads = 3;
    settings.buffer_size = 1000;
    settings.io = IoMode::posix;

    struct Failure {
        const char* what;
        decltype(sys::Calls::pread) pread;
        decltype(sys::Calls::pwrite) pwrite;
        int code;  // of the IoError (a WriteError when the write failed)
        bool write;
    };
    const Failure failures[] = {
        {"a full disk", ::pread, pwrite_disk_full, ENOSPC, true},
        {"a disk that fills up part way: the ranges written so far are taken back", ::pread, pwrite_full_late,
         ENOSPC, true},
        {"an input that cannot be read to its end", pread_fails_late, ::pwrite, EIO, false},
        {"an input that shrinks while it is read: no output with a hole", pread_shrunk, ::pwrite, EIO, false},
    };
    for (const Failure& f : failures) {
        CAPTURE(f.what);
        sys::Calls calls = sys::calls();
        calls.pread = f.pread;
        calls.pwrite = f.pwrite;
        sys::ScopedCalls seam(calls);
        try {
            rewrite_in_ranges(matcher, in, out.fd, *plan, settings);
            FAIL("no error");
        } catch (const WriteError& e) {
            CHECK(f.write);
            CHECK(e.code() == f.code);
            CHECK(std::string(e.what()) == "write error: No space left on device");
        } catch (const IoError& e) {
            CHECK_FALSE(f.write);
            CHECK(e.code() == f.code);
        }
        // The output as it was: no holes where ranges were not written; positions where they were.
        CHECK(read_all_at(out.fd) == "head\n");
        CHECK(::lseek(in, 0, SEEK_CUR) == 0);
        CHECK(::lseek(out.fd, 0, SEEK_CUR) == 5);
    }
    ::close(in);
}

namespace {
// The output's allocated bytes when the first write past 300000 was asked, which then fails.
std::atomic<long long> allocated_at_failure{-1};
ssize_t pwrite_full_after_300000(int fd, const void* buffer, size_t count, off_t offset) {
    if (offset < 300000) return ::pwrite(fd, buffer, count, offset);
    struct stat st;
    long long expected = -1;
    if (::fstat(fd, &st) == 0) allocated_at_failure.compare_exchange_strong(expected, st.st_blocks * 512LL);
    errno = ENOSPC;
    return -1;
}
}  // namespace

TEST_CASE("rewrite_in_ranges reserves each range's space a step ahead, and gives it back on failure") {
    const Matcher matcher(RuleSet::default_rules());
    const std::size_t step = 4 * SpaceReservation::min_bytes;  // 1 MiB
    std::string content;
    while (content.size() < 3 * (step + step / 2)) content += "a line with elvis in it\n";
    TempFile input(content);
    const int in = input.open();
    RangeRewriteSettings settings;
    settings.threads = 3;
    settings.buffer_size = 4096;
    settings.io = IoMode::posix;
    settings.reservation_step = step;

    SUBCASE("each range a step at a time from its start") {
        Output out("head\n");
        const std::optional<RangeRewritePlan> plan = plan_range_rewrite(matcher, in, out.fd, 1);
        REQUIRE(plan);
        std::vector<elvis::testing::FileCall> calls;
        {
            elvis::testing::RecordFileCalls record;  // ext4, reservations pretended
            rewrite_in_ranges(matcher, in, out.fd, *plan, settings);
            std::lock_guard lock(elvis::testing::file_calls_mutex);
            calls = elvis::testing::file_calls;
        }
        std::vector<elvis::testing::FileCall> want;
        for (const RangeScan& r : split_into_ranges(0, content.size(), 3))
            for (std::uint64_t at = r.begin; at < r.end; at += step) {
                const std::uint64_t bytes = std::min<std::uint64_t>(step, r.end - at);
                if (bytes >= SpaceReservation::min_bytes)
                    want.push_back({true, static_cast<off_t>(5 + at), static_cast<off_t>(bytes), FALLOC_FL_KEEP_SIZE});
            }
        REQUIRE(want.size() == 6);  // two per range: a whole step, then the rest of the range
        const auto by_offset = [](const auto& a, const auto& b) { return a.at < b.at; };
        std::sort(calls.begin(), calls.end(), by_offset);
        CHECK(calls == want);
        CHECK(read_all_at(out.fd) == "head\n" + reference::rewrite(RuleSet::default_rules().rules(), {}, content));
    }
    SUBCASE("refused (a file system without fallocate): asked once per range, and the writes go on") {
        Output out;
        const std::optional<RangeRewritePlan> plan = plan_range_rewrite(matcher, in, out.fd, 1);
        REQUIRE(plan);
        elvis::testing::RecordFileCalls record(true);
        rewrite_in_ranges(matcher, in, out.fd, *plan, settings);
        CHECK(elvis::testing::reservations() == 3);
        CHECK(read_all_at(out.fd) == reference::rewrite(RuleSet::default_rules().rules(), {}, content));
    }
    SUBCASE("a write that fails: the output's size and its space as they were") {
        Output out("head\n");
        struct statfs fs;
        REQUIRE(::fstatfs(out.fd, &fs) == 0);
        if (fs.f_type != EXT4_SUPER_MAGIC) {
            MESSAGE("skipped: the temporary directory is not on ext4, where elvis reserves space");
            return;
        }
        const std::optional<RangeRewritePlan> plan = plan_range_rewrite(matcher, in, out.fd, 1);
        REQUIRE(plan);
        sys::Calls calls = sys::calls();
        calls.pwrite = pwrite_full_after_300000;
        sys::ScopedCalls seam(calls);
        allocated_at_failure = -1;
        CHECK_THROWS_AS(rewrite_in_ranges(matcher, in, out.fd, *plan, settings), WriteError);
        // A range reserves its first step before its first write: a step or more was allocated
        // when a write failed, though less than 300000 bytes had been written.
        CHECK(allocated_at_failure.load() >= static_cast<long long>(step));
        struct stat st;
        REQUIRE(::fstat(out.fd, &st) == 0);
        CHECK(st.st_size == 5);
        CHECK(st.st_blocks * 512 <= 64 * 1024);  // the reservations past the end given back
    }
    ::close(in);
}
