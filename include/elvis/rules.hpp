// Rules: the find → replace pairs and the options that say how they match.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "elvis/errors.hpp"

namespace elvis {

struct Rule {
    std::string find;     // arbitrary bytes, never empty
    std::string replace;  // arbitrary bytes, may be empty (deletes the match)
};

struct MatchOptions {
    bool ignore_case = false;  // ASCII letters only; other bytes compare exactly
    bool whole_word = false;   // the match must not touch an ASCII letter, digit or '_' on either side
    // Each rule also stands for its case variants: all lower case, Capitalized and UPPER CASE,
    // each replaced by the same variant of the replacement (elvis -> presley also rewrites Elvis
    // -> Presley and ELVIS -> PRESLEY). A variant equal to a rule given is left to that rule.
    // Counted, the variants add up under the rule they come from. Not with ignore_case.
    bool preserve_case = false;
};

// An ordered, validated list of rules. Order matters only for reporting (counts are listed in
// rule order); which rule wins at a position is decided by leftmost-longest, never by order.
class RuleSet {
public:
    // Throws RuleError if any find text is empty or two find texts are equal under `options`.
    RuleSet(std::vector<Rule> rules, MatchOptions options);

    // The rules matched: those given and, with preserve_case, their variants after them.
    const std::vector<Rule>& rules() const { return rules_; }
    // The rules as given, which counts are reported by, and the one a matched rule stands for.
    std::size_t terms() const { return terms_; }
    std::uint32_t term(std::uint32_t rule) const { return rule < terms_ ? rule : variant_of_[rule - terms_]; }

    // The default rule set: elvis → Elvis.
    static RuleSet default_rules(MatchOptions options = {});

    const MatchOptions& options() const { return options_; }
    std::size_t size() const { return rules_.size(); }
    std::size_t longest_find() const { return longest_find_; }
    // True when every replacement has the length of its find text, so a rewrite may patch in place.
    bool same_length() const { return same_length_; }

private:
    std::vector<Rule> rules_;
    std::size_t terms_ = 0;
    std::vector<std::uint32_t> variant_of_;  // per variant (rules_[terms_ + k]), its rule given
    MatchOptions options_;
    std::size_t longest_find_ = 0;
    bool same_length_ = true;
};

// Decodes the escapes accepted in rules files: \\ \t \n \r \0 \xHH. Throws RuleError on a bad escape.
std::string unescape(std::string_view text);

// Parses a rules file: one `FIND<TAB>REPLACE` pair per line, exactly one TAB (escapes as in
// unescape: \t for a TAB inside, \x23 for a leading '#'); lines starting with '#' are comments,
// blank lines are skipped, a trailing CR and a leading UTF-8 byte order mark are dropped. `name`
// is used in error messages as `name:LINE: reason`.
std::vector<Rule> parse_rules(std::string_view text, std::string_view name);

// Parses a terms file: one term per line, otherwise as parse_rules. Each term is a Rule with an
// empty replacement.
std::vector<Rule> parse_terms(std::string_view text, std::string_view name);

}  // namespace elvis
