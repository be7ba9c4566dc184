// Helpers that feed a stream to the rewriter in given pieces, the way the byte sources do.
#pragma once

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "elvis/rewriter.hpp"

namespace elvis::testing {

// Feeds `input` in pieces of the given sizes (cycled), through writable copies (so in-place
// patching is exercised) or read-only views.
inline std::string rewrite_in_pieces(const Matcher& matcher, std::string_view input,
                                     const std::vector<std::size_t>& sizes, bool writable = true) {
    StreamRewriter rewriter(matcher);
    StringSink sink;
    std::string scratch;
    std::size_t at = 0;
    for (std::size_t k = 0; at < input.size(); ++k) {
        std::size_t n = std::min(sizes[k % sizes.size()], input.size() - at);
        if (writable) {
            scratch.assign(input.substr(at, n));
            rewriter.feed(std::span<char>(scratch.data(), scratch.size()), sink);
            scratch.assign(scratch.size(), '#');  // the rewriter must not read a chunk after feed()
        } else {
            rewriter.feed(input.substr(at, n), sink);
        }
        at += n;
    }
    rewriter.finish(sink);
    return sink.out;
}

inline std::vector<std::size_t> random_sizes(std::mt19937& rng, std::size_t max_size) {
    std::vector<std::size_t> sizes(1 + rng() % 8);
    for (auto& s : sizes) s = 1 + rng() % max_size;
    return sizes;
}

}  // namespace elvis::testing
