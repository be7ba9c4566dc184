// One multi-member gzip file decoded in parallel ranges: GzipSource's member limit and member-end
// watch, then count_gzip_in_ranges against the reference count of the whole text, at every
// number of ranges, with terms across members, whole words, false starts (whole valid members
// stored inside another member) and corrupt or truncated members.
#include <doctest/doctest.h>

#include <random>

#include "elvis/corpus_count.hpp"
#include "io/gzip_source.hpp"
#include "jobs/gzip_ranges.hpp"
#include "support/gzip.hpp"
#include "support/io.hpp"
#include "support/reference.hpp"

using namespace elvis;
using namespace elvis::testing;

namespace {

// `plain` cut at random places into members (so terms cross members); their gzip, in order.
std::string members_of(const std::string& plain, std::size_t mean_size, unsigned seed, int level = 6) {
    std::mt19937 rng(seed);
    std::string out;
    for (std::size_t at = 0; at < plain.size();) {
        const std::size_t n = std::min<std::size_t>(plain.size() - at, 1 + rng() % (2 * mean_size));
        out += gzip(std::string_view(plain).substr(at, n), level);
        at += n;
    }
    return out;
}

const std::vector<Rule> terms = {{"elvis", ""}, {"king", ""}, {"elvis presley", ""}, {"s k", ""}};

// count_gzip_in_ranges of `compressed`; CHECKs its totals against the reference over `plain`.
std::size_t check_ranges(const std::string& compressed, const std::string& plain, unsigned threads,
                         bool whole_word = false, std::size_t buffer = 4096) {
    CAPTURE(threads);
    CAPTURE(whole_word);
    CAPTURE(buffer);
    MatchOptions options;
    options.whole_word = whole_word;
    const Matcher matcher(RuleSet(terms, options));
    TempFile file(compressed);
    std::size_t ranges = 0;
    for (Counting counting : {Counting::each_term, Counting::exclusive}) {
        CAPTURE(static_cast<int>(counting));
        const int fd = file.open();
        const std::optional<GzipRangesCount> counted = count_gzip_in_ranges(
            fd, compressed.size(), matcher, counting, whole_word, threads, IoMode::automatic, buffer, nullptr);
        ::close(fd);
        REQUIRE(counted);
        CHECK(counted->bytes == plain.size());
        CHECK(counted->totals == reference::count(terms, options, plain, counting));
        CHECK((ranges == 0 || ranges == counted->ranges));
        ranges = counted->ranges;
    }
    return ranges;
}

}  // namespace

TEST_CASE("GzipSource ends the input after a member limit and tells the first watched member end") {
    const std::string a = gzip("first elvis"), b = gzip(""), c = gzip("third"), d = gzip("fourth, last");
    const std::string all = a + b + c + d;
    TempFile file(all);
    for (std::size_t in_size : {1, 7, 4096})
        for (std::size_t out_size : {1, 3, 65536}) {
            CAPTURE(in_size);
            CAPTURE(out_size);
            auto inner = make_posix_source(in_size);
            GzipSource gz(*inner, out_size, GzipMode::always);
            const int fd = file.open();
            gz.set_member_limit(1);
            gz.open_range(fd, 0, all.size());
            CHECK(drain(gz) == "first elvis");
            CHECK(gz.members() == 1);
            CHECK(gz.consumed() == a.size());
            gz.close();

            // Inside c (not an end), then the end of c, then of d: c's end is the hit; the empty
            // member b ends without output and is passed over.
            const std::uint64_t ends[] = {a.size() + b.size() + 3, a.size() + b.size() + c.size(), all.size()};
            gz.set_member_limit(0);
            gz.watch_member_ends(ends);
            gz.open_range(fd, 0, all.size());
            std::string out;
            std::optional<GzipSource::MemberEndHit> hit;
            for (std::span<char> chunk = gz.next(); !chunk.empty(); chunk = gz.next()) {
                if (!hit && gz.member_end_hit()) {
                    hit = gz.member_end_hit();
                    CHECK(out.size() + chunk.size() >= hit->output_offset);  // known once reached
                }
                out.append(chunk.data(), chunk.size());
            }
            gz.close();
            ::close(fd);
            CHECK(out == "first elvisthirdfourth, last");
            REQUIRE(hit);
            CHECK(hit->index == 1);
            CHECK(hit->output_offset == std::string("first elvisthird").size());
        }
}

