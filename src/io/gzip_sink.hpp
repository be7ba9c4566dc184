// GzipSink: a Sink decorator that deflates what it is given (ISA-L's isal_deflate) and passes the
// gzip data on to another sink, one member per finish_member(), as `gzip -c FILE...` writes one
// per file. Bounded memory: the compressor's state and level buffer, an input and an output
// buffer, all allocated in the constructor. Level 1 (ISA-L's default of its levels 0-3) keeps pace with the
// filter (DESIGN.md, "Deflating").
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "elvis/sink.hpp"

namespace elvis {

class GzipSink final : public Sink {
public:
    // `inner` (not owned) must outlive this sink; it is flushed whenever the output buffer fills.
    explicit GzipSink(Sink& inner, unsigned level = 1, std::size_t buffer_size = 256 * 1024);
    ~GzipSink() override;
    GzipSink(const GzipSink&) = delete;
    GzipSink& operator=(const GzipSink&) = delete;

    void put(std::string_view bytes) override;  // compressed, or copied to be: nothing is kept
    void flush() override;                      // what is compressed so far goes to `inner`
    // Ends the current member (its trailer: CRC-32 and length) and flushes; the next put()
    // starts another. A member is written even when nothing was put, as gzip does for an empty
    // file.
    void finish_member();
    std::uint64_t bytes_in() const { return bytes_in_; }

private:
    struct Deflater;  // ISA-L's state, kept out of this header
    static constexpr std::size_t stage_size = 64 * 1024;
    void start_member();
    void deflate_staged();
    void deflate(std::string_view bytes, bool end);
    void pass_on();

    Sink& inner_;
    std::unique_ptr<Deflater> z_;
    std::unique_ptr<char[]> out_;
    std::size_t out_size_;
    std::unique_ptr<char[]> stage_;  // small pieces put, not yet deflated
    std::size_t staged_ = 0;
    unsigned level_;
    std::uint64_t bytes_in_ = 0;
};

}  // namespace elvis
