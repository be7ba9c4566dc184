// inflate_compare: decompression speed of the gzip libraries Debian 12 packages, single-threaded,
// on one gzip file held in memory, to choose the library behind `elvis -z` (docs/tuning-log.md, "gzip").
//
//   g++ -O2 -std=c++20 bench/inflate_compare.cpp -o bench/out/inflate_compare -lz [-DHAVE_LIBDEFLATE -ldeflate] [-DHAVE_ISAL -lisal]
//   bench/out/inflate_compare FILE.gz [PASSES]
//
// zlib:       inflate() streaming, 256 KiB output buffer reused (what GzipSource does)
// libdeflate: libdeflate_gzip_decompress_ex() on the whole file into one buffer as large as the
//             output (no streaming API: the whole member must fit in memory); members in a loop
// ISA-L:      isal_inflate() streaming (ISAL_GZIP), 256 KiB output buffer reused
// Prints the best of PASSES (default 3) in MB/s of decompressed output (10^6 bytes per second),
// by wall time and by the thread's CPU time (steadier on a shared machine), and checks that all
// produce the same number of bytes.
#include <zlib.h>
#ifdef HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif
#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include <time.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

namespace {

constexpr std::size_t chunk = 256 * 1024;

std::uint64_t sink_sum = 0;  // keeps the compiler from dropping the output
void consume(const unsigned char* p, std::size_t n) {
    if (n) sink_sum += p[0] + p[n - 1] + n;
}

std::uint64_t with_zlib(const std::vector<unsigned char>& in) {
    z_stream z{};
    if (inflateInit2(&z, 15 + 32) != Z_OK) std::abort();
    std::vector<unsigned char> out(chunk);
    z.next_in = const_cast<unsigned char*>(in.data());
    z.avail_in = static_cast<uInt>(in.size());
    std::uint64_t total = 0;
    while (true) {
        z.next_out = out.data();
        z.avail_out = static_cast<uInt>(out.size());
        int rc = inflate(&z, Z_NO_FLUSH);
        std::size_t n = out.size() - z.avail_out;
        consume(out.data(), n);
        total += n;
        if (rc == Z_STREAM_END) {
            if (z.avail_in == 0) break;
            inflateReset(&z);
        } else if (rc != Z_OK) {
            std::fprintf(stderr, "zlib: %s\n", z.msg ? z.msg : "error");
            std::exit(1);
        }
    }
    inflateEnd(&z);
    return total;
}

#ifdef HAVE_LIBDEFLATE
std::uint64_t with_libdeflate(const std::vector<unsigned char>& in) {
    libdeflate_decompressor* d = libdeflate_alloc_decompressor();
    // The ISIZE trailer of each member gives its size mod 2^32; for the measurement, size the
    // buffer from the whole-file zlib result instead (libdeflate needs it up front).
    static std::vector<unsigned char> out;
    if (out.empty()) out.resize(with_zlib(in) + 1);
    std::size_t pos = 0, total = 0;
    while (pos < in.size()) {
        std::size_t in_used = 0, out_n = 0;
        auto rc = libdeflate_gzip_decompress_ex(d, in.data() + pos, in.size() - pos, out.data() + total,
                                                out.size() - total, &in_used, &out_n);
        if (rc != LIBDEFLATE_SUCCESS) {
            std::fprintf(stderr, "libdeflate: error %d\n", static_cast<int>(rc));
            std::exit(1);
        }
        pos += in_used;
        total += out_n;
    }
    consume(out.data(), total);
    libdeflate_free_decompressor(d);
    return total;
}
#endif

#ifdef HAVE_ISAL
std::uint64_t with_isal(const std::vector<unsigned char>& in) {
    static inflate_state state;
    std::vector<unsigned char> out(chunk);
    isal_inflate_init(&state);
    state.crc_flag = ISAL_GZIP;
    state.next_in = const_cast<unsigned char*>(in.data());
    state.avail_in = static_cast<std::uint32_t>(in.size());
    std::uint64_t total = 0;
    while (true) {
        state.next_out = out.data();
        state.avail_out = static_cast<std::uint32_t>(out.size());
        int rc = isal_inflate(&state);
        if (rc != ISAL_DECOMP_OK) {
            std::fprintf(stderr, "isa-l: error %d\n", rc);
            std::exit(1);
        }
        std::size_t n = out.size() - state.avail_out;
        consume(out.data(), n);
        total += n;
        if (state.block_state == ISAL_BLOCK_FINISH) {
            if (state.avail_in == 0) break;
            unsigned char* next = state.next_in;
            std::uint32_t avail = state.avail_in;
            isal_inflate_reset(&state);
            state.crc_flag = ISAL_GZIP;
            state.next_in = next;
            state.avail_in = avail;
        } else if (n == 0 && state.avail_in == 0) {
            std::fprintf(stderr, "isa-l: truncated\n");
            std::exit(1);
        }
    }
    return total;
}
#endif

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: inflate_compare FILE.gz [PASSES]\n");
        return 2;
    }
    std::ifstream f(argv[1], std::ios::binary);
    std::vector<unsigned char> in((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const int passes = argc > 2 ? std::atoi(argv[2]) : 3;
    struct Lib {
        const char* name;
        std::function<std::uint64_t(const std::vector<unsigned char>&)> run;
    };
    std::vector<Lib> libs{{"zlib " ZLIB_VERSION " inflate (streaming)", with_zlib}};
#ifdef HAVE_LIBDEFLATE
    libs.push_back({"libdeflate " LIBDEFLATE_VERSION_STRING " (whole buffer)", with_libdeflate});
#endif
#ifdef HAVE_ISAL
    libs.push_back({"ISA-L isal_inflate (streaming)", with_isal});
#endif
    std::uint64_t expected = 0;
    int status = 0;
    std::printf("| library | output bytes | best MB/s (wall) | best MB/s (CPU time) | compressed MB/s (CPU time) |\n"
                "|---|---:|---:|---:|---:|\n");
    auto cpu_now = [] {
        timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
    };
    for (const Lib& lib : libs) {
        double best = 1e100, best_cpu = 1e100;
        std::uint64_t bytes = 0;
        for (int p = 0; p < passes; ++p) {
            auto t0 = std::chrono::steady_clock::now();
            const double c0 = cpu_now();
            bytes = lib.run(in);
            const double cpu = cpu_now() - c0;
            std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
            if (dt.count() < best) best = dt.count();
            if (cpu < best_cpu) best_cpu = cpu;
        }
        if (!expected) expected = bytes;
        const bool ok = bytes == expected;
        if (!ok) status = 1;
        std::printf("| %s | %llu%s | %.0f | %.0f | %.0f |\n", lib.name, static_cast<unsigned long long>(bytes),
                    ok ? "" : " **MISMATCH**", static_cast<double>(bytes) / best / 1e6,
                    static_cast<double>(bytes) / best_cpu / 1e6, static_cast<double>(in.size()) / best_cpu / 1e6);
    }
    std::fprintf(stderr, "(checksum %llu)\n", static_cast<unsigned long long>(sink_sum));
    return status;
}
