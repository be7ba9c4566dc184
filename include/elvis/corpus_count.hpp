// count_corpus: counts terms over many files (or one huge one) on a fixed pool of workers.
//
// Each worker owns its byte source (its own io_uring ring and buffers) and counters; counts are
// merged once at the end, never shared in the scan loop. The result does not depend on the number
// of threads, the I/O backend or the buffer size.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "elvis/byte_source.hpp"
#include "elvis/counter.hpp"
#include "elvis/rules.hpp"
#include "elvis/shard.hpp"
#include "elvis/walk.hpp"
#include "elvis/warc.hpp"

namespace elvis {

class Trace;  // src/pipeline/trace.hpp: the CLI's --trace and --stats

struct CountSettings {
    std::vector<Rule> terms;           // replacements are ignored
    MatchOptions match;
    // Each term on its own (as `grep -oF TERM | wc -l`), or what the filter would replace.
    Counting counting = Counting::each_term;
    std::string records_tag;           // non-empty: count records containing each term
    // Enabled: the inputs are WARC records (gzip is inflated whatever `decompress` says); each
    // term's count is its occurrences in the records' payloads, its documents the records
    // containing it. Each file is one stream (never split).
    WarcOptions warc;
    bool per_record = false;           // with warc: keep each record's counts
    unsigned threads = 1;
    std::size_t buffer_size = default_buffer_size;
    IoMode io = IoMode::automatic;
    bool per_file = false;             // keep per-file counts
    WalkOptions walk;
    // A regular file at least this large is split into ranges counted in parallel.
    std::uint64_t split_threshold = default_split_threshold;
    // Count only the files of this shard (shard.hpp): a walked file by the path it is printed
    // as, a named file (or "-") by its name as given. Named directories are always walked.
    std::optional<Shard> shard;
    // Inflate gzip input: files named *.gz must be gzip; other files and
    // standard input are inflated when they start with the gzip magic bytes 1f 8b, and read as
    // they are otherwise. Counts and bytes_read are of the decompressed bytes. A named gzip file
    // of several members (as web-crawl files are) is decoded in parallel ranges from a sixteenth
    // of split_threshold on; one of a single member is one stream.
    bool decompress = false;
    // The name standard input is given in per-file counts and errors (empty: "(standard input)"),
    // as ripgrep's --label; a name ending in .gz makes it gzip with decompress, as a file's.
    std::string stdin_label;
    // When set, each worker (and each range of a split file) records its batched opens, waits
    // for reads and scans into its own track; null costs nothing.
    Trace* trace = nullptr;
};

struct FileCounts {
    std::string path;
    std::vector<std::uint64_t> counts;
};

// A WARC record with a match (count --warc --per-record).
struct RecordCounts {
    std::string path, uri, record_id;
    std::vector<std::pair<std::uint32_t, std::uint64_t>> counts;  // (term, count), by term
};

struct CountError {
    std::string path;
    std::string reason;
};

struct CountReport {
    std::vector<std::uint64_t> totals;     // per term: matches (or records containing it)
    std::vector<std::uint64_t> documents;  // per term: files (or records) containing it
    std::uint64_t files_searched = 0;
    std::uint64_t bytes_read = 0;
    std::uint64_t records = 0;             // records searched (--records, --warc)
    std::uint64_t payload_bytes = 0;       // --warc: bytes of the searched records' payloads
    std::vector<RecordCounts> per_record;  // --warc --per-record: by path, then input order
    std::uint64_t special_files_skipped = 0;  // FIFOs, sockets, devices met while walking
    std::vector<FileCounts> per_file;      // files with a non-zero count, sorted by path
    std::vector<CountError> errors;        // in the order they happened
    // Named gzip files large enough to split: those decoded in parallel ranges (and the ranges
    // they took), and those read as one stream because no range but the first began a member (a
    // file of one member).
    std::uint64_t gzip_files_in_ranges = 0, gzip_ranges = 0, gzip_files_one_stream = 0;
    // Named plain files split into ranges (not when a term counted on its own overlaps itself).
    std::uint64_t files_in_ranges = 0;
    std::string io_backend;
    std::string fallback_reason;
};

// Counts over `paths` ("-" is standard input; directories are walked). `on_error` is called,
// serialized, as each error happens (the CLI prints it); errors are also in the report.
// Throws RuleError for invalid terms and std::runtime_error when --io=uring is refused.
CountReport count_corpus(const CountSettings& settings, const std::vector<std::string>& paths,
                         const std::function<void(const CountError&)>& on_error = {});

}  // namespace elvis
