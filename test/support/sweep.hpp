// The configurations a result must not depend on, in one place (HACKING.md, "Tests"): every
// instruction set this CPU has, every I/O backend this kernel allows, and every way of handing a
// stream over (whole, cut into pieces, writable or read-only chunks). A test names what it
// checks; the sweeper runs it in each configuration, naming the configuration when it fails.
#pragma once

#include <doctest/doctest.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "elvis/byte_source.hpp"
#include "elvis/matcher.hpp"
#include "elvis/rewriter.hpp"
#include "io/uring.hpp"
#include "support/split.hpp"

namespace elvis::testing {

// The instruction sets of concrete_isas this CPU runs.
inline std::vector<Isa> supported_isas() {
    std::vector<Isa> isas;
    for (Isa isa : concrete_isas)
        if (isa_supported(isa)) isas.push_back(isa);
    return isas;
}

// posix, and io_uring when this kernel (or its seccomp policy) lets a ring be made.
inline std::vector<IoMode> backends() {
    std::string why_not;
    if (Uring::create(8, why_not)) return {IoMode::posix, IoMode::uring};
    return {IoMode::posix};
}

// Ways to cut a stream into the chunks a source hands over (sizes cycled): single bytes, odd
// small pieces that cross every needle, and buffer-sized ones that cross SIMD blocks.
inline const std::vector<std::vector<std::size_t>> default_splits = {{1}, {31, 1, 64, 7, 500}, {4096, 3, 65536, 17}};

// Calls `check(matcher)` once per instruction set, with a matcher built for it.
template <class Check>
void for_each_isa(const RuleSet& rules, Check&& check) {
    for (Isa isa : supported_isas()) {
        CAPTURE(isa_name(isa));
        const Matcher matcher(rules, isa);
        check(matcher);
    }
}

// The rewrite of `input` is `expected` in every configuration: each instruction set × the whole
// input at once and each of `splits` × writable chunks (patched in place) and read-only ones.
inline void check_rewrite(const RuleSet& rules, std::string_view input, std::string_view expected,
                          const std::vector<std::vector<std::size_t>>& splits = default_splits) {
    for_each_isa(rules, [&](const Matcher& matcher) {
        CHECK(rewrite(matcher, input) == expected);
        for (const std::vector<std::size_t>& pieces : splits)
            for (bool writable : {true, false}) {
                CAPTURE(pieces.front());
                CAPTURE(writable);
                CHECK(rewrite_in_pieces(matcher, input, pieces, writable) == expected);
            }
    });
}

}  // namespace elvis::testing
