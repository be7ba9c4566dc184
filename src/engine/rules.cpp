// Rules: validation and the rules-file format.
#include "elvis/rules.hpp"

#include <unordered_map>

#include "engine/ascii.hpp"

namespace elvis {

namespace {

std::string uppercased(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(ascii::upper(static_cast<unsigned char>(c)));
    return out;
}

// "elvis", "ELVIS" -> "Elvis"; a word with its own inner capitals keeps them ("McCartney",
// "gitHub" -> "GitHub").
std::string capitalized(std::string_view s) {
    const bool one_case = ascii::lowered(s) == s || uppercased(s) == s;
    std::string out = one_case ? ascii::lowered(s) : std::string(s);
    if (!out.empty()) out[0] = static_cast<char>(ascii::upper(static_cast<unsigned char>(out[0])));
    return out;
}

}  // namespace

RuleSet::RuleSet(std::vector<Rule> rules, MatchOptions options)
    : rules_(std::move(rules)), options_(options) {
    if (rules_.empty()) throw RuleError("no rules given");
    std::unordered_map<std::string, std::size_t> seen;
    for (std::size_t i = 0; i < rules_.size(); ++i) {
        const Rule& rule = rules_[i];
        if (rule.find.empty()) throw RuleError("empty find text (rule " + std::to_string(i + 1) + ")");
        std::string key = options_.ignore_case ? ascii::lowered(rule.find) : rule.find;
        auto [it, inserted] = seen.emplace(std::move(key), i);
        if (!inserted)
            throw RuleError("duplicate find text '" + rule.find + "' (rules " +
                            std::to_string(it->second + 1) + " and " + std::to_string(i + 1) + ")");
    }
    terms_ = rules_.size();
    if (options_.preserve_case) {
        if (options_.ignore_case)
            throw RuleError("--preserve-case cannot be combined with -i/--ignore-case (which already matches every case)");
        for (std::uint32_t i = 0; i < terms_; ++i)
            for (auto variant : {ascii::lowered, capitalized, uppercased}) {
                Rule r{variant(rules_[i].find), variant(rules_[i].replace)};
                if (seen.emplace(r.find, rules_.size()).second) {
                    rules_.push_back(std::move(r));
                    variant_of_.push_back(i);
                }
            }
    }
    for (const Rule& rule : rules_) {
        longest_find_ = std::max(longest_find_, rule.find.size());
        same_length_ = same_length_ && rule.find.size() == rule.replace.size();
    }
}

RuleSet RuleSet::default_rules(MatchOptions options) {
    return RuleSet({Rule{"elvis", "Elvis"}}, options);
}

namespace {
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

std::string unescape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\') {
            out.push_back(text[i]);
            continue;
        }
        if (++i == text.size()) throw RuleError("trailing backslash");
        switch (text[i]) {
            case '\\': out.push_back('\\'); break;
            case 't': out.push_back('\t'); break;
            case 'n': out.push_back('\n'); break;
            case 'r': out.push_back('\r'); break;
            case '0': out.push_back('\0'); break;
            case 'x': {
                int hi = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
                int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
                if (hi < 0 || lo < 0) throw RuleError("\\x needs two hex digits");
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 2;
                break;
            }
            default:
                throw RuleError(std::string("unknown escape \\") + text[i] +
                                " (known: \\\\ \\t \\n \\r \\0 \\xHH)");
        }
    }
    return out;
}

namespace {

// Calls parse_line(line) for each line but blank ones (a trailing CR dropped), prefixing any
// RuleError with "NAME:LINE: ".
template <typename ParseLine>
void for_each_line(std::string_view text, std::string_view name, ParseLine parse_line) {
    if (text.starts_with("\xef\xbb\xbf")) text.remove_prefix(3);  // a UTF-8 byte order mark (Windows editors)
    for (std::size_t line_no = 1; !text.empty(); ++line_no) {
        const std::size_t eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty() || line.front() == '#') continue;  // blank, or a comment
        try {
            parse_line(line);
        } catch (const RuleError& e) {
            throw RuleError(std::string(name) + ":" + std::to_string(line_no) + ": " + e.what());
        }
    }
}

}  // namespace

std::vector<Rule> parse_rules(std::string_view text, std::string_view name) {
    std::vector<Rule> rules;
    for_each_line(text, name, [&](std::string_view line) {
        const std::size_t tab = line.find('\t');
        if (tab == std::string_view::npos) throw RuleError("expected FIND<TAB>REPLACE");
        if (line.find('\t', tab + 1) != std::string_view::npos)
            throw RuleError("more than one TAB (a TAB inside FIND or REPLACE is written \\t)");
        Rule rule{unescape(line.substr(0, tab)), unescape(line.substr(tab + 1))};
        if (rule.find.empty()) throw RuleError("empty find text");
        rules.push_back(std::move(rule));
    });
    if (rules.empty()) throw RuleError(std::string(name) + ": no rules in file");
    return rules;
}

std::vector<Rule> parse_terms(std::string_view text, std::string_view name) {
    std::vector<Rule> terms;
    for_each_line(text, name, [&](std::string_view line) { terms.push_back({unescape(line), {}}); });
    if (terms.empty()) throw RuleError(std::string(name) + ": no terms in file");
    return terms;
}

}  // namespace elvis
