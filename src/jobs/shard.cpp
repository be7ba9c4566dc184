// Shards: "I/N" and the FNV-1a 64-bit path hash (see shard.hpp for the contract).
#include "elvis/shard.hpp"

#include <charconv>
#include <string>

namespace elvis {

std::uint64_t fnv1a64(std::string_view text) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (char c : text) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ull;
    }
    return h;
}

Shard parse_shard(std::string_view text) {
    auto fail = [&](const char* why) {
        return std::invalid_argument("invalid shard '" + std::string(text) + "': " + why);
    };
    const std::size_t slash = text.find('/');
    if (slash == std::string_view::npos) throw fail("expected I/N, such as 1/4");
    auto number = [&](std::string_view digits) {
        std::uint64_t value = 0;
        if (digits.empty() || digits.front() < '0' || digits.front() > '9') throw fail("expected I/N, such as 1/4");
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (ec == std::errc::result_out_of_range) throw fail("number too large");
        if (ec != std::errc() || end != digits.data() + digits.size()) throw fail("expected I/N, such as 1/4");
        return value;
    };
    Shard shard{number(text.substr(0, slash)), number(text.substr(slash + 1))};
    if (shard.count == 0) throw fail("N must be at least 1");
    if (shard.index < 1 || shard.index > shard.count) throw fail("I must be between 1 and N (shards are numbered from 1)");
    return shard;
}

}  // namespace elvis
