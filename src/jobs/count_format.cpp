// Count's TSV and JSON writers, and TsvMerger, which sums TSV streams (see count_format.hpp).
#include "elvis/count_format.hpp"

#include <cstdint>
#include <cstdio>

#include <algorithm>
#include <charconv>
#include <numeric>
#include <set>

#include "elvis/shard.hpp"
#include "engine/ascii.hpp"
#include "io/spill_file.hpp"
#include "jobs/per_file_sums.hpp"

namespace elvis {

std::string escape_tsv_field(std::string_view text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '\t': out += "\\t"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\\': out += "\\\\"; break;
            default: out += c;
        }
    }
    return out;
}

namespace {

// The length of the well-formed UTF-8 sequence at the start of `text`, or 0 (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence_length(std::string_view text) {
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(0);
    const std::size_t length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3
                               : lead >= 0xf0 && lead <= 0xf4                              ? 4
                                                                                           : 0;
    if (length == 0 || text.size() < length) return 0;
    const unsigned char low = lead == 0xe0 ? 0xa0 : lead == 0xf0 ? 0x90 : 0x80;
    const unsigned char high = lead == 0xed ? 0x9f : lead == 0xf4 ? 0x8f : 0xbf;
    if (byte(1) < low || byte(1) > high) return 0;
    for (std::size_t i = 2; i < length; ++i)
        if ((byte(i) & 0xc0) != 0x80) return 0;
    return length;
}

std::string base64(std::string_view bytes) {
    static constexpr char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        std::uint32_t group = static_cast<unsigned char>(bytes[i]) << 16;
        if (i + 1 < bytes.size()) group |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        if (i + 2 < bytes.size()) group |= static_cast<unsigned char>(bytes[i + 2]);
        out += digits[group >> 18];
        out += digits[(group >> 12) & 63];
        out += i + 1 < bytes.size() ? digits[(group >> 6) & 63] : '=';
        out += i + 2 < bytes.size() ? digits[group & 63] : '=';
    }
    return out;
}

bool is_utf8(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        if (static_cast<unsigned char>(text[i]) < 0x80) {
            ++i;
        } else if (const std::size_t length = utf8_sequence_length(text.substr(i))) {
            i += length;
        } else {
            return false;
        }
    }
    return true;
}

// A JSON string of UTF-8 text.
std::string json_text(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        const auto b = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\', out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (b < 0x20 || b == 0x7f) {
            char escape[8];
            std::snprintf(escape, sizeof escape, "\\u%04x", b);
            out += escape;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

// Bytes that need not be UTF-8 (paths, terms), as ripgrep writes them: a JSON string when they
// are well-formed UTF-8, else {"bytes":"BASE64"}, so nothing is lost and the output is UTF-8.
std::string json_bytes(std::string_view bytes) {
    return is_utf8(bytes) ? json_text(bytes) : "{\"bytes\":\"" + base64(bytes) + "\"}";
}

// An object key must be a string: a term that is not UTF-8 is keyed by its base64.
std::string json_key(std::string_view bytes) { return is_utf8(bytes) ? json_text(bytes) : '"' + base64(bytes) + '"'; }

}  // namespace

std::string count_tsv(const CountSettings& settings, const CountReport& report, bool doc_freq) {
    const auto& terms = settings.terms;
    std::string out;
    for (const FileCounts& file : report.per_file)
        for (std::size_t t = 0; t < terms.size(); ++t)
            if (file.counts[t])
                out += escape_tsv_field(file.path) + '\t' + escape_tsv_field(terms[t].find) + '\t' + std::to_string(file.counts[t]) + '\n';
    const bool warc = settings.warc.enabled;
    for (std::size_t t = 0; t < terms.size(); ++t) {
        out += escape_tsv_field(terms[t].find) + '\t' + std::to_string(report.totals[t]);
        if (doc_freq || warc) out += '\t' + std::to_string(report.documents[t]);
        out += '\n';
    }
    if (warc) out += warc_summary_line(report.records, report.payload_bytes);
    return out;
}

std::string warc_summary_line(std::uint64_t records, std::uint64_t payload_bytes) {
    return "#warc\trecords\t" + std::to_string(records) + "\tpayload-bytes\t" + std::to_string(payload_bytes) + '\n';
}

