// count_gzip_in_ranges (see gzip_ranges.hpp).
#include "jobs/gzip_ranges.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <type_traits>

#include "elvis/counter.hpp"
#include "elvis/errors.hpp"
#include "elvis/occurrence_scanner.hpp"
#include "elvis/scanner.hpp"
#include "engine/ascii.hpp"
#include "io/gzip_source.hpp"
#include "io/prefetch_source.hpp"
#include "io/syscalls.hpp"
#include "io/uring.hpp"
#include "pipeline/ranges.hpp"
#include "pipeline/trace.hpp"
#include "pipeline/worker_pool.hpp"

namespace elvis {

namespace {

constexpr std::uint64_t no_start = UINT64_MAX;

// Reads up to `size` bytes at `offset`; fewer only at the end of the file.
std::size_t read_at(int fd, unsigned char* into, std::size_t size, std::uint64_t offset) {
    std::size_t got = 0;
    while (got < size) {
        const ssize_t n = sys::calls().pread(fd, into + got, size - got, static_cast<off_t>(offset + got));
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR) continue;
            throw IoError("read error", errno);
        }
        got += static_cast<std::size_t>(n);
    }
    return got;
}

// The first offset in [begin, end) where a gzip member starts and inflates whole to a valid
// trailer; no_start when there is none, or when trying the candidates has cost more compressed
// bytes than the range holds (a member larger than the range is decoded by the range before).
std::uint64_t first_member_start(int fd, std::uint64_t begin, std::uint64_t end, std::uint64_t size,
                                 std::size_t buffer_size) {
    auto reader = make_posix_source(64 * 1024);
    GzipSource trial(*reader, buffer_size, GzipMode::always);
    trial.set_member_limit(1);
    const std::uint64_t budget = std::max<std::uint64_t>(end - begin, 1 << 20);
    std::uint64_t spent = 0;
    constexpr std::size_t block_size = 64 * 1024, header_bytes = 4;  // 1f 8b 08 FLG
    std::vector<unsigned char> block(block_size);
    for (std::uint64_t at = begin; at < end;) {
        const std::size_t got = read_at(fd, block.data(), block.size(), at);
        if (got < header_bytes) return no_start;
        for (std::size_t i = 0; i + header_bytes <= got && at + i < end; ++i) {
            const void* found = std::memchr(block.data() + i, 0x1f, got - header_bytes + 1 - i);
            if (!found) break;
            i = static_cast<std::size_t>(static_cast<const unsigned char*>(found) - block.data());
            if (at + i >= end) break;
            if (block[i + 1] != 0x8b || block[i + 2] != 8 || (block[i + 3] & 0xe0)) continue;
            const std::uint64_t candidate = at + i;
            bool whole = false;
            try {
                trial.open_range(fd, candidate, size - candidate);
                while (!trial.next().empty())
                    if (spent + trial.consumed() > budget) break;
                whole = trial.members() == 1;
            } catch (const IoError&) {
            }
            spent += trial.consumed();
            trial.close();
            if (whole) return candidate;
            if (spent > budget) return no_start;
        }
        at += got - (header_bytes - 1);  // a candidate across two blocks is seen in the second
    }
    return no_start;
}

// Range k as decoded from its start: offsets are of its own decompressed bytes until shifted.
struct DecodedRange {
    RangeScan scan;
    std::vector<std::uint64_t> counts;  // per term, of the matches starting in it
    std::size_t landed = 0;             // the range at whose start its last member ended (n: the end)
    int last_byte = -1;                 // its last decompressed byte
    bool failed = false;
};

