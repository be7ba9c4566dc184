// --glob patterns (GlobPattern), the resolution of followed links, and the walk itself (wide
// directories, shared workers, ignore files); its rules for links and special files are tested
// through the command line.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "walk/resolve.hpp"
#include "walk/tree_walk.hpp"

using elvis::GlobPattern;

namespace {
// An entry at `relative` below the root.
bool matches(const char* glob, std::string_view relative, bool directory = false) {
    const std::size_t slash = relative.rfind('/');
    const std::string name(slash == std::string_view::npos ? relative : relative.substr(slash + 1));
    return GlobPattern(glob).matches(name, relative, directory);
}
}  // namespace

TEST_CASE("a glob without '/' matches the name at any depth") {
    CHECK(matches("*.txt", "top.txt"));
    CHECK(matches("*.txt", "a/b/deep.txt"));
    CHECK_FALSE(matches("*.txt", "a/b/deep.md"));
    CHECK(matches("deep.*", "a/b/deep.md"));
    CHECK(matches("**", "a/b/deep.md"));
    CHECK(GlobPattern("!*.txt").excludes());
    CHECK(GlobPattern("!*.txt").matches("x.txt", "x.txt", false));
    CHECK_FALSE(GlobPattern("*.txt").excludes());
}

TEST_CASE("a glob with '/' matches the path below the root, '*' within one directory") {
    CHECK(matches("a/*.txt", "a/mid.txt"));
    CHECK_FALSE(matches("a/*.txt", "a/b/deep.txt"));
    CHECK_FALSE(matches("a/*.txt", "x/a/mid.txt"));
    CHECK(matches("*/mid.txt", "a/mid.txt"));
    CHECK_FALSE(matches("*/mid.txt", "mid.txt"));
    CHECK(matches("a//mid.txt", "a/mid.txt"));  // an empty segment changes nothing
}

TEST_CASE("a leading '/' anchors a glob to the root") {
    CHECK(matches("/top.txt", "top.txt"));
    CHECK_FALSE(matches("/top.txt", "src/top.txt"));
    CHECK(matches("/a/*.txt", "a/mid.txt"));
    CHECK_FALSE(matches("/a/*.txt", "x/a/mid.txt"));
    CHECK(matches("/build/", "build", true));
    CHECK_FALSE(matches("/build/", "src/build", true));
}

TEST_CASE("'**' stands for any number of directories, none included") {
    CHECK(matches("**/*.txt", "top.txt"));
    CHECK(matches("**/*.txt", "a/mid.txt"));
    CHECK(matches("**/*.txt", "a/b/c/deep.txt"));
    CHECK_FALSE(matches("**/*.txt", "a/b/deep.md"));
    CHECK(matches("a/**/*.txt", "a/mid.txt"));
    CHECK(matches("a/**/*.txt", "a/b/c/deep.txt"));
    CHECK_FALSE(matches("a/**/*.txt", "b/a/mid.txt"));
    CHECK(matches("**/b/**", "a/b/deep.md"));
    CHECK(matches("**/b/**", "b/x"));
    CHECK_FALSE(matches("**/b/**", "a/bb/x"));
    CHECK(matches("a/**/**/x", "a/x"));  // a run of them is one
    CHECK(matches("a/**/b/**/x", "a/1/2/b/3/x"));
    CHECK_FALSE(matches("a/**/b/**/x", "a/1/2/3/x"));
}

TEST_CASE("a trailing '/**' matches what is inside, not the directory itself") {
    CHECK(matches("docs/**", "docs/a.md"));
    CHECK(matches("docs/**", "docs/x/y/a.md"));
    CHECK_FALSE(matches("docs/**", "docs"));
    CHECK_FALSE(matches("docs/**", "docs", true));
    CHECK(matches("docs/**/", "docs/x", true));
    CHECK_FALSE(matches("docs/**/", "docs", true));
}

TEST_CASE("a glob ending in '/' only matches directories") {
    CHECK(matches("node_modules/", "web/node_modules", true));
    CHECK_FALSE(matches("node_modules/", "web/node_modules", false));
    CHECK(matches("web/*/", "web/lib", true));
    CHECK_FALSE(matches("web/*/", "web/lib", false));
}

// resolve() and is_beneath(): the hand-made resolution every followed link of a walk goes through.
namespace {

struct TempTree {
    std::string root;
    TempTree() {
        char pattern[] = "/tmp/elvis-resolve-XXXXXX";
        root = ::mkdtemp(pattern);
    }
    ~TempTree() { std::filesystem::remove_all(root); }
    std::string at(const std::string& relative) const { return root + "/" + relative; }
};

struct Stat {
    dev_t dev;
    ino_t ino;
};

Stat stat_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return {st.st_dev, st.st_ino};
}

}  // namespace

