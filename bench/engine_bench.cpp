// engine_bench: in-memory throughput of the elvis engine, no I/O.
//
// Builds a dense English-like corpus in memory (or reads FILE), then feeds it in fixed-size chunks
// to StreamRewriter and StreamCounter and reports single-thread (per core) throughput for:
//   - one needle `elvis` -> `Elvis`, the same with -i and with -w, 4 and 16 needles, a longer
//     replacement;
//   - pathological inputs: all-`a` text against needles of 32 and 4096 `a`s and against
//     `aaa…ab` needles (never matches), to show the time stays linear in the input.
// Every case is checked against a naive reference (match count and, for the copying sink, the
// output bytes), and the global operator new is replaced to count heap allocations made after
// the rewriter/counter was constructed: the engine promises none, so anything but 0 is a bug.
//
// Rewriter modes:
//   view     feed(string_view) into a sink that only counts bytes: the pure engine cost
//   copy     feed(string_view) into a sink that memcpy's into a preallocated buffer
//   inplace  memcpy each chunk into a buffer (as read(2) would), feed(span): same-length rules
//            are patched in place, then the counting sink
//   count    StreamCounter
//
// Exit status: 0 when every case verified and made no allocation, 1 otherwise, 2 on bad usage.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <new>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "elvis/counter.hpp"
#include "elvis/matcher.hpp"
#include "elvis/rewriter.hpp"
#include "elvis/rules.hpp"
#include "elvis/sink.hpp"
#include "engine/ascii.hpp"

// ---------------------------------------------------------------------------------------------
// Counting allocator: every form of global operator new bumps one counter.

namespace {
std::atomic<std::uint64_t> g_allocations{0};

void* counted_alloc(std::size_t size) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    void* p = std::malloc(size ? size : 1);
    if (p == nullptr) throw std::bad_alloc();
    return p;
}

void* counted_aligned_alloc(std::size_t size, std::align_val_t align) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    std::size_t a = std::max(static_cast<std::size_t>(align), sizeof(void*));
    void* p = nullptr;
    if (::posix_memalign(&p, a, size ? size : 1) != 0) throw std::bad_alloc();
    return p;
}

std::uint64_t allocations() { return g_allocations.load(std::memory_order_relaxed); }
}  // namespace

