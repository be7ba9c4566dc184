// folio_sizes: how a file's page cache is cut into folios (the kernel's multi-page units), from
// /proc/self/pagemap and /proc/kpageflags (needs root). Maps the file, touches every page, and
// counts the folios of each size: a buffered write's length sets the size of the folios it
// allocates, which docs/tuning-log.md's "File -> file, fourth look" and "eighth look" measure.
//
//   cc -O2 -o /tmp/folio_sizes bench/probes/folio_sizes.c
//   cat F > /tmp/out; /tmp/folio_sizes /tmp/out          # 64 KiB folios
//   build/elvis < F > /tmp/out; /tmp/folio_sizes /tmp/out
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum { kpf_compound_tail = 16 };

static void count(long* folios, long pages) {
    int order = 0;
    while ((1L << order) < pages) ++order;
    if (order < 20) folios[order]++;
}

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: folio_sizes FILE\n");
        return 2;
    }
    const int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
        perror(argv[1]);
        return 1;
    }
    const size_t pages = (size_t)st.st_size / 4096;
    volatile const unsigned char* map = mmap(0, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    const int pagemap = open("/proc/self/pagemap", O_RDONLY), kpageflags = open("/proc/kpageflags", O_RDONLY);
    if (map == MAP_FAILED || pagemap < 0 || kpageflags < 0) {
        perror("mmap, /proc/self/pagemap or /proc/kpageflags");
        return 1;
    }
    long folios[20] = {0}, run = 0;
    for (size_t i = 0; i < pages; ++i) {
        (void)map[i * 4096];
        uint64_t entry = 0, flags = 0;
        const uint64_t pfn = pread(pagemap, &entry, 8, (off_t)(((uintptr_t)map / 4096 + i) * 8)) == 8 &&
                                     entry >> 63 ? entry & ((1ULL << 55) - 1) : 0;
        // Without root the frame numbers read as 0: no answer rather than a wrong one.
        if (pfn == 0 || pread(kpageflags, &flags, 8, (off_t)(pfn * 8)) != 8) {
            fprintf(stderr, "folio_sizes: no page frame for page %zu (run as root)\n", i);
            return 1;
        }
        if (flags >> kpf_compound_tail & 1) {
            ++run;
        } else {
            if (run) count(folios, run);
            run = 1;
        }
    }
    if (run) count(folios, run);
    for (int order = 0; order < 20; ++order)
        if (folios[order]) printf("%ld KiB folios: %ld\n", 4L << order, folios[order]);
    return 0;
}
