// WarcRewriter: a searched record's block is gathered (and hashed) in Block, then the record is
// written with its header fixed where the payload changed.
#include "records/warc_rewriter.hpp"

// SHA1_Init and its kin are deprecated in OpenSSL 3 in favour of EVP, whose first fetch loads the
// provider machinery: 2 MiB of RSS for one digest, an eighth of the record memory bound; the two
// run the same assembly (DESIGN.md, "WARC records").
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <utility>

#include "io/gzip_sink.hpp"
#include "io/spill_file.hpp"

namespace elvis::detail {

namespace {

// SHA-1 as WARC writers give it: "sha1:" and the 20 bytes in base32 (RFC 4648), 32 letters.
class Sha1 {
public:
    Sha1() { restart(); }
    void restart() { SHA1_Init(&ctx_); }
    void update(std::string_view bytes) { SHA1_Update(&ctx_, bytes.data(), bytes.size()); }
    std::string warc_digest() {
        unsigned char digest[SHA_DIGEST_LENGTH];
        constexpr unsigned size = SHA_DIGEST_LENGTH;
        SHA1_Final(digest, &ctx_);
        static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        std::string out = "sha1:";
        for (unsigned bit = 0; bit < size * 8; bit += 5) {
            unsigned value = 0;
            for (unsigned b = bit; b < bit + 5; ++b)
                value = value << 1 | (b < size * 8 ? (digest[b / 8] >> (7 - b % 8)) & 1u : 0u);
            out += alphabet[value];
        }
        return out;
    }

private:
    SHA_CTX ctx_;
};

bool starts_with_sha1(std::string_view value) {
    return value.size() >= 5 && same_field_name(value.substr(0, 5), "sha1:");
}

}  // namespace

// A searched record's block as it is rewritten: memory first, then a temporary file.
class WarcRewriter::Block final : public Sink {
public:
    void put(std::string_view bytes) override { append(bytes, true); }
    void flush() override {}

    void append(std::string_view bytes, bool payload) {
        block_digest_.update(bytes);
        if (payload) payload_digest_.update(bytes);
        size_ += bytes.size();
        if (!spill_ && memory_.size() + bytes.size() <= memory_bytes) {
            // Grown by doubling, the string would pass through 2 and 4 MiB at once on the way.
            if (memory_.capacity() < memory_bytes) memory_.reserve(memory_bytes);
            memory_.append(bytes);
            return;
        }
        if (!spill_) spill_.emplace(temporary_directory());
        spill_->append(bytes);
    }
    std::uint64_t size() const { return size_; }
    // Once the block is whole; the same each time asked (a header may repeat a digest field).
    const std::string& block_digest() {
        if (block_value_.empty()) block_value_ = block_digest_.warc_digest();
        return block_value_;
    }
    const std::string& payload_digest() {
        if (payload_value_.empty()) payload_value_ = payload_digest_.warc_digest();
        return payload_value_;
    }