void* operator new(std::size_t size) { return counted_alloc(size); }
void* operator new[](std::size_t size) { return counted_alloc(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    try { return counted_alloc(size); } catch (...) { return nullptr; }
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    try { return counted_alloc(size); } catch (...) { return nullptr; }
}
void* operator new(std::size_t size, std::align_val_t align) { return counted_aligned_alloc(size, align); }
void* operator new[](std::size_t size, std::align_val_t align) { return counted_aligned_alloc(size, align); }
void* operator new(std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
    try { return counted_aligned_alloc(size, align); } catch (...) { return nullptr; }
}
void* operator new[](std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
    try { return counted_aligned_alloc(size, align); } catch (...) { return nullptr; }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// Sinks that never allocate.

class CountingSink final : public elvis::Sink {
public:
    void put(std::string_view bytes) override {
        bytes_ += bytes.size();
        ++spans_;
    }
    void flush() override {}
    std::uint64_t bytes_ = 0, spans_ = 0;
};

class CopySink final : public elvis::Sink {
public:
    CopySink(char* buffer, std::size_t capacity) : buffer_(buffer), capacity_(capacity) {}
    void put(std::string_view bytes) override {
        if (bytes.size() > capacity_ - size_) {  // never expected: the buffer is sized up front
            overflow_ = true;
            return;
        }
        std::memcpy(buffer_ + size_, bytes.data(), bytes.size());
        size_ += bytes.size();
    }
    void flush() override {}
    void clear() { size_ = 0; overflow_ = false; }
    std::string_view view() const { return {buffer_, size_}; }
    bool overflow() const { return overflow_; }

private:
    char* buffer_;
    std::size_t capacity_;
    std::size_t size_ = 0;
    bool overflow_ = false;
};

// ---------------------------------------------------------------------------------------------
// Corpus: the same recipe as bench/gen_corpus.py (words, punctuation, lines of 60-100 bytes,
// about one `elvis` per 300 bytes and near misses), from a seeded RNG.

std::string make_text(std::size_t size, std::uint64_t seed) {
    static const char* const words[] = {
        "the", "of", "and", "to", "a", "in", "is", "it", "you", "that", "he", "was", "for", "on",
        "are", "with", "as", "his", "they", "be", "at", "one", "have", "this", "from", "or", "had",
        "by", "hot", "word", "but", "what", "some", "we", "can", "out", "other", "were", "all",
        "there", "when", "up", "use", "your", "how", "said", "an", "each", "she", "which", "do",
        "their", "time", "if", "will", "way", "about", "many", "then", "them", "write", "would",
        "like", "so", "these", "her", "long", "make", "thing", "see", "him", "two", "has", "look",
        "more", "day", "could", "go", "come", "did", "number", "sound", "no", "most", "people",
        "my", "over", "know", "water", "than", "call", "first", "who", "may", "down", "side",
        "been", "now", "find", "any", "new", "work", "part", "take", "get", "place", "made",
        "live", "where", "after", "back", "little", "only", "round", "man", "year", "came",
        "show", "every", "good", "me", "give", "our", "under", "name", "very", "through", "just",
        "form", "sentence", "great", "think", "say", "help", "low", "line", "differ", "turn",
        "cause", "much", "mean", "before", "move", "right", "boy", "old", "too", "same", "tell",
        "does", "set", "three", "want", "air", "well", "also", "play", "small", "end", "put",
        "home", "read", "hand", "port", "large", "spell", "add", "even", "land", "here", "must",
        "big", "high", "such", "follow", "act", "why", "ask", "men", "change", "went", "light",
        "kind", "off", "need", "house", "picture", "try", "us", "again", "animal", "point",
        "mother", "world", "near", "build", "self", "earth", "father", "graceland", "memphis",
        "guitar", "record", "singer", "stage", "tour", "vegas", "rock", "roll", "king"};
    struct Special {
        const char* text;
        double share;
    };
    static const Special specials[] = {
        {"elvis", 1.0 / 62}, {"eelvis", 1.0 / 600}, {"elvi", 1.0 / 200}, {"lvis", 1.0 / 200},
        {"Elvis", 1.0 / 150}, {"ELVIS", 1.0 / 300}, {"elvi s", 1.0 / 300}, {"elv", 1.0 / 400},
        {"president", 1.0 / 120}};
    static const Special separators[] = {{" ", 0.80}, {", ", 0.07}, {". ", 0.06}, {"; ", 0.01},
                                         {"! ", 0.01}, {"? ", 0.01}, {" - ", 0.01}, {" (", 0.01},
                                         {") ", 0.01}, {" \"", 0.005}, {"\" ", 0.005}};

    std::vector<std::string_view> tokens;
    std::vector<double> weights;
    double special_share = 0;
    for (const Special& s : specials) special_share += s.share;
    double raw_sum = 0;
    const std::size_t n_words = std::size(words);
    for (std::size_t r = 0; r < n_words; ++r) raw_sum += 1.0 / static_cast<double>(r + 10);
    for (std::size_t r = 0; r < n_words; ++r) {
        tokens.emplace_back(words[r]);
        weights.push_back((1.0 - special_share) / raw_sum / static_cast<double>(r + 10));
    }
    for (const Special& s : specials) {
        tokens.emplace_back(s.text);
        weights.push_back(s.share);
    }
    std::vector<double> sep_weights;
    for (const Special& s : separators) sep_weights.push_back(s.share);

    std::mt19937_64 rng(seed);
    std::discrete_distribution<std::size_t> pick_token(weights.begin(), weights.end());
    std::discrete_distribution<std::size_t> pick_sep(sep_weights.begin(), sep_weights.end());
    std::uniform_int_distribution<std::size_t> pick_line(60, 100);

    std::string out;
    out.reserve(size + 256);
    std::size_t line_len = 0, line_target = pick_line(rng);
    while (out.size() < size) {
        std::string_view word = tokens[pick_token(rng)];
        std::string_view sep = separators[pick_sep(rng)].text;
        out += word;
        line_len += word.size();
        if (line_len + sep.size() >= line_target) {
            while (!sep.empty() && sep.back() == ' ') sep.remove_suffix(1);
            out += sep;
            out += '\n';
            line_len = 0;
            line_target = pick_line(rng);
        } else {
            out += sep;
            line_len += sep.size();
        }
    }
    out.resize(size);
    if (!out.empty()) out.back() = '\n';
    return out;
}

// ---------------------------------------------------------------------------------------------
// Naive reference: leftmost-longest, non-overlapping; ASCII case folding for -i.

unsigned char fold(unsigned char c) { return (c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c | 0x20) : c; }

struct Reference {
    std::uint64_t matches = 0;
    std::string output;
};

Reference naive_rewrite(std::string_view in, const std::vector<elvis::Rule>& rules, bool ignore_case,
                        bool whole_word) {
    Reference ref;
    ref.output.reserve(in.size() + in.size() / 4);
    std::size_t i = 0;
    while (i < in.size()) {
        std::size_t best_len = 0;
        const elvis::Rule* best = nullptr;
        for (const elvis::Rule& r : rules) {
            const std::string& f = r.find;
            if (f.size() <= best_len || f.size() > in.size() - i) continue;
            bool ok = true;
            for (std::size_t k = 0; k < f.size() && ok; ++k) {
                unsigned char a = static_cast<unsigned char>(in[i + k]);
                unsigned char b = static_cast<unsigned char>(f[k]);
                ok = ignore_case ? fold(a) == fold(b) : a == b;
            }
            if (ok && whole_word)
                ok = (i == 0 || !elvis::ascii::is_word(static_cast<unsigned char>(in[i - 1]))) &&
                     (i + f.size() == in.size() || !elvis::ascii::is_word(static_cast<unsigned char>(in[i + f.size()])));
            if (ok) {
                best_len = f.size();
                best = &r;
            }
        }
        if (best != nullptr) {
            ref.output += best->replace;
            ++ref.matches;
            i += best_len;
        } else {
            ref.output += in[i];
            ++i;
        }
    }
    return ref;
}

// ---------------------------------------------------------------------------------------------

struct Case {
    std::string name;
    const std::string* input;
    std::vector<elvis::Rule> rules;
    bool ignore_case = false;
    const Reference* reference = nullptr;  // owned by main
    bool whole_word = false;
};

struct Options {
    std::size_t size = 64ull << 20;
    std::size_t chunk = 256 * 1024;
    double min_time = 0.5;
    int min_reps = 3;
    std::string file;
    std::string only;
    elvis::Isa isa = elvis::Isa::best;
};

struct Timing {
    double best = 0, median = 0;  // seconds per pass
    int passes = 0;
};

// `times` is reserved by the caller before its allocation window opens; it is only cleared here.
template <class Pass>
Timing measure(const Options& opt, std::vector<double>& times, Pass&& pass) {
    times.clear();
    const auto start = Clock::now();
    for (;;) {
        const auto t0 = Clock::now();
        pass();
        const auto t1 = Clock::now();
        if (times.size() < times.capacity()) times.push_back(std::chrono::duration<double>(t1 - t0).count());
        const double total = std::chrono::duration<double>(t1 - start).count();
        if (static_cast<int>(times.size()) >= opt.min_reps && total >= opt.min_time) break;
        if (times.size() == times.capacity()) break;
    }
    Timing t;
    t.passes = static_cast<int>(times.size());
    std::sort(times.begin(), times.end());
    t.best = times.front();
    t.median = times[times.size() / 2];
    return t;
}

struct Row {
    std::string name, mode;
    std::uint64_t bytes = 0, matches = 0, expected = 0;
    bool ok = true;
    std::string note;
    Timing timing;
    std::uint64_t allocs = 0;
};

std::string fmt_rate(std::uint64_t bytes, double seconds) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.0f", static_cast<double>(bytes) / seconds / 1e6);
    return buf;
}

std::string fmt_gb(std::uint64_t bytes, double seconds) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", static_cast<double>(bytes) / seconds / 1e9);
    return buf;
}

