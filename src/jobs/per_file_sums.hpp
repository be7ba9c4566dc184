// PerFileSums: the per-file lines of `elvis merge` (PATH, TERM, COUNT), summed per path and term
// within a memory budget. Beyond it the lines held are sorted and spilled to a temporary file as a
// run; reading back merges the runs, as sort(1) does, so memory stays bounded however many lines
// there are (DESIGN.md, "Bounded merge").
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "io/spill_file.hpp"

namespace elvis::detail {

// Whether escaped TSV field a sorts before b once unescaped (as count sorts paths).
bool unescaped_less(std::string_view a, std::string_view b);

class PerFileSums {
public:
    struct Line {
        std::string_view path;  // as the input has it, escaped
        std::uint32_t term;     // the caller's number for the term
        std::uint64_t count;
    };
    // A sum of lines from different runs that does not fit in 64 bits.
    class Overflow : public std::overflow_error {
    public:
        Overflow(std::string path, std::uint32_t term)
            : std::overflow_error("per-file count overflows 64 bits"), path(std::move(path)), term(term) {}
        std::string path;
        std::uint32_t term;
    };

    PerFileSums(std::size_t memory_budget, std::string temporary_directory);

    // Adds `count` to (path, term); false, adding nothing, when the sum held would overflow.
    // Throws IoError when a run cannot be spilled.
    bool add(std::string_view path, std::uint32_t term, std::uint64_t count);

    // Every (path, term) once with its sum, sorted by unescaped path, then by term number. The
    // runs are merged first, so an Overflow (or IoError) is thrown before `each` is called.
    void for_each(const std::function<void(const Line&)>& each);

    std::size_t spilled_runs() const { return runs_.size(); }

private:
    struct Key {
        std::string_view path;
        std::uint32_t term;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        std::size_t operator()(const Key& k) const {
            return std::hash<std::string_view>()(k.path) ^ (static_cast<std::size_t>(k.term) * 0x9e3779b97f4a7c15ull);
        }
    };
    std::string_view keep(std::string_view text);  // a copy in the arena
    std::size_t memory_used() const;
    std::vector<std::uint32_t> sorted_lines() const;
    void spill();
    // Merges runs_[first, first + count) into one run appended to runs_, then drops them.
    void merge_runs(std::size_t count);

    std::size_t budget_;
    std::string directory_;
    // The lines held: paths in an arena of fixed blocks, so views of them stay valid.
    std::vector<std::unique_ptr<char[]>> arena_;
    std::size_t arena_bytes_ = 0;
    char* arena_next_ = nullptr;
    std::size_t arena_left_ = 0;
    std::vector<Line> lines_;
    std::unordered_map<Key, std::uint32_t, KeyHash> index_;
    std::vector<SpillFile> runs_;  // each sorted, each key once
};

}  // namespace elvis::detail