TEST_CASE("count_gzip_in_ranges equals one scan of the whole text at every number of ranges") {
    const std::string plain = text(300000, 21);
    for (std::size_t mean : {200, 5000}) {
        const std::string compressed = members_of(plain, mean, static_cast<unsigned>(mean));
        for (unsigned threads = 1; threads <= 9; ++threads)
            for (bool whole_word : {false, true}) {
                const std::size_t ranges = check_ranges(compressed, plain, threads, whole_word, threads % 2 ? 4096 : 333);
                CHECK(ranges == threads);  // members are small: every range begins one
            }
    }
}

TEST_CASE("count_gzip_in_ranges: whole words at the edge of a range see the byte before it") {
    // Every member starts with a term preceded by a word byte at the end of the one before:
    // only the byte before the range's first one tells that "elvis" is not a word there.
    std::string plain, compressed;
    for (int i = 0; i < 3000; ++i) {
        const std::string piece = (i % 3 ? "elvis king x" : "elvis king ") + std::string(i % 5, 'y');
        plain += piece;
        compressed += gzip(piece);
    }
    for (unsigned threads = 2; threads <= 8; ++threads) check_ranges(compressed, plain, threads, true);
}

TEST_CASE("count_gzip_in_ranges never takes a false start: whole gzip members stored inside a member") {
    // Stored (level 0) members hold their data verbatim, so the bytes of the inner members, each a
    // valid member with a right CRC and length, appear in the outer member's compressed data.
    std::string inner;
    for (int i = 0; i < 400; ++i) inner += gzip("elvis king inner " + std::to_string(i) + " ", i % 2 ? 0 : 6);
    const std::string outer_text = "elvis before " + inner + " elvis after";
    const std::string head = text(20000, 5), tail = text(20000, 6);
    const std::string plain = head + outer_text + tail;
    const std::string compressed = members_of(head, 500, 1) + gzip(outer_text, 0) + members_of(tail, 500, 2);
    for (unsigned threads = 2; threads <= 16; ++threads) check_ranges(compressed, plain, threads);
    // A single member of such text, however cut, is one range.
    for (unsigned threads = 2; threads <= 6; ++threads) CHECK(check_ranges(gzip(outer_text, 0), outer_text, threads) == 1);
}

TEST_CASE("count_gzip_in_ranges gives the file back to the stream when a member is corrupt or cut") {
    const std::string plain = text(100000, 8);
    const std::string good = members_of(plain, 1000, 3);
    const Matcher matcher(RuleSet(terms, {}));
    auto counted = [&](const std::string& compressed, unsigned threads) {
        TempFile file(compressed);
        const int fd = file.open();
        auto result = count_gzip_in_ranges(fd, compressed.size(), matcher, Counting::exclusive, false, threads, IoMode::posix, 4096, nullptr);
        ::close(fd);
        return result;
    };
    for (unsigned threads = 1; threads <= 4; ++threads) {
        CAPTURE(threads);
        CHECK(counted(good, threads));
        std::string flipped = good;
        flipped[good.size() * 3 / 4] ^= 0x40;  // in the last range's data
        CHECK(!counted(flipped, threads));
        CHECK(!counted(good.substr(0, good.size() - 3), threads));
        CHECK(!counted(good + "garbage", threads));
    }
}

TEST_CASE("count_corpus decodes a named multi-member gzip file in ranges, with the counts of one thread") {
    const std::string plain = text(400000, 9);
    TempFile multi(members_of(plain, 2000, 4)), single(gzip(plain));
    auto run = [&](const std::string& path, unsigned threads) {
        CountSettings s;
        s.terms = terms;
        s.threads = threads;
        s.decompress = true;
        s.split_threshold = 16;  // a compressed file splits from a sixteenth of it
        s.per_file = true;
        return count_corpus(s, {path});
    };
    const CountReport one = run(multi.path(), 1);
    CHECK(one.totals == reference::count(terms, {}, plain, Counting::each_term));
    CHECK(one.gzip_files_in_ranges == 0);
    for (unsigned threads = 2; threads <= 4; ++threads) {
        const CountReport r = run(multi.path(), threads);
        CHECK(r.errors.empty());
        CHECK(r.totals == one.totals);
        CHECK(r.documents == one.documents);
        CHECK(r.bytes_read == plain.size());
        REQUIRE(r.per_file.size() == 1);
        CHECK(r.per_file[0].counts == one.totals);
        CHECK(r.gzip_files_in_ranges == 1);
        CHECK(r.gzip_ranges == threads);
        const CountReport s = run(single.path(), threads);  // one member: one stream, said so
        CHECK(s.totals == one.totals);
        CHECK(s.gzip_files_one_stream == 1);
        CHECK(s.gzip_files_in_ranges == 0);
    }
}
