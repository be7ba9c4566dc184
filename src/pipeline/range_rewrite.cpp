// rewrite_in_ranges: ranges of one file read, patched and written in parallel, then stitched.
#include "pipeline/range_rewrite.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "elvis/errors.hpp"
#include "elvis/scanner.hpp"
#include "elvis/sink.hpp"
#include "io/uring.hpp"
#include "io/write_behind_sink.hpp"
#include "pipeline/ranges.hpp"
#include "pipeline/worker_pool.hpp"

namespace elvis {

namespace {

// Writes the rewrite of input bytes [.., limit) to the output, input offset `at` going to
// at - from + out_at: each chunk once its matches are patched into it, and the part of a match
// that lies in a chunk written before on its own (the scanner reports a match once the bytes
// after it rule out a longer one, which may be in the next chunk). With a reservation step, the
// chunks' disk space is reserved that far ahead of them (the stitch's writers, which only
// overwrite what a range wrote, have none).
class RangeWriter {
public:
    RangeWriter(const RuleSet& rules, int out, const RangeRewritePlan& plan, std::uint64_t limit,
                std::uint64_t reservation_step = 0)
        : rules_(rules.rules()), out_(out), from_(plan.from), out_at_(plan.out_at), limit_(limit),
          reservation_step_(reservation_step) {}

    void patch(const Match& m, std::span<char> chunk, std::uint64_t at) {
        const std::string& replacement = rules_[m.rule].replace;
        const std::uint64_t end = std::min(m.end, limit_);
        if (m.start >= end) return;
        if (m.start < at) write(replacement.data(), std::min(end, at) - m.start, m.start);
        const std::uint64_t lo = std::max(m.start, at), hi = std::min(end, at + chunk.size());
        if (lo < hi) std::memcpy(chunk.data() + (lo - at), replacement.data() + (lo - m.start), hi - lo);
    }

    void write_chunk(std::span<char> chunk, std::uint64_t at) {
        if (at >= limit_) return;
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), limit_ - at));
        TraceSpan span(trace_, TraceKind::write);
        if (reservation_step_ && at + n > reserved_to_) {
            const std::uint64_t step = std::max<std::uint64_t>(n, std::min(reservation_step_, limit_ - at));
            reservation_.reserve(out_, step, static_cast<std::int64_t>(output_offset(at)));
            reserved_to_ = at + step;  // refused or not: SpaceReservation stops asking after a refusal
        }
        write(chunk.data(), n, at);
    }

    // Records each chunk's write (null: no tracing).
    void trace(TraceRecorder* recorder) { trace_ = recorder; }

    // The replacement bytes of `m` that fall in [begin, limit).
    void write_match_from(const Match& m, std::uint64_t begin) {
        const std::uint64_t lo = std::max(m.start, begin), hi = std::min(m.end, limit_);
        if (lo < hi) write(rules_[m.rule].replace.data() + (lo - m.start), hi - lo, lo);
    }

private:
    std::uint64_t output_offset(std::uint64_t at) const { return at - from_ + out_at_; }
    void write(const char* data, std::size_t size, std::uint64_t at) {
        write_all_at(out_, {data, size}, output_offset(at));
    }

    const std::vector<Rule>& rules_;
    int out_;
    std::uint64_t from_, out_at_, limit_;
    std::uint64_t reservation_step_, reserved_to_ = 0;
    SpaceReservation reservation_;
    TraceRecorder* trace_ = nullptr;
};

bool regular(int fd, struct stat& st) { return ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode); }

}  // namespace

std::optional<RangeRewritePlan> plan_range_rewrite(const Matcher& matcher, int in, int out, std::uint64_t min_bytes) {
    struct stat in_st, out_st;
    if (!matcher.rules().same_length() || !regular(in, in_st) || !regular(out, out_st)) return std::nullopt;
    if (in_st.st_dev == out_st.st_dev && in_st.st_ino == out_st.st_ino) return std::nullopt;
    const int out_flags = ::fcntl(out, F_GETFL);
    if (out_flags < 0 || (out_flags & O_APPEND)) return std::nullopt;
    const off_t in_at = ::lseek(in, 0, SEEK_CUR), out_at = ::lseek(out, 0, SEEK_CUR);
    if (in_at < 0 || out_at < 0 || out_at != out_st.st_size || in_at >= in_st.st_size) return std::nullopt;
    const RangeRewritePlan plan{static_cast<std::uint64_t>(in_at), static_cast<std::uint64_t>(in_st.st_size),
                                static_cast<std::uint64_t>(out_at)};
    if (plan.to - plan.from < std::max<std::uint64_t>(min_bytes, 1)) return std::nullopt;
    return plan;
}

