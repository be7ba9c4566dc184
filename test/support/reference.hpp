// The reference: an obviously correct, slow rewrite and count, for differential tests and fuzzers.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "elvis/counter.hpp"
#include "elvis/rules.hpp"
#include "engine/ascii.hpp"

namespace elvis::reference {

// Length of the longest rule matching at `at` (0 if none), and which rule it is.
inline std::size_t longest_at(const std::vector<Rule>& rules, const MatchOptions& options,
                              std::string_view input, std::size_t at, std::size_t& rule_index) {
    std::size_t best = 0;
    for (std::size_t r = 0; r < rules.size(); ++r) {
        const std::string& find = rules[r].find;
        if (find.size() <= best || at + find.size() > input.size()) continue;
        bool equal = true;
        for (std::size_t k = 0; k < find.size() && equal; ++k) {
            auto a = static_cast<unsigned char>(input[at + k]);
            auto b = static_cast<unsigned char>(find[k]);
            equal = options.ignore_case ? ascii::lower(a) == ascii::lower(b) : a == b;
        }
        if (!equal) continue;
        if (options.whole_word) {
            std::size_t end = at + find.size();
            if (at > 0 && ascii::is_word(static_cast<unsigned char>(input[at - 1]))) continue;
            if (end < input.size() && ascii::is_word(static_cast<unsigned char>(input[end]))) continue;
        }
        best = find.size();
        rule_index = r;
    }
    return best;
}

inline std::string rewrite(const std::vector<Rule>& rules, const MatchOptions& options,
                           std::string_view input) {
    std::string out;
    for (std::size_t i = 0; i < input.size();) {
        std::size_t rule = 0;
        if (std::size_t len = longest_at(rules, options, input, i, rule)) {
            out += rules[rule].replace;
            i += len;
        } else {
            out += input[i++];
        }
    }
    return out;
}

struct Occurrence {
    std::size_t start, end, rule;
};

// What count counts, in start order: with Counting::exclusive the leftmost-longest matches of
// all rules together; with each_term, per rule, its non-overlapping matches as if it were the
// only rule.
inline std::vector<Occurrence> occurrences(const std::vector<Rule>& rules, const MatchOptions& options,
                                           std::string_view input, Counting counting) {
    std::vector<Occurrence> found;
    auto scan = [&](const std::vector<Rule>& set, std::size_t rule_offset) {
        for (std::size_t i = 0; i < input.size();) {
            std::size_t rule = 0;
            if (std::size_t len = longest_at(set, options, input, i, rule)) {
                found.push_back({i, i + len, rule_offset + rule});
                i += len;
            } else {
                ++i;
            }
        }
    };
    if (counting == Counting::exclusive) scan(rules, 0);
    else
        for (std::size_t r = 0; r < rules.size(); ++r) scan({rules[r]}, r);
    std::stable_sort(found.begin(), found.end(), [](const Occurrence& a, const Occurrence& b) { return a.start < b.start; });
    return found;
}

inline std::vector<std::uint64_t> count(const std::vector<Rule>& rules, const MatchOptions& options,
                                        std::string_view input, Counting counting) {
    std::vector<std::uint64_t> counts(rules.size(), 0);
    for (const Occurrence& o : occurrences(rules, options, input, counting)) ++counts[o.rule];
    return counts;
}

struct Records {
    std::vector<std::uint64_t> counts;
    std::uint64_t records = 0;
};

// A record runs from an opening marker (`<TAG` then one of > / space \t \n \r) to the next
// closing marker `</TAG>`; records do not nest (an opening marker inside a record is ordinary
// content) and a record still open at the end is not counted. A term counts once per record if
// it occurs (above) in the record's content, the bytes between the markers, taken as a stream of
// its own.
inline Records records(const std::vector<Rule>& terms, const MatchOptions& options, std::string_view tag,
                       bool markers_ignore_case, std::string_view stream, Counting counting) {
    auto marker_at = [&](std::size_t i, std::string_view marker) {
        if (i + marker.size() > stream.size()) return false;
        for (std::size_t k = 0; k < marker.size(); ++k) {
            auto a = static_cast<unsigned char>(stream[i + k]), b = static_cast<unsigned char>(marker[k]);
            if (markers_ignore_case ? ascii::lower(a) != ascii::lower(b) : a != b) return false;
        }
        return true;
    };
    // append(), not "<" + ...: GCC 12 warns falsely (-Wrestrict) on that
    const std::string open = std::string("<").append(tag);
    const std::string close = std::string("</").append(tag).append(">");

    Records result;
    result.counts.assign(terms.size(), 0);
    std::vector<bool> seen(terms.size());
    bool in_record = false;
    std::size_t content = 0;
    for (std::size_t i = 0; i < stream.size();) {
        if (!in_record) {
            if (marker_at(i, open) && i + open.size() < stream.size() &&
                std::string_view("> /\t\n\r").find(stream[i + open.size()]) != std::string_view::npos) {
                in_record = true;
                content = i + open.size() + 1;
                i = content;
            } else {
                ++i;
            }
            continue;
        }
        if (!marker_at(i, close)) {
            ++i;
            continue;
        }
        ++result.records;
        std::fill(seen.begin(), seen.end(), false);
        // The content is a stream of its own: no match spans a marker.
        for (const Occurrence& o : occurrences(terms, options, stream.substr(content, i - content), counting))
            if (!seen[o.rule]) seen[o.rule] = true, ++result.counts[o.rule];
        in_record = false;
        i += close.size();
    }
    return result;
}

}  // namespace elvis::reference