std::string count_per_record(const CountSettings& settings, const CountReport& report, bool json) {
    std::string out;
    for (const RecordCounts& record : report.per_record) {
        for (const auto& [term, count] : record.counts) {
            const std::string& find = settings.terms[term].find;
            if (json)
                out += "{\"uri\":" + json_bytes(record.uri) + ",\"record_id\":" + json_bytes(record.record_id) +
                       ",\"term\":" + json_bytes(find) + ",\"count\":" + std::to_string(count) + "}\n";
            else
                out += escape_tsv_field(record.uri) + '\t' + escape_tsv_field(record.record_id) + '\t' +
                       escape_tsv_field(find) + '\t' + std::to_string(count) + '\n';
        }
    }
    return out;
}

std::string count_header(const CountSettings& settings, const std::vector<std::string>& inputs,
                         std::uint64_t errors) {
    auto yes_no = [](bool on) { return on ? "yes" : "no"; };
    std::string out = "#elvis-count\tv1\tsemantics=";
    if (settings.warc.enabled) {
        out += "warc:";
        for (std::size_t i = 0; i < settings.warc.types.size(); ++i)
            out += (i ? "," : "") + escape_tsv_field(ascii::lowered(settings.warc.types[i]));
        for (std::size_t i = 0; i < settings.warc.languages.size(); ++i)
            out += (i ? "," : ";lang=") + escape_tsv_field(ascii::lowered(settings.warc.languages[i]));
    } else {
        out += settings.records_tag.empty() ? "occurrences" : "records:" + escape_tsv_field(settings.records_tag);
    }
    out += settings.counting == Counting::exclusive ? "\tcounting=exclusive" : "\tcounting=each-term";
    out += std::string("\tignore-case=") + yes_no(settings.match.ignore_case);
    out += std::string("\tword=") + yes_no(settings.match.whole_word);
    out += std::string("\tpreserve-case=") + yes_no(settings.match.preserve_case);
    out += std::string("\tdecompress=") + yes_no(settings.decompress);
    for (const Rule& term : settings.terms) out += "\tterm=" + escape_tsv_field(term.find);
    // Sorted as merge keeps them (escaped), so a merge of one output gives it back; standard
    // input has no name to be told by.
    std::vector<std::string> named;
    for (const std::string& input : inputs)
        if (input != "-") named.push_back(escape_tsv_field(input));
    std::sort(named.begin(), named.end());
    named.erase(std::unique(named.begin(), named.end()), named.end());
    const std::string shard =
        settings.shard ? std::to_string(settings.shard->index) + "/" + std::to_string(settings.shard->count) + ":" : "";
    for (const std::string& input : named) out += (shard.empty() ? "\tinput=" : "\tinput-shard=" + shard) + input;
    if (errors) out += "\terrors=" + std::to_string(errors);
    return out + '\n';
}