namespace {

// Range k read, patched and written by one of the workers; it stops at its next chunk once
// another has failed. Throws IoError (the input shrank, a read failed) and WriteError.
void rewrite_range(const Matcher& matcher, int in, int out, const RangeRewritePlan& plan,
                   const RangeRewriteSettings& settings, std::vector<RangeScan>& ranges, unsigned k,
                   const std::atomic<bool>& failed) {
    const bool whole_word = matcher.rules().options().whole_word;
    SourceChoice io = choose_source(settings.io, settings.buffer_size);
    StreamScanner scanner(matcher);
    RangeScan& r = ranges[k];
    RangeWriter writer(matcher.rules(), out, plan, r.end, settings.reservation_step);
    std::uint64_t read_to = r.begin;
    // Three events per chunk: the read, the scan and the write.
    TraceRecorder* recorder = range_track(settings.trace, k, ranges.size(), r, settings.buffer_size, 3);
    writer.trace(recorder);
    scan_range(*io.source, scanner, in, r.begin, r.end, plan.to, whole_word && r.begin > plan.from, recorder,
               [&](const Match& m, std::span<char> chunk, std::uint64_t at) {
                   writer.patch(m, chunk, at);
                   r.add(m);
                   return true;
               },
               [&](std::span<char> chunk, std::uint64_t at) {
                   writer.write_chunk(chunk, at);
                   read_to = at + chunk.size();
                   return !failed.load(std::memory_order_relaxed);
               });
    // The input ended inside the range: the file shrank since it was planned. Streaming what
    // is there now beats an output with a hole.
    if (read_to < r.end && !failed) throw IoError("the input shrank while it was read", EIO);
}

// The stitch: rewrites what a range got wrong near its start, in order. Returns the replacements
// of the true scan.
std::uint64_t stitch_rewritten_ranges(const Matcher& matcher, int in, int out, const RangeRewritePlan& plan,
                                      const RangeRewriteSettings& settings, const std::vector<RangeScan>& ranges) {
    const bool whole_word = matcher.rules().options().whole_word;
    std::uint64_t replacements = 0;
    auto source = make_posix_source(settings.buffer_size);
    StreamScanner rescanner(matcher);
    stitch_ranges(
        ranges,
        [&](std::size_t k, const Match& crossing) {
            RangeWriter(matcher.rules(), out, plan, ranges[k].end).write_match_from(crossing, ranges[k].begin);
        },
        [&](std::size_t k, std::uint64_t from, auto&& on_true) {
            // First find where the range's own output becomes right (the end of the first
            // match both scans found, or the range's end), then write up to there: a match
            // can be reported a chunk after its bytes, so the point is not known while
            // chunks go by, and nothing past it may be overwritten.
            std::uint64_t until = ranges[k].end;
            scan_range(*source, rescanner, in, from, until, plan.to, whole_word, nullptr,
                       [&](const Match& m, std::span<char>, std::uint64_t) {
                           ++replacements;
                           if (on_true(m)) return true;
                           until = m.end;
                           return false;
                       },
                       keep_scanning);
            RangeWriter writer(matcher.rules(), out, plan, until);
            scan_range(*source, rescanner, in, from, until, plan.to, whole_word, nullptr,
                       [&](const Match& m, std::span<char> chunk, std::uint64_t at) {
                           writer.patch(m, chunk, at);
                           return true;
                       },
                       [&](std::span<char> chunk, std::uint64_t at) {
                           writer.write_chunk(chunk, at);
                           return true;
                       });
        },
        [&](std::size_t k, std::size_t skipped) { replacements += ranges[k].total - skipped; });
    return replacements;
}

}  // namespace

RangeRewriteReport rewrite_in_ranges(const Matcher& matcher, int in, int out, const RangeRewritePlan& plan,
                                     const RangeRewriteSettings& settings) {
    if (!matcher.rules().same_length())
        throw std::invalid_argument("rewrite_in_ranges needs replacements as long as their find texts");
    const unsigned n = std::max(1u, settings.threads);
    std::vector<RangeScan> ranges = split_into_ranges(plan.from, plan.to, n);
    RangeRewriteReport report;
    report.bytes = plan.to - plan.from;
    std::atomic<bool> failed{false};  // one worker failed: the others stop at their next chunk
    try {
        detail::run_on_pool(static_cast<unsigned>(ranges.size()), [&](unsigned k) {
            try {
                rewrite_range(matcher, in, out, plan, settings, ranges, k, failed);
            } catch (...) {
                failed = true;
                throw;
            }
        });
        report.replacements = stitch_rewritten_ranges(matcher, in, out, plan, settings, ranges);
    } catch (const WriteError&) {
        // No output with holes where a range was not written, nor space reserved past its end:
        // give it back as it was. The write's error is the one to report; a truncate, which
        // needs no new space, is not expected to fail after it.
        (void)::ftruncate(out, static_cast<off_t>(plan.out_at));
        throw;
    } catch (...) {
        // The same, for the caller to stream the input instead (a read failed, the input shrank,
        // no thread could be started).
        if (::ftruncate(out, static_cast<off_t>(plan.out_at)) != 0) throw WriteError("write error", errno);
        throw;
    }
    ::lseek(in, static_cast<off_t>(plan.to), SEEK_SET);
    ::lseek(out, static_cast<off_t>(plan.out_at + report.bytes), SEEK_SET);
    return report;
}

}  // namespace elvis
