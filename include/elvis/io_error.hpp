// IoError: a failed system call, carrying errno so callers can tell EPIPE from real failures.
#pragma once

#include <cstring>
#include <stdexcept>
#include <string>

namespace elvis {

class IoError : public std::runtime_error {
public:
    IoError(const std::string& what, int code)
        : std::runtime_error(what + ": " + std::strerror(code)), code_(code) {}
    int code() const { return code_; }

private:
    int code_;
};

// A failed write of output (as opposed to reading input): usually fatal for the whole run.
class WriteError : public IoError {
public:
    using IoError::IoError;
};

}  // namespace elvis