std::string count_json(const CountSettings& settings, const CountReport& report) {
    const auto& terms = settings.terms;
    std::string out = "{\"terms\":[";
    for (std::size_t t = 0; t < terms.size(); ++t) {
        if (t) out += ',';
        // In WARC records, the names of the crawl's word counts: term and document frequency.
        const bool warc = settings.warc.enabled;
        out += "{\"term\":" + json_bytes(terms[t].find) + (warc ? ",\"tf\":" : ",\"count\":") +
               std::to_string(report.totals[t]) + (warc ? ",\"df\":" : ",\"documents\":") +
               std::to_string(report.documents[t]) + '}';
    }
    out += "],\"files_searched\":" + std::to_string(report.files_searched);
    out += ",\"bytes_read\":" + std::to_string(report.bytes_read);
    out += ",\"skipped\":{\"special_files\":" + std::to_string(report.special_files_skipped) + '}';
    if (!settings.records_tag.empty()) out += ",\"records\":" + std::to_string(report.records);
    if (settings.warc.enabled)
        out += ",\"records\":" + std::to_string(report.records) + ",\"payload_bytes\":" + std::to_string(report.payload_bytes);
    if (settings.per_file) {
        out += ",\"files\":[";
        for (std::size_t f = 0; f < report.per_file.size(); ++f) {
            if (f) out += ',';
            out += "{\"path\":" + json_bytes(report.per_file[f].path) + ",\"counts\":{";
            bool first = true;
            for (std::size_t t = 0; t < terms.size(); ++t) {
                if (!report.per_file[f].counts[t]) continue;
                if (!first) out += ',';
                first = false;
                out += json_key(terms[t].find) + ':' + std::to_string(report.per_file[f].counts[t]);
            }
            out += "}}";
        }
        out += ']';
    }
    out += ",\"errors\":[";
    for (std::size_t e = 0; e < report.errors.size(); ++e) {
        if (e) out += ',';
        out += "{\"path\":" + json_bytes(report.errors[e].path) + ",\"error\":" + json_bytes(report.errors[e].reason) + '}';
    }
    out += "],\"io_backend\":" + json_text(report.io_backend) + "}\n";
    return out;
}
namespace {

// A line's fields: the text between tabs.
std::vector<std::string_view> tab_fields(std::string_view text) {
    std::vector<std::string_view> fields;
    for (std::size_t start = 0;;) {
        const std::size_t tab = text.find('\t', start);
        fields.push_back(text.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
        if (tab == std::string_view::npos) return fields;
        start = tab + 1;
    }
}

// Count's TSV escapes back to bytes, for sorting paths as count does; other escapes are kept.
std::string quoted(std::string_view text) {
    constexpr std::size_t shown = 60;
    std::string out;
    out.reserve(std::min(text.size(), shown) + 5);
    out.push_back('\'');
    out.append(text.substr(0, shown));
    if (text.size() > shown) out.append("...");
    out.push_back('\'');
    return out;
}

}  // namespace

void TsvMerger::fail(std::uint64_t line, const std::string& reason) const { throw MergeError(name_, line, reason); }

TsvMerger::TsvMerger(std::string temporary_directory, std::size_t memory_budget)
    : temporary_directory_(detail::temporary_directory(temporary_directory)),
      memory_budget_(memory_budget),
      files_(std::make_unique<detail::PerFileSums>(memory_budget, temporary_directory_)) {}

TsvMerger::~TsvMerger() = default;

void TsvMerger::begin(std::string name) {
    name_ = std::move(name);
    stream_headed_ = Headed::unknown;
    line_ = 0;
    partial_.clear();
    plain_ = false;
    held_back_.clear();
    held_back_spill_.reset();
    stream_terms_.clear();
    stream_file_terms_.clear();
    stream_warc_ = false;
    stream_data_lines_ = 0;
}

// "#warc<TAB>records<TAB>N<TAB>payload-bytes<TAB>M" (warc_summary_line): summed.
void TsvMerger::warc_summary(std::string_view text) {
    const std::vector<std::string_view> fields = tab_fields(text);
    if (fields.size() != 5 || fields[3] != "payload-bytes")
        fail(line_, "malformed #warc line (expected #warc<TAB>records<TAB>N<TAB>payload-bytes<TAB>M)");
    const std::uint64_t records = number(line_, fields[2], "records"), bytes = number(line_, fields[4], "payload-bytes");
    if (__builtin_add_overflow(warc_records_, records, &warc_records_) ||
        __builtin_add_overflow(warc_payload_bytes_, bytes, &warc_payload_bytes_))
        fail(line_, "the #warc sums overflow 64 bits");
    stream_warc_ = true;
}

void TsvMerger::feed(std::string_view text) {
    while (!text.empty()) {
        const std::size_t newline = text.find('\n');
        if (newline == std::string_view::npos) {
            if (partial_.size() + text.size() > max_line_bytes)
                fail(line_ + 1, "line longer than " + std::to_string(max_line_bytes >> 20) +
                                    " MiB (count writes none; is this a count output?)");
            partial_.append(text);
            return;
        }
        if (partial_.size() + newline > max_line_bytes)
            fail(line_ + 1, "line longer than " + std::to_string(max_line_bytes >> 20) +
                                " MiB (count writes none; is this a count output?)");
        if (partial_.empty()) {
            line(text.substr(0, newline));
        } else {
            partial_.append(text.substr(0, newline));
            line(partial_);
            partial_.clear();
        }
        text.remove_prefix(newline + 1);
    }
}

void TsvMerger::end() {
    if (!partial_.empty()) {
        std::string last = std::move(partial_);
        partial_.clear();
        line(last);
    }
    // Counts of WARC records and of other input do not add up: df is records, not files.
    if (stream_warc_ || stream_data_lines_) {
        std::string& origin = stream_warc_ ? warc_origin_ : other_origin_;
        const std::string& other = stream_warc_ ? other_origin_ : warc_origin_;
        if (!other.empty())
            fail(line_, "a count " + std::string(stream_warc_ ? "of WARC records" : "without --warc") + ", but " + other +
                            (stream_warc_ ? " is not one (counts with and without --warc cannot be merged)"
                                          : " counted WARC records (counts with and without --warc cannot be merged)"));
        if (origin.empty()) origin = name_;
    }
    if (!plain_) {
        // Only three-field lines: a --doc-freq stream.
        for_each_held_back([&](std::uint64_t line, std::string_view a, std::string_view b, std::string_view c) {
            add_total(line, a, b, c);
        });
        return;
    }
    for (const auto& [term, first_line] : stream_file_terms_)
        if (!stream_terms_.contains(term))
            fail(first_line, "PATH<TAB>TERM<TAB>COUNT line for the term " + quoted(term) +
                                 ", but no TERM<TAB>COUNT line of this input has that term (is it a --doc-freq "
                                 "line among plain counts?)");
}

void TsvMerger::add(std::string name, std::string_view text) {
    begin(std::move(name));
    feed(text);
    end();
}

std::uint64_t TsvMerger::number(std::uint64_t line, std::string_view field, const char* what) const {
    std::uint64_t value = 0;
    const bool digits = !field.empty() && std::all_of(field.begin(), field.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) fail(line, std::string(what) + " " + quoted(field) + " is not a non-negative decimal integer");
    auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (ec == std::errc::result_out_of_range) fail(line, std::string(what) + " " + quoted(field) + " does not fit in 64 bits");
    (void)end;
    return value;
}

void TsvMerger::line(std::string_view text) {
    ++line_;
    // Count escapes every CR it writes, so a raw one ending a line is a CRLF line ending (a copy
    // through Windows, say): taken as the end of the line.
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text.empty()) fail(line_, "empty line");
    // A header has at least four fields; a data line at most three (a term or path may well be
    // "#elvis-count").
    if (text.starts_with("#elvis-count\t") && std::count(text.begin(), text.end(), '\t') >= 3) {
        header(text);
        return;
    }
    // No data line is one: its second field would be a COUNT.
    if (text.starts_with("#warc\trecords\t")) {
        warc_summary(text);
        return;
    }
    ++stream_data_lines_;
    if (stream_headed_ == Headed::unknown) {
        stream_headed_ = Headed::no;
        if (unheaded_origin_.empty()) unheaded_origin_ = name_;
        if (headed())
            fail(line_, "no count header, but " + headed_origin_ +
                            " has one (count every output to be merged with --header, or none)");
    }
    std::string_view fields[4];
    std::size_t n = 0;
    for (std::size_t start = 0;;) {
        const std::size_t tab = text.find('\t', start);
        if (n == 3) {
            fail(line_, "too many fields (expected TERM<TAB>COUNT, TERM<TAB>COUNT<TAB>DOCS or PATH<TAB>TERM<TAB>COUNT)");
        }
        fields[n++] = text.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start);
        if (tab == std::string_view::npos) break;
        start = tab + 1;
    }
    if (n == 1)
        fail(line_, "no tab (expected TERM<TAB>COUNT, TERM<TAB>COUNT<TAB>DOCS or PATH<TAB>TERM<TAB>COUNT)");
    if (n == 2) {
        if (!plain_) {
            plain_ = true;
            for_each_held_back([&](std::uint64_t line, std::string_view a, std::string_view b, std::string_view c) {
                add_file_line(line, a, b, c);
            });
        }
        add_total(line_, fields[0], fields[1], std::nullopt);
        stream_terms_.emplace(fields[0]);
        if (stream_headed_ == Headed::yes && !terms_since_header_.emplace(fields[0]).second)
            fail(line_, "a second totals line for " + quoted(fields[0]) +
                            " after the count header: an output without a header of its own follows a headed "
                            "one (count every output to be merged with --header, or none)");
        return;
    }
    if (plain_) add_file_line(line_, fields[0], fields[1], fields[2]);
    else hold_back(fields[0], fields[1], fields[2]);
}

