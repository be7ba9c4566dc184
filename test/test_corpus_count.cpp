// count_corpus: exact counts whatever the threads, backend, buffer size or range split.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "elvis/corpus_count.hpp"
#include "io/syscalls.hpp"
#include "io/uring.hpp"
#include "support/io.hpp"
#include "support/reference.hpp"
#include "support/sweep.hpp"

using namespace elvis;
using namespace elvis::testing;

namespace {

CountReport count_one_file(const std::vector<Rule>& terms, MatchOptions match, const std::string& path,
                           unsigned threads, std::size_t buffer, IoMode io, Counting counting) {
    CountSettings s;
    s.terms = terms;
    s.match = match;
    s.counting = counting;
    s.threads = threads;
    s.buffer_size = buffer;
    s.io = io;
    s.split_threshold = 1;  // always split across the threads
    return count_corpus(s, {path});
}

}  // namespace

TEST_CASE("one file split into ranges counts every match once, even across range edges") {
    struct Case {
        std::vector<Rule> terms;
        std::string content;
        MatchOptions match;
    };
    std::vector<Case> cases = {
        {{{"aa", ""}}, std::string(1001, 'a'), {}},
        {{{"aaa", ""}}, std::string(999, 'a'), {}},
        {{{"abab", ""}}, [] { std::string s; for (int i = 0; i < 300; ++i) s += "ab"; return s; }(), {}},
        {{{"x", ""}, {"xxxxb", ""}}, std::string(500, 'x') + "b" + std::string(77, 'x') + "b", {}},
        {{{"elvis", ""}}, [] { std::string s; for (int i = 0; i < 200; ++i) s += i % 3 ? "elvis " : "elvielvis"; return s; }(), {}},
        {{{"ab", ""}, {"a", ""}}, "aab ab a abab aa b ab" + std::string(300, 'a'), {.ignore_case = true, .whole_word = true}},
        // Terms that overlap each other but not themselves: each term's ranges add up.
        {{{"elvis", ""}, {"vis", ""}, {"s k", ""}, {"elvis king", ""}},
         [] { std::string s; for (int i = 0; i < 300; ++i) s += i % 4 ? "elvis king " : "elvis "; return s; }(), {.whole_word = true}},
        {{{"president", ""}, {"vice-president", ""}, {"dent", ""}},
         [] { std::string s; for (int i = 0; i < 300; ++i) s += i % 3 ? "vice-president " : "dent president "; return s; }(), {}},
    };
    for (const Case& c : cases)
    for (Counting counting : {Counting::each_term, Counting::exclusive}) {
        CAPTURE(static_cast<int>(counting));
        TempFile file(c.content);
        const auto expected = reference::count(c.terms, c.match, c.content, counting);
        for (IoMode io : backends())
            for (unsigned threads : {1u, 2u, 3u, 5u, 7u})
                for (std::size_t buffer : {1, 3, 64, 4096}) {
                    CAPTURE(c.content.substr(0, 20));
                    CAPTURE(threads);
                    CAPTURE(buffer);
                    CountReport r = count_one_file(c.terms, c.match, file.path(), threads, buffer, io, counting);
                    CHECK(r.totals == expected);
                    CHECK(r.bytes_read == c.content.size());
                    CHECK(r.files_searched == 1);
                    // Each term on its own, among terms that overlap, one that overlaps itself is
                    // counted in one stream.
                    const Matcher m(RuleSet(c.terms, c.match));
                    const bool split = threads > 1 && !(needs_occurrences(m, counting) && m.term_overlaps_itself());
                    CHECK(r.files_in_ranges == (split ? 1 : 0));
                }
    }
}

