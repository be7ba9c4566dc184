// Count's output, written and read back in one place: the TSV and JSON that `elvis count` prints
// (count_tsv, count_json), and TsvMerger, the reducer that sums TSV outputs (`elvis merge`).
//
// TSV: per-file lines PATH<TAB>TERM<TAB>COUNT first (with --per-file, sorted by path), then one
// TERM<TAB>COUNT[<TAB>DOCS] line per term in the order given. Fields escape tab, newline, CR and
// backslash as \t \n \r \\ (escape_tsv_field). JSON: one object, {"terms":[{"term","count",
// "documents"}...],"files_searched","bytes_read","skipped":{"special_files"},["records",]["files":[{"path","counts":{TERM:N}}],]
// "errors":[{"path","error"}],"io_backend"}. Paths, terms and errors that are well-formed UTF-8
// are JSON strings; any other is {"bytes":"BASE64"} (as ripgrep writes them), and as a key of
// "counts" such a term is its base64 string.
//
// TsvMerger:
// Input lines, from any number of streams in any order (each stream may itself be several count
// outputs concatenated, as `parallel` or `xargs -P` write them):
//   TERM<TAB>COUNT             totals
//   TERM<TAB>COUNT<TAB>DOCS    totals with --doc-freq
//   PATH<TAB>TERM<TAB>COUNT    --per-file
//   #warc<TAB>records<TAB>N<TAB>payload-bytes<TAB>M    with --warc (summed; written last)
// Fields are opaque text (count escapes tab, newline, CR and backslash, so a field holds none of
// them raw); COUNT and DOCS are decimal integers below 2^64 (digits only). Lines may end in CRLF
// (the CR is dropped); a line over max_line_bytes is an error.
//
// Three-field lines are told apart by their stream: in a stream with any two-field line (count
// prints its totals after its per-file lines) they are per-file lines, and each of their terms
// must have a totals line in that stream; in a stream with no two-field line they are totals with
// DOCS. (So `elvis count` refuses --per-file with --doc-freq in TSV.) Totals with and without DOCS
// cannot be merged together, in one stream or across streams.
//
// Header (count --header; DESIGN.md, "What merge adds up"): a first line
//   #elvis-count<TAB>v1<TAB>semantics=occurrences|records:TAG<TAB>counting=each-term|exclusive
//   <TAB>ignore-case=yes|no<TAB>word=..
//   <TAB>preserve-case=..<TAB>decompress=..<TAB>term=TERM...<TAB>input=PATH...|input-shard=I/N:PATH...
// (values escaped as fields are; standard input is not named unless labelled; `errors=N` when
// the count had errors). Outputs with headers are merged only with outputs of the same semantics
// and terms (as a set), never with outputs without one (in one stream: a second totals line of a
// term after a header means another output began without one), nor with one that had errors;
// an input (or one shard of it) in two outputs is an error; the output's header names the inputs
// of all, the shards 1/N..N/N of a path joined into the path.
//
// Sums are per TERM (and per PATH and TERM), in 64 bits; overflow is an error. Output: per-file
// lines sorted by path (compared unescaped, as count sorts them), within a path in the order of
// the totals lines; then the totals lines in first-seen order: the same bytes `elvis count` prints
// when it counts everything at once. Memory is bounded: per-file lines past the budget are sorted
// into temporary files and merged at the end, as sort(1) does (DESIGN.md, "Bounded merge").
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "elvis/corpus_count.hpp"
#include "elvis/errors.hpp"

namespace elvis {

namespace detail {
class PerFileSums;
class SpillFile;
}  // namespace detail

// TEXT with tab, newline, CR and backslash escaped, as every TSV field elvis writes.
std::string escape_tsv_field(std::string_view text);

// What `elvis count` prints for `report`, counted with `settings` (its terms, records tag and
// per_file); with `doc_freq` the TSV totals carry DOCS.
std::string count_tsv(const CountSettings& settings, const CountReport& report, bool doc_freq);
std::string count_json(const CountSettings& settings, const CountReport& report);
// With --warc, the TSV's last line: "#warc<TAB>records<TAB>N<TAB>payload-bytes<TAB>M".
std::string warc_summary_line(std::uint64_t records, std::uint64_t payload_bytes);
// count --warc --per-record: URI<TAB>RECORD-ID<TAB>TERM<TAB>COUNT per record and term counted
// in it (records in report order), or with `json` the same as JSON Lines objects
// {"uri","record_id","term","count"}.
std::string count_per_record(const CountSettings& settings, const CountReport& report, bool json);
// The header line of `count --header` for a count of `inputs` (as named: paths, "-"), with
// `errors` (errors=N: merge refuses such an output, which did not count all its inputs whole).
std::string count_header(const CountSettings& settings, const std::vector<std::string>& inputs,
                         std::uint64_t errors = 0);

class TsvMerger {
public:
    // Longer lines are refused (MergeError) rather than held: no count output has one.
    static constexpr std::size_t max_line_bytes = 64 << 20;
    // What the per-file lines may take in memory before they are sorted and spilled to temporary
    // files in `temporary_directory` (empty: $TMPDIR, else /tmp), which are merged at the end;
    // a quarter of it for the lines a stream holds back until its kind is known.
    static constexpr std::size_t default_memory_budget = 32 << 20;

