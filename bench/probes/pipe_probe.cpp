// pipe_probe: copies FILE to OUT the way the filter does, with a writer thread: this thread
// preads CHUNK bytes into one of QUEUE + 2 buffers and scans them (counts `elvis` with the
// library's StreamCounter, or with REWRITE=1 in the environment rewrites them in place with
// StreamRewriter, the filter's cost; a match across two chunks is not patched, so that output
// may differ), then hands the buffer to a writer thread that pwrites it in PIECE-byte writes.
// At most QUEUE buffers wait for or are in the writer. It asks how deep the hand-off queue must
// be, and whether a thread beats io_uring workers, for "File -> file, fourth look" in
// docs/tuning-log.md. Standalone (meson does not build it; it links the built library):
//   g++ -std=c++20 -O2 -Iinclude bench/probes/pipe_probe.cpp build/libelvis.a -luring -lpthread -o /tmp/pipe_probe
//   python3 bench/ab.py 8 "cat=cat < F > /tmp/out" "q1=/tmp/pipe_probe F /tmp/out 1" "q4=/tmp/pipe_probe F /tmp/out 4"
//   (one command line; F the 1 GiB text)
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "elvis/counter.hpp"
#include "elvis/matcher.hpp"
#include "elvis/rewriter.hpp"
#include "elvis/rules.hpp"
#include "elvis/sink.hpp"
int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: pipe_probe FILE OUT QUEUE [CHUNK] [PIECE]\n");
        return 2;
    }
    const int in = ::open(argv[1], O_RDONLY);
    const int out = ::open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const unsigned queue = atoi(argv[3]);
    const size_t chunk = argc > 4 ? atol(argv[4]) : 1 << 20;
    const size_t piece = argc > 5 ? atol(argv[5]) : 65536;
    const unsigned nbuf = queue + 2;
    std::vector<char*> bufs(nbuf);
    for (auto& b : bufs) b = static_cast<char*>(aligned_alloc(4096, chunk));
    elvis::Matcher matcher(elvis::RuleSet({{"elvis", "Elvis"}}, {}));
    elvis::StreamCounter counter(matcher);
    elvis::StreamRewriter rewriter(matcher);
    struct SpanSink : elvis::Sink { std::vector<std::string_view> spans; void put(std::string_view b) override { spans.push_back(b);} void flush() override {} } sink;
    sink.spans.reserve(100000);
    const bool rewrite = getenv("REWRITE") != nullptr;
    std::mutex m; std::condition_variable cv_w, cv_r;
    std::deque<std::pair<unsigned, size_t>> q; bool done = false; unsigned busy = 0;
    auto t0 = std::chrono::steady_clock::now();
    std::thread writer([&] {
        off_t at = 0;
        for (;;) {
            std::pair<unsigned, size_t> job;
            {
                std::unique_lock l(m);
                cv_w.wait(l, [&] { return !q.empty() || done; });
                if (q.empty()) return;
                job = q.front();
            }
            for (size_t o = 0; o < job.second; o += piece) {
                size_t n = std::min(piece, job.second - o);
                if (pwrite(out, bufs[job.first] + o, n, at) != (ssize_t)n) abort();
                at += n;
            }
            { std::lock_guard l(m); q.pop_front(); --busy; } cv_r.notify_one();
        }
    });
    unsigned next = 0; off_t off = 0;
    for (;;) {
        { std::unique_lock l(m); cv_r.wait(l, [&] { return busy < queue; }); }
        ssize_t n = pread(in, bufs[next], chunk, off);
        if (n <= 0) break;
        off += n;
        if (rewrite) { sink.spans.clear(); rewriter.feed(std::span<char>(bufs[next], n), sink); if (sink.spans.size() != 1 || sink.spans[0].size() != (size_t)n) { fprintf(stderr, "spans %zu\n", sink.spans.size()); } }
        else counter.feed(std::string_view(bufs[next], n));
        { std::lock_guard l(m); q.push_back({next, (size_t)n}); ++busy; } cv_w.notify_one();
        next = (next + 1) % nbuf;
    }
    { std::lock_guard l(m); done = true; } cv_w.notify_one();
    writer.join();
    std::chrono::duration<double> d = std::chrono::steady_clock::now() - t0;
    fprintf(stderr, "%.3f s %llu\n", d.count(), (unsigned long long)counter.counts()[0]);
}
