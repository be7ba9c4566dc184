// The in-place job (rewrite_in_place) through its library API: what is rewritten and what is left
// alone, and what each file's event says. Crashes, races and the walk's rules for links are tested
// through the command line (test/cli/test_in_place.py), where a process can be killed.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "elvis/inplace.hpp"
#include "support/io.hpp"
#include "support/sweep.hpp"

using namespace elvis;
using elvis::testing::TempDir;

namespace {

struct Seen {
    Outcome outcome;
    std::uint64_t replacements;
    std::string reason;
};

// One run over `paths` (default: the whole directory), with its events by path.
struct Run {
    InPlaceReport report;
    std::map<std::string, Seen> files;
    std::map<std::string, std::string> diffs;
};

InPlaceSettings settings_for(std::vector<Rule> rules = {{"elvis", "Elvis"}}) {
    InPlaceSettings s;
    s.rules = std::move(rules);
    s.threads = 3;
    s.fsync = false;  // the swap is the same; a test has no power cut to survive
    return s;
}

Run run(const InPlaceSettings& settings, const std::vector<std::string>& paths, InPlaceCallbacks callbacks = {}) {
    Run result;
    std::mutex mutex;  // the callbacks are serialized; the lock only documents that they may come from any worker
    callbacks.on_file = [&](const FileEvent& e) {
        std::lock_guard lock(mutex);
        CHECK(result.files.count(e.path) == 0);  // one event per file
        result.files[e.path] = {e.outcome, e.replacements, std::string(e.reason)};
    };
    if (settings.diff)
        callbacks.on_diff = [&](const std::string& path, std::string_view diff) {
            std::lock_guard lock(mutex);
            result.diffs[path] = std::string(diff);
        };
    InPlaceProgress progress;
    result.report = rewrite_in_place(settings, paths, callbacks, progress);
    return result;
}

struct stat stat_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st;
}

}  // namespace