// Decodes and scans from compressed offset `from` until the member ending at one of `ends`
// (ascending, relative to `from`), or the end of the file; on_match(match) for the matches
// that start before the decompressed offset reached (relative to `from`, from `skip` on),
// until it returns false. Returns {index of the end reached or ends.size(), decompressed
// offset of it, byte before it}. Throws IoError (GzipError for bad data).
struct Reached {
    std::size_t end_index;
    std::uint64_t offset;
    int byte_before;
};
template <class Scanner, class OnMatch>
Reached scan_members(GzipSource& gz, Scanner& scanner, int fd, std::uint64_t from, std::uint64_t size,
                     std::span<const std::uint64_t> ends, std::uint64_t skip, int skip_byte_before,
                     TraceRecorder* trace, OnMatch&& on_match) {
    gz.set_mode(GzipMode::always);
    gz.set_member_limit(0);
    gz.watch_member_ends(ends);
    gz.open_range(fd, from, size - from);
    std::uint64_t at = 0;  // decompressed offset of the next chunk
    Reached reached{ends.size(), no_start, -1};
    int last = skip_byte_before;
    bool started = skip == 0, going = true;
    if (started) scanner.reset(skip_byte_before);
    Match m;
    auto deliver = [&](const Match& local) {
        const Match match{skip + local.start, skip + local.end, local.rule};
        // As in scan_range: occurrences come in the order they end.
        if (match.start >= reached.offset) return std::is_same_v<Scanner, OccurrenceScanner>;
        return on_match(match);
    };
    for_each_traced_chunk(gz, trace, [&](std::span<char> chunk) {
        if (reached.offset == no_start)
            if (const auto hit = gz.member_end_hit()) {
                reached = {hit->index, hit->output_offset, last};
                if (hit->output_offset > at) reached.byte_before = static_cast<unsigned char>(chunk[hit->output_offset - at - 1]);
            }
        std::string_view bytes(chunk.data(), chunk.size());
        if (!started) {  // skipping the bytes before `skip`
            if (at + chunk.size() <= skip) {
                at += chunk.size();
                last = static_cast<unsigned char>(chunk.back());
                return true;
            }
            const std::size_t into = static_cast<std::size_t>(skip - at);
            scanner.reset(into ? static_cast<unsigned char>(chunk[into - 1]) : last);
            bytes.remove_prefix(into);
            started = true;
        }
        at += chunk.size();
        last = static_cast<unsigned char>(chunk.back());
        scanner.feed(bytes);
        while (going && scanner.next(m)) going = deliver(m);
        return going && !(reached.offset != no_start && skip + scanner.decided() >= reached.offset);
    });
    gz.close();
    if (reached.offset == no_start)  // a watched member end in the last call, with no output after it
        if (const auto hit = gz.member_end_hit()) reached = {hit->index, hit->output_offset, last};
    if (reached.offset == no_start) reached = {ends.size(), at, last};
    if (going && started && skip + scanner.decided() < reached.offset)
        while (scanner.finish(m))
            if (!deliver(m)) break;
    return reached;
}

// A file with no member start found past the first range: one stream, inflated on one thread
// and counted on this one (through read(2): an io_uring ring belongs to the thread that made it).
std::optional<GzipRangesCount> count_one_stream(int fd, std::uint64_t size, const Matcher& terms, Counting counting,
                                                std::size_t buffer_size, Trace* trace) {
    GzipRangesCount result;
    result.ranges = 1;
    // Chunks of 1 MiB or more: each hand-off between the threads costs more than inflating a
    // few KiB (DESIGN.md, "One gzip file on every core").
    auto reader = make_posix_source(buffer_size);
    GzipSource gz(*reader, std::max<std::size_t>(buffer_size, 1 << 20), GzipMode::always, 4);
    PrefetchSource ahead(gz);
    StreamCounter counter(terms, counting);
    TraceRecorder* recorder = trace ? trace->add_thread("gzip stream") : nullptr;
    try {
        ahead.open_range(fd, 0, size);
        for_each_traced_chunk(ahead, recorder, [&](std::span<char> chunk) {
            counter.feed({chunk.data(), chunk.size()});
            result.bytes += chunk.size();
            return true;
        });
        counter.finish();
    } catch (const IoError&) {
        return std::nullopt;
    } catch (const std::system_error&) {  // no thread to inflate on: the stream counts it
        return std::nullopt;
    }
    ahead.close();
    result.totals.assign(counter.counts().begin(), counter.counts().end());
    return result;
}

// What the phases of count_gzip_in_ranges share: the file, the terms, and where each range's
// decoding starts (no_start: none found, the range before reads through it).
struct GzipRanges {
    int fd;
    std::uint64_t size;
    const Matcher& terms;
    bool occurrences;  // each term on its own (OccurrenceScanner), else the exclusive scan
    bool whole_word;
    std::size_t buffer_size;
    std::vector<RangeScan> cut;
    std::vector<std::uint64_t> starts;
};