// A count header (count_format.hpp): the semantics must be those of every other, the inputs new.
void TsvMerger::header(std::string_view text) {
    if (stream_headed_ == Headed::no)
        fail(line_, "a count header after lines without one (count every output to be merged with --header, or none)");
    stream_headed_ = Headed::yes;
    if (!unheaded_origin_.empty())
        fail(line_, "a count header, but " + unheaded_origin_ +
                        " has none (count every output to be merged with --header, or none)");
    const std::vector<std::string_view> fields = tab_fields(text);
    if (fields.size() < 2 || fields[1] != "v1")
        fail(line_, "a count header of another version (" + quoted(fields.size() < 2 ? "" : fields[1]) +
                        "; this elvis reads v1)");
    std::vector<std::string> semantics, terms;
    std::vector<std::string_view> inputs;
    for (std::size_t i = 2; i < fields.size(); ++i) {
        const std::string_view field = fields[i];
        const std::size_t equals = field.find('=');
        if (equals == std::string_view::npos) fail(line_, "count header field " + quoted(field) + " has no '='");
        const std::string_view key = field.substr(0, equals);
        if (key == "input" || key == "input-shard") inputs.push_back(field);
        else if (key == "term") terms.emplace_back(field.substr(equals + 1));
        else if (key == "errors")
            fail(line_, "this count had " + std::string(field.substr(equals + 1)) +
                            " error(s): some of its inputs were not counted whole (count them again)");
        else semantics.emplace_back(field);
    }
    std::vector<std::string> sorted_terms = terms;
    std::sort(sorted_terms.begin(), sorted_terms.end());
    if (!semantics_known_) {
        semantics_known_ = true;
        headed_origin_ = name_ + ":" + std::to_string(line_);
        semantics_ = semantics;
        header_terms_ = terms;
        sorted_terms_ = sorted_terms;
    } else {
        std::vector<std::string> mine = semantics, first = semantics_;
        std::sort(mine.begin(), mine.end());
        std::sort(first.begin(), first.end());
        if (mine != first) {
            auto only_in = [](const std::vector<std::string>& a, const std::vector<std::string>& b) {
                std::string fields;
                for (const std::string& field : a)
                    if (!std::binary_search(b.begin(), b.end(), field)) fields += (fields.empty() ? "" : ", ") + field;
                return fields.empty() ? std::string("fewer settings") : fields;
            };
            fail(line_, "counted with " + only_in(mine, first) + ", but " + headed_origin_ + " with " +
                            only_in(first, mine) + " (different counts cannot be added up)");
        }
        if (sorted_terms != sorted_terms_)
            fail(line_, "counted other terms than the count of " + headed_origin_ +
                            " (a term's sum would leave out the inputs that did not count it)");
    }
    for (const std::string_view input : inputs) add_input(input);
    terms_since_header_.clear();
}

