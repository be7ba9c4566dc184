// split_probe: copies FILE to OUT on THREADS threads, each taking one contiguous share of the
// file: pread a CHUNK, count `elvis` in it with the library's StreamCounter (the scan's cost),
// pwrite it at the same offset in 256 KiB pieces. It asks whether splitting one file between the
// cores would beat cat for file -> file (same-length rules keep offsets). Standalone (meson does
// not build it; it links the built library), for the tuning log's "File -> file, third look":
//   g++ -std=c++20 -O2 -Iinclude bench/probes/split_probe.cpp build/libelvis.a -luring -lpthread -o /tmp/split_probe
//   python3 bench/ab.py 10 "cat=cat F > /tmp/out" "elvis=build/elvis < F > /tmp/out"
//                          "s2_256K=/tmp/split_probe F /tmp/out 2 262144" "s2_1M=/tmp/split_probe F /tmp/out 2"
//   (one command line; F the 1 GiB text)
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "elvis/counter.hpp"
#include "elvis/matcher.hpp"
#include "elvis/rules.hpp"

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: split_probe FILE OUT THREADS [CHUNK]\n");
        return 2;
    }
    const int in = ::open(argv[1], O_RDONLY);
    const int out = ::open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int threads = std::atoi(argv[3]);
    const std::size_t chunk = argc > 4 ? std::strtoul(argv[4], nullptr, 10) : 1 << 20;
    struct stat st;
    if (in < 0 || out < 0 || threads < 1 || chunk == 0 || ::fstat(in, &st) != 0) return 2;
    const std::size_t size = static_cast<std::size_t>(st.st_size);
    const elvis::Matcher matcher(elvis::RuleSet::default_rules());
    std::vector<unsigned long> counts(threads);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            elvis::StreamCounter counter(matcher);
            std::vector<char> buffer(chunk);
            const std::size_t from = size * t / threads, to = size * (t + 1) / threads;
            for (std::size_t offset = from; offset < to; offset += chunk) {
                const std::size_t n = std::min(chunk, to - offset);
                if (::pread(in, buffer.data(), n, offset) != static_cast<ssize_t>(n)) std::abort();
                counter.feed({buffer.data(), n});
                for (std::size_t done = 0; done < n; done += 256 * 1024) {
                    const std::size_t piece = std::min<std::size_t>(256 * 1024, n - done);
                    if (::pwrite(out, buffer.data() + done, piece, offset + done) != static_cast<ssize_t>(piece))
                        std::abort();
                }
            }
            counter.finish();
            counts[t] = counter.counts()[0];
        });
    for (std::thread& thread : pool) thread.join();
    unsigned long total = 0;
    for (unsigned long c : counts) total += c;  // matches across a share's edge are not counted
    std::fprintf(stderr, "%lu\n", total);
    return 0;
}
