// SpillFile: an unlinked temporary file that a job writes what does not fit its memory budget to,
// and reads back from the start: `elvis merge`'s sorted runs and held-back lines (DESIGN.md,
// "Bounded merge").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "io/fd.hpp"

namespace elvis::detail {

// The directory temporary files go to: `requested` if not empty, else $TMPDIR if set and not
// empty, else /tmp (as sort(1) chooses).
std::string temporary_directory(const std::string& requested = {});

class SpillFile {
public:
    // Created in `directory` with O_TMPFILE, or where the file system has none, as a named
    // mkstemp file unlinked at once: either way nothing is left behind, even after SIGKILL.
    // Throws IoError naming the directory.
    explicit SpillFile(const std::string& directory);
    SpillFile(SpillFile&&) = default;
    SpillFile& operator=(SpillFile&&) = default;

    // Buffered; throws WriteError naming the directory (a full disk, say).
    void append(std::string_view bytes);
    // Writes what append() holds and lets its buffer go: for a file written whole before it is
    // read (reading finishes it first), so that many such files cost no memory each.
    void finish();
    std::uint64_t size() const { return written_ + pending_.size(); }

    // Reads the file from its start, in order, as many times as asked.
    class Reader {
    public:
        explicit Reader(SpillFile& file);
        // Copies the next `size` bytes to `into`; false at the end (a partial tail is an error:
        // the file was written whole). Throws IoError.
        bool read(void* into, std::size_t size);
        // The next bytes, as many as are buffered (at most a buffer's worth); empty at the end.
        std::string_view next_chunk();

    private:
        bool fill();
        SpillFile* file_;
        std::string buffer_;
        std::size_t at_ = 0;
        std::uint64_t offset_ = 0;
    };

private:
    Fd fd_;
    std::string directory_;
    std::string pending_;  // reserved on the first append
    void flush();
    std::uint64_t written_ = 0;
};

}  // namespace elvis::detail
