// write_size_probe: writes 1 GiB from a 4 MiB buffer into a new file in writes of WRITE_SIZE bytes
// and prints the seconds. With RESERVE, it first reserves the space of the next RESERVE bytes
// whenever the writes reach the end of what is reserved (fallocate, FALLOC_FL_KEEP_SIZE).
// Standalone (not built by meson), for the "Output: no write over 256 KiB" and "File -> file,
// fifth look" entries of docs/tuning-log.md:
//   cc -O2 -o /tmp/write_size_probe bench/probes/write_size_probe.c
//   for size in 65536 262144 1048576; do rm -f out; /tmp/write_size_probe out $size; done
//   rm -f out; /tmp/write_size_probe out 65536 1048576
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
int main(int argc, char** argv) {
    if (argc <= 2) return 2;  // see the usage above
    int out = open(argv[1], O_WRONLY|O_CREAT|O_TRUNC, 0644);
    long ws = atol(argv[2]), reserve = argc > 3 ? atol(argv[3]) : 0, reserved = 0;
    char* buf = NULL; if (posix_memalign((void**)&buf, 4096, 4 << 20) != 0) return 1;
    memset(buf, 'x', 4<<20);
    struct timespec a, b; clock_gettime(CLOCK_MONOTONIC, &a);
    for (long done = 0; done < (1L<<30); done += ws) {
        if (reserve && done + ws > reserved) {
            if (fallocate(out, FALLOC_FL_KEEP_SIZE, reserved, reserve) != 0) return 1;
            reserved += reserve;
        }
        if (write(out, buf + (done % (4<<20)), ws) != ws) return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("ws %ld: %.3f s\n", ws, (b.tv_sec-a.tv_sec)+(b.tv_nsec-a.tv_nsec)/1e9);
    return 0;
}
