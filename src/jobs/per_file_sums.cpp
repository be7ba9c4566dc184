#include "jobs/per_file_sums.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <numeric>
#include <queue>

#include "elvis/errors.hpp"

namespace elvis::detail {

namespace {

// The byte an escaped TSV field stands for at `i`, and where the next one starts.
std::pair<unsigned char, std::size_t> unescaped_at(std::string_view field, std::size_t i) {
    if (field[i] == '\\' && i + 1 < field.size()) {
        const char c = field[i + 1];
        const char byte = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c == '\\' ? '\\' : '\0';
        if (byte != '\0') return {static_cast<unsigned char>(byte), i + 2};
    }
    return {static_cast<unsigned char>(field[i]), i + 1};
}

bool key_less(std::string_view a_path, std::uint32_t a_term, std::string_view b_path, std::uint32_t b_term) {
    if (a_path != b_path) return unescaped_less(a_path, b_path);
    return a_term < b_term;
}

// A line of a run: this header, then the path's bytes.
struct RunRecord {
    std::uint32_t path_size;
    std::uint32_t term;
    std::uint64_t count;
};

void append_record(SpillFile& run, std::string_view path, std::uint32_t term, std::uint64_t count) {
    const RunRecord record{static_cast<std::uint32_t>(path.size()), term, count};
    run.append({reinterpret_cast<const char*>(&record), sizeof record});
    run.append(path);
}

// Reads a run's lines in order.
class RunCursor {
public:
    explicit RunCursor(SpillFile& run) : reader_(run) {}
    // False at the end of the run.
    bool next() {
        RunRecord record;
        if (!reader_.read(&record, sizeof record)) return false;
        path.resize(record.path_size);
        if (!reader_.read(path.data(), path.size())) throw IoError("a temporary file ended early", EIO);
        term = record.term;
        count = record.count;
        return true;
    }
    std::string path;
    std::uint32_t term = 0;
    std::uint64_t count = 0;

private:
    SpillFile::Reader reader_;
};

// More runs than this are merged in rounds, so the readers' buffers stay a small part of the budget.
constexpr std::size_t max_runs_merged_at_once = 16;

}  // namespace

bool unescaped_less(std::string_view a, std::string_view b) {
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        const auto [x, next_i] = unescaped_at(a, i);
        const auto [y, next_j] = unescaped_at(b, j);
        if (x != y) return x < y;
        i = next_i;
        j = next_j;
    }
    return i == a.size() && j < b.size();
}

PerFileSums::PerFileSums(std::size_t memory_budget, std::string temporary_directory)
    : budget_(memory_budget), directory_(std::move(temporary_directory)) {}

std::string_view PerFileSums::keep(std::string_view text) {
    // Blocks small against the budget, so that the paths fill it rather than a block's slack.
    const std::size_t block = std::clamp<std::size_t>(budget_ / 16, 64, 1 << 20);
    if (text.size() > arena_left_) {
        const std::size_t size = std::max(block, text.size());
        arena_.push_back(std::make_unique<char[]>(size));
        arena_bytes_ += size;
        arena_next_ = arena_.back().get();
        arena_left_ = size;
    }
    char* start = arena_next_;
    std::copy(text.begin(), text.end(), start);
    arena_next_ += text.size();
    arena_left_ -= text.size();
    return {start, text.size()};
}

std::size_t PerFileSums::memory_used() const {
    // A node of the index holds its key, value, cached hash and link.
    constexpr std::size_t index_node_bytes = sizeof(Key) + sizeof(std::uint32_t) + 2 * sizeof(void*);
    return arena_bytes_ + lines_.capacity() * sizeof(Line) + index_.size() * index_node_bytes +
           index_.bucket_count() * sizeof(void*);
}

bool PerFileSums::add(std::string_view path, std::uint32_t term, std::uint64_t count) {
    auto found = index_.find(Key{path, term});
    if (found == index_.end()) {
        if (memory_used() + path.size() + sizeof(Line) + 64 > budget_ && !lines_.empty()) spill();
        const std::string_view kept = keep(path);
        found = index_.emplace(Key{kept, term}, static_cast<std::uint32_t>(lines_.size())).first;
        lines_.push_back({kept, term, 0});
    }
    Line& line = lines_[found->second];
    return !__builtin_add_overflow(line.count, count, &line.count);
}

std::vector<std::uint32_t> PerFileSums::sorted_lines() const {
    std::vector<std::uint32_t> order(lines_.size());
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
        return key_less(lines_[a].path, lines_[a].term, lines_[b].path, lines_[b].term);
    });
    return order;
}

void PerFileSums::spill() {
    SpillFile run(directory_);
    for (const std::uint32_t i : sorted_lines()) append_record(run, lines_[i].path, lines_[i].term, lines_[i].count);
    run.finish();
    runs_.push_back(std::move(run));
    // The line table keeps its capacity (counted in the budget); the index and paths go back.
    lines_.clear();
    index_ = {};
    arena_.clear();
    arena_bytes_ = 0;
    arena_next_ = nullptr;
    arena_left_ = 0;
}

void PerFileSums::merge_runs(std::size_t count) {
    std::vector<RunCursor> cursors;
    cursors.reserve(count);
    for (std::size_t r = 0; r < count; ++r) cursors.emplace_back(runs_[r]);
    auto after = [&](std::size_t a, std::size_t b) {
        return key_less(cursors[b].path, cursors[b].term, cursors[a].path, cursors[a].term);
    };
    std::priority_queue<std::size_t, std::vector<std::size_t>, decltype(after)> heap(after);
    for (std::size_t r = 0; r < count; ++r)
        if (cursors[r].next()) heap.push(r);
    SpillFile merged(directory_);
    std::string path;
    while (!heap.empty()) {
        const std::size_t first = heap.top();
        heap.pop();
        path = cursors[first].path;
        const std::uint32_t term = cursors[first].term;
        std::uint64_t sum = cursors[first].count;
        if (cursors[first].next()) heap.push(first);
        while (!heap.empty() && cursors[heap.top()].path == path && cursors[heap.top()].term == term) {
            const std::size_t same = heap.top();
            heap.pop();
            if (__builtin_add_overflow(sum, cursors[same].count, &sum)) throw Overflow(path, term);
            if (cursors[same].next()) heap.push(same);
        }
        append_record(merged, path, term, sum);
    }
    merged.finish();
    cursors.clear();
    runs_.erase(runs_.begin(), runs_.begin() + static_cast<std::ptrdiff_t>(count));
    runs_.push_back(std::move(merged));
}

void PerFileSums::for_each(const std::function<void(const Line&)>& each) {
    if (runs_.empty()) {
        for (const std::uint32_t i : sorted_lines()) each(lines_[i]);
        return;
    }
    if (!lines_.empty()) spill();
    while (runs_.size() > max_runs_merged_at_once) merge_runs(max_runs_merged_at_once);
    if (runs_.size() > 1) merge_runs(runs_.size());
    RunCursor cursor(runs_.front());
    while (cursor.next()) each({cursor.path, cursor.term, cursor.count});
}

}  // namespace elvis::detail
