#include "io/spill_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "elvis/errors.hpp"
#include "io/syscalls.hpp"
#include "io/write_behind_sink.hpp"

namespace elvis::detail {

namespace {

// Large enough that a merge of millions of lines makes few system calls, small enough that the
// readers of a many-way merge stay within its budget.
constexpr std::size_t spill_buffer_bytes = 256 << 10;

}  // namespace

std::string temporary_directory(const std::string& requested) {
    if (!requested.empty()) return requested;
    const char* tmpdir = std::getenv("TMPDIR");
    return tmpdir && *tmpdir ? tmpdir : "/tmp";
}

SpillFile::SpillFile(const std::string& directory) : directory_(directory) {
    int fd = ::open(directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
        // A file system without O_TMPFILE (EISDIR from kernels that predate it).
        std::string name = directory + "/elvis-spill-XXXXXX";
        fd = ::mkostemp(name.data(), O_CLOEXEC);
        if (fd >= 0) ::unlink(name.c_str());
    }
    if (fd < 0) throw IoError("cannot create a temporary file in " + directory, errno);
    fd_ = Fd(fd, true);
}

void SpillFile::append(std::string_view bytes) {
    if (pending_.capacity() < spill_buffer_bytes) pending_.reserve(spill_buffer_bytes);
    while (!bytes.empty()) {
        const std::size_t room = spill_buffer_bytes - pending_.size();
        pending_.append(bytes.substr(0, room));
        bytes.remove_prefix(std::min(room, bytes.size()));
        if (pending_.size() == spill_buffer_bytes) flush();
    }
}

void SpillFile::flush() {
    if (pending_.empty()) return;
    try {
        write_all_at(fd_.get(), pending_, written_);
    } catch (const IoError& e) {
        throw WriteError("cannot write a temporary file in " + directory_, e.code());
    }
    written_ += pending_.size();
    pending_.clear();
}

void SpillFile::finish() {
    flush();
    pending_ = std::string();
}

SpillFile::Reader::Reader(SpillFile& file) : file_(&file) { file.finish(); }

bool SpillFile::Reader::fill() {
    buffer_.resize(spill_buffer_bytes);
    for (;;) {
        const ssize_t n = sys::calls().pread(file_->fd_.get(), buffer_.data(), buffer_.size(), static_cast<off_t>(offset_));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw IoError("cannot read a temporary file in " + file_->directory_, errno);
        buffer_.resize(static_cast<std::size_t>(n));
        offset_ += static_cast<std::uint64_t>(n);
        at_ = 0;
        return n > 0;
    }
}

std::string_view SpillFile::Reader::next_chunk() {
    if (at_ == buffer_.size() && !fill()) return {};
    const std::string_view chunk = std::string_view(buffer_).substr(at_);
    at_ = buffer_.size();
    return chunk;
}

bool SpillFile::Reader::read(void* into, std::size_t size) {
    auto* out = static_cast<char*>(into);
    for (std::size_t done = 0; done < size;) {
        if (at_ == buffer_.size() && !fill()) {
            if (done == 0) return false;
            throw IoError("a temporary file in " + file_->directory_ + " ended early", EIO);
        }
        const std::size_t n = std::min(size - done, buffer_.size() - at_);
        std::memcpy(out + done, buffer_.data() + at_, n);
        at_ += n;
        done += n;
    }
    return true;
}

}  // namespace elvis::detail