// The ranges followed from the first: each one the one before it landed on, shifted to its place
// in the decompressed stream.
struct KeptRanges {
    std::vector<RangeScan> ranges;
    std::vector<std::size_t> index;  // into the decoded ranges
    std::vector<int> byte_before;    // the decompressed byte before each (-1: none)
    std::uint64_t bytes = 0;
};

void find_member_starts(GzipRanges& g) {
    const std::size_t n = g.cut.size();
    g.starts.assign(n, no_start);
    g.starts[0] = 0;
    if (n > 1) detail::run_on_pool(static_cast<unsigned>(n - 1), [&](unsigned i) {
        try {
            g.starts[i + 1] = first_member_start(g.fd, g.cut[i + 1].begin, g.cut[i + 1].end, g.size, g.buffer_size);
        } catch (const IoError&) {
        }  // the range before reads on through it
    });
}

// Decodes and counts each range with a start, on a thread of its own, until a member ends where a
// later range starts.
std::vector<DecodedRange> decode_ranges(const GzipRanges& g, IoMode io, Trace* trace) {
    const std::size_t n = g.cut.size();
    const RuleSet& rule_set = g.terms.rules();
    std::vector<DecodedRange> decoded(n);
    detail::run_on_pool(static_cast<unsigned>(n), [&](unsigned k) {
        if (g.starts[k] == no_start) return;
        DecodedRange& d = decoded[k];
        d.counts.assign(rule_set.terms(), 0);
        std::vector<std::uint64_t> ends;  // the later ranges' starts, relative to this one's
        std::vector<std::size_t> owner;
        for (std::size_t j = k + 1; j < n; ++j)
            if (g.starts[j] != no_start) ends.push_back(g.starts[j] - g.starts[k]), owner.push_back(j);
        try {
            SourceChoice source = choose_source(io, g.buffer_size);
            GzipSource gz(*source.source, g.buffer_size);
            TraceRecorder* recorder = range_track(trace, k, n, g.cut[k], g.buffer_size, 2);
            auto scan_with = [&](auto&& scanner) {
                return scan_members(gz, scanner, g.fd, g.starts[k], g.size, ends, 0, -1, recorder, [&](const Match& m) {
                    ++d.counts[rule_set.term(m.rule)];
                    d.scan.add(m);
                    return true;
                });
            };
            const Reached reached = g.occurrences ? scan_with(OccurrenceScanner(g.terms)) : scan_with(StreamScanner(g.terms));
            d.landed = reached.end_index < ends.size() ? owner[reached.end_index] : n;
            d.scan.end = reached.offset;
            d.last_byte = reached.byte_before;
        } catch (const IoError&) {
            d.failed = true;
        }
    });
    return decoded;
}

// Follows the ranges from the first: those it lands on are true. nullopt when one of them failed.
std::optional<KeptRanges> follow_ranges(const std::vector<DecodedRange>& decoded) {
    KeptRanges kept;
    int previous_byte = -1;
    for (std::size_t k = 0; k < decoded.size(); k = decoded[k].landed) {
        const DecodedRange& d = decoded[k];
        if (d.failed) return std::nullopt;
        RangeScan r = d.scan;
        r.begin = kept.bytes;
        r.end = kept.bytes + d.scan.end;
        for (std::size_t i = 0; i < r.recorded; ++i) r.first[i].start += kept.bytes, r.first[i].end += kept.bytes;
        r.last.start += kept.bytes, r.last.end += kept.bytes;
        kept.ranges.push_back(r);
        kept.index.push_back(k);
        kept.byte_before.push_back(previous_byte);
        if (r.end > r.begin) previous_byte = d.last_byte;
        kept.bytes = r.end;
    }
    return kept;
}

