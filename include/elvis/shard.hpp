// Shards: split one list of files across N machines (or processes) with no coordinator.
//
// Every participant gets the same file list and its own shard I of N; a file belongs to shard
// I exactly when  FNV-1a-64(path) mod N == I - 1,  where path is the file's path as elvis prints
// it (a walked file: DIR/NAME as joined by join_path; a named file: the name exactly as given),
// hashed byte for byte with no normalization. FNV-1a 64: h = 0xcbf29ce484222325; for each byte
// b: h ^= b; h *= 0x100000001b3 (mod 2^64). So shards are disjoint, together cover every file,
// and any tool can recompute the split (see docs/scale-out.md).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string_view>

namespace elvis {

struct Shard {
    std::uint64_t index = 1;  // 1-based: 1 <= index <= count
    std::uint64_t count = 1;
};

// Parses "I/N" (decimal, 1 <= I <= N); throws std::invalid_argument with a message naming the text.
Shard parse_shard(std::string_view text);

// FNV-1a, 64 bits, of the bytes of `text`.
std::uint64_t fnv1a64(std::string_view text);

// The 1-based shard `path` belongs to among `count`.
inline std::uint64_t shard_of(std::string_view path, std::uint64_t count) { return fnv1a64(path) % count + 1; }

inline bool in_shard(std::string_view path, Shard shard) { return shard_of(path, shard.count) == shard.index; }

}  // namespace elvis