TEST_CASE("resolve follows links by hand to the directory holding the last component") {
    TempTree t;
    std::filesystem::create_directories(t.at("tree/a/b"));
    std::filesystem::create_directories(t.at("outside"));
    std::ofstream(t.at("tree/a/b/file.txt")) << "x";
    std::ofstream(t.at("outside/victim.txt")) << "x";
    std::filesystem::create_symlink("a/b/file.txt", t.at("tree/relative"));
    std::filesystem::create_symlink(t.at("tree/a/b/file.txt"), t.at("tree/absolute"));
    std::filesystem::create_symlink("../../relative", t.at("tree/a/b/up"));  // a link to a link
    std::filesystem::create_symlink("../outside/victim.txt", t.at("tree/escape"));
    std::filesystem::create_symlink("a/b", t.at("tree/dir"));
    std::filesystem::create_symlink("missing", t.at("tree/dangling"));
    std::filesystem::create_symlink("self", t.at("tree/self"));
    const int tree = ::open(t.at("tree").c_str(), O_RDONLY | O_DIRECTORY);
    REQUIRE(tree >= 0);
    const Stat root = stat_of(t.at("tree")), b = stat_of(t.at("tree/a/b"));

    for (const char* path : {"relative", "absolute", "a/b/up"}) {
        CAPTURE(path);
        elvis::detail::Location where;
        REQUIRE(elvis::detail::resolve(tree, path, where) == 0);
        CHECK(where.name == "file.txt");
        struct stat st {};
        REQUIRE(::fstat(where.dir.get(), &st) == 0);
        CHECK((st.st_dev == b.dev && st.st_ino == b.ino));
        CHECK(elvis::detail::is_beneath(where.dir.get(), root.dev, root.ino));
    }
    elvis::detail::Location where;
    REQUIRE(elvis::detail::resolve(tree, "escape", where) == 0);
    CHECK(where.name == "victim.txt");
    CHECK_FALSE(elvis::detail::is_beneath(where.dir.get(), root.dev, root.ino));
    REQUIRE(elvis::detail::resolve(tree, "dir", where) == 0);
    CHECK(where.name == "b");
    REQUIRE(elvis::detail::resolve(tree, "a/b/..", where) == 0);
    CHECK(where.name == ".");
    CHECK(elvis::detail::is_beneath(where.dir.get(), root.dev, root.ino));
    CHECK(elvis::detail::resolve(tree, "dangling", where) == ENOENT);
    CHECK(elvis::detail::resolve(tree, "self", where) == ELOOP);
    CHECK(elvis::detail::resolve(tree, "a/b/file.txt/x", where) == ENOTDIR);
    ::close(tree);
}

// The walk itself: what a walk takes, once each, in the order one thread takes it.
namespace {

std::vector<std::string> walked(const std::vector<std::string>& paths, elvis::WalkOptions options = {}) {
    std::vector<std::string> files;
    elvis::list_files(
        paths, options, [&](const std::string& path) { files.push_back(path); },
        [](const std::string& path, const std::string& reason) { FAIL_CHECK(path << ": " << reason); });
    return files;
}

}  // namespace

TEST_CASE("a wide directory is listed in parts: every file once, its files first, then its subdirectories in order") {
    TempTree t;
    const std::size_t files = 3 * elvis::TreeWalker::entries_per_listing + 17;
    for (std::size_t k = 0; k < files; ++k) std::ofstream(t.at(std::to_string(k) + ".f"));
    for (const char* sub : {"s1", "s2", "s3"}) {
        std::filesystem::create_directories(t.at(sub));
        std::ofstream(t.at(std::string(sub) + "/inside"));
    }
    const std::vector<std::string> got = walked({t.root});
    REQUIRE(got.size() == files + 3);
    CHECK(std::set<std::string>(got.begin(), got.end()).size() == got.size());
    // The subdirectories come after every file of the directory, in the order it lists them.
    std::vector<std::string> listed_subdirectories;
    for (const auto& entry : std::filesystem::directory_iterator(t.root))
        if (entry.is_directory()) listed_subdirectories.push_back(entry.path().string() + "/inside");
    CHECK(std::vector<std::string>(got.end() - 3, got.end()) == listed_subdirectories);
}

TEST_CASE("workers sharing a walk take each file exactly once") {
    TempTree t;
    std::set<std::string> expected;
    for (int d = 0; d < 20; ++d)
        for (int f = 0; f < 300; ++f) {
            const std::string relative = (std::filesystem::path(std::to_string(d)) / std::to_string(d % 3) / std::to_string(f)).string();
            std::filesystem::create_directories(std::filesystem::path(t.at(relative)).parent_path());
            std::ofstream(t.at(relative));
            expected.insert(t.at(relative));
        }
    elvis::TreeWalker walker({}, [](const std::string& path, const std::string& reason) { FAIL_CHECK(path << reason); });
    walker.add_in_order({t.root}, {});
    std::mutex mutex;
    std::vector<std::string> got;
    std::vector<std::thread> workers;
    for (int w = 0; w < 4; ++w)
        workers.emplace_back([&] {
            for (elvis::FileEntry entry; walker.next(entry);) {
                std::lock_guard lock(mutex);
                got.push_back(entry.path);
            }
        });
    for (std::thread& w : workers) w.join();
    CHECK(got.size() == expected.size());
    CHECK(std::set<std::string>(got.begin(), got.end()) == expected);
}

TEST_CASE("ignore files apply to the walk, and --no-ignore turns them off") {
    TempTree t;
    std::filesystem::create_directories(t.at("repo/.git"));
    std::filesystem::create_directories(t.at("repo/build"));
    std::filesystem::create_directories(t.at("repo/src"));
    std::ofstream(t.at("repo/.gitignore")) << "build/\n*.log\n";
    std::ofstream(t.at("repo/src/.ignore")) << "gen.c\n";
    for (const char* name : {"repo/build/out.c", "repo/app.log", "repo/src/a.c", "repo/src/gen.c"}) std::ofstream(t.at(name));
    CHECK(walked({t.at("repo")}) == std::vector<std::string>{t.at("repo/src/a.c")});
    elvis::WalkOptions vcs_off;
    vcs_off.ignore_vcs = false;
    std::vector<std::string> got = walked({t.at("repo")}, vcs_off);
    std::sort(got.begin(), got.end());
    CHECK(got == std::vector<std::string>{t.at("repo/app.log"), t.at("repo/build/out.c"), t.at("repo/src/a.c")});
    elvis::WalkOptions off;
    off.ignore_files = false;
    CHECK(walked({t.at("repo")}, off).size() == 4);
    CHECK(walked({t.at("repo/app.log")}) == std::vector<std::string>{t.at("repo/app.log")});  // named: taken
}