// Each term on its own: an occurrence is one wherever the decoding starts, so the ranges' counts
// add up; only a whole-word test at a range's first byte needed the byte before it, and the
// occurrences that start there end within one longest term, among the first recorded if any is.
// false when one may be missing from them (the file is then one stream).
bool add_up_occurrences(const GzipRanges& g, const std::vector<DecodedRange>& decoded, const KeptRanges& kept,
                        std::vector<std::uint64_t>& totals) {
    const RuleSet& rule_set = g.terms.rules();
    const std::uint64_t longest = rule_set.longest_find();
    for (std::size_t i = 0; i < kept.ranges.size(); ++i) {
        const DecodedRange& d = decoded[kept.index[i]];
        for (std::size_t t = 0; t < totals.size(); ++t) totals[t] += d.counts[t];
        const RangeScan& r = kept.ranges[i];
        const int before = kept.byte_before[i];
        if (!g.whole_word || before < 0 || !ascii::is_word(static_cast<unsigned char>(before))) continue;
        if (r.recorded < r.total && r.first[r.recorded - 1].end <= r.begin + longest) return false;
        for (std::size_t j = 0; j < r.recorded; ++j)
            if (r.first[j].start == r.begin) --totals[rule_set.term(r.first[j].rule)];
    }
    return true;
}

// The exclusive scan: the ranges' matches stitched at their edges as a plain file's are, a range
// rescanned from where the true scan enters it until the two agree. Throws IoError.
void stitch_exclusive(const GzipRanges& g, const std::vector<DecodedRange>& decoded, const KeptRanges& kept,
                      std::vector<std::uint64_t>& totals) {
    const RuleSet& rule_set = g.terms.rules();
    auto reader = make_posix_source(g.buffer_size);
    GzipSource regz(*reader, g.buffer_size);
    StreamScanner rescanner(g.terms);
    stitch_ranges(
        kept.ranges, [](std::size_t, const Match&) {},
        [&](std::size_t i, std::uint64_t from, auto&& on_true) {
            const RangeScan& r = kept.ranges[i];
            const std::uint64_t start = g.starts[kept.index[i]];
            const std::uint64_t stop_at[] = {i + 1 < kept.ranges.size() ? g.starts[kept.index[i + 1]] - start
                                                                        : g.size - start};
            scan_members(regz, rescanner, g.fd, start, g.size, stop_at, from - r.begin, kept.byte_before[i], nullptr,
                         [&](const Match& local) {
                             const Match m{r.begin + local.start, r.begin + local.end, local.rule};
                             ++totals[rule_set.term(m.rule)];
                             return on_true(m);
                         });
        },
        [&](std::size_t i, std::size_t skipped) {
            const DecodedRange& d = decoded[kept.index[i]];
            for (std::size_t t = 0; t < totals.size(); ++t) totals[t] += d.counts[t];
            for (std::size_t j = 0; j < skipped; ++j) --totals[rule_set.term(kept.ranges[i].first[j].rule)];
        },
        [&](std::size_t i) {
            const RangeScan& r = kept.ranges[i];
            return g.whole_word && i > 0 && r.total && r.first[0].start == r.begin && kept.byte_before[i] >= 0;
        });
}

}  // namespace

std::optional<GzipRangesCount> count_gzip_in_ranges(int fd, std::uint64_t size, const Matcher& terms,
                                                    Counting counting, bool whole_word, unsigned threads, IoMode io,
                                                    std::size_t buffer_size, Trace* trace) {
    // A term that overlaps itself is counted from where its last occurrence ended, which a range
    // cannot know.
    const bool occurrences = needs_occurrences(terms, counting);
    if (occurrences && terms.term_overlaps_itself()) return count_one_stream(fd, size, terms, counting, buffer_size, trace);
    GzipRanges g{fd, size, terms, occurrences, whole_word, buffer_size, split_into_ranges(0, size, std::max(1u, threads)), {}};
    find_member_starts(g);
    if (g.cut.size() > 1 && std::all_of(g.starts.begin() + 1, g.starts.end(), [](std::uint64_t start) { return start == no_start; }))
        return count_one_stream(fd, size, terms, counting, buffer_size, trace);
    const std::vector<DecodedRange> decoded = decode_ranges(g, io, trace);
    const std::optional<KeptRanges> kept = follow_ranges(decoded);
    if (!kept) return std::nullopt;
    GzipRangesCount result;
    result.totals.assign(terms.rules().terms(), 0);
    result.bytes = kept->bytes;
    result.ranges = kept->ranges.size();
    if (occurrences) {
        if (!add_up_occurrences(g, decoded, *kept, result.totals)) return std::nullopt;
        return result;
    }
    try {
        stitch_exclusive(g, decoded, *kept, result.totals);
    } catch (const IoError&) {
        return std::nullopt;
    }
    return result;
}

}  // namespace elvis
