// GzipSource: round trips at every buffer size, multi-member input, detection, corrupt and
// truncated input, reuse across files; count_corpus with decompress; GzipSink read back by zlib;
// leased output buffers and PrefetchSource.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "elvis/corpus_count.hpp"
#include "elvis/sink.hpp"
#include "io/gzip_sink.hpp"
#include "io/gzip_source.hpp"
#include "io/prefetch_source.hpp"
#include "io/uring.hpp"
#include "support/gzip.hpp"
#include "support/io.hpp"
#include "support/sweep.hpp"

using namespace elvis;
using namespace elvis::testing;

namespace {

// Everything `compressed` inflates to, through a file read in `in_size` chunks, `out_size` out.
std::string inflate_file(const std::string& compressed, std::size_t in_size, std::size_t out_size,
                         GzipMode mode = GzipMode::always, IoMode io = IoMode::posix, bool range = false) {
    TempFile file(compressed);
    SourceChoice inner = choose_source(io, in_size);
    GzipSource source(*inner.source, out_size, mode);
    const int fd = file.open();
    if (range) source.open_range(fd, 0, UINT64_MAX);
    else source.open(fd);
    std::string out;
    try {
        out = drain(source);
    } catch (...) {
        source.close();
        ::close(fd);
        throw;
    }
    CHECK(source.next().empty());
    source.close();
    ::close(fd);
    return out;
}

std::string error_of(const std::string& compressed, std::size_t in_size = 4096, GzipMode mode = GzipMode::always) {
    try {
        inflate_file(compressed, in_size, 4096, mode);
    } catch (const GzipError& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("round trip at every input and output buffer size, both backends") {
    for (std::size_t size : {0, 1, 100, 32768, 300000}) {
        const std::string plain = size == 300000 ? random_bytes(size, 5) + text(size, 5) : text(size, 1);
        const std::string packed = gzip(plain);
        for (IoMode io : backends())
            for (std::size_t in : {1, 2, 7, 4096, 65536})
                for (std::size_t out : {1, 3, 4096, 262144}) {
                    if ((in < 7 || out < 7) && plain.size() > 40000) continue;
                    CAPTURE(size);
                    CAPTURE(in);
                    CAPTURE(out);
                    CHECK(inflate_file(packed, in, out, GzipMode::always, io) == plain);
                    CHECK(inflate_file(packed, in, out, GzipMode::detect, io, true) == plain);
                }
    }
}

TEST_CASE("chunks are at most the buffer size") {
    const std::string plain = text(100000, 2);
    TempFile file(gzip(plain));
    auto inner = make_posix_source(65536);
    GzipSource source(*inner, 1000);
    const int fd = file.open();
    source.open(fd);
    std::size_t total = 0;
    for (std::span<char> chunk = source.next(); !chunk.empty(); chunk = source.next()) {
        CHECK(chunk.size() <= 1000);
        total += chunk.size();
    }
    CHECK(total == plain.size());
    CHECK(source.inflating());
    CHECK(source.members() == 1);
    ::close(fd);
}

TEST_CASE("multi-member files are one stream (empty members too)") {
    const std::string a = text(70000, 3), b = text(5, 4), c = text(200000, 5);
    const std::string packed = gzip(a, 1) + gzip("") + gzip(b, 9) + gzip(c, 0) + gzip("");
    for (std::size_t in : {1, 5, 4096})
        for (std::size_t out : {7, 65536}) {
            if (in < 7 && out < 100) continue;
            CAPTURE(in);
            CAPTURE(out);
            CHECK(inflate_file(packed, in, out) == a + b + c);
        }
    TempFile file(packed);
    auto inner = make_posix_source(4096);
    GzipSource source(*inner, 4096);
    const int fd = file.open();
    source.open(fd);
    drain(source);
    CHECK(source.members() == 5);
    ::close(fd);
}

TEST_CASE("detect mode passes other input through unchanged, byte for byte") {
    const std::string bytes = random_bytes(10000, 9);
    for (const std::string& plain : {std::string(), std::string("\x1f"), std::string("\x1f\x8a rest"),
                                     std::string("\x1f") + "x", std::string("x\x1f\x8b"), bytes,
                                     std::string("\x1f") + bytes}) {
        for (std::size_t in : {1, 2, 3, 4096}) {
            CAPTURE(plain.size());
            CAPTURE(in);
            std::string out;
            TempFile file(plain);
            auto inner = make_posix_source(in);
            GzipSource source(*inner, 64, GzipMode::detect);
            const int fd = file.open();
            source.open(fd);
            CHECK(drain(source) == plain);
            CHECK(!source.inflating());
            CHECK(source.next().empty());
            ::close(fd);
        }
    }
}

TEST_CASE("detect mode inflates gzip even when the magic bytes come in separate reads") {
    const std::string plain = text(5000, 6);
    for (std::size_t in : {1, 2, 3})
        CHECK(inflate_file(gzip(plain), in, 100, GzipMode::detect) == plain);
}

TEST_CASE("input that is not gzip, or trailing garbage, is invalid data") {
    CHECK(error_of("plain text, not gzip") == "invalid gzip data: incorrect header check");
    CHECK(error_of(gzip("elvis") + "garbage") == "invalid gzip data: incorrect header check");
    CHECK(error_of(gzip("elvis") + std::string(16, '\0')).starts_with("invalid gzip data: "));  // no zero padding
    std::string wrong_method = gzip("elvis");
    wrong_method[2] = 7;
    CHECK(error_of(wrong_method) == "invalid gzip data: unknown compression method");
}

TEST_CASE("every optional header field is read, and a header CRC that does not match is an error") {
    const std::string plain = text(20000, 9);
    const std::string packed = gzip(plain);  // zlib writes a 10-byte header with no flags
    // FEXTRA, FNAME, FCOMMENT and FHCRC (0x04 | 0x08 | 0x10 | 0x02), then the same deflate data.
    std::string header("\x1f\x8b\x08\x1e\0\0\0\0\0\x03", 10);
    header += std::string("\x05\0extra", 7) + std::string("name.txt\0", 9) + std::string("a comment\0", 10);
    const auto hcrc = static_cast<std::uint16_t>(crc32(0, reinterpret_cast<const Bytef*>(header.data()), static_cast<uInt>(header.size())));
    std::string with_fields = header + static_cast<char>(hcrc & 0xff) + static_cast<char>(hcrc >> 8) + packed.substr(10);
    for (std::size_t in : {1, 2, 7, 4096}) CHECK(inflate_file(with_fields + packed, in, 100, GzipMode::always) == plain + plain);
    with_fields[header.size()] ^= 1;
    for (std::size_t in : {1, 4096}) CHECK(error_of(with_fields, in) == "invalid gzip data: incorrect header check");
}

TEST_CASE("corrupt data and checksums are errors") {
    const std::string plain = text(50000, 7);
    const std::string packed = gzip(plain);
    std::string crc = packed;
    crc[crc.size() - 6] ^= 1;  // CRC-32 in the trailer
    CHECK(error_of(crc) == "invalid gzip data: incorrect data check");
    std::string length = packed;
    length[length.size() - 2] ^= 1;  // ISIZE in the trailer
    CHECK(error_of(length) == "invalid gzip data: incorrect length check");
    // Flipping bytes anywhere in the deflate data: always an error (a wrong CRC at least, or the
    // data seeming to go on past the end), never a hang.
    std::mt19937 rng(11);
    for (int round = 0; round < 200; ++round) {
        std::string bad = packed;
        const std::size_t at = 10 + rng() % (bad.size() - 18);
        bad[at] = static_cast<char>(bad[at] ^ (1 + rng() % 255));
        CAPTURE(at);
        const std::string error = error_of(bad, 1 + rng() % 5000);
        CHECK((error.starts_with("invalid gzip data") || error == "truncated gzip data"));
    }
}

TEST_CASE("truncated input is an error at every length") {
    const std::string packed = gzip(text(3000, 8)) + gzip(text(100, 9));
    const std::size_t first = gzip(text(3000, 8)).size();
    for (std::size_t n = 0; n < packed.size(); ++n) {
        if (n == first) continue;  // exactly the first member: valid
        CAPTURE(n);
        CHECK(error_of(packed.substr(0, n), 1 + n % 7) == "truncated gzip data");
    }
    CHECK(error_of(packed.substr(0, 1), 1, GzipMode::detect) == "(no error)");  // a lone 1f: not gzip
    CHECK(error_of(packed.substr(0, 2), 1, GzipMode::detect) == "truncated gzip data");
}

TEST_CASE("GzipError is an IoError whose message has no errno text") {
    const GzipError e("truncated gzip data");
    const IoError& io = e;
    CHECK(std::string(io.what()) == "truncated gzip data");
    CHECK(io.code() == EBADMSG);
}

TEST_CASE("a source is reused across files, even after an error or an early stop") {
    const std::string a = text(300000, 10), b = text(1000, 11);
    TempFile fa(gzip(a)), fb(gzip(b)), bad("\x1f\x8b\x08garbage"), plain("plain");
    auto inner = make_posix_source(4096);
    GzipSource source(*inner, 4096);
    int fd = fa.open();
    source.open(fd);
    CHECK(source.next().size() == 4096);  // stop in the middle of a member
    ::close(fd);
    fd = fb.open();
    source.open(fd);
    CHECK(drain(source) == b);
    ::close(fd);
    fd = bad.open();
    source.open(fd);
    CHECK_THROWS_AS(drain(source), GzipError);
    source.close();
    ::close(fd);
    source.set_mode(GzipMode::detect);
    fd = plain.open();
    source.open(fd);
    CHECK(drain(source) == "plain");
    ::close(fd);
    fd = fa.open();
    source.open(fd);
    CHECK(drain(source) == a);
    ::close(fd);
}

TEST_CASE("has_gzip_suffix and gzip_mode_for") {
    CHECK(has_gzip_suffix("a.gz"));
    CHECK(has_gzip_suffix("dir/CC-MAIN-0001.warc.wet.gz"));
    CHECK(!has_gzip_suffix(".gz"));
    CHECK(!has_gzip_suffix("a.gzip"));
    CHECK(!has_gzip_suffix("a.GZ"));
    CHECK(!has_gzip_suffix("a.tgz"));
    CHECK(gzip_mode_for("a.gz") == GzipMode::always);
    CHECK(gzip_mode_for("-") == GzipMode::detect);
    CHECK(gzip_mode_for("a.txt") == GzipMode::detect);
}

TEST_CASE("count_corpus with decompress counts .gz, gzip without the suffix, and plain files") {
    namespace fs = std::filesystem;
    const fs::path root = fs::temp_directory_path() / ("elvis-gzip-" + std::to_string(::getpid()));
    fs::remove_all(root);
    fs::create_directories(root / "sub");
    const std::string big = text(400000, 12);
    auto write = [&](const fs::path& p, const std::string& data) { std::ofstream(p, std::ios::binary) << data; };
    write(root / "a.txt.gz", gzip("elvis elvis"));
    write(root / "sub" / "multi.gz", gzip("elvis ") + gzip("elvis elvis"));
    write(root / "sub" / "no-suffix", gzip("elvis"));
    write(root / "plain.txt", "elvis");
    write(root / "big.gz", gzip(big));
    write(root / "lone", "\x1f");
    std::uint64_t in_big = 0;
    for (std::size_t at = big.find("elvis"); at != std::string::npos; at = big.find("elvis", at + 5)) ++in_big;
    for (IoMode io : backends())
        for (unsigned threads : {1u, 2u})
            for (std::size_t buffer : {1, 5, 65536}) {
                CAPTURE(buffer);
                CountSettings s;
                s.terms = {{"elvis", ""}};
                s.io = io;
                s.threads = threads;
                s.buffer_size = buffer;
                s.split_threshold = 1;  // a named gzip file must not be split into ranges
                s.decompress = true;
                s.per_file = true;
                CountReport r = count_corpus(s, {root.string(), (root / "big.gz").string()});
                CHECK(r.errors.empty());
                CHECK(r.totals[0] == 2 + 3 + 1 + 1 + 2 * in_big);
                CHECK(r.files_searched == 7);
                CHECK(r.documents[0] == 6);
                s.decompress = false;
                r = count_corpus(s, {(root / "plain.txt").string(), (root / "a.txt.gz").string()});
                CHECK(r.totals[0] == 1);  // compressed bytes, counted as they are
            }
    // Errors name the file; the other files are still counted.
    write(root / "sub" / "bad.gz", "not gzip at all");
    write(root / "cut.gz", gzip(big).substr(0, 1000));
    CountSettings s;
    s.terms = {{"elvis", ""}};
    s.decompress = true;
    s.threads = 2;
    CountReport r = count_corpus(s, {root.string()});
    REQUIRE(r.errors.size() == 2);
    for (const CountError& e : r.errors) {
        if (e.path.ends_with("bad.gz")) CHECK(e.reason == "invalid gzip data: incorrect header check");
        else CHECK((e.path.ends_with("cut.gz") && e.reason == "truncated gzip data"));
    }
    fs::remove_all(root);
}

namespace {

// Every member of `gz` inflated by zlib (an independent reader), one string per member.
std::vector<std::string> zlib_members(const std::string& gz) {
    std::vector<std::string> members;
    std::size_t at = 0;
    while (at < gz.size()) {
        z_stream z{};
        REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
        z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data() + at));
        z.avail_in = static_cast<uInt>(gz.size() - at);
        std::string out;
        char buffer[4096];
        int rc;
        do {
            z.next_out = reinterpret_cast<Bytef*>(buffer);
            z.avail_out = sizeof buffer;
            rc = inflate(&z, Z_NO_FLUSH);
            REQUIRE((rc == Z_OK || rc == Z_STREAM_END));
            out.append(buffer, sizeof buffer - z.avail_out);
        } while (rc != Z_STREAM_END);
        at = gz.size() - z.avail_in;
        inflateEnd(&z);
        members.push_back(out);
    }
    return members;
}

}  // namespace

TEST_CASE("GzipSink keeps the order of small and large pieces mixed") {
    // A small piece staged, then one large enough to go straight to deflate: the staged one first.
    std::mt19937 rng(5);
    for (int round = 0; round < 20; ++round) {
        StringSink out;
        GzipSink gz(out);
        std::string expected;
        for (int i = 0; i < 30; ++i) {
            const std::size_t size = rng() % 3 == 0 ? 30000 + rng() % 40000 : rng() % 50;
            std::string piece(size, static_cast<char>('a' + i % 26));
            if (!piece.empty()) piece[0] = '#';
            gz.put(piece);
            expected += piece;
            if (rng() % 7 == 0) gz.flush();
        }
        gz.finish_member();
        CHECK(zlib_members(out.out) == std::vector<std::string>{expected});
    }
}

TEST_CASE("GzipSink writes one member per finish_member, read back whole by zlib, at every piece size") {
    const std::string big = text(3000000, 31) + random_bytes(200000, 32);
    for (unsigned level : {0u, 1u, 3u})
        for (std::size_t piece : {1, 777, 65536, 4 << 20})
            for (std::size_t buffer : {64, 4096, 256 * 1024}) {
                CAPTURE(level);
                CAPTURE(piece);
                CAPTURE(buffer);
                if (piece == 1 && buffer > 64) continue;  // slow, and covered at 64
                StringSink out;
                GzipSink gz(out, level, buffer);
                const std::string_view small = std::string_view(big).substr(0, piece == 1 ? 5000 : big.size());
                for (std::size_t at = 0; at < small.size(); at += piece) {
                    gz.put(small.substr(at, piece));
                    if (at % (7 * piece) == 0) gz.flush();
                }
                gz.finish_member();
                gz.finish_member();  // an empty member, as gzip writes for an empty file
                gz.put("elvis");
                gz.finish_member();
                const std::vector<std::string> members = zlib_members(out.out);
                REQUIRE(members.size() == 3);
                CHECK(members[0] == small);
                CHECK(members[1].empty());
                CHECK(members[2] == "elvis");
                CHECK(gz.bytes_in() == small.size() + 5);
                if (level > 0 && piece > 1) CHECK(out.out.size() < small.size() / 2);  // it compresses
                CHECK(inflate_file(out.out, 4096, 4096) == std::string(small) + "elvis");  // and our reader agrees
            }
}

TEST_CASE("GzipSource with several output buffers keeps leased chunks intact while it inflates on") {
    const std::string plain = text(2000000, 41);
    TempFile file(gzip(plain) + gzip("tail"));
    auto inner = make_posix_source(4096);
    GzipSource gz(*inner, 1000, GzipMode::always, 4);
    CHECK(gz.lease_limit() == 3);
    const int fd = file.open();
    gz.open(fd);
    std::vector<std::pair<BufferLease, std::string>> held;  // the lease, the bytes as returned
    std::vector<std::span<char>> spans;
    std::string out;
    for (std::span<char> chunk = gz.next(); !chunk.empty(); chunk = gz.next()) {
        BufferLease lease = gz.lease();
        REQUIRE(lease);
        held.emplace_back(std::move(lease), std::string(chunk.data(), chunk.size()));
        spans.push_back(chunk);
        if (held.size() == 3) {  // the oldest is still what it was, two chunks later
            CHECK(std::string(spans.front().data(), spans.front().size()) == held.front().second);
            out += held.front().second;
            held.front().first.release();
            held.erase(held.begin());
            spans.erase(spans.begin());
        }
    }
    for (const auto& h : held) out += h.second;
    held.clear();  // the destructors give the buffers back
    gz.close();
    ::close(fd);
    CHECK(out == plain + "tail");
    // Every buffer lent at once is an error, not a chunk inflated over a lent one.
    const int again = file.open();
    gz.open(again);
    std::vector<BufferLease> all;
    auto lend_every_chunk = [&] {
        for (int i = 0; i < 5 && !gz.next().empty(); ++i) all.push_back(gz.lease());
    };
    CHECK_THROWS_AS(lend_every_chunk(), std::logic_error);
    CHECK(all.size() == 4);
    all.clear();
    gz.close();
    ::close(again);
}

TEST_CASE("PrefetchSource gives the inner source's bytes, errors after the chunks before them, and stops early") {
    const std::string plain = text(3000000, 42);
    const std::string packed = gzip(plain);
    TempFile good(packed), corrupt(packed.substr(0, packed.size() / 2) + std::string(64, 'x') + packed.substr(packed.size() / 2 + 64)),
        raw(plain);
    for (std::size_t out_size : {1000, 65536, 1 << 20}) {
        CAPTURE(out_size);
        auto inner = make_posix_source(65536);
        GzipSource gz(*inner, out_size, GzipMode::always, 4);
        PrefetchSource ahead(gz);
        int fd = good.open();
        ahead.open_range(fd, 0, UINT64_MAX);
        CHECK(drain(ahead) == plain);
        CHECK(ahead.next().empty());
        ahead.close();
        ::close(fd);
        // Corrupt data: the bytes before the error come first, then the error.
        fd = corrupt.open();
        ahead.open(fd);
        std::string got;
        bool threw = false;
        try {
            for (std::span<char> chunk = ahead.next(); !chunk.empty(); chunk = ahead.next()) got.append(chunk.data(), chunk.size());
        } catch (const GzipError&) {
            threw = true;
        }
        CHECK(threw);
        CHECK(got.size() >= plain.size() / 3);  // what came before the damage, first
        CHECK(plain.starts_with(got.substr(0, plain.size() / 3)));
        ahead.close();
        ::close(fd);
        // Stopping after one chunk, then reading again from the start.
        fd = good.open();
        ahead.open_range(fd, 0, UINT64_MAX);
        CHECK(!ahead.next().empty());
        ahead.close();
        ahead.open_range(fd, 0, UINT64_MAX);
        CHECK(drain(ahead) == plain);
        ahead.close();
        ::close(fd);
    }
    // An inner source that cannot lend: one chunk at a time, still every byte.
    auto posix = make_posix_source(4096);
    PrefetchSource ahead(*posix);
    CHECK(ahead.next().empty());  // never opened: the end, not a wait
    const int fd = raw.open();
    ahead.open(fd);
    CHECK(drain(ahead) == plain);
    ahead.close();
    CHECK(ahead.next().empty());  // after close(): the end, not a wait
    ::close(fd);
}
