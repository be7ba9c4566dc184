// WARC input (count --warc, the filter's --warc): which records are searched, and what the filter
// does to the digests of a record it rewrites. The records are framed by their Content-Length,
// never by searching for "WARC/1.0" (DESIGN.md, "WARC records").
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace elvis {

struct WarcOptions {
    bool enabled = false;
    // WARC-Type values searched (compared regardless of case); other records are skipped by
    // count and copied unchanged by the filter.
    std::vector<std::string> types = {"conversion", "response", "resource"};
    // When not empty, only records whose WARC-Identified-Content-Language list (`eng,fra`) holds
    // one of these.
    std::vector<std::string> languages;
    // A rewritten record's WARC-Block-Digest and WARC-Payload-Digest: recomputed (sha1, base32,
    // as WARC writers give them) or dropped.
    enum class Digests { recompute, drop } digests = Digests::recompute;
};

// The record types and languages as a --warc-type or --warc-lang value gives them: a comma list,
// empty items dropped.
std::vector<std::string> split_warc_list(std::string_view list);

}  // namespace elvis
