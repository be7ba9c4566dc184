// Shards: "I/N" parsing, the documented FNV-1a 64 hash, and count_corpus over shards.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "elvis/corpus_count.hpp"
#include "elvis/shard.hpp"

using namespace elvis;

namespace fs = std::filesystem;

namespace {
// prefix + number (not "literal" + std::string, which trips GCC 12's -Wrestrict false positive).
std::string numbered(std::string prefix, std::uint64_t n) { return prefix.append(std::to_string(n)); }
}  // namespace

TEST_CASE("parse_shard takes I/N with 1 <= I <= N") {
    CHECK(parse_shard("1/1").index == 1);
    CHECK(parse_shard("1/1").count == 1);
    CHECK(parse_shard("3/5").index == 3);
    CHECK(parse_shard("3/5").count == 5);
    CHECK(parse_shard("5/5").index == 5);
    CHECK(parse_shard("18446744073709551615/18446744073709551615").count == UINT64_MAX);
    for (const char* bad : {"", "1", "/", "1/", "/2", "0/3", "4/3", "1/0", "0/0", "-1/3", "+1/3", " 1/3", "1/3 ",
                            "1/3/4", "a/3", "1/b", "1.0/3", "18446744073709551616/18446744073709551617"}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(parse_shard(bad), std::invalid_argument);
    }
    CHECK_THROWS_WITH(parse_shard("0/3"), doctest::Contains("numbered from 1"));
}

TEST_CASE("fnv1a64 is FNV-1a 64 (published test vectors)") {
    CHECK(fnv1a64("") == 0xcbf29ce484222325ull);
    CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cull);
    CHECK(fnv1a64("foobar") == 0x85944171f73967e8ull);
    // Bytes, not characters: a high byte is not sign-extended.
    CHECK(fnv1a64("\xff") == ((0xcbf29ce484222325ull ^ 0xffull) * 0x100000001b3ull));
}

TEST_CASE("shards are disjoint and cover every path, for N = 1 to 9") {
    std::vector<std::string> paths;
    for (std::uint64_t i = 0; i < 2000; ++i)
        paths.push_back(numbered(numbered("crawl/segment-", i % 37) + "/file-", i) + ".warc.wet.gz");
    for (std::uint64_t n = 1; n <= 9; ++n) {
        std::vector<std::size_t> sizes(n, 0);
        for (const std::string& path : paths) {
            int owners = 0;
            for (std::uint64_t i = 1; i <= n; ++i)
                if (in_shard(path, {i, n})) ++owners, ++sizes[i - 1];
            CHECK(owners == 1);
            CHECK(in_shard(path, {shard_of(path, n), n}));
        }
        for (std::size_t size : sizes) CHECK(size > paths.size() / n / 2);  // roughly even
    }
}

TEST_CASE("count_corpus over shards adds up to one count over everything") {
    const fs::path root = fs::temp_directory_path() / ("elvis-shard-" + std::to_string(::getpid()));
    fs::remove_all(root);
    std::vector<std::string> named;
    std::uint64_t expected = 0;
    for (int i = 0; i < 60; ++i) {
        const fs::path dir = root / numbered("d", static_cast<std::uint64_t>(i % 4));
        fs::create_directories(dir);
        std::ofstream(dir / numbered("f", static_cast<std::uint64_t>(i)))
            << std::string(static_cast<std::size_t>(i % 5), 'x') << "elvis " << std::string(static_cast<std::size_t>(i % 3), 'e');
        ++expected;
    }
    for (int i = 0; i < 20; ++i) {  // named files, outside the tree
        const fs::path file = numbered(root.string() + "-named-", static_cast<std::uint64_t>(i));
        std::ofstream(file) << "elvis elvis";
        named.push_back(file.string());
        expected += 2;
    }
    const std::string missing = root.string() + "-missing";
    std::vector<std::string> paths = named;
    paths.push_back(root.string());  // a named directory: walked by every shard
    paths.push_back(missing);

    CountSettings base;
    base.terms = {{"elvis", ""}};
    base.per_file = true;
    for (unsigned threads : {1u, 3u}) {
        base.threads = threads;
        const CountReport whole = count_corpus(base, paths);
        REQUIRE(whole.totals[0] == expected);
        CHECK(whole.files_searched == 80);
        for (std::uint64_t n = 1; n <= 5; ++n) {
            CAPTURE(n);
            std::uint64_t total = 0, files = 0, documents = 0;
            std::size_t errors = 0;
            std::map<std::string, std::uint64_t> per_file;
            for (std::uint64_t i = 1; i <= n; ++i) {
                CountSettings s = base;
                s.shard = Shard{i, n};
                const CountReport r = count_corpus(s, paths);
                total += r.totals[0];
                documents += r.documents[0];
                files += r.files_searched;
                errors += r.errors.size();
                for (const CountError& e : r.errors) CHECK(in_shard(e.path, *s.shard));
                for (const FileCounts& f : r.per_file) {
                    CHECK(in_shard(f.path, *s.shard));
                    CHECK(per_file.emplace(f.path, f.counts[0]).second);  // in one shard only
                }
            }
            CHECK(total == expected);
            CHECK(documents == whole.documents[0]);
            CHECK(files == whole.files_searched);
            CHECK(errors == 1);  // the missing file is reported by its shard alone
            CHECK(per_file.size() == whole.per_file.size());
            for (const FileCounts& f : whole.per_file) CHECK(per_file[f.path] == f.counts[0]);
        }
    }
    fs::remove_all(root);
    for (const std::string& file : named) fs::remove(file);
}
