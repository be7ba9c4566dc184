// The reference: an obviously correct, slow rewrite and count, for differential tests and fuzzers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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

inline std::vector<std::uint64_t> count(const std::vector<Rule>& rules, const MatchOptions& options,
                                        std::string_view input) {
    std::vector<std::uint64_t> counts(rules.size(), 0);
    for (std::size_t i = 0; i < input.size();) {
        std::size_t rule = 0;
        if (std::size_t len = longest_at(rules, options, input, i, rule)) {
            ++counts[rule];
            i += len;
        } else {
            ++i;
        }
    }
    return counts;
}

}  // namespace elvis::reference
