// The errors the library throws, in one place. Every one is a std::runtime_error whose what()
// is a message for the user; IoError also carries the errno, so a caller can tell EPIPE from a
// real failure.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

namespace elvis {

// A failed system call: what() is "WHAT: strerror(code)".
class IoError : public std::runtime_error {
public:
    IoError(const std::string& what, int code)
        : std::runtime_error(what + ": " + std::strerror(code)), code_(code) {}
    int code() const { return code_; }

    // A regular file that ended before the size it had when it was opened: truncated meanwhile.
    static IoError shrank(std::uint64_t got, std::uint64_t size) {
        return IoError(EIO, "shrank while it was read: " + std::to_string(got) + " of its " + std::to_string(size) +
                                " bytes were there (its count is incomplete)");
    }

protected:
    // For subclasses whose message is complete without strerror's text.
    IoError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}

private:
    int code_;
};

// A failed write of output (as opposed to reading input): usually fatal for the whole run.
class WriteError : public IoError {
public:
    using IoError::IoError;
};

// Bad or truncated compressed input. An IoError (code EBADMSG), so the handlers that report a
// failed read report it, but what() is the plain message, with no strerror text appended.
class GzipError : public IoError {
public:
    explicit GzipError(const std::string& message) : IoError(EBADMSG, message) {}
};

// Malformed records of a record format (--warc): what() is "byte OFFSET: reason", the offset in
// the (decompressed) stream. An IoError (code EBADMSG), so it is reported as a failed read is.
class RecordError : public IoError {
public:
    RecordError(std::uint64_t offset, const std::string& reason)
        : IoError(EBADMSG, "byte " + std::to_string(offset) + ": " + reason), offset_(offset), reason_(reason) {}
    std::uint64_t offset() const { return offset_; }
    const std::string& reason() const { return reason_; }

private:
    std::uint64_t offset_;
    std::string reason_;
};

// Rules that cannot be compiled (empty find text, duplicates, a malformed rules file).
class RuleError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A rewrite in place that would lose something: the original changed meanwhile, its metadata
// cannot be reproduced, or its backup's name is taken. The original is left as it was.
class ReplaceRefused : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A malformed line of count output given to merge: what() is "NAME:LINE: reason".
class MergeError : public std::runtime_error {
public:
    MergeError(const std::string& name, std::uint64_t line, const std::string& reason)
        : std::runtime_error(name + ":" + std::to_string(line) + ": " + reason) {}
    // Found when the inputs are put together, at no one line.
    explicit MergeError(const std::string& reason) : std::runtime_error(reason) {}
};

}  // namespace elvis