void print_row(const Row& r) {
    std::printf("| %-28s | %-7s | %10llu | %10llu | %-4s | %9s | %9s | %6s | %6d | %6llu |%s\n",
                r.name.c_str(), r.mode.c_str(), static_cast<unsigned long long>(r.matches),
                static_cast<unsigned long long>(r.expected), r.ok ? "yes" : "NO",
                fmt_rate(r.bytes, r.timing.best).c_str(), fmt_rate(r.bytes, r.timing.median).c_str(),
                fmt_gb(r.bytes, r.timing.best).c_str(), r.timing.passes,
                static_cast<unsigned long long>(r.allocs), r.note.empty() ? "" : (" " + r.note).c_str());
    std::fflush(stdout);
}

std::vector<Row> run_case(const Options& opt, const Case& c, std::vector<char>& chunk_buf,
                          std::vector<char>& out_buf, const char* const* modes, std::size_t n_modes) {
    std::vector<Row> rows;
    rows.reserve(n_modes);
    std::vector<double> times;
    times.reserve(4096);
    const std::string& in = *c.input;
    const Reference& ref = *c.reference;
    elvis::MatchOptions mo;
    mo.ignore_case = c.ignore_case;
    mo.whole_word = c.whole_word;
    elvis::Matcher matcher(elvis::RuleSet(c.rules, mo), opt.isa);

    for (std::size_t m = 0; m < n_modes; ++m) {
        const std::string_view mode = modes[m];
        Row row;
        row.name = c.name;
        row.mode = std::string(mode);
        row.bytes = in.size();
        row.expected = ref.matches;

        if (mode == "count") {
            elvis::StreamCounter counter(matcher);
            std::uint64_t got = 0;
            auto pass = [&] {
                counter.start_stream();
                for (std::size_t off = 0; off < in.size(); off += opt.chunk)
                    counter.feed(std::string_view(in).substr(off, opt.chunk));
                counter.finish();
                got = counter.stream_matches();
            };
            const std::uint64_t a0 = allocations();
            pass();  // warm-up, also the checked pass
            row.matches = got;
            row.ok = got == ref.matches;
            row.timing = measure(opt, times, pass);
            row.allocs = allocations() - a0;
            row.ok = row.ok && got == ref.matches;
        } else {
            elvis::StreamRewriter rewriter(matcher);
            CountingSink counting;
            CopySink copying(out_buf.data(), out_buf.size());
            std::uint64_t got = 0;
            bool output_ok = true;
            auto pass = [&] {
                const std::uint64_t r0 = rewriter.replacements();
                if (mode == "view") {
                    for (std::size_t off = 0; off < in.size(); off += opt.chunk)
                        rewriter.feed(std::string_view(in).substr(off, opt.chunk), counting);
                    rewriter.finish(counting);
                } else if (mode == "copy") {
                    copying.clear();
                    for (std::size_t off = 0; off < in.size(); off += opt.chunk)
                        rewriter.feed(std::string_view(in).substr(off, opt.chunk), copying);
                    rewriter.finish(copying);
                } else {  // inplace
                    for (std::size_t off = 0; off < in.size(); off += opt.chunk) {
                        const std::size_t n = std::min(opt.chunk, in.size() - off);
                        std::memcpy(chunk_buf.data(), in.data() + off, n);
                        rewriter.feed(std::span<char>(chunk_buf.data(), n), counting);
                    }
                    rewriter.finish(counting);
                }
                got = rewriter.replacements() - r0;
            };
            const std::uint64_t a0 = allocations();
            const std::uint64_t out0 = rewriter.bytes_out();
            counting.bytes_ = 0;
            pass();  // warm-up, also the checked pass
            const std::uint64_t out_bytes = rewriter.bytes_out() - out0;
            row.matches = got;
            if (mode == "copy")
                output_ok = !copying.overflow() && copying.view() == std::string_view(ref.output);
            else
                output_ok = out_bytes == ref.output.size() && counting.bytes_ == ref.output.size();
            row.timing = measure(opt, times, pass);
            row.allocs = allocations() - a0;
            row.ok = output_ok && got == ref.matches;
            if (!output_ok)
                row.note = mode == "copy" ? "OUTPUT DIFFERS FROM REFERENCE" : "OUTPUT SIZE DIFFERS FROM REFERENCE";
        }
        if (row.allocs != 0) row.note += " HEAP ALLOCATIONS IN STEADY STATE";
        print_row(row);
        rows.push_back(std::move(row));
    }
    return rows;
}

