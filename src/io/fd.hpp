// Fd: a file descriptor closed when it goes out of scope, or a borrowed one that is not.
#pragma once

#include <unistd.h>

#include <utility>

namespace elvis::detail {

class Fd {
public:
    Fd() = default;
    Fd(int fd, bool owned) : fd_(fd), owned_(owned) {}
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)), owned_(other.owned_) {}
    Fd& operator=(Fd&& other) noexcept {
        std::swap(fd_, other.fd_);
        std::swap(owned_, other.owned_);
        return *this;
    }
    ~Fd() {
        if (owned_ && fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }
    // Hands the descriptor over: the caller closes it now.
    int release() {
        owned_ = false;
        return std::exchange(fd_, -1);
    }
    bool owned() const { return owned_; }

private:
    int fd_ = -1;
    bool owned_ = false;
};

}  // namespace elvis::detail