    // Each piece in order; a piece is valid during the call only.
    template <class Each>
    void for_each(Each each) {
        if (!memory_.empty()) each(std::string_view(memory_));
        if (!spill_) return;
        SpillFile::Reader reader(*spill_);
        for (std::string_view piece = reader.next_chunk(); !piece.empty(); piece = reader.next_chunk()) each(piece);
    }
    void clear() {
        memory_.clear();
        spill_.reset();
        size_ = 0;
        block_digest_.restart();
        payload_digest_.restart();
        block_value_.clear();
        payload_value_.clear();
    }

private:
    std::string memory_;
    std::optional<SpillFile> spill_;
    std::uint64_t size_ = 0;
    Sha1 block_digest_, payload_digest_;
    std::string block_value_, payload_value_;
};

WarcRewriter::WarcRewriter(const Matcher& matcher, const WarcOptions& options, Sink& out, GzipSink* members)
    : options_(options), out_(out), members_(members), rewriter_(matcher), block_(std::make_unique<Block>()) {}

WarcRewriter::~WarcRewriter() = default;

void WarcRewriter::put(std::string_view bytes) {
    if (bytes.empty()) return;
    out_.put(bytes);
    bytes_out_ += bytes.size();
    member_open_ = true;
}

void WarcRewriter::feed(std::string_view chunk) {
    if (error_) {  // after a malformed record, the rest as it is
        put(chunk);
        out_.flush();
        return;
    }
    const std::uint64_t start = reader_.offset();
    try {
        reader_.feed(chunk, *this);
    } catch (const RecordError& e) {
        salvage(e);
        put(chunk.substr(static_cast<std::size_t>(reader_.offset() - start)));
    } catch (...) {
        abandon();  // a temporary file or the output failed mid-record: nothing more is written of it
        throw;
    }
    out_.flush();  // the chunk's bytes were put as they are: written before it is read into again
}

std::optional<RecordError> WarcRewriter::finish() {
    try {
        if (!error_) {
            try {
                reader_.finish();
            } catch (const RecordError& e) {
                salvage(e);
            }
        }
        if (member_open_) end_record();
    } catch (...) {
        abandon();
        throw;
    }
    reader_.reset();
    return std::exchange(error_, std::nullopt);
}

void WarcRewriter::abandon() {
    rewriter_.reset();
    block_->clear();
    reader_.reset();
    selected_ = false;
    member_open_ = false;
    error_.reset();
}

// What was read of the malformed record goes out as it was (its payload rewritten so far).
void WarcRewriter::salvage(const RecordError& e) {
    if (!reader_.in_block() || selected_) put(reader_.header_bytes());
    if (reader_.in_block() && selected_) {
        rewriter_.finish(*block_);
        block_->for_each([&](std::string_view piece) { put(piece), out_.flush(); });
        block_->clear();
    }
    if (reader_.in_block()) put(reader_.trailer_bytes());
    selected_ = false;
    error_ = e;
}

void WarcRewriter::on_header(const WarcHeader& header) {
    selected_ = warc_selects(options_, header);
    if (!selected_) {
        put(header.raw);
        out_.flush();  // the reader's buffer takes the next header
        return;
    }
    replacements_before_ = rewriter_.replacements();
    block_->clear();
}

void WarcRewriter::on_block(std::string_view bytes, bool payload) {
    if (!selected_) put(bytes);
    else if (!payload) block_->append(bytes, false);
    else rewriter_.feed(bytes, *block_);
}

void WarcRewriter::on_record_end(std::string_view trailer) {
    if (selected_) {
        rewriter_.finish(*block_);
        if (rewriter_.replacements() == replacements_before_) {
            put(reader_.header_bytes());
        } else {
            changed_header_ = changed_header();
            put(changed_header_);
        }
        out_.flush();
        block_->for_each([&](std::string_view piece) { put(piece), out_.flush(); });
        block_->clear();
        selected_ = false;
    }
    put(trailer);
    end_record();
}

void WarcRewriter::end_record() {
    out_.flush();
    if (members_) members_->finish_member();
    member_open_ = false;
}

// The header with Content-Length set to the new block's length, and the sha1 digests recomputed
// (or dropped, as asked). A digest by another algorithm is dropped: it cannot be vouched for.
std::string WarcRewriter::changed_header() const {
    const std::string_view raw = reader_.header_bytes();
    std::string out;
    out.reserve(raw.size() + 64);
    for (std::size_t at = 0; at < raw.size();) {
        const std::size_t end = std::min(raw.find('\n', at), raw.size() - 1) + 1;
        const std::string_view line = raw.substr(at, end - at);
        const bool first = at == 0;
        at = end;
        const std::size_t colon = line.find(':');
        if (first || colon == std::string_view::npos || line.front() == ' ' || line.front() == '\t') {
            out.append(line);
            continue;
        }
        const std::string_view name = line.substr(0, colon);
        const std::string_view ending = line.ends_with("\r\n") ? "\r\n" : "\n";
        const bool block_digest = same_field_name(trim_field(name), "WARC-Block-Digest");
        const bool payload_digest = same_field_name(trim_field(name), "WARC-Payload-Digest");
        if (same_field_name(trim_field(name), "Content-Length")) {
            out.append(name).append(": ").append(std::to_string(block_->size())).append(ending);
        } else if (block_digest || payload_digest) {
            if (options_.digests == WarcOptions::Digests::drop || !starts_with_sha1(trim_field(line.substr(colon + 1))))
                continue;
            out.append(name).append(": ").append(block_digest ? block_->block_digest() : block_->payload_digest()).append(ending);
        } else {
            out.append(line);
        }
    }
    return out;
}

}  // namespace elvis::detail
