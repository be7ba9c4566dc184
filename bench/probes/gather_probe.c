// gather_probe: maps FILE a MiB at a time and writes it to OUT as iovecs of SEGMENT bytes (1024
// per writev), the cost of gathering output straight from a mapping. Standalone (not built by
// meson), for the mmap paragraph of docs/tuning-log.md's tuning log:
//   cc -O2 -o /tmp/gather_probe bench/probes/gather_probe.c
//   hyperfine -w 1 -r 10 --prepare 'rm -f out' '/tmp/gather_probe bench/out/text-1G.txt out 1048576'
//   hyperfine -w 1 -r 10 --prepare 'rm -f out' '/tmp/gather_probe bench/out/text-1G.txt out 130'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
int main(int argc, char** argv) {
    if (argc <= 3) return 2;  // see the usage above
    int in = open(argv[1], O_RDONLY); int out = open(argv[2], O_WRONLY|O_CREAT|O_TRUNC, 0644);
    int seg = atoi(argv[3]); int win = 1<<20;
    struct stat st; fstat(in, &st);
    static struct iovec iov[1024];
    for (off_t off = 0; off < st.st_size; off += win) {
        size_t n = st.st_size - off < win ? st.st_size - off : win;
        char* m = mmap(NULL, n, PROT_READ, MAP_SHARED|MAP_POPULATE, in, off);
        size_t done = 0;
        while (done < n) {
            int k = 0; size_t batch = 0;
            while (k < 1024 && done + batch < n) { size_t l = seg; if (l > n - done - batch) l = n - done - batch; iov[k].iov_base = m + done + batch; iov[k].iov_len = l; batch += l; ++k; }
            ssize_t w = writev(out, iov, k); if (w != (ssize_t)batch) { perror("writev"); return 1; }
            done += batch;
        }
        munmap(m, n);
    }
    return 0;
}
