// StreamRewriter: turns the scanner's matches into output spans.
#include "elvis/rewriter.hpp"

#include <algorithm>
#include <cstring>

namespace elvis {

StreamRewriter::StreamRewriter(const Matcher& matcher)
    : matcher_(matcher), scanner_(matcher), patch_in_place_(matcher.rules().same_length()) {
    scanner_.reset();
}

void StreamRewriter::feed(std::span<char> chunk, Sink& sink) {
    feed_chunk({chunk.data(), chunk.size()}, patch_in_place_ ? chunk.data() : nullptr, sink);
}

void StreamRewriter::feed(std::string_view chunk, Sink& sink) { feed_chunk(chunk, nullptr, sink); }

void StreamRewriter::feed_chunk(std::string_view chunk, char* writable, Sink& sink) {
    chunk_ = chunk;
    bytes_in_ += chunk.size();
    scanner_.feed(chunk);
    Match match;
    while (scanner_.next(match)) on_match(match, writable, sink);
    emit_until(scanner_.decided(), sink);
    sink.flush();
}

void StreamRewriter::finish(Sink& sink) {
    Match match;
    while (scanner_.finish(match)) on_match(match, nullptr, sink);
    chunk_ = {};
    emit_until(scanner_.chunk_start(), sink);
    sink.flush();
    reset();
}

void StreamRewriter::reset() {
    scanner_.reset();
    chunk_ = {};
    emitted_ = 0;
}

void StreamRewriter::on_match(const Match& match, char* writable, Sink& sink) {
    ++replacements_;
    const std::string& replacement = matcher_.rules().rules()[match.rule].replace;
    const std::uint64_t base = scanner_.chunk_start();
    if (writable != nullptr && match.start >= base) {
        // Same length: patch the chunk and let the span around it go out in one piece later.
        std::memcpy(writable + (match.start - base), replacement.data(), replacement.size());
        return;
    }
    emit_until(match.start, sink);
    put(replacement, sink);
    emitted_ = match.end;
}

// Emits input bytes [emitted_, to): held-over bytes first, then bytes of the current chunk.
void StreamRewriter::emit_until(std::uint64_t to, Sink& sink) {
    if (to <= emitted_) return;
    const std::uint64_t base = scanner_.chunk_start();
    if (emitted_ < base) {
        const std::uint64_t held_end = std::min(to, base);
        put_transient(scanner_.held(emitted_, held_end), sink);
        emitted_ = held_end;
    }
    if (to > emitted_) put(chunk_.substr(emitted_ - base, to - emitted_), sink);
    emitted_ = to;
}

void StreamRewriter::put(std::string_view bytes, Sink& sink) {
    bytes_out_ += bytes.size();
    sink.put(bytes);
}

void StreamRewriter::put_transient(std::string_view bytes, Sink& sink) {
    bytes_out_ += bytes.size();
    sink.put_transient(bytes);
}

std::string rewrite(const Matcher& matcher, std::string_view input) {
    StreamRewriter rewriter(matcher);
    StringSink sink;
    rewriter.feed(input, sink);
    rewriter.finish(sink);
    return std::move(sink.out);
}

}  // namespace elvis