TEST_CASE("range splitting: randomized against the reference") {
    std::mt19937 rng(31337);
    for (int round = 0; round < 300; ++round) {
        std::string content(50 + rng() % 400, 'a');
        for (char& ch : content) ch = "aab "[rng() % 4];
        std::vector<Rule> terms;
        for (std::size_t i = 0, n = 1 + rng() % 3; i < n; ++i) {
            std::string t(1 + rng() % 5, 'a');
            for (char& ch : t) ch = "ab "[rng() % 3];
            terms.push_back({t, ""});
        }
        MatchOptions match{.whole_word = rng() % 4 == 0};
        const Counting counting = rng() % 2 ? Counting::each_term : Counting::exclusive;
        std::vector<std::uint64_t> expected;
        try {
            RuleSet check(terms, match);
            expected = reference::count(terms, match, content, counting);
        } catch (const RuleError&) {
            continue;
        }
        TempFile file(content);
        unsigned threads = 2 + rng() % 6;
        CAPTURE(content);
        CAPTURE(threads);
        CAPTURE(static_cast<int>(counting));
        CHECK(count_one_file(terms, match, file.path(), threads, 1 + rng() % 50, IoMode::posix, counting).totals == expected);
    }
}

TEST_CASE("a tree counts the same on any number of threads and either backend") {
    namespace fs = std::filesystem;
    fs::path root = fs::temp_directory_path() / ("elvis-tree-" + std::to_string(::getpid()));
    fs::remove_all(root);
    std::mt19937 rng(4);
    std::vector<std::uint64_t> expected(2, 0);
    std::vector<Rule> terms{{"elvis", ""}, {"president", ""}};
    for (int i = 0; i < 300; ++i) {
        fs::path dir = root / ("d" + std::to_string(i % 7)) / ("e" + std::to_string(i % 3));
        fs::create_directories(dir);
        std::string content;
        for (int w = 0, n = static_cast<int>(rng() % 400); w < n; ++w)
            content += std::string(rng() % 5 ? "word " : rng() % 2 ? "elvis " : "president ");
        auto counts = reference::count(terms, {}, content, Counting::each_term);
        expected[0] += counts[0];
        expected[1] += counts[1];
        std::string name = "f";  // appended, not "f" + ...: GCC 12 warns falsely (-Wrestrict) on that
        name.append(std::to_string(i)).append(".txt");
        std::ofstream(dir / name) << content;
    }
    std::ofstream(root / ".hidden") << "elvis elvis";  // skipped: hidden
    for (IoMode io : backends())
        for (unsigned threads : {1u, 2u, 4u})
            for (std::size_t buffer : {7, 65536}) {
                CountSettings s;
                s.terms = terms;
                s.threads = threads;
                s.io = io;
                s.buffer_size = buffer;
                s.per_file = true;
                CountReport r = count_corpus(s, {root.string()});
                CHECK(r.totals == expected);
                CHECK(r.files_searched == 300);
                CHECK(r.errors.empty());
                CHECK(std::is_sorted(r.per_file.begin(), r.per_file.end(),
                                     [](const FileCounts& a, const FileCounts& b) { return a.path < b.path; }));
                std::uint64_t per_file_sum = 0;
                for (const FileCounts& f : r.per_file) per_file_sum += f.counts[0];
                CHECK(per_file_sum == expected[0]);
            }
    fs::remove_all(root);
}

TEST_CASE("a named file whose fstat fails is reported with fstat's error, whatever the buffer holds") {
    // A failed fstat leaves its buffer as it was: here it says "directory", which the old check
    // read (uninitialised in real life) and reported as EISDIR instead of the real error.
    TempFile file("elvis");
    const std::string path = file.path();
    sys::Calls failing;
    failing.fstat = [](int, struct stat* st) {
        st->st_mode = S_IFDIR | 0755;
        errno = EIO;
        return -1;
    };
    CountReport report;
    {
        sys::ScopedCalls scoped(failing);
        CountSettings s;
        s.terms = {{"elvis", ""}};
        report = count_corpus(s, {path});
    }
    REQUIRE(report.errors.size() == 1);
    CHECK(report.errors[0].path == path);
    CHECK(report.errors[0].reason == std::strerror(EIO));
    CHECK(report.totals[0] == 0);
}
