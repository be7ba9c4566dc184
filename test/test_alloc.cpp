// Zero allocation: after construction, feeding buffers and flushing allocate nothing.
// Global operator new is replaced by a counting one; only allocations inside a window count.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>

#include "elvis/byte_source.hpp"
#include "elvis/counter.hpp"
#include "elvis/rewriter.hpp"
#include "elvis/sink.hpp"
#include "io/uring.hpp"
#include "io/write_behind_sink.hpp"

namespace {
std::atomic<long> allocations{0};
thread_local bool counting = false;
}  // namespace

void* operator new(std::size_t size) {
    if (counting) allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

struct CountingWindow {
    CountingWindow() { allocations = 0, counting = true; }
    ~CountingWindow() { counting = false; }
};

// A corpus with matches, near misses and matches straddling every kind of boundary.
std::string corpus() {
    std::mt19937 rng(5);
    const char* words[] = {"elvis", "elvi", "lvis", "ELVIS", "king", "the", "\n", "eelvis", "elvielvis"};
    std::string text;
    while (text.size() < (1 << 20)) text += std::string(words[rng() % 9]) + " ";
    return text;
}

// Returns how many buffers were fed; checked outside the counting window.
template <class Feed>
std::size_t feed_mixed_sizes(std::string& text, Feed&& feed) {
    std::mt19937 rng(11);
    std::size_t buffers = 0;
    for (std::size_t at = 0; at < text.size(); ++buffers) {
        std::size_t n = std::min<std::size_t>(text.size() - at, 1 + rng() % (rng() % 2 ? 16 : 2048));
        feed(std::span<char>(text.data() + at, n));
        at += n;
    }
    return buffers;
}

}  // namespace

TEST_CASE("rewriting allocates nothing after construction") {
    for (bool same_length : {true, false}) {
        for (elvis::MatchOptions options : {elvis::MatchOptions{}, elvis::MatchOptions{true, true}}) {
            elvis::Matcher matcher(elvis::RuleSet({{"elvis", same_length ? "Elvis" : "The King"}, {"king", "KING"}}, options));
            elvis::StreamRewriter rewriter(matcher);
            int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
            REQUIRE(devnull >= 0);
            elvis::FdSink sink(devnull, 64);  // few spans, so flushes also happen mid-chunk
            std::string text = corpus();
            std::size_t buffers = 0;
            {
                CountingWindow window;
                buffers = feed_mixed_sizes(text, [&](std::span<char> chunk) { rewriter.feed(chunk, sink); });
                rewriter.finish(sink);
            }
            CHECK(allocations.load() == 0);
            CHECK(buffers >= 1000);
            CHECK(rewriter.replacements() > 10000);
            ::close(devnull);
        }
    }
}

TEST_CASE("the io_uring pipeline (read-ahead source, write-behind sink) allocates nothing per buffer") {
    std::string why_not;
    auto read_ring = elvis::Uring::create(8, why_not);
    if (!read_ring) {
        MESSAGE("skipped: the kernel refuses io_uring: " << why_not);
        return;
    }
    char path[] = "/tmp/elvis-alloc-XXXXXX";
    const int file = ::mkstemp(path);
    REQUIRE(file >= 0);
    ::unlink(path);
    const std::string text = corpus();
    REQUIRE(::write(file, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    REQUIRE(devnull >= 0);
    elvis::Matcher matcher(elvis::RuleSet({{"elvis", "The King"}}, {}));
    elvis::StreamRewriter rewriter(matcher);
    auto source = elvis::make_uring_source(*read_ring, 1024, 4);
    elvis::WriteBehindSink sink(devnull, *source, 16, 256, 0);
    // The first chunk's asynchronous write sets up the sink's ring (allocates): before the window.
    source->open_range(file, 0, UINT64_MAX);
    rewriter.feed(source->next(), sink);
    std::size_t buffers = 1;
    {
        CountingWindow window;
        for (std::span<char> chunk = source->next(); !chunk.empty(); chunk = source->next(), ++buffers)
            rewriter.feed(chunk, sink);
        rewriter.finish(sink);
        sink.drain();
        source->close();
    }
    CHECK(allocations.load() == 0);
    CHECK(buffers >= 1000);
    CHECK(sink.bytes_written() == rewriter.bytes_out());
    ::close(devnull);
    ::close(file);
}

TEST_CASE("counting allocates nothing after construction") {
    // Overlapping terms (each on its own: OccurrenceScanner), then ones that cannot overlap.
    const std::vector<elvis::Rule> term_sets[] = {{{"elvis", ""}, {"vis", ""}, {"s k", ""}, {"king", ""}},
                                                  {{"elvis", ""}, {"king", ""}}};
    for (const auto& rules : term_sets)
        for (bool whole_word : {false, true}) {
            elvis::Matcher terms(elvis::RuleSet(rules, {.whole_word = whole_word}));
            CHECK(terms.terms_overlap() == (&rules == &term_sets[0]));
            elvis::Matcher markers(elvis::RuleSet(elvis::record_markers("item"), {}));
            elvis::StreamCounter counter(terms);
            elvis::RecordCounter records(terms, markers);
            std::string text = corpus();
            for (std::size_t i = 0; i < text.size(); i += 5000) text.insert(i, i % 10000 ? "</item>" : "<item>");
            std::size_t buffers = 0;
            {
                CountingWindow window;
                buffers = feed_mixed_sizes(text, [&](std::span<char> chunk) {
                    counter.feed({chunk.data(), chunk.size()});
                    records.feed({chunk.data(), chunk.size()});
                });
                counter.finish();
                records.finish();
            }
            CHECK(allocations.load() == 0);
            CHECK(buffers >= 1000);
            CHECK(counter.counts()[0] > 10000);
            CHECK(records.records() > 50);
        }
}
