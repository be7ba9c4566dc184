// Test helpers for gzip input: members written by zlib (an independent writer) and text to fill them.
#pragma once

#include <doctest/doctest.h>
#include <zlib.h>

#include <random>
#include <string>
#include <string_view>

namespace elvis::testing {

// One gzip member holding `data`.
inline std::string gzip(std::string_view data, int level = 6) {
    z_stream z{};
    REQUIRE(deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::string out(deflateBound(&z, data.size()) + 32, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

inline std::string text(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    const char* words[] = {"elvis ", "the ", "king ", "presley\n", "graceland ", "elvi", "s "};
    std::string s;
    while (s.size() < n) s += words[rng() % 7];
    s.resize(n);
    return s;
}

}  // namespace elvis::testing