void TsvMerger::add_input(std::string_view field) {
    const std::string here = name_ + ":" + std::to_string(line_);
    const bool whole = field.starts_with("input=");
    field.remove_prefix(whole ? 6 : 12);
    Shard shard;
    if (!whole) {
        const std::size_t colon = field.find(':');
        try {
            shard = parse_shard(field.substr(0, colon));
        } catch (const std::invalid_argument& e) {
            fail(line_, std::string("count header: ") + e.what());
        }
        if (colon == std::string_view::npos) fail(line_, "count header: input-shard without ':PATH'");
        field.remove_prefix(colon + 1);
    }
    Coverage& c = inputs_[std::string(field)];
    const std::string& before = !c.whole.empty() ? c.whole : c.shards.empty() ? c.whole : c.shards.begin()->second;
    const std::string what = whole ? "input " + quoted(field)
                                   : "shard " + std::to_string(shard.index) + "/" + std::to_string(shard.count) + " of " +
                                         quoted(field);
    if (!before.empty() && (whole || !c.whole.empty()))
        fail(line_, what + " counted twice: here and at " + before + " (a retried run? merge each output once)");
    if (whole) {
        c.whole = here;
        return;
    }
    if (c.shard_count && c.shard_count != shard.count)
        fail(line_, what + ", but " + quoted(field) + " was counted in " + std::to_string(c.shard_count) + " shards at " +
                        before + ": shards of different counts overlap");
    if (auto it = c.shards.find(shard.index); it != c.shards.end())
        fail(line_, what + " counted twice: here and at " + it->second + " (a retried shard? merge each output once)");
    c.shard_count = shard.count;
    c.shards.emplace(shard.index, here);
}