std::size_t parse_size(const std::string& text) {
    std::size_t pos = 0;
    double v = std::stod(text, &pos);
    std::string suffix = text.substr(pos);
    double mult = 1;
    if (!suffix.empty()) {
        char s = static_cast<char>(std::toupper(static_cast<unsigned char>(suffix[0])));
        if (s == 'K') mult = 1024.0;
        else if (s == 'M') mult = 1024.0 * 1024;
        else if (s == 'G') mult = 1024.0 * 1024 * 1024;
        else throw std::invalid_argument("bad size suffix: " + text);
    }
    if (v * mult < 1) throw std::invalid_argument("size too small: " + text);
    return static_cast<std::size_t>(v * mult);
}

elvis::Isa parse_isa(const std::string& s) {
    if (s == "best") return elvis::Isa::best;
    for (elvis::Isa isa : elvis::concrete_isas)
        if (s == elvis::isa_name(isa)) return isa;
    throw std::invalid_argument("unknown ISA: " + s);
}

void usage(std::FILE* to) {
    std::fprintf(to,
                 "usage: engine_bench [--size SIZE] [--chunk SIZE] [--min-time SECONDS] [--reps N]\n"
                 "                    [--isa best|avx512|avx2|sse2|scalar] [--only TEXT] [FILE]\n"
                 "  FILE          use this file as the text corpus instead of generating one\n"
                 "  --size SIZE   generated corpus size, K/M/G suffixes (default 64M); the all-'a'\n"
                 "                inputs have the same size\n"
                 "  --chunk SIZE  bytes per feed() call (default 256K, the CLI's read size)\n"
                 "  --min-time S  time each case/mode for at least S seconds (default 0.5)\n"
                 "  --reps N      and at least N passes (default 3)\n"
                 "  --only TEXT   run only cases whose name contains TEXT\n");
}

