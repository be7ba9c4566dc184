// mmap_write_probe: copies standard input (a regular file) to standard output (a regular file)
// through two shared mappings, one memcpy per CHUNK, the way a filter writing into a mapped
// output would (one copy instead of read's and write's two). MODE bits: 1 fallocate the output
// (else ftruncate), 2 MADV_POPULATE_WRITE each output chunk before copying, 4 MADV_POPULATE_READ
// each input chunk. Standalone (not built by meson), for "File -> file, sixth look" in
// docs/tuning-log.md:
//   cc -O2 -o /tmp/mmap_write_probe bench/probes/mmap_write_probe.c
//   rm -f out; /tmp/mmap_write_probe 1048576 7 < text-1G.txt > out; cmp text-1G.txt out
// The output is reopened read-write through /proc/self/fd/1 (a shared writable mapping needs it).
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
int main(int argc, char** argv) {
    size_t chunk = argc > 1 ? strtoul(argv[1], 0, 0) : (1 << 20);
    int mode = argc > 2 ? atoi(argv[2]) : 0;  // bit0: fallocate, bit1: populate write, bit2: populate read in
    struct stat st;
    if (fstat(0, &st)) return 1;
    size_t n = st.st_size;
    char* in = mmap(0, n, PROT_READ, MAP_SHARED, 0, 0);
    if (in == MAP_FAILED) { perror("mmap in"); return 1; }
    off_t base = lseek(1, 0, SEEK_CUR);
    int ofd = open("/proc/self/fd/1", O_RDWR);
    if (ofd < 0) { perror("reopen"); return 1; }
    if (mode & 1) { if (fallocate(ofd, 0, base, n)) { perror("fallocate"); return 1; } }
    else if (ftruncate(ofd, base + n)) { perror("ftruncate"); return 1; }
    char* out = mmap(0, n, PROT_READ | PROT_WRITE, MAP_SHARED, ofd, base);
    if (out == MAP_FAILED) { perror("mmap out"); return 1; }
    for (size_t off = 0; off < n; off += chunk) {
        size_t len = n - off < chunk ? n - off : chunk;
        if (mode & 4) madvise(in + off, len, MADV_POPULATE_READ);
        if (mode & 2) if (madvise(out + off, len, MADV_POPULATE_WRITE)) { perror("populate"); return 1; }
        memcpy(out + off, in + off, len);
    }
    munmap(out, n);
    munmap(in, n);
    return 0;
}
