// StreamRewriter: applies the rules to a stream fed in chunks of any size.
//
// The output is byte-identical to rewriting the whole stream at once, however it was split.
// Bytes outside matches pass through untouched; replacement text is never rescanned. Only bytes
// that may still start a match are held back between chunks (see StreamScanner).
//
// After construction nothing here allocates. Not thread-safe: one rewriter per stream at a time.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "elvis/matcher.hpp"
#include "elvis/scanner.hpp"
#include "elvis/sink.hpp"

namespace elvis {

class StreamRewriter {
public:
    explicit StreamRewriter(const Matcher& matcher);

    // Rewrites the next chunk into `sink` and flushes it. When every replacement has the length
    // of its find text, matches inside this chunk are patched in place in `chunk` and the chunk is
    // written out whole (no copy); `chunk` is left patched.
    void feed(std::span<char> chunk, Sink& sink);
    // The same for read-only input: never writes to `chunk`.
    void feed(std::string_view chunk, Sink& sink);

    // Ends the stream: writes what was held back, flushes, and readies the rewriter for a new stream.
    void finish(Sink& sink);
    // Abandons the stream (after a failed write, say) without output; ready for a new stream.
    void reset();

    // Totals over every stream so far.
    std::uint64_t bytes_in() const { return bytes_in_; }
    std::uint64_t bytes_out() const { return bytes_out_; }
    std::uint64_t replacements() const { return replacements_; }

private:
    void feed_chunk(std::string_view chunk, char* writable, Sink& sink);
    void on_match(const Match& match, char* writable, Sink& sink);
    void emit_until(std::uint64_t to, Sink& sink);
    void put(std::string_view bytes, Sink& sink);
    void put_transient(std::string_view bytes, Sink& sink);  // the scanner's held-over bytes

    const Matcher& matcher_;
    StreamScanner scanner_;
    const bool patch_in_place_;
    std::string_view chunk_;
    std::uint64_t emitted_ = 0;  // stream offset up to which output was produced
    std::uint64_t bytes_in_ = 0, bytes_out_ = 0, replacements_ = 0;
};

// Rewrites a whole string at once; a convenience over StreamRewriter (allocates the result).
std::string rewrite(const Matcher& matcher, std::string_view input);

}  // namespace elvis