std::string cpu_model() {
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("model name", 0) == 0) {
            auto p = line.find(':');
            return p == std::string::npos ? line : line.substr(p + 2);
        }
    return "unknown";
}

}  // namespace

int main(int argc, char** argv) {
    Options opt;
    try {
        for (int i = 1; i < argc; ++i) {
            std::string a = argv[i];
            auto value = [&]() -> std::string {
                if (i + 1 >= argc) throw std::invalid_argument("missing value for " + a);
                return argv[++i];
            };
            if (a == "--size") opt.size = parse_size(value());
            else if (a == "--chunk") opt.chunk = parse_size(value());
            else if (a == "--min-time") opt.min_time = std::stod(value());
            else if (a == "--reps") opt.min_reps = std::max(1, std::stoi(value()));
            else if (a == "--isa") opt.isa = parse_isa(value());
            else if (a == "--only") opt.only = value();
            else if (a == "-h" || a == "--help") { usage(stdout); return 0; }
            else if (!a.empty() && a[0] == '-') throw std::invalid_argument("unknown option " + a);
            else opt.file = a;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "engine_bench: %s\n", e.what());
        usage(stderr);
        return 2;
    }
    if (!elvis::isa_supported(opt.isa)) {
        std::fprintf(stderr, "engine_bench: ISA %s is not supported by this CPU\n",
                     std::string(elvis::isa_name(opt.isa)).c_str());
        return 2;
    }

    {  // The counting operator new must be the one linked in, or the 0 below means nothing.
        const std::uint64_t before = allocations();
        void* p = ::operator new(16);
        ::operator delete(p);
        if (allocations() != before + 1) {
            std::fprintf(stderr, "engine_bench: the counting operator new is not in use\n");
            return 1;
        }
    }

    std::string text;
    std::string source;
    if (!opt.file.empty()) {
        std::ifstream f(opt.file, std::ios::binary);
        if (!f) {
            std::fprintf(stderr, "engine_bench: cannot read %s\n", opt.file.c_str());
            return 2;
        }
        text.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
        source = opt.file;
    } else {
        text = make_text(opt.size, 1935);
        source = "generated English-like text (seed 1935)";
    }
    const std::string all_a(opt.file.empty() ? opt.size : text.size(), 'a');

    auto rule = [](std::string f, std::string r) { return elvis::Rule{std::move(f), std::move(r)}; };
    const std::string a32(32, 'a'), a4096(4096, 'a');
    std::vector<Case> cases = {
        {"elvis", &text, {rule("elvis", "Elvis")}, false, nullptr},
        {"elvis -i", &text, {rule("elvis", "Elvis")}, true, nullptr},
        {.name = "elvis -w", .input = &text, .rules = {rule("elvis", "Elvis")}, .whole_word = true},
        {"4 needles", &text,
         {rule("elvis", "Elvis"), rule("president", "President"), rule("graceland", "Graceland"),
          rule("memphis", "Memphis")}, false, nullptr},
        {"16 needles", &text,
         {rule("elvis", "Elvis"), rule("president", "President"), rule("graceland", "Graceland"),
          rule("memphis", "Memphis"), rule("vegas", "Vegas"), rule("guitar", "Guitar"), rule("singer", "Singer"),
          rule("stage", "Stage"), rule("tour", "Tour"), rule("record", "Record"), rule("king", "King"),
          rule("priscilla", "Priscilla"), rule("tupelo", "Tupelo"), rule("hound", "Hound"),
          rule("suspicious", "Suspicious"), rule("burning", "Burning")},
         false, nullptr},
        {"elvis -> The King (longer)", &text, {rule("elvis", "The King")}, false, nullptr},
        {"a{32} on all-a", &all_a, {rule(a32, std::string(32, 'b'))}, false, nullptr},
        {"a{4096} on all-a", &all_a, {rule(a4096, "X")}, false, nullptr},
        {"a{31}b on all-a", &all_a, {rule(std::string(31, 'a') + "b", "X")}, false, nullptr},
        {"a{4095}b on all-a", &all_a, {rule(std::string(4095, 'a') + "b", "X")}, false, nullptr},
        // The long needle runs on past every `aaa` match and never matches (the reference below
        // follows the first rule).
        {"aaa + a{4095}b on all-a", &all_a, {rule("aaa", "X"), rule(std::string(4095, 'a') + "b", "Y")}, false,
         nullptr},
    };
    // References are computed before any timing, outside the allocation window.
    std::vector<Reference> refs(cases.size());
    std::size_t max_out = 0;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        Case& c = cases[i];
        if (!opt.only.empty() && c.name.find(opt.only) == std::string::npos) continue;
        const std::string& f = c.rules[0].find;
        if (c.input == &all_a && f.back() == 'b') {
            refs[i].output = all_a;  // an `a…ab` needle never occurs in all-a (and naive is O(n·m))
        } else if (c.input == &all_a) {
            const std::size_t n = all_a.size() / f.size(), rest = all_a.size() % f.size();
            refs[i].matches = n;
            refs[i].output.reserve(n * c.rules[0].replace.size() + rest);
            for (std::size_t k = 0; k < n; ++k) refs[i].output += c.rules[0].replace;
            refs[i].output.append(rest, 'a');
        } else {
            refs[i] = naive_rewrite(*c.input, c.rules, c.ignore_case, c.whole_word);
        }
        c.reference = &refs[i];
        max_out = std::max(max_out, refs[i].output.size());
    }
    std::vector<char> chunk_buf(opt.chunk);
    std::vector<char> out_buf(max_out + 1);

    std::string supported;
    for (elvis::Isa isa : elvis::concrete_isas)
        if (isa != elvis::Isa::scalar)
            supported += (supported.empty() ? "" : " ") + std::string(elvis::isa_name(isa)) + "=" +
                         (elvis::isa_supported(isa) ? "yes" : "no");
    std::printf("# engine_bench: in-memory, single thread, chunk %zu bytes, ISA %s (supported: %s)\n", opt.chunk,
                std::string(elvis::isa_name(opt.isa)).c_str(), supported.c_str());
    std::printf("# CPU: %s\n", cpu_model().c_str());
    std::printf("# text corpus: %s, %zu bytes; all-a input: %zu bytes\n", source.c_str(), text.size(), all_a.size());
    std::printf("# MB/s = 10^6 bytes of input per second; best and median over the passes; GB/s from best\n");
    std::printf("# allocs = heap allocations after construction (warm-up + timed passes); must be 0\n\n");
    std::printf("| %-28s | %-7s | %10s | %10s | %-4s | %9s | %9s | %6s | %6s | %6s |\n", "case", "mode",
                "matches", "expected", "ok", "best MB/s", "med MB/s", "GB/s", "passes", "allocs");
    std::printf("|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n", std::string(30, '-').c_str(), std::string(9, '-').c_str(),
                std::string(12, '-').c_str(), std::string(12, '-').c_str(), std::string(6, '-').c_str(),
                std::string(11, '-').c_str(), std::string(11, '-').c_str(), std::string(8, '-').c_str(),
                std::string(8, '-').c_str(), std::string(8, '-').c_str());

    static const char* const modes[] = {"view", "copy", "inplace", "count"};
    bool all_ok = true;
    std::uint64_t total_allocs = 0;
    for (const Case& c : cases) {
        if (c.reference == nullptr) continue;
        auto rows = run_case(opt, c, chunk_buf, out_buf, modes, std::size(modes));
        for (const Row& r : rows) {
            all_ok = all_ok && r.ok && r.allocs == 0;
            total_allocs += r.allocs;
        }
    }
    // The single-needle case again with each instruction set the prefilter supports.
    if (opt.only.empty() || std::string("elvis [isa]").find(opt.only) != std::string::npos) {
        static const char* const isa_modes[] = {"view", "count"};
        std::printf("\n| %-28s | %-7s | %10s | %10s | %-4s | %9s | %9s | %6s | %6s | %6s |\n", "by ISA", "mode",
                    "matches", "expected", "ok", "best MB/s", "med MB/s", "GB/s", "passes", "allocs");
        std::printf("|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n", std::string(30, '-').c_str(), std::string(9, '-').c_str(),
                    std::string(12, '-').c_str(), std::string(12, '-').c_str(), std::string(6, '-').c_str(),
                    std::string(11, '-').c_str(), std::string(11, '-').c_str(), std::string(8, '-').c_str(),
                    std::string(8, '-').c_str(), std::string(8, '-').c_str());
        Reference ref = cases[0].reference != nullptr ? *cases[0].reference
                                                      : naive_rewrite(text, cases[0].rules, false, false);
        for (elvis::Isa isa : elvis::concrete_isas) {
            if (!elvis::isa_supported(isa)) continue;
            Options o = opt;
            o.isa = isa;
            Case c = cases[0];
            c.name = "elvis [" + std::string(elvis::isa_name(isa)) + "]";
            c.reference = &ref;
            for (const Row& r : run_case(o, c, chunk_buf, out_buf, isa_modes, std::size(isa_modes))) {
                all_ok = all_ok && r.ok && r.allocs == 0;
                total_allocs += r.allocs;
            }
        }
    }

    std::printf("\nheap allocations in steady state, all cases: %llu\n", static_cast<unsigned long long>(total_allocs));
    std::printf("verification: %s\n", all_ok ? "all cases match the naive reference" : "FAILED (see rows marked NO)");
    return all_ok ? 0 : 1;
}
