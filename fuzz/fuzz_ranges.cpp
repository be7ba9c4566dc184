// Differential fuzzer: elvis::rewrite_in_ranges (a file cut into ranges, rewritten in parallel and
// stitched) against elvis::reference::rewrite.
//
// Input encoding: the rules header of fuzz_common.hpp (each replacement is then cut or padded
// with '#' to its find text's length, as ranges need), then
//   T           threads = (T & 7) + 1, so ranges of a few bytes each
//   B           read size = B + 1 bytes (1..256): matches cross chunks as well as ranges
//   S           skip = S bytes of the stream before the input's file position (capped at its size)
//   stream      the rest of the input, at most 64 KiB
// Inputs whose rules RuleSet rejects are skipped (return -1).
//
// Input and output are memfd files (regular files, no disk). The output starts with one byte,
// its position after it. Checks: the output is that byte and the reference rewrite of the stream
// after the skipped bytes; the report's bytes and replacements; both file positions afterwards.
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <numeric>
#include <optional>

#include "fuzz_common.hpp"
#include "pipeline/range_rewrite.hpp"
#include "support/reference.hpp"

using namespace elvis;
using namespace elvis::fuzz;

namespace {

class MemFile {
public:
    MemFile() : fd_(::memfd_create("elvis-fuzz", MFD_CLOEXEC)) {
        if (fd_ < 0) fail("memfd_create failed", "", "");
    }
    ~MemFile() { ::close(fd_); }
    int fd() const { return fd_; }
    void write(std::string_view bytes) const {
        if (::write(fd_, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) fail("write failed", "", "");
    }
    std::string contents() const {
        struct stat st;
        if (::fstat(fd_, &st) != 0) fail("fstat failed", "", "");
        std::string all(static_cast<std::size_t>(st.st_size), '\0');
        if (::pread(fd_, all.data(), all.size(), 0) != static_cast<ssize_t>(all.size())) fail("pread failed", "", "");
        return all;
    }

private:
    int fd_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Reader in(data, size);
    Header h = decode_header(in);
    for (Rule& rule : h.rules) rule.replace.resize(rule.find.size(), '#');
    const unsigned threads = (in.byte() & 7) + 1u;
    const std::size_t buffer = in.byte() + 1u;
    const std::size_t wanted_skip = in.byte();
    const std::string_view stream = in.rest(max_stream);
    const std::size_t skip = std::min(wanted_skip, stream.size());
    case_note = std::to_string(threads) + " threads, read size " + std::to_string(buffer) + ", skip " +
                std::to_string(skip);

    std::optional<Matcher> matcher;
    try {
        matcher.emplace(RuleSet(h.rules, h.options), h.isa);
    } catch (const RuleError&) {
        return -1;
    }
    const std::string_view rest = stream.substr(skip);
    const std::string expected = "P" + reference::rewrite(h.rules, h.options, rest);
    const auto counts = reference::count(h.rules, h.options, rest, Counting::exclusive);
    const std::uint64_t replacements = std::accumulate(counts.begin(), counts.end(), std::uint64_t{0});
    const std::vector<std::uint8_t> no_pieces;
    if (print_cases()) {
        print_case(h, no_pieces, stream);
        std::fprintf(stderr, "expected: %s\n", escaped(expected).c_str());
    }

    MemFile input, output;
    input.write(stream);
    ::lseek(input.fd(), static_cast<off_t>(skip), SEEK_SET);
    output.write("P");
    const std::optional<RangeRewritePlan> plan = plan_range_rewrite(*matcher, input.fd(), output.fd(), 1);
    if (!plan) {
        if (rest.empty()) return 0;  // nothing left to read: streaming's job
        print_case(h, no_pieces, stream);
        fail("plan_range_rewrite refused a memfd input and output", "", "");
    }
    RangeRewriteSettings settings;
    settings.threads = threads;
    settings.buffer_size = buffer;
    settings.io = IoMode::posix;
    const RangeRewriteReport report = rewrite_in_ranges(*matcher, input.fd(), output.fd(), *plan, settings);

    const std::string got = output.contents();
    if (got != expected) {
        print_case(h, no_pieces, stream);
        fail("rewrite_in_ranges output", expected, got);
    }
    if (report.bytes != rest.size() || report.replacements != replacements) {
        print_case(h, no_pieces, stream);
        fail("rewrite_in_ranges report (bytes, replacements)",
             std::to_string(rest.size()) + ", " + std::to_string(replacements),
             std::to_string(report.bytes) + ", " + std::to_string(report.replacements));
    }
    if (::lseek(input.fd(), 0, SEEK_CUR) != static_cast<off_t>(stream.size()) ||
        ::lseek(output.fd(), 0, SEEK_CUR) != static_cast<off_t>(expected.size())) {
        print_case(h, no_pieces, stream);
        fail("file positions after rewrite_in_ranges", "", "");
    }
    return 0;
}
