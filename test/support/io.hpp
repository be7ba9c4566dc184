// Test helpers for byte sources: temporary files, pipes, and draining a source.
#pragma once

#include <fcntl.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "elvis/byte_source.hpp"
#include "elvis/errors.hpp"

namespace elvis::testing {

// A temporary file holding `content`, removed when destroyed.
class TempFile {
public:
    explicit TempFile(std::string_view content) {
        char name[] = "/tmp/elvis-test-XXXXXX";
        int fd = ::mkstemp(name);
        path_ = name;
        for (std::size_t at = 0; at < content.size();) {
            ssize_t n = ::write(fd, content.data() + at, content.size() - at);
            if (n <= 0) break;
            at += static_cast<std::size_t>(n);
        }
        ::close(fd);
    }
    ~TempFile() { ::unlink(path_.c_str()); }
    const std::string& path() const { return path_; }
    int open() const { return ::open(path_.c_str(), O_RDONLY | O_CLOEXEC); }

private:
    std::string path_;
};

// The whole of the file at `path` (empty when it cannot be read).
inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

// A temporary directory, removed with what it holds when destroyed.
class TempDir {
public:
    TempDir() {
        char name[] = "/tmp/elvis-test-XXXXXX";
        if (::mkdtemp(name) == nullptr) throw IoError("mkdtemp", errno);
        path = name;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    // Writes `content` to the file at `relative`, making the directories on the way.
    std::string write(const std::string& relative, std::string_view content) const {
        const std::filesystem::path file = std::filesystem::path(path) / relative;
        std::filesystem::create_directories(file.parent_path());
        std::ofstream(file, std::ios::binary).write(content.data(), static_cast<std::streamsize>(content.size()));
        return file.string();
    }
    std::string read(const std::string& relative) const { return read_file(path + "/" + relative); }
    std::size_t entries() const {
        return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(path), {}));
    }

    std::string path;
};

inline std::string random_bytes(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    return s;
}

// Reads everything; `max_chunks` stops early (0: no limit).
inline std::string drain(ByteSource& source, std::size_t* chunks = nullptr) {
    std::string all;
    std::size_t n = 0;
    for (std::span<char> chunk = source.next(); !chunk.empty(); chunk = source.next()) {
        all.append(chunk.data(), chunk.size());
        ++n;
    }
    if (chunks) *chunks = n;
    return all;
}

}  // namespace elvis::testing
