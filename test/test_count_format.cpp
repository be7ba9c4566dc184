// Count's output: the TSV and JSON writers, and TsvMerger (sums, order, per-file lines, --doc-freq, and
// every malformed line rejected with NAME:LINE).
#include <doctest/doctest.h>

#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <random>

#include "elvis/count_format.hpp"
#include "io/syscalls.hpp"
#include "support/io.hpp"

using namespace elvis;
using elvis::testing::TempDir;

namespace {

std::string merge(std::initializer_list<std::pair<const char*, std::string>> streams) {
    TsvMerger m;
    for (const auto& [name, text] : streams) m.add(name, text);
    return m.output();
}

// The message of the MergeError thrown by merging `streams`.
std::string error_of(std::initializer_list<std::pair<const char*, std::string>> streams) {
    try {
        merge(streams);
    } catch (const MergeError& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("totals are summed per term in first-seen order") {
    CHECK(merge({{"a", "elvis\t3\nking\t1\n"}, {"b", "king\t2\nelvis\t4\nnew\t0\n"}}) == "elvis\t7\nking\t3\nnew\t0\n");
    CHECK(merge({{"a", "b\t1\na\t1\n"}, {"b", "a\t1\nb\t1\n"}}) == "b\t2\na\t2\n");
    CHECK(merge({}) == "");
    CHECK(merge({{"empty", ""}}) == "");
    // Several count outputs in one stream, and no newline after the last line.
    CHECK(merge({{"-", "elvis\t1\nelvis\t2\nelvis\t3"}}) == "elvis\t6\n");
    // Leading zeros are decimal, not octal.
    CHECK(merge({{"a", "t\t010\n"}}) == "t\t10\n");
}

TEST_CASE("fields are opaque: escapes, spaces, UTF-8 and digits are kept as they are") {
    CHECK(merge({{"a", "a\\tb\t1\n 2024 \t2\n\xc3\xa9\\\\\t3\n"}, {"b", "a\\tb\t1\n"}}) ==
          "a\\tb\t2\n 2024 \t2\n\xc3\xa9\\\\\t3\n");
}

TEST_CASE("--doc-freq totals sum both columns") {
    CHECK(merge({{"a", "elvis\t3\t2\nking\t0\t0\n"}, {"b", "king\t5\t1\nelvis\t1\t1\n"}}) == "elvis\t4\t3\nking\t5\t1\n");
    // Numeric terms are fine in a --doc-freq stream: it has no per-file lines.
    CHECK(merge({{"a", "2024\t3\t2\n"}, {"b", "2024\t1\t1\n"}}) == "2024\t4\t3\n");
}

TEST_CASE("per-file lines merge, sorted by path like count --per-file, terms in totals order") {
    const std::string a = "x/1\tking\t1\nx/2\telvis\t2\nelvis\t2\nking\t1\n";
    const std::string b = "x/0\telvis\t5\nx/1\telvis\t1\nx/1\tking\t3\nelvis\t6\nking\t3\n";
    const std::string expected = "x/0\telvis\t5\nx/1\telvis\t1\nx/1\tking\t4\nx/2\telvis\t2\nelvis\t8\nking\t4\n";
    CHECK(merge({{"a", a}, {"b", b}}) == expected);
    CHECK(merge({{"b", b}, {"a", a}}) == expected);
    CHECK(merge({{"ab", a + b}}) == expected);
    CHECK(merge({{"merged", expected}}) == expected);  // merging a merge changes nothing
    // A numeric term on a per-file line: the stream's two-field lines make it per-file.
    CHECK(merge({{"a", "f\t2024\t1\n2024\t1\n"}}) == "f\t2024\t1\n2024\t1\n");
}

TEST_CASE("per-file paths sort by their unescaped bytes, as count sorts them") {
    // count sorts "a\tb" (tab, 0x09) before "a b" (0x20) before "a\\b" (0x5c); escaped, "a\\tb"
    // would sort after "a b".
    const std::string in = "a\\\\b\tt\t1\na b\tt\t1\na\\tb\tt\t1\nt\t3\n";
    CHECK(merge({{"a", in}}) == "a\\tb\tt\t1\na b\tt\t1\na\\\\b\tt\t1\nt\t3\n");
}

TEST_CASE("feeding a stream in pieces of any size gives the same result") {
    const std::string text = "p/1\telvis\t1\np/2\tking\t7\nelvis\t1\nking\t7\nelvis\t5\nking\t0\n";
    const std::string expected = merge({{"a", text}});
    std::mt19937 rng(7);
    for (int round = 0; round < 200; ++round) {
        TsvMerger m;
        m.begin("a");
        for (std::size_t at = 0; at < text.size();) {
            const std::size_t n = std::min<std::size_t>(text.size() - at, 1 + rng() % 9);
            m.feed(std::string_view(text).substr(at, n));
            at += n;
        }
        m.end();
        CHECK(m.output() == expected);
    }
}

TEST_CASE("totals accessors") {
    TsvMerger m;
    m.add("a", "elvis\t3\t1\n");
    m.add("b", "elvis\t4\t1\n");
    REQUIRE(m.totals().size() == 1);
    CHECK(m.totals()[0].count == 7);
    CHECK(m.totals()[0].docs == 2);
    CHECK(m.has_docs());
    CHECK(m.output() == "elvis\t7\t2\n");  // no per-file lines
}

TEST_CASE("counts up to 2^64 - 1; overflow is an error") {
    CHECK(merge({{"a", "t\t18446744073709551614\n"}, {"b", "t\t1\n"}}) == "t\t18446744073709551615\n");
    CHECK(error_of({{"a", "t\t18446744073709551615\n"}, {"b", "u\t0\nt\t1\n"}}) == "b:2: the total COUNT of 't' overflows 64 bits");
    CHECK(error_of({{"a", "t\t1\t18446744073709551615\nt\t0\t1\n"}}) == "a:2: the total DOCS of 't' overflows 64 bits");
    CHECK(error_of({{"a", "t\t18446744073709551616\n"}}) == "a:1: COUNT '18446744073709551616' does not fit in 64 bits");
    CHECK(error_of({{"a", "f\tt\t18446744073709551615\nt\t1\n"}, {"b", "f\tt\t1\nt\t1\n"}}) ==
          "b:1: the COUNT of 't' in 'f' overflows 64 bits");
}

TEST_CASE("CRLF line endings are taken as line ends; an endless line is refused, not held") {
    TsvMerger crlf, lf;
    crlf.add("a", "f\tt\t2\r\nt\t2\r\n");
    lf.add("a", "f\tt\t2\nt\t2\n");
    CHECK(crlf.output() == lf.output());
    TsvMerger merger;
    merger.begin("huge");
    const std::string chunk(1 << 20, 'x');
    std::string error;
    try {
        for (int i = 0; i < 100; ++i) merger.feed(chunk);
    } catch (const MergeError& e) {
        error = e.what();
    }
    CHECK(error == "huge:1: line longer than 64 MiB (count writes none; is this a count output?)");
}

TEST_CASE("malformed lines are rejected with NAME:LINE: reason") {
    CHECK(error_of({{"in.tsv", "elvis\t1\n\nelvis\t2\n"}}) == "in.tsv:2: empty line");
    CHECK(error_of({{"in.tsv", "elvis 1\n"}}) ==
          "in.tsv:1: no tab (expected TERM<TAB>COUNT, TERM<TAB>COUNT<TAB>DOCS or PATH<TAB>TERM<TAB>COUNT)");
    CHECK(error_of({{"in.tsv", "a\tb\tc\t1\n"}}) ==
          "in.tsv:1: too many fields (expected TERM<TAB>COUNT, TERM<TAB>COUNT<TAB>DOCS or PATH<TAB>TERM<TAB>COUNT)");
    CHECK(error_of({{"x", "elvis\t1\nelvis\t-1\n"}}) == "x:2: COUNT '-1' is not a non-negative decimal integer");
    for (const char* bad : {"+1", "", " 1", "1 ", "1\r\r", "1\rx", "0x10", "1e3", "1.0", "١"}) {
        CAPTURE(bad);
        CHECK(error_of({{"x", std::string("elvis\t") + bad + "\n"}}).starts_with("x:1: COUNT '"));
    }
    CHECK(error_of({{"x", "\t1\n"}}) == "x:1: empty TERM field");
    CHECK(error_of({{"x", "\tt\t1\nt\t1\n"}}) == "x:1: empty PATH field");
    CHECK(error_of({{"x", "p\t\t1\nt\t1\n"}}) == "x:1: empty TERM field");
    CHECK(error_of({{"x", "p\tt\tmany\nt\t1\n"}}) == "x:1: COUNT 'many' is not a non-negative decimal integer");
    // Without a two-field line, three fields are TERM COUNT DOCS.
    CHECK(error_of({{"x", "t\t1\tmany\n"}}) == "x:1: DOCS 'many' is not a non-negative decimal integer");
    CHECK(error_of({{"x", "path\tt\t1\n"}}) == "x:1: COUNT 't' is not a non-negative decimal integer");
    // A long field is shortened in the message.
    CHECK(error_of({{"x", "t\t" + std::string(100, 'y') + "\n"}}) == "x:1: COUNT '" + std::string(60, 'y') + "...' is not a non-negative decimal integer");
}

TEST_CASE("totals with and without DOCS cannot be merged") {
    CHECK(error_of({{"a", "t\t1\n"}, {"b", "t\t1\t1\n"}}) ==
          "b:1: TERM<TAB>COUNT<TAB>DOCS line, but the totals line at a:1 has no DOCS column (counts made with and "
          "without --doc-freq cannot be merged)");
    CHECK(error_of({{"a", "t\t1\t1\n"}, {"b", "u\t1\nt\t1\n"}}) ==
          "b:1: TERM<TAB>COUNT line, but the totals line at a:1 has a DOCS column (counts made with and without "
          "--doc-freq cannot be merged)");
    // In one stream, a --doc-freq line among plain totals reads as a per-file line whose term has
    // no totals line: rejected too.
    CHECK(error_of({{"mixed", "elvis\t2\nelvis\t3\t1\n"}}) ==
          "mixed:2: PATH<TAB>TERM<TAB>COUNT line for the term '3', but no TERM<TAB>COUNT line of this input has that "
          "term (is it a --doc-freq line among plain counts?)");
}

TEST_CASE("MergeError is a runtime_error with the location first") {
    const MergeError e("f.tsv", 12, "bad");
    CHECK(std::string(e.what()) == "f.tsv:12: bad");
}

// count_tsv and count_json: what `elvis count` prints, and what merge reads back.
namespace {

CountSettings two_terms(bool per_file) {
    CountSettings settings;
    settings.terms = {{"elvis", {}}, {"tab\there", {}}};
    settings.per_file = per_file;
    return settings;
}

CountReport two_files() {
    CountReport report;
    report.totals = {5, 1};
    report.documents = {2, 1};
    report.files_searched = 3;
    report.bytes_read = 100;
    report.per_file = {{"a\nb.txt", {2, 0}}, {"c.txt", {3, 1}}};
    report.errors = {{"bad\xff.txt", "Permission denied"}};
    report.io_backend = "posix";
    return report;
}

}  // namespace

TEST_CASE("count_tsv escapes its fields, and merge of its outputs is the output of counting everything") {
    const CountSettings settings = two_terms(true);
    const std::string tsv = count_tsv(settings, two_files(), false);
    CHECK(tsv == "a\\nb.txt\telvis\t2\nc.txt\telvis\t3\nc.txt\ttab\\there\t1\nelvis\t5\ntab\\there\t1\n");
    CHECK(merge({{"one", tsv}}) == tsv);
    CountReport totals_only = two_files();
    totals_only.per_file.clear();  // as count_corpus reports without per_file
    CHECK(count_tsv(two_terms(false), totals_only, true) == "elvis\t5\t2\ntab\\there\t1\t1\n");
    CHECK(escape_tsv_field("a\tb\\c\rd\n") == "a\\tb\\\\c\\rd\\n");
}

TEST_CASE("count_json is one object; bytes outside UTF-8 become base64") {
    const std::string json = count_json(two_terms(true), two_files());
    CHECK(json ==
          "{\"terms\":[{\"term\":\"elvis\",\"count\":5,\"documents\":2},{\"term\":\"tab\\there\",\"count\":1,"
          "\"documents\":1}],\"files_searched\":3,\"bytes_read\":100,\"skipped\":{\"special_files\":0},\"files\":[{\"path\":\"a\\nb.txt\",\"counts\":"
          "{\"elvis\":2}},{\"path\":\"c.txt\",\"counts\":{\"elvis\":3,\"tab\\there\":1}}],\"errors\":[{\"path\":"
          "{\"bytes\":\"YmFk/y50eHQ=\"},\"error\":\"Permission denied\"}],\"io_backend\":\"posix\"}\n");
}

// Bounded memory: past its budget the merger sorts and spills per-file lines (and the lines a
// stream holds back) to temporary files, and merges them at the end.
namespace {

// Count-like outputs: per-file lines of random paths (escapes, shared prefixes) and terms (some
// numeric), in any order, repeated across streams, then one totals line per term.
std::vector<std::string> random_streams(std::mt19937& rng, bool doc_freq) {
    const std::vector<std::string> terms = {"elvis", "2024", "king", "a\\tb", "presley", "7"};
    const std::vector<std::string> paths = {"a", "a/b", "a\\tb", "a b", "a\\\\b", "ab", "x/1", "x/10", "x/2", "\xc3\xa9"};
    std::vector<std::string> streams(1 + rng() % 4);
    for (std::string& stream : streams)
        for (int output = 0, outputs = 1 + static_cast<int>(rng() % 3); output < outputs; ++output) {
            std::vector<std::uint64_t> totals(terms.size());
            if (!doc_freq)
                for (int l = 0, lines = static_cast<int>(rng() % 200); l < lines; ++l) {
                    const std::size_t t = rng() % terms.size();
                    const std::uint64_t count = rng() % 1000;
                    stream.append(paths[rng() % paths.size()]).append(std::to_string(rng() % 30));
                    stream.append(1, '\t').append(terms[t]).append(1, '\t').append(std::to_string(count)).append(1, '\n');
                    totals[t] += count + 1;
                }
            for (std::size_t t = 0; t < terms.size(); ++t)
                if (totals[t] || rng() % 4) {  // a term with per-file lines has a totals line
                    stream.append(terms[t]).append(1, '\t').append(std::to_string(totals[t] + rng() % 5));
                    if (doc_freq) stream.append(1, '\t').append(std::to_string(rng() % 9));
                    stream.append(1, '\n');
                }
        }
    return streams;
}

std::string merged(const std::vector<std::string>& streams, const std::string& directory, std::size_t budget) {
    TsvMerger m(directory, budget);
    for (std::size_t s = 0; s < streams.size(); ++s) m.add(std::to_string(s), streams[s]);
    return m.output();
}

ssize_t pwrite_no_space(int, const void*, size_t, off_t) {
    errno = ENOSPC;
    return -1;
}

}  // namespace

TEST_CASE("a merge spilled to temporary files gives the bytes of one merged in memory, and leaves no file") {
    TempDir tmp;
    std::mt19937 rng(11);
    for (int round = 0; round < 40; ++round) {
        const bool doc_freq = round % 5 == 4;
        const std::vector<std::string> streams = random_streams(rng, doc_freq);
        CAPTURE(round);
        const std::string expected = merged(streams, tmp.path, TsvMerger::default_memory_budget);
        // A budget of a few lines: many runs, merged in rounds of at most 16; the held-back lines
        // of each stream spill too.
        for (const std::size_t budget : {std::size_t{1} << 10, std::size_t{16} << 10})
            CHECK(merged(streams, tmp.path, budget) == expected);
        CHECK(tmp.entries() == 0);
    }
}

TEST_CASE("a spilled merge still names the line of an error, and an overflow across runs is caught before output") {
    TempDir tmp;
    std::string many;
    for (int i = 0; i < 500; ++i) many.append(std::to_string(i)).append(".p\t2024\t1\n");
    // Lines held back past the budget are spilled; a bad one among them is still found at its line.
    std::string bad = many + "p\t2024\tmany\n" + many + "2024\t1001\n";
    TsvMerger held_back(tmp.path, 1024);
    std::string error;
    try {
        held_back.add("in", bad);
    } catch (const MergeError& e) {
        error = e.what();
    }
    CHECK(error == "in:501: COUNT 'many' is not a non-negative decimal integer");
    // The same (path, term) in two runs whose sum overflows: the error comes before any output.
    TsvMerger runs(tmp.path, 1024);
    runs.add("a", "f\tt\t18446744073709551615\n" + many + "t\t1\n2024\t500\n");
    runs.add("b", "f\tt\t1\nt\t1\n");
    std::string written;
    error.clear();
    try {
        runs.write([&](std::string_view piece) { written += piece; });
    } catch (const MergeError& e) {
        error = e.what();
    }
    CHECK(error == "the COUNT of 't' in 'f' overflows 64 bits (summed over the inputs)");
    CHECK(written.empty());
}

TEST_CASE("a temporary file that cannot be made or written is an IoError naming its directory") {
    std::string many;
    for (int i = 0; i < 500; ++i) many.append(std::to_string(i)).append(".p\tt\t1\n");
    many += "t\t500\n";
    auto error_of_merge = [&](const std::string& directory) {
        try {
            TsvMerger m(directory, 1024);
            m.add("in", many);
            m.output();
        } catch (const IoError& e) {
            return std::string(e.what());
        }
        return std::string("(no error)");
    };
    CHECK(error_of_merge("/nonexistent-dir") == "cannot create a temporary file in /nonexistent-dir: No such file or directory");
    TempDir tmp;
    {
        sys::ScopedCalls seam({.pwrite = pwrite_no_space});
        CHECK(error_of_merge(tmp.path) == "cannot write a temporary file in " + tmp.path + ": No space left on device");
    }
    CHECK(tmp.entries() == 0);
    // Within the budget nothing is spilled, so no directory is needed.
    TsvMerger m("/nonexistent-dir");
    m.add("in", many);
    CHECK(m.output().size() > many.size() / 2);
}

// Headers (count --header): what merge adds up.
namespace {

std::string headed(const CountSettings& settings, std::vector<std::string> inputs, const std::string& lines) {
    return count_header(settings, inputs) + lines;
}

CountSettings sharded(std::uint64_t index, std::uint64_t count) {
    CountSettings settings = two_terms(false);
    settings.shard = Shard{index, count};
    return settings;
}

}  // namespace

TEST_CASE("count_header names the semantics, the terms and the named inputs, sorted, stdin left out") {
    CountSettings settings = two_terms(false);
    CHECK(count_header(settings, {"b dir", "-", "a\tfile", "b dir"}) ==
          "#elvis-count\tv1\tsemantics=occurrences\tcounting=each-term\tignore-case=no\tword=no\tpreserve-case=no\tdecompress=no"
          "\tterm=elvis\tterm=tab\\there\tinput=a\\tfile\tinput=b dir\n");
    settings.records_tag = "item";
    settings.match.ignore_case = settings.match.whole_word = settings.decompress = true;
    settings.shard = Shard{2, 8};
    CHECK(count_header(settings, {"x"}) ==
          "#elvis-count\tv1\tsemantics=records:item\tcounting=each-term\tignore-case=yes\tword=yes\tpreserve-case=no\tdecompress=yes"
          "\tterm=elvis\tterm=tab\\there\tinput-shard=2/8:x\n");
}

TEST_CASE("merged headed outputs: one header naming every input, shards joined into their path") {
    const CountSettings whole = two_terms(false);
    const std::string one = headed(whole, {"corpus", "extra"}, "elvis\t5\ntab\\there\t1\n");
    CHECK(merge({{"one", one}}) == one);  // a merge of one output gives it back
    const std::string s1 = headed(sharded(1, 3), {"corpus"}, "elvis\t1\ntab\\there\t0\n");
    const std::string s2 = headed(sharded(2, 3), {"corpus"}, "elvis\t2\ntab\\there\t1\n");
    const std::string s3 = headed(sharded(3, 3), {"corpus"}, "elvis\t2\ntab\\there\t0\n");
    CHECK(merge({{"s3", s3}, {"s1", s1}, {"s2", s2}}) == headed(whole, {"corpus"}, "elvis\t5\ntab\\there\t1\n"));
    // Incomplete: the shards present are named; several outputs in one stream, as parallel writes.
    CHECK(merge({{"-", s1 + s3}}) == "#elvis-count\tv1\tsemantics=occurrences\tcounting=each-term\tignore-case=no\tword=no\tpreserve-case=no"
                                     "\tdecompress=no\tterm=elvis\tterm=tab\\there\tinput-shard=1/3:corpus"
                                     "\tinput-shard=3/3:corpus\nelvis\t3\ntab\\there\t0\n");
    // Terms in another order are the same terms.
    CountSettings swapped = whole;
    std::swap(swapped.terms[0], swapped.terms[1]);
    CHECK(merge({{"a", headed(whole, {"a"}, "elvis\t1\ntab\\there\t1\n")}, {"b", headed(swapped, {"b"}, "tab\\there\t1\nelvis\t1\n")}}) ==
          headed(whole, {"a", "b"}, "elvis\t2\ntab\\there\t2\n"));
}

TEST_CASE("merge refuses headed outputs of different counts, an input counted twice, and a mix with plain outputs") {
    const CountSettings whole = two_terms(false);
    const std::string a = headed(whole, {"a"}, "elvis\t1\ntab\\there\t0\n");
    CountSettings records = whole;
    records.records_tag = "item";
    CHECK(error_of({{"a", a}, {"r", headed(records, {"r"}, "elvis\t1\ntab\\there\t0\n")}}) ==
          "r:1: counted with semantics=records:item, but a:1 with semantics=occurrences (different counts cannot be added up)");
    CountSettings caseless = whole;
    caseless.match.ignore_case = true;
    CHECK(error_of({{"a", a}, {"i", headed(caseless, {"i"}, "elvis\t1\ntab\\there\t0\n")}}) ==
          "i:1: counted with ignore-case=yes, but a:1 with ignore-case=no (different counts cannot be added up)");
    CountSettings exclusive = whole;
    exclusive.counting = Counting::exclusive;
    CHECK(error_of({{"a", a}, {"x", headed(exclusive, {"x"}, "elvis\t1\ntab\\there\t0\n")}}) ==
          "x:1: counted with counting=exclusive, but a:1 with counting=each-term (different counts cannot be added up)");
    CountSettings other_terms = whole;
    other_terms.terms.pop_back();
    CHECK(error_of({{"a", a}, {"t", headed(other_terms, {"t"}, "elvis\t1\n")}}).starts_with("t:1: counted other terms than the count of a:1"));
    // A retried job: the same input twice, or a shard twice, or a path both whole and in shards.
    CHECK(error_of({{"a", a}, {"again", a}}) ==
          "again:1: input 'a' counted twice: here and at a:1 (a retried run? merge each output once)");
    const std::string s1 = headed(sharded(1, 2), {"a"}, "elvis\t1\ntab\\there\t0\n");
    CHECK(error_of({{"s1", s1}, {"retry", s1}}) ==
          "retry:1: shard 1/2 of 'a' counted twice: here and at s1:1 (a retried shard? merge each output once)");
    CHECK(error_of({{"a", a}, {"s1", s1}}).starts_with("s1:1: shard 1/2 of 'a' counted twice: here and at a:1"));
    CHECK(error_of({{"s1", s1}, {"s", headed(sharded(1, 4), {"a"}, "elvis\t1\ntab\\there\t0\n")}}).find("shards of different counts overlap") != std::string::npos);
    // Headed and plain outputs are not added up together, in either order or in one stream.
    CHECK(error_of({{"a", a}, {"plain", "elvis\t1\n"}}) ==
          "plain:1: no count header, but a:1 has one (count every output to be merged with --header, or none)");
    CHECK(error_of({{"plain", "elvis\t1\n"}, {"a", a}}) ==
          "a:1: a count header, but plain has none (count every output to be merged with --header, or none)");
    CHECK(error_of({{"-", "elvis\t1\n" + a}}).starts_with("-:2: a count header after lines without one"));
    CHECK(error_of({{"v2", "#elvis-count\tv2\tsemantics=x\tterm=y\n"}}) ==
          "v2:1: a count header of another version ('v2'; this elvis reads v1)");
    CHECK(error_of({{"bad", "#elvis-count\tv1\tsemantics\tterm=x\n"}}) == "bad:1: count header field 'semantics' has no '='");
    // A plain output after a headed one in the same stream: its totals repeat the header's terms.
    CHECK(error_of({{"-", a + "elvis\t1\ntab\\there\t0\n"}}).starts_with("-:4: a second totals line for 'elvis' after the count header"));
    // A count that had errors did not count its inputs whole.
    CHECK(error_of({{"e", count_header(whole, {"a"}, 2) + "elvis\t1\ntab\\there\t0\n"}}) ==
          "e:1: this count had 2 error(s): some of its inputs were not counted whole (count them again)");
    // A term or path named like the header is data: data lines have at most three fields.
    CHECK(merge({{"t", "#elvis-count\t3\n"}, {"u", "#elvis-count\t2\n"}}) == "#elvis-count\t5\n");
    CHECK(merge({{"p", "#elvis-count\tv1\t2\nv1\t2\n"}}) == "#elvis-count\tv1\t2\nv1\t2\n");
}

TEST_CASE("compare_with_manifest names what is missing, a missing shard, and what is not listed") {
    TsvMerger m;
    m.add("s", headed(sharded(1, 3), {"big"}, "elvis\t1\ntab\\there\t0\n") +
                   headed(sharded(3, 3), {"big"}, "elvis\t1\ntab\\there\t0\n"));
    m.add("w", headed(two_terms(false), {"x.gz", "stray"}, "elvis\t1\ntab\\there\t0\n"));
    CHECK(m.headed());
    CHECK(m.compare_with_manifest({"big", "x.gz", "y.gz"}) ==
          std::vector<std::string>{"big: shards 2/3 not among the inputs", "y.gz: in the manifest, but not among the inputs",
                                   "stray: among the inputs, but not in the manifest"});
    m.add("s2", headed(sharded(2, 3), {"big"}, "elvis\t1\ntab\\there\t0\n"));
    CHECK(m.compare_with_manifest({"stray", "big", "x.gz"}).empty());
    TsvMerger plain;
    plain.add("p", "elvis\t1\n");
    CHECK(!plain.headed());
}
