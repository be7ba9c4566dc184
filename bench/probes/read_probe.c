// read_probe: reads a cached file into a 1 MiB buffer three ways and prints the seconds:
//   MODE 0 read(2); 1 mmap of each MiB with MAP_POPULATE, memcpy, munmap; 2 one mapping of the
//   file, MADV_POPULATE_READ ahead and MADV_DONTNEED behind, memcpy. Standalone (not built by
//   meson), for the mmap paragraph of docs/tuning-log.md's tuning log:
//   cc -O2 -o /tmp/read_probe bench/probes/read_probe.c
//   for mode in 0 1 2; do /tmp/read_probe bench/out/text-1G.txt $mode; done
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
static double now() { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char** argv) {
    if (argc <= 2) return 2;  // see the usage above
    int fd = open(argv[1], O_RDONLY); int mode = atoi(argv[2]);
    struct stat st; fstat(fd, &st); size_t size = st.st_size, W = 1 << 20;
    char* buf = NULL; if (posix_memalign((void**)&buf, 4096, W) != 0) return 1;
    unsigned long sum = 0; double t0 = now();
    if (mode == 0) {
        for (;;) { ssize_t n = read(fd, buf, W); if (n <= 0) break; sum += buf[n - 1]; }
    } else if (mode == 1) {
        for (size_t off = 0; off < size; off += W) {
            size_t n = size - off < W ? size - off : W;
            char* m = mmap(NULL, n, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, off);
            memcpy(buf, m, n); sum += buf[n - 1]; munmap(m, n);
        }
    } else {
        char* m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
        madvise(m, size, MADV_SEQUENTIAL);
        for (size_t off = 0; off < size; off += W) {
            size_t n = size - off < W ? size - off : W;
            madvise(m + off, n, 22 /* MADV_POPULATE_READ */);
            memcpy(buf, m + off, n); sum += buf[n - 1];
            if (off >= 4 * W) madvise(m + off - 4 * W, W, MADV_DONTNEED);
        }
        munmap(m, size);
    }
    printf("mode %d: %.3f s (%lu)\n", mode, now() - t0, sum);
    return 0;
}
