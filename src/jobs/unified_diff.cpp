// Unified diffs from matches: regions of whole lines a match touches, grouped into hunks.
#include "jobs/unified_diff.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace elvis::detail {

namespace {

// Where the line holding byte `at` starts, and where it ends (past its '\n', or at the end).
std::size_t line_begin(std::string_view text, std::size_t at) {
    const std::size_t newline = at == 0 ? std::string_view::npos : text.rfind('\n', at - 1);
    return newline == std::string_view::npos ? 0 : newline + 1;
}

std::size_t line_end(std::string_view text, std::size_t at) {
    const std::size_t newline = text.find('\n', at);
    return newline == std::string_view::npos ? text.size() : newline + 1;
}

std::size_t count_lines(std::string_view text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) +
           (!text.empty() && text.back() != '\n' ? 1 : 0);
}

// Whole lines of the original that matches touch, and what they become. A region whose new text
// would end inside a line takes the next line in (a replacement that drops a newline joins two).
struct Region {
    std::size_t old_begin = 0, old_end = 0;  // bytes of the original
    std::size_t old_line = 0;                // index of its first line
    std::string after;
    std::size_t first_match = 0, end_match = 0;
};

std::vector<Region> changed_regions(std::string_view before, std::span<const Match> matches, const RuleSet& rules) {
    std::vector<Region> regions;
    std::size_t counted_to = 0, lines_before = 0;
    // A replacement that gives back the bytes it matched changes nothing to show.
    auto gives_back = [&](const Match& m) {
        return rules.rules()[m.rule].replace == before.substr(m.start, m.end - m.start);
    };
    for (std::size_t i = 0; i < matches.size();) {
        if (gives_back(matches[i])) {
            ++i;
            continue;
        }
        Region r;
        r.first_match = i;
        r.old_begin = line_begin(before, matches[i].start);
        r.old_end = line_end(before, matches[i].end - 1);
        std::size_t copied = r.old_begin;
        for (;;) {
            // A match on the line after the region joins it: changed lines are one block, the
            // old ones first, as diff(1) writes them.
            for (; i < matches.size() && line_begin(before, matches[i].start) <= r.old_end &&
                   !(matches[i].start >= r.old_end && gives_back(matches[i]));
                 ++i) {
                r.after.append(before.substr(copied, matches[i].start - copied));
                r.after.append(rules.rules()[matches[i].rule].replace);
                copied = matches[i].end;
                r.old_end = std::max(r.old_end, line_end(before, matches[i].end - 1));
            }
            const std::string_view tail = before.substr(copied, r.old_end - copied);
            const bool ends_a_line = !tail.empty() ? tail.back() == '\n' : r.after.empty() || r.after.back() == '\n';
            if (ends_a_line || r.old_end == before.size()) {
                r.after.append(tail);
                break;
            }
            r.old_end = line_end(before, r.old_end);
        }
        lines_before += static_cast<std::size_t>(std::count(before.begin() + static_cast<std::ptrdiff_t>(counted_to),
                                                            before.begin() + static_cast<std::ptrdiff_t>(r.old_begin), '\n'));
        counted_to = r.old_begin;
        r.old_line = lines_before;
        r.end_match = i;
        if (r.after != before.substr(r.old_begin, r.old_end - r.old_begin)) regions.push_back(std::move(r));
    }
    return regions;
}

struct Writer {
    const DiffStyle& style;
    std::string out;

    void line(char prefix, std::string_view text) {
        const bool last_unterminated = text.empty() || text.back() != '\n';
        if (!last_unterminated) text.remove_suffix(1);
        const char* colour = prefix == '-' ? "\x1b[31m" : prefix == '+' ? "\x1b[32m" : nullptr;
        if (style.color && colour) out.append(colour);
        out.push_back(prefix);
        out.append(text);
        if (style.color && colour) out.append("\x1b[m");
        out.push_back('\n');
        if (last_unterminated) out.append("\\ No newline at end of file\n");
    }

    void lines(char prefix, std::string_view text) {
        while (!text.empty()) {
            const std::size_t end = line_end(text, 0);
            line(prefix, text.substr(0, end));
            text.remove_prefix(end);
        }
    }

    void header(std::string_view text) {
        if (style.color) out.append("\x1b[1m");
        out.append(text);
        if (style.color) out.append("\x1b[m");
        out.push_back('\n');
    }
};

// "start,count", or "start" alone when count is 1; an empty range is named by the line before it.
std::string range(std::size_t first_line, std::size_t count) {
    if (count == 1) return std::to_string(first_line + 1);
    return std::to_string(count == 0 ? first_line : first_line + 1) + "," + std::to_string(count);
}

}  // namespace