std::string TsvMerger::header_line() const {
    std::string out = "#elvis-count\tv1";
    for (const std::string& field : semantics_) out.append(1, '\t').append(field);
    for (const std::string& term : header_terms_) out.append("\tterm=").append(term);
    for (const auto& [path, c] : inputs_) {
        if (!c.whole.empty() || c.shards.size() == c.shard_count) {
            out.append("\tinput=").append(path);
            continue;
        }
        for (const auto& [index, where] : c.shards)
            out.append("\tinput-shard=" + std::to_string(index) + "/" + std::to_string(c.shard_count) + ":").append(path);
    }
    return out + '\n';
}

std::vector<std::string> TsvMerger::compare_with_manifest(const std::vector<std::string>& manifest) const {
    std::vector<std::string> problems;
    std::set<std::string> expected;  // escaped as the headers have them
    for (const std::string& path : manifest) expected.insert(escape_tsv_field(path));
    for (const std::string& path : expected) {
        const auto it = inputs_.find(path);
        if (it == inputs_.end()) {
            problems.push_back(path + ": in the manifest, but not among the inputs");
            continue;
        }
        const Coverage& c = it->second;
        if (!c.whole.empty() || c.shards.size() == c.shard_count) continue;
        std::string missing;
        for (std::uint64_t i = 1; i <= c.shard_count && missing.size() < 200; ++i)
            if (!c.shards.contains(i)) missing += (missing.empty() ? "" : ", ") + std::to_string(i) + "/" + std::to_string(c.shard_count);
        problems.push_back(path + ": shards " + missing + " not among the inputs");
    }
    for (const auto& [path, c] : inputs_)
        if (!expected.contains(path)) problems.push_back(path + ": among the inputs, but not in the manifest");
    return problems;
}

void TsvMerger::hold_back(std::string_view a, std::string_view b, std::string_view c) {
    held_back_.append(a).append(1, '\t').append(b).append(1, '\t').append(c).append(1, '\n');
    if (held_back_.size() < memory_budget_ / 4) return;
    if (!held_back_spill_) held_back_spill_ = std::make_unique<detail::SpillFile>(temporary_directory_);
    held_back_spill_->append(held_back_);
    held_back_.clear();
}

template <typename Each>
void TsvMerger::for_each_held_back(Each each) {
    // The held-back lines are lines 1, 2, ... of the stream, each with exactly three fields.
    std::uint64_t line = 0;
    auto lines = [&](std::string_view text) {
        for (std::size_t newline; (newline = text.find('\n')) != std::string_view::npos;) {
            const std::string_view fields = text.substr(0, newline);
            const std::size_t tab1 = fields.find('\t'), tab2 = fields.find('\t', tab1 + 1);
            each(++line, fields.substr(0, tab1), fields.substr(tab1 + 1, tab2 - tab1 - 1), fields.substr(tab2 + 1));
            text.remove_prefix(newline + 1);
        }
        return text;
    };
    if (held_back_spill_) {
        detail::SpillFile::Reader reader(*held_back_spill_);
        std::string carried;
        for (std::string_view chunk; !(chunk = reader.next_chunk()).empty();) {
            if (!carried.empty()) {
                const std::size_t newline = chunk.find('\n');
                carried.append(chunk.substr(0, newline + 1));
                if (newline == std::string_view::npos) continue;
                lines(carried);
                carried.clear();
                chunk.remove_prefix(newline + 1);
            }
            carried.assign(lines(chunk));
        }
        held_back_spill_.reset();
    }
    lines(held_back_);
    held_back_.clear();
    held_back_.shrink_to_fit();
}

