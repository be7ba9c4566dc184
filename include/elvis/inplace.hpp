// rewrite_in_place: applies the rules to every file under the named paths, in parallel, through
// the same pipeline as the filter, replacing each changed file atomically (DESIGN.md, "Rewriting
// in place").
//
// A file with no match is never written to (same inode, same mtime). A file is left alone, and
// reported, when it is read-only, has other hard links (unless a policy says otherwise), or is
// binary (a NUL byte in its first 8 KiB; a note, not an error, unless `binary`). A symbolic link
// is never replaced: the file it points to is rewritten. A file reached twice is rewritten once.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "elvis/byte_source.hpp"
#include "elvis/rules.hpp"
#include "elvis/scanner.hpp"
#include "elvis/shard.hpp"
#include "elvis/walk.hpp"
#include "elvis/warc.hpp"

namespace elvis {

// What to do with a file that has more than one hard link.
enum class HardLinkPolicy {
    refuse,  // report it and leave it alone (exit 2)
    skip,    // leave it alone quietly (a note)
    split,   // each name reached becomes a file of its own, rewritten; names not reached keep the old content
};

// The default number of workers for rewriting in place. A rewrite spends most of its time
// waiting in the filesystem (allocating the new inode, freeing and discarding the old one's
// blocks, fsync), not on the CPU, so more workers than CPUs keep the disk busy (4 per CPU, 8 to
// 64; docs/tuning-log.md, "In place: where the time goes").
unsigned default_in_place_threads();

struct InPlaceSettings {
    std::vector<Rule> rules;
    MatchOptions match;
    unsigned threads = 1;
    std::size_t buffer_size = default_buffer_size;
    IoMode io = IoMode::automatic;
    WalkOptions walk;
    bool dry_run = false;  // count what would change, write nothing
    bool diff = false;     // hand a unified diff of each would-be rewrite to on_diff, write nothing
    bool diff_color = false;  // the diff in git's colours
    bool binary = false;   // rewrite files that look binary too
    // Rewrite read-only files too, and files whose owner, group or extended attributes cannot be
    // carried over to the new file (set-id bits are then dropped).
    bool force = false;
    bool fsync = true;  // sync each new file and its directory before and after the swap
    // Keep each original as NAME + backup_suffix (empty: no backup). A file of that name is never
    // overwritten: the original is then left alone (refused). Files ending in it met while
    // walking are not rewritten.
    std::string backup_suffix;
    HardLinkPolicy hard_links = HardLinkPolicy::refuse;
    // Rewrite only the files of this shard (shard.hpp), by the path as printed.
    std::optional<Shard> shard;
    // With warc.enabled, each file is WARC records (plain or gzip, told by its first bytes, or
    // gzip by name for *.gz) and is rewritten as the filter's --warc writes them: payloads only,
    // headers fixed; a gzip file gets one gzip member per record. There is no binary guard and no
    // first-match scan: the file is rewritten into its new file, which is dropped when nothing was
    // replaced (the file is then never written to). A malformed record fails the file, which is
    // left as it was. Not with diff or choose.
    WarcOptions warc;
};

enum class Outcome {
    unchanged,     // no match: not touched
    changed,       // rewritten (or, with dry_run/diff, would be)
    binary,        // skipped: looks binary (a note)
    skipped,       // skipped by policy (hard links with policy skip; a note)
    refused,       // left alone for safety (read-only, hard links, changed meanwhile, metadata)
    failed,        // an error (unreadable, write failed, disk full, ...); the original is intact
    interrupted,   // abandoned because stop was requested; the original is intact
};

struct FileEvent {
    const std::string& path;
    Outcome outcome;
    std::uint64_t replacements;
    std::string_view reason;  // for binary, skipped, refused, failed
};

// Live counters, for a progress line; read them from any thread.
struct InPlaceProgress {
    std::atomic<std::uint64_t> files_done{0};
    std::atomic<std::uint64_t> bytes_done{0};
    std::atomic<bool> stop{false};  // set to abandon the run (SIGINT/SIGTERM)
};

struct InPlaceCallbacks {
    // Called once per file (serialized), as it is finished.
    std::function<void(const FileEvent&)> on_file;
    // With `diff`: the file's unified diff, headers naming it a/PATH and b/PATH as git does
    // (serialized).
    std::function<void(const std::string& path, std::string_view diff)> on_diff;
    // When set (--interactive), each file with matches is offered to it whole, one file at a time
    // in the order they are reached: it returns, per match, whether to make that replacement
    // (missing entries: no). Only the chosen ones are written, with the same atomic replace; a
    // file with none chosen is left as it was and counts as unchanged.
    std::function<std::vector<bool>(const std::string& path, std::string_view content, std::span<const Match> matches,
                                    const RuleSet& rules)>
        choose;
    // A temporary file an interrupted run left (a crash between naming a new file and renaming
    // it), proven to be one and removed (serialized).
    std::function<void(const std::string& path)> on_stale_temporary;
    // Walk errors (serialized).
    std::function<void(const std::string& path, const std::string& reason)> on_walk_error;
};

struct InPlaceReport {
    std::uint64_t scanned = 0, changed = 0, unchanged = 0, binary = 0, skipped = 0, refused = 0, failed = 0,
                  interrupted = 0, walk_errors = 0, replacements = 0, bytes_read = 0, stale_temporaries_removed = 0,
                  special_files_skipped = 0;  // FIFOs, sockets, devices met while walking
    // How the new files were created and named: "unnamed (O_TMPFILE), named through
    // /proc/self/fd", "... with linkat AT_EMPTY_PATH" (no /proc), "named temporaries (O_EXCL)"
    // (no O_TMPFILE, or no way to name one), or "none".
    std::string new_files;
};

InPlaceReport rewrite_in_place(const InPlaceSettings& settings, const std::vector<std::string>& paths,
                               const InPlaceCallbacks& callbacks, InPlaceProgress& progress);

}  // namespace elvis
