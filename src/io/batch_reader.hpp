// SmallFileBatch: opens, reads and closes many small files with one io_uring submission.
//
// For each file: OPENAT into a registered (direct) descriptor slot, linked to a READ of the first
// chunk from that slot, hard-linked to a CLOSE of the slot. The hard link matters: a short read
// (the usual case for a small file) would cancel a plain link chain and leak the slot. Slots are
// explicit indexes (liburing 2.3 mis-encodes IORING_FILE_INDEX_ALLOC, liburing issue 840).
// A file larger than one chunk is reported as incomplete; the caller reads the rest another way.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "elvis/byte_source.hpp"
#include "io/uring.hpp"

namespace elvis {

class SmallFileBatch {
public:
    static constexpr unsigned max_files = 32;
    // Submission entries one batch needs.
    static constexpr unsigned ring_entries = 3 * max_files;

    struct File {
        int dir_fd = -1;           // openat(2) directory
        const char* name = nullptr;  // relative to dir_fd, never followed if a symbolic link; valid during read()
    };
    struct Result {
        int error = 0;             // errno from open or read, 0 on success
        std::span<char> data;      // the first chunk (valid until the next read())
        bool complete = false;     // data is the whole file
    };

    // Returns nullptr when the ring cannot register descriptor slots (old kernel).
    static std::unique_ptr<SmallFileBatch> create(Uring& ring, std::size_t chunk_size);
    ~SmallFileBatch();

    // Reads up to max_files files; results[i] belongs to files[i]. Throws IoError if the ring fails.
    void read(std::span<const File> files, std::span<Result> results);

private:
    SmallFileBatch(Uring& ring, std::size_t chunk_size);
    Uring& ring_;
    std::size_t chunk_size_;
    std::unique_ptr<char, void (*)(void*)> memory_;
};

}  // namespace elvis