void TsvMerger::add_total(std::uint64_t line, std::string_view term, std::string_view count,
                          std::optional<std::string_view> docs) {
    if (term.empty()) fail(line, "empty TERM field");
    const std::uint64_t c = number(line, count, "COUNT");
    const std::uint64_t d = docs ? number(line, *docs, "DOCS") : 0;
    const int columns = docs ? 3 : 2;
    if (totals_columns_ == 0) {
        totals_columns_ = columns;
        columns_origin_ = name_ + ":" + std::to_string(line);
    } else if (columns != totals_columns_) {
        fail(line, std::string(docs ? "TERM<TAB>COUNT<TAB>DOCS" : "TERM<TAB>COUNT") + " line, but the totals line at " +
                       columns_origin_ + (docs ? " has no DOCS column" : " has a DOCS column") +
                       " (counts made with and without --doc-freq cannot be merged)");
    }
    auto [it, fresh] = total_index_.try_emplace(std::string(term), totals_.size());
    if (fresh) totals_.push_back({std::string(term), 0, 0});
    Total& t = totals_[it->second];
    if (__builtin_add_overflow(t.count, c, &t.count)) fail(line, "the total COUNT of " + quoted(term) + " overflows 64 bits");
    if (__builtin_add_overflow(t.docs, d, &t.docs)) fail(line, "the total DOCS of " + quoted(term) + " overflows 64 bits");
}

void TsvMerger::add_file_line(std::uint64_t line, std::string_view path, std::string_view term, std::string_view count) {
    if (path.empty()) fail(line, "empty PATH field");
    if (term.empty()) fail(line, "empty TERM field");
    const std::uint64_t c = number(line, count, "COUNT");
    stream_file_terms_.try_emplace(std::string(term), line);
    auto [term_it, new_term] = file_term_ids_.try_emplace(std::string(term), static_cast<std::uint32_t>(file_terms_.size()));
    if (new_term) file_terms_.emplace_back(term);
    if (!files_->add(path, term_it->second, c))
        fail(line, "the COUNT of " + quoted(term) + " in " + quoted(path) + " overflows 64 bits");
}

void TsvMerger::write(const std::function<void(std::string_view)>& write_out) {
    // The header goes out with the first line, so an overflow found first leaves nothing written.
    bool header_due = headed();
    auto write = [&](std::string_view piece) {
        if (header_due) write_out(header_line()), header_due = false;
        write_out(piece);
    };
    // Within a path, terms in the order of the totals lines.
    std::vector<std::size_t> rank(file_terms_.size());
    for (std::size_t t = 0; t < file_terms_.size(); ++t) {
        auto it = total_index_.find(file_terms_[t]);
        rank[t] = it == total_index_.end() ? totals_.size() : it->second;
    }
    std::string line, path;
    std::vector<std::pair<std::size_t, std::uint64_t>> path_counts;  // (rank, count) of the path's terms
    std::vector<std::uint32_t> path_terms;
    auto write_path = [&] {
        std::vector<std::size_t> order(path_terms.size());
        std::iota(order.begin(), order.end(), 0u);
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return path_counts[a].first < path_counts[b].first; });
        for (const std::size_t i : order) {
            line.assign(path).append(1, '\t').append(file_terms_[path_terms[i]]).append(1, '\t');
            line.append(std::to_string(path_counts[i].second)).append(1, '\n');
            write(line);
        }
        path_counts.clear();
        path_terms.clear();
    };
    try {
        files_->for_each([&](const detail::PerFileSums::Line& f) {
            if (f.path != path) {
                write_path();
                path.assign(f.path);
            }
            path_counts.emplace_back(rank[f.term], f.count);
            path_terms.push_back(f.term);
        });
    } catch (const detail::PerFileSums::Overflow& e) {
        throw MergeError("the COUNT of " + quoted(file_terms_[e.term]) + " in " + quoted(e.path) +
                         " overflows 64 bits (summed over the inputs)");
    }
    write_path();
    for (const Total& t : totals_) {
        line.assign(t.term).append(1, '\t').append(std::to_string(t.count));
        if (totals_columns_ == 3) line.append(1, '\t').append(std::to_string(t.docs));
        line.append(1, '\n');
        write(line);
    }
    if (!warc_origin_.empty()) write(warc_summary_line(warc_records_, warc_payload_bytes_));
}

std::string TsvMerger::output() {
    std::string out;
    write([&](std::string_view piece) { out.append(piece); });
    return out;
}

}  // namespace elvis
