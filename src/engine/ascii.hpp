// ASCII byte classes shared by matching, word boundaries and case folding (no locale, ever).
#pragma once

#include <string>
#include <string_view>

namespace elvis::ascii {

constexpr unsigned char lower(unsigned char b) { return (b >= 'A' && b <= 'Z') ? b + 32 : b; }
constexpr unsigned char upper(unsigned char b) { return (b >= 'a' && b <= 'z') ? b - 32 : b; }
constexpr bool is_alpha(unsigned char b) { return lower(b) >= 'a' && lower(b) <= 'z'; }
constexpr bool is_word(unsigned char b) { return is_alpha(b) || (b >= '0' && b <= '9') || b == '_'; }

inline std::string lowered(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(lower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace elvis::ascii