TEST_CASE("rewrite_in_place rewrites the files with matches and never touches the others") {
    for (IoMode io : elvis::testing::backends()) {
        CAPTURE(backend_name(io == IoMode::posix ? IoBackend::posix : IoBackend::uring));
        TempDir dir;
        const std::string changed = dir.write("a.txt", "elvis and elvis\n");
        const std::string nested = dir.write("sub/deeper/b.txt", "no match here, elvi s\n");
        dir.write("sub/c.txt", std::string(300000, 'x') + "elvis" + std::string(5, 'y'));
        ::chmod(changed.c_str(), 0640);
        const struct stat before = stat_of(nested);
        const struct stat mode_before = stat_of(changed);
        InPlaceSettings s = settings_for();
        s.io = io;
        s.buffer_size = 4096;  // the match in c.txt is many buffers in
        const Run r = run(s, {dir.path});
        CHECK(r.report.changed == 2);
        CHECK(r.report.unchanged == 1);
        CHECK(r.report.failed == 0);
        CHECK(r.files.size() == 3);
        CHECK(dir.read("a.txt") == "Elvis and Elvis\n");
        CHECK(dir.read("sub/c.txt") == std::string(300000, 'x') + "Elvis" + std::string(5, 'y'));
        CHECK(dir.read("sub/deeper/b.txt") == "no match here, elvi s\n");
        // The file without a match is the same inode, never written; the rewritten one keeps its mode.
        const struct stat after = stat_of(nested);
        CHECK(after.st_ino == before.st_ino);
        CHECK(after.st_mtim.tv_sec == before.st_mtim.tv_sec);
        CHECK(after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
        CHECK((stat_of(changed).st_mode & 07777) == (mode_before.st_mode & 07777));
        CHECK(stat_of(changed).st_ino != mode_before.st_ino);  // a new file, swapped in
        CHECK(dir.entries() == 2);  // a.txt and sub/: no temporary left beside them
    }
}

TEST_CASE("rewrite_in_place reports each file's outcome and replacements, and the totals add up") {
    TempDir dir;
    const std::string two = dir.write("two.txt", "elvis elvis");
    const std::string none = dir.write("none.txt", "nothing");
    const std::string binary = dir.write("binary.bin", std::string("elvis\0elvis", 11));
    const Run r = run(settings_for(), {two, none, binary});
    REQUIRE(r.files.size() == 3);
    CHECK(r.files.at(two).outcome == Outcome::changed);
    CHECK(r.files.at(two).replacements == 2);
    CHECK(r.files.at(none).outcome == Outcome::unchanged);
    CHECK(r.files.at(binary).outcome == Outcome::binary);
    CHECK(!r.files.at(binary).reason.empty());
    CHECK(r.report.scanned == 3);
    CHECK(r.report.replacements == 2);
    CHECK(r.report.changed + r.report.unchanged + r.report.binary == 3);
    CHECK(dir.read("binary.bin") == std::string("elvis\0elvis", 11));  // binary: left alone
    // With `binary`, it is rewritten like any other file.
    InPlaceSettings s = settings_for();
    s.binary = true;
    const Run again = run(s, {binary});
    CHECK(again.files.at(binary).outcome == Outcome::changed);
    CHECK(dir.read("binary.bin") == std::string("Elvis\0Elvis", 11));
}

TEST_CASE("rewrite_in_place with dry_run or diff writes nothing; the diff names a/PATH and b/PATH") {
    TempDir dir;
    const std::string path = dir.write("f.txt", "one\nelvis two\nthree\n");
    const struct stat before = stat_of(path);
    InPlaceSettings s = settings_for();
    s.dry_run = true;
    Run r = run(s, {path});
    CHECK(r.files.at(path).outcome == Outcome::changed);
    CHECK(r.files.at(path).replacements == 1);
    s.dry_run = false;
    s.diff = true;
    r = run(s, {path});
    CHECK(r.files.at(path).outcome == Outcome::changed);
    REQUIRE(r.diffs.count(path) == 1);
    const std::string& diff = r.diffs.at(path);
    // An absolute path loses its '/' after git's a/ and b/.
    std::string headers = "--- a";
    headers.append(path).append("\n+++ b").append(path).append("\n");
    CHECK(diff.find(headers) != std::string::npos);
    CHECK(diff.find("\n-elvis two\n+Elvis two\n") != std::string::npos);
    CHECK(dir.read("f.txt") == "one\nelvis two\nthree\n");
    CHECK(stat_of(path).st_ino == before.st_ino);
}

TEST_CASE("rewrite_in_place keeps a backup, and refuses to overwrite an existing one") {
    TempDir dir;
    const std::string kept = dir.write("kept.txt", "elvis\n");
    const std::string blocked = dir.write("blocked.txt", "elvis\n");
    dir.write("blocked.txt.orig", "someone's file\n");
    InPlaceSettings s = settings_for();
    s.backup_suffix = ".orig";
    const Run r = run(s, {kept, blocked});
    CHECK(r.files.at(kept).outcome == Outcome::changed);
    CHECK(dir.read("kept.txt") == "Elvis\n");
    CHECK(dir.read("kept.txt.orig") == "elvis\n");
    CHECK(r.files.at(blocked).outcome == Outcome::refused);
    CHECK(r.files.at(blocked).reason.find("blocked.txt.orig") != std::string::npos);
    CHECK(dir.read("blocked.txt") == "elvis\n");
    CHECK(dir.read("blocked.txt.orig") == "someone's file\n");
    // A later walk does not rewrite the backups it finds.
    const Run walk = run(s, {dir.path});
    CHECK(walk.files.count(dir.path + "/kept.txt.orig") == 0);
    CHECK(dir.read("kept.txt.orig") == "elvis\n");
}

TEST_CASE("rewrite_in_place leaves hard-linked files alone unless told to split them") {
    TempDir dir;
    const std::string path = dir.write("linked.txt", "elvis\n");
    const std::string other = dir.path + "/other-name.txt";
    REQUIRE(::link(path.c_str(), other.c_str()) == 0);
    InPlaceSettings s = settings_for();
    Run r = run(s, {path});
    CHECK(r.files.at(path).outcome == Outcome::refused);
    CHECK(r.report.refused == 1);
    s.hard_links = HardLinkPolicy::skip;
    r = run(s, {path});
    CHECK(r.files.at(path).outcome == Outcome::skipped);
    CHECK(dir.read("linked.txt") == "elvis\n");
    s.hard_links = HardLinkPolicy::split;
    r = run(s, {path});
    CHECK(r.files.at(path).outcome == Outcome::changed);
    CHECK(dir.read("linked.txt") == "Elvis\n");
    CHECK(dir.read("other-name.txt") == "elvis\n");  // the name not reached keeps the old content
    CHECK(stat_of(other).st_nlink == 1);
}

TEST_CASE("rewrite_in_place refuses a read-only file unless forced") {
    TempDir dir;
    const std::string path = dir.write("ro.txt", "elvis\n");
    REQUIRE(::chmod(path.c_str(), 0444) == 0);
    InPlaceSettings s = settings_for();
    Run r = run(s, {path});
    CHECK(r.files.at(path).outcome == Outcome::refused);
    CHECK(r.files.at(path).reason.find("read-only") != std::string::npos);
    CHECK(dir.read("ro.txt") == "elvis\n");
    s.force = true;
    r = run(s, {path});
    CHECK(r.files.at(path).outcome == Outcome::changed);
    CHECK(dir.read("ro.txt") == "Elvis\n");
    CHECK((stat_of(path).st_mode & 0777) == 0444);
}

TEST_CASE("rewrite_in_place rewrites the file a symbolic link names, never the link") {
    TempDir dir;
    const std::string target = dir.write("target.txt", "elvis\n");
    const std::string link = dir.path + "/link.txt";
    REQUIRE(::symlink("target.txt", link.c_str()) == 0);
    const Run r = run(settings_for(), {link});
    CHECK(r.report.changed == 1);
    CHECK(S_ISLNK(stat_of(link).st_mode));
    CHECK(dir.read("target.txt") == "Elvis\n");
    // Named twice (the link and its target): rewritten once.
    dir.write("target.txt", "elvis\n");
    const Run twice = run(settings_for(), {link, target});
    CHECK(twice.report.changed == 1);
    CHECK(twice.report.replacements == 1);
    CHECK(dir.read("target.txt") == "Elvis\n");
}

TEST_CASE("rewrite_in_place with choose writes only the replacements chosen") {
    TempDir dir;
    const std::string path = dir.write("f.txt", "elvis 1, elvis 2, elvis 3\n");
    const std::string untouched = dir.write("g.txt", "elvis\n");
    InPlaceSettings s = settings_for();
    s.threads = 1;
    InPlaceCallbacks callbacks;
    std::vector<std::string> offered;
    callbacks.choose = [&](const std::string& p, std::string_view content, std::span<const Match> matches, const RuleSet&) {
        offered.push_back(p);
        CHECK(matches.size() == (p == path ? 3u : 1u));
        CHECK(content.substr(matches[0].start, 5) == "elvis");
        return p == path ? std::vector<bool>{true, false, true} : std::vector<bool>{};
    };
    const Run r = run(s, {path, untouched}, callbacks);
    CHECK(offered == std::vector<std::string>{path, untouched});  // in the order named
    CHECK(dir.read("f.txt") == "Elvis 1, elvis 2, Elvis 3\n");
    CHECK(r.files.at(path).replacements == 2);
    CHECK(r.files.at(untouched).outcome == Outcome::unchanged);  // none chosen: as it was
    CHECK(dir.read("g.txt") == "elvis\n");
}

namespace {
// f0.txt, f1.txt, ... (built with append: GCC 12 warns falsely, -Wrestrict, on "f" + string).
std::string numbered(int i) { return std::string("f").append(std::to_string(i)).append(".txt"); }
}  // namespace

TEST_CASE("rewrite_in_place abandons the run when stop is set, leaving every file intact") {
    TempDir dir;
    for (int i = 0; i < 50; ++i) dir.write(numbered(i), "elvis\n");
    InPlaceSettings s = settings_for();
    InPlaceCallbacks callbacks;
    callbacks.on_file = [](const FileEvent&) {};
    InPlaceProgress progress;
    progress.stop = true;
    const InPlaceReport report = rewrite_in_place(s, {dir.path}, callbacks, progress);
    CHECK(report.changed == 0);
    for (int i = 0; i < 50; ++i) CHECK(dir.read(numbered(i)) == "elvis\n");
    CHECK(dir.entries() == 50);
}

TEST_CASE("rewrite_in_place reports the paths that do not exist, in order, and goes on") {
    TempDir dir;
    const std::string path = dir.write("here.txt", "elvis\n");
    InPlaceCallbacks callbacks;
    std::vector<std::string> errors;
    callbacks.on_walk_error = [&](const std::string& p, const std::string&) { errors.push_back(p); };
    const std::string first = dir.path + "/missing-1.txt", second = dir.path + "/missing-2.txt";
    const Run r = run(settings_for(), {first, path, second}, callbacks);
    CHECK(errors == std::vector<std::string>{first, second});  // in the order given
    CHECK(r.report.walk_errors == 2);
    CHECK(dir.read("here.txt") == "Elvis\n");
}