    explicit TsvMerger(std::string temporary_directory = {}, std::size_t memory_budget = default_memory_budget);
    ~TsvMerger();
    TsvMerger(const TsvMerger&) = delete;
    TsvMerger& operator=(const TsvMerger&) = delete;

    struct Total {
        std::string term;
        std::uint64_t count = 0;
        std::uint64_t docs = 0;
    };
    // Starts a stream; `name` is what errors print (a file name, or "(standard input)").
    void begin(std::string name);
    // More text of the current stream, cut anywhere. Throws MergeError, or IoError when a
    // temporary file cannot be written.
    void feed(std::string_view text);
    // Ends the current stream (its last line may lack a newline). Throws as feed().
    void end();
    // begin(), feed(), end() on a whole stream.
    void add(std::string name, std::string_view text);

    const std::vector<Total>& totals() const { return totals_; }  // first-seen order
    // Whether the inputs had headers (all of them then: a mix is an error).
    bool headed() const { return !headed_origin_.empty(); }
    // With headers: what keeps the inputs from being a count of exactly the paths of
    // `manifest` (each as count was given it): one message per path missing, per shard
    // missing, per input not in it. Empty when they are.
    std::vector<std::string> compare_with_manifest(const std::vector<std::string>& manifest) const;
    bool has_docs() const { return totals_columns_ == 3; }
    // The merged TSV, handed to `write` in pieces (per-file lines sorted by path, then totals).
    // Spilled per-file lines are merged first, so a sum that overflows throws MergeError before
    // anything is written. Once only: the per-file lines are consumed.
    void write(const std::function<void(std::string_view)>& write);
    // The same, as one string.
    std::string output();

private:
    void line(std::string_view text);
    void header(std::string_view text);
    void warc_summary(std::string_view text);
    void add_input(std::string_view field);
    std::string header_line() const;
    void hold_back(std::string_view a, std::string_view b, std::string_view c);
    void add_total(std::uint64_t line, std::string_view term, std::string_view count,
                   std::optional<std::string_view> docs);
    void add_file_line(std::uint64_t line, std::string_view path, std::string_view term, std::string_view count);
    // each(line, a, b, c) for every held-back line, which are then dropped.
    template <typename Each>
    void for_each_held_back(Each each);
    std::uint64_t number(std::uint64_t line, std::string_view field, const char* what) const;
    [[noreturn]] void fail(std::uint64_t line, const std::string& reason) const;

    std::string temporary_directory_;
    std::size_t memory_budget_;

    // The current stream.
    std::string name_;
    std::uint64_t line_ = 0;
    std::string partial_;
    bool plain_ = false;  // has a two-field line
    // Its three-field lines until it is known to be plain or --doc-freq: lines 1, 2, ... as
    // A '\t' B '\t' C '\n', in memory up to a quarter of the budget, the rest spilled.
    std::string held_back_;
    std::unique_ptr<detail::SpillFile> held_back_spill_;
    std::unordered_set<std::string> stream_terms_;                         // its totals terms
    std::unordered_map<std::string, std::uint64_t> stream_file_terms_;     // its per-file terms: first line

    bool stream_warc_ = false;  // has a #warc line
    std::uint64_t stream_data_lines_ = 0;

    enum class Headed { unknown, yes, no };
    Headed stream_headed_ = Headed::unknown;  // by its first line

    // Everything so far.
    std::string headed_origin_, unheaded_origin_;  // the first input with and without a header
    std::string warc_origin_, other_origin_;       // the first count of WARC records, of other input
    std::uint64_t warc_records_ = 0, warc_payload_bytes_ = 0;
    bool semantics_known_ = false;
    std::vector<std::string> semantics_;           // the first header's fields but terms and inputs
    std::unordered_set<std::string> terms_since_header_;  // totals terms since the stream's last header
    std::vector<std::string> header_terms_;        // its terms, in order, and sorted
    std::vector<std::string> sorted_terms_;
    struct Coverage {
        std::string whole;                        // where the path was counted whole
        std::uint64_t shard_count = 0;            // N of its shards
        std::map<std::uint64_t, std::string> shards;  // I -> where
    };
    std::map<std::string, Coverage> inputs_;      // by path, escaped
    int totals_columns_ = 0;  // 2 or 3 once a totals line was seen
    std::string columns_origin_;
    std::vector<Total> totals_;
    std::unordered_map<std::string, std::size_t> total_index_;
    // Per-file lines, their terms numbered.
    std::vector<std::string> file_terms_;
    std::unordered_map<std::string, std::uint32_t> file_term_ids_;
    std::unique_ptr<detail::PerFileSums> files_;
};

}  // namespace elvis
