// SmallFileBatch: opens many small files and reads their first chunk, a few io_uring submissions
// a batch (all OPENATs, then all READs, then the READs that find the end of the files read short).
//
// Each file keeps the one descriptor it was opened with: a file larger than one chunk is read to
// its end through that descriptor, never opened again by name, so a rename between the two reads
// cannot splice two files into one count (DESIGN.md, "One descriptor per file"). That is why the
// opens are not direct descriptors linked to their reads: liburing 2.3 cannot turn a direct
// descriptor into a normal one.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "elvis/byte_source.hpp"
#include "io/fd.hpp"
#include "io/uring.hpp"

namespace elvis {

class SmallFileBatch {
public:
    static constexpr unsigned max_files = 32;
    // Submission entries one batch needs.
    static constexpr unsigned ring_entries = max_files;

    struct File {
        int dir_fd = -1;           // openat(2) directory
        const char* name = nullptr;  // relative to dir_fd, never followed if a symbolic link; valid during read()
    };
    struct Result {
        int error = 0;             // errno from open or read, 0 on success
        std::span<char> data;      // the first chunk (valid until the next read())
        bool complete = false;     // data is the whole file (a read found its end)
        detail::Fd file;           // the open file (when error is 0), to read the rest from
    };

    SmallFileBatch(Uring& ring, std::size_t chunk_size);

    // Reads up to max_files files; results[i] belongs to files[i]. Throws IoError if the ring fails.
    void read(std::span<const File> files, std::span<Result> results);

private:
    // Submits what is queued and calls on_completion(index, res) for each of `expected` completions.
    template <typename OnCompletion>
    void complete(unsigned expected, OnCompletion on_completion);

    Uring& ring_;
    std::size_t chunk_size_;
    std::unique_ptr<char, void (*)(void*)> memory_;
};

}  // namespace elvis