std::string git_quoted(std::string_view path) {
    const bool plain = std::none_of(path.begin(), path.end(), [](char c) {
        const auto b = static_cast<unsigned char>(c);
        return b < 0x20 || b == 0x7f || c == '"' || c == '\\';
    });
    if (plain) return std::string(path);
    std::string quoted = "\"";
    for (char c : path) {
        const auto b = static_cast<unsigned char>(c);
        static constexpr std::string_view named = "\a\b\t\n\v\f\r\"\\", letters = "abtnvfr\"\\";
        if (const std::size_t k = named.find(c); k != std::string_view::npos && c != '\0') {
            quoted.push_back('\\');
            quoted.push_back(letters[k]);
        } else if (b < 0x20 || b == 0x7f) {
            char octal[5];
            std::snprintf(octal, sizeof octal, "\\%03o", b);
            quoted.append(octal);
        } else {
            quoted.push_back(c);
        }
    }
    return quoted + "\"";
}

std::string diff_header(std::string_view path, const DiffStyle& style) {
    const std::string name(path.substr(std::min(path.find_first_not_of('/'), path.size())));
    const std::string a = git_quoted("a/" + name), b = git_quoted("b/" + name);
    Writer w{style, {}};
    w.header("diff --git " + a + " " + b);
    // As git: a tab after a name with a space, so that patch(1) reads the name to its end.
    const char* tab = name.find(' ') != std::string::npos ? "\t" : "";
    w.header("--- " + a + tab);
    w.header("+++ " + b + tab);
    return std::move(w.out);
}

std::vector<DiffHunk> diff_hunks(std::string_view before, std::span<const Match> matches, const RuleSet& rules,
                                 const DiffStyle& style) {
    const std::vector<Region> regions = changed_regions(before, matches, rules);
    auto old_lines = [&](const Region& r) { return count_lines(before.substr(r.old_begin, r.old_end - r.old_begin)); };
    const std::size_t context = style.context;
    std::vector<DiffHunk> hunks;
    std::ptrdiff_t shift = 0;  // new line index minus old, before the hunk
    for (std::size_t first = 0; first < regions.size();) {
        // The regions of one hunk: those whose contexts touch.
        std::size_t last = first;
        while (last + 1 < regions.size() &&
               regions[last + 1].old_line - (regions[last].old_line + old_lines(regions[last])) <= 2 * context)
            ++last;
        // Up to `context` lines before the first region and after the last.
        std::size_t lead_begin = regions[first].old_begin, lead_lines = 0;
        while (lead_lines < context && lead_begin > 0) {
            lead_begin = line_begin(before, lead_begin - 1);
            ++lead_lines;
        }
        std::size_t trail_end = regions[last].old_end, trail_lines = 0;
        while (trail_lines < context && trail_end < before.size()) {
            trail_end = line_end(before, trail_end);
            ++trail_lines;
        }
        std::size_t old_count = lead_lines + trail_lines, new_count = lead_lines + trail_lines;
        for (std::size_t k = first; k <= last; ++k) {
            const std::size_t gap = k == first ? 0 : count_lines(before.substr(regions[k - 1].old_end,
                                                                               regions[k].old_begin - regions[k - 1].old_end));
            old_count += gap + old_lines(regions[k]);
            new_count += gap + count_lines(regions[k].after);
        }
        const std::size_t old_first = regions[first].old_line - lead_lines;
        const auto new_first = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(old_first) + shift);
        const std::string at = "@@ -" + range(old_first, old_count) + " +" + range(new_first, new_count) + " @@";
        Writer w{style, style.color ? "\x1b[36m" + at + "\x1b[m\n" : at + "\n"};
        w.lines(' ', before.substr(lead_begin, regions[first].old_begin - lead_begin));
        for (std::size_t k = first; k <= last; ++k) {
            if (k > first) w.lines(' ', before.substr(regions[k - 1].old_end, regions[k].old_begin - regions[k - 1].old_end));
            w.lines('-', before.substr(regions[k].old_begin, regions[k].old_end - regions[k].old_begin));
            w.lines('+', regions[k].after);
        }
        w.lines(' ', before.substr(regions[last].old_end, trail_end - regions[last].old_end));
        shift += static_cast<std::ptrdiff_t>(new_count) - static_cast<std::ptrdiff_t>(old_count);
        hunks.push_back({std::move(w.out), regions[first].first_match, regions[last].end_match});
        first = last + 1;
    }
    return hunks;
}

std::string unified_diff(std::string_view path, std::string_view before, std::span<const Match> matches,
                         const RuleSet& rules, const DiffStyle& style) {
    if (matches.empty()) return {};
    std::string out = diff_header(path, style);
    for (const DiffHunk& hunk : diff_hunks(before, matches, rules, style)) out += hunk.text;
    return out;
}

}  // namespace elvis::detail
