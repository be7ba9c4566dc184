// Ignore files: git's wildmatch, the patterns of one file, and the levels a walk stacks up.
#include "walk/ignore.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <cstring>

#include "io/fd.hpp"

namespace elvis::detail {

namespace {

enum class Wild { match, no_match, abort_all, abort_to_starstar };

// Patterns and texts are read as C strings are (a '\0' past the end), as git's wildmatch reads
// them; its abort codes keep "*" backtracking from going quadratic over the segments after it.
struct Cursor {
    std::string_view s;
    unsigned char operator[](std::size_t i) const { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0; }
};

bool in_named_class(std::string_view name, unsigned char c, bool& known) {
    known = true;
    if (name == "alnum") return std::isalnum(c);
    if (name == "alpha") return std::isalpha(c);
    if (name == "blank") return c == ' ' || c == '\t';
    if (name == "cntrl") return std::iscntrl(c);
    if (name == "digit") return std::isdigit(c);
    if (name == "graph") return std::isgraph(c);
    if (name == "lower") return std::islower(c);
    if (name == "print") return std::isprint(c);
    if (name == "punct") return std::ispunct(c);
    if (name == "space") return std::isspace(c);
    if (name == "upper") return std::isupper(c);
    if (name == "xdigit") return std::isxdigit(c);
    known = false;
    return false;
}

// A bracket expression starting at p[i] == '['; on return i is at its ']'.
Wild match_class(Cursor p, std::size_t& i, unsigned char t) {
    unsigned char c = p[++i];
    const bool negated = c == '!' || c == '^';
    if (negated) c = p[++i];
    bool matched = false;
    unsigned char previous = 0;
    do {
        if (c == 0) return Wild::abort_all;
        if (c == '\\') {
            c = p[++i];
            if (c == 0) return Wild::abort_all;
            matched = matched || t == c;
        } else if (c == '-' && previous != 0 && p[i + 1] != 0 && p[i + 1] != ']') {
            c = p[++i];
            if (c == '\\' && (c = p[++i]) == 0) return Wild::abort_all;
            matched = matched || (t >= previous && t <= c);
            c = 0;  // a range ends: no range may start at its last character
        } else if (c == '[' && p[i + 1] == ':') {
            const std::size_t start = i + 2;
            for (i = start; (c = p[i]) != 0 && c != ']'; ++i) {
            }
            if (c == 0) return Wild::abort_all;
            if (i < start + 1 || p[i - 1] != ':') {  // no ":]": an ordinary '['
                i = start - 2;
                c = '[';
                matched = matched || t == c;
            } else {
                bool known = false;
                matched = in_named_class(p.s.substr(start, i - 1 - start), t, known) || matched;
                if (!known) return Wild::abort_all;
                c = 0;
            }
        } else {
            matched = matched || t == c;
        }
        previous = c;
        c = p[++i];
    } while (c != ']');
    return matched == negated || t == '/' ? Wild::no_match : Wild::match;
}

Wild match_from(Cursor p, std::size_t i, Cursor t, std::size_t j) {
    for (; p[i] != 0; ++i, ++j) {
        const unsigned char c = p[i];
        if (t[j] == 0 && c != '*') return Wild::abort_all;
        switch (c) {
        case '\\':
            if (t[j] != p[++i]) return Wild::no_match;
            break;
        case '?':
            if (t[j] == '/') return Wild::no_match;
            break;
        case '[':
            if (Wild m = match_class(p, i, t[j]); m != Wild::match) return m;
            break;
        case '*': {
            bool spans_slashes = false;
            if (p[i + 1] == '*') {
                const std::size_t first = i;
                while (p[i + 1] == '*') ++i;
                const std::size_t after = i + 1;
                if ((first == 0 || p[first - 1] == '/') &&
                    (p[after] == 0 || p[after] == '/' || (p[after] == '\\' && p[after + 1] == '/'))) {
                    // "**/" also matches no directory at all.
                    if (p[after] == '/' && match_from(p, after + 1, t, j) == Wild::match) return Wild::match;
                    spans_slashes = true;
                }
            }
            const std::size_t rest = i + 1;
            if (p[rest] == 0) {
                if (!spans_slashes && t.s.find('/', j) != std::string_view::npos) return Wild::abort_to_starstar;
                return Wild::match;
            }
            if (!spans_slashes && p[rest] == '/') {
                const std::size_t slash = t.s.find('/', j);
                if (slash == std::string_view::npos) return Wild::no_match;
                i = rest;
                j = slash;  // the loop steps over the slash in both
                break;
            }
            for (; t[j] != 0; ++j) {
                const Wild m = match_from(p, rest, t, j);
                if (m != Wild::no_match) {
                    if (!spans_slashes || m != Wild::abort_to_starstar) return m;
                } else if (!spans_slashes && t[j] == '/') {
                    return Wild::abort_to_starstar;
                }
            }
            return Wild::abort_all;
        }
        default:
            if (t[j] != c) return Wild::no_match;
        }
    }
    return t[j] == 0 ? Wild::match : Wild::no_match;
}

bool has_wildcard(std::string_view text) { return text.find_first_of("*?[\\") != std::string_view::npos; }

// git drops trailing spaces unless a backslash escapes them.
std::string_view trim_trailing_spaces(std::string_view line) {
    std::size_t keep = line.size();
    while (keep > 0 && line[keep - 1] == ' ') {
        std::size_t backslashes = 0;
        while (backslashes < keep - 1 && line[keep - 2 - backslashes] == '\\') ++backslashes;
        if (backslashes % 2 == 1) break;
        --keep;
    }
    return line.substr(0, keep);
}

}  // namespace

bool wildmatch(std::string_view pattern, std::string_view text) {
    return match_from(Cursor{pattern}, 0, Cursor{text}, 0) == Wild::match;
}

IgnoreFile::IgnoreFile(std::string_view text) {
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    while (!text.empty()) {
        const std::size_t end = std::min(text.find('\n'), text.size());
        std::string_view line = text.substr(0, end);
        text.remove_prefix(std::min(end + 1, text.size()));
        if (line.ends_with('\r')) line.remove_suffix(1);  // as git: CRLF files work
        if (line.empty() || line.front() == '#') continue;
        line = trim_trailing_spaces(line);
        Pattern pattern;
        if (line.starts_with('!')) {
            pattern.negated = true;
            line.remove_prefix(1);
        }
        if (line.ends_with('/')) {
            pattern.directories_only = true;
            line.remove_suffix(1);
        }
        pattern.name_only = line.find('/') == std::string_view::npos;
        if (line.starts_with('/')) line.remove_prefix(1);
        if (line.empty()) continue;
        pattern.kind = Pattern::wild;
        if (pattern.name_only && !has_wildcard(line)) pattern.kind = Pattern::literal;
        if (pattern.name_only && line.starts_with('*') && !has_wildcard(line.substr(1))) {
            pattern.kind = Pattern::suffix;
            line.remove_prefix(1);
        }
        pattern.text = line;
        patterns_.push_back(std::move(pattern));
    }
}

std::optional<bool> IgnoreFile::decide(std::string_view path, std::string_view name, bool directory) const {
    for (auto it = patterns_.rbegin(); it != patterns_.rend(); ++it) {
        if (it->directories_only && !directory) continue;
        bool matched;
        switch (it->kind) {
        case Pattern::literal: matched = name == it->text; break;
        case Pattern::suffix: matched = name.ends_with(it->text); break;
        default: matched = wildmatch(it->text, it->name_only ? name : path);
        }
        if (matched) return !it->negated;
    }
    return std::nullopt;
}

IgnoreFile read_ignore_file(int dir_fd, const char* name, bool follow) {
    Fd fd(::openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW)), true);
    struct stat st;
    if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return {};
    std::string text;
    char buffer[16 * 1024];
    for (ssize_t n; (n = ::read(fd.get(), buffer, sizeof buffer)) != 0;) {
        if (n < 0) {
            if (errno == EINTR) continue;
            return {};
        }
        text.append(buffer, static_cast<std::size_t>(n));
    }
    return IgnoreFile(text);
}

bool is_ignored(const IgnoreLevel& level, std::string_view relative, std::string_view name, bool directory,
                bool vcs) {
    std::string joined;
    // The entry's path below the level's directory.
    auto path_below = [&](const IgnoreLevel& at) -> std::string_view {
        if (at.above.empty()) return relative.substr(std::min(at.below, relative.size()));
        joined.assign(at.above).append(relative);
        return joined;
    };
    for (const IgnoreLevel* at = &level; at != nullptr; at = at->parent.get())
        if (!at->dot_ignore.empty())
            if (auto decision = at->dot_ignore.decide(path_below(*at), name, directory)) return *decision;
    if (!vcs || level.work_tree == nullptr) return false;
    const IgnoreLevel* top = level.work_tree;
    for (const IgnoreLevel* at = &level;; at = at->parent.get()) {
        if (!at->gitignore.empty())
            if (auto decision = at->gitignore.decide(path_below(*at), name, directory)) return *decision;
        if (at == top) break;
    }
    for (const auto& file : {top->exclude, top->global})
        if (file != nullptr)
            if (auto decision = file->decide(path_below(*top), name, directory)) return *decision;
    return false;
}

namespace {

std::string environment(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr ? value : "";
}

std::string read_small_file(int dir_fd, const std::string& path) {
    Fd fd(::openat(dir_fd, path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), true);
    struct stat st;
    if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return {};
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    const ssize_t n = ::read(fd.get(), text.data(), text.size());
    text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return text;
}

std::string trimmed(std::string text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    std::size_t front = 0;
    while (front < text.size() && std::isspace(static_cast<unsigned char>(text[front]))) ++front;
    return text.substr(front);
}

// core.excludesFile as git config(1) files set it ("" when they do not): the [core] section's
// excludesfile, names case-insensitive, the last one read winning; "~/" is the home directory.
void read_excludes_setting(int dir_fd, const std::string& config_path, std::string& setting) {
    const std::string text = read_small_file(dir_fd, config_path);
    bool in_core = false;
    for (std::size_t start = 0; start < text.size();) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        std::string_view line(text.data() + start, end - start);
        start = end + 1;
        while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
        if (line.starts_with('[')) {
            std::string section(line.substr(1, line.find(']') - 1));
            for (char& c : section) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            in_core = section == "core";
            continue;
        }
        if (!in_core) continue;
        const std::size_t equals = line.find('=');
        if (equals == std::string_view::npos) continue;
        std::string key(line.substr(0, equals));
        while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.pop_back();
        for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (key != "excludesfile") continue;
        std::string value;
        bool quoted = false;
        for (std::size_t i = equals + 1; i < line.size(); ++i) {
            const char c = line[i];
            if (c == '"') quoted = !quoted;
            else if (!quoted && (c == '#' || c == ';')) break;
            else if (c == '\\' && i + 1 < line.size()) value.push_back(line[++i]);
            else value.push_back(c);
        }
        value = trimmed(std::move(value));
        if (value.starts_with("~/")) value = environment("HOME") + value.substr(1);
        setting = value;
    }
}

std::string xdg_config_home() {
    std::string xdg = environment("XDG_CONFIG_HOME");
    return !xdg.empty() ? xdg : environment("HOME") + "/.config";
}

// The repository's git directory, relative to its top directory `top_fd` or absolute: .git
// itself, or where a .git file (a worktree, a submodule) points, and then its common directory
// when it has one.
std::string git_directory(int top_fd) {
    struct stat st;
    if (::fstatat(top_fd, ".git", &st, 0) != 0) return {};
    if (S_ISDIR(st.st_mode)) return ".git";
    std::string git = trimmed(read_small_file(top_fd, ".git"));
    if (!git.starts_with("gitdir:")) return {};
    git = trimmed(git.substr(7));
    const std::string common = trimmed(read_small_file(top_fd, git + "/commondir"));
    if (!common.empty()) git = common.starts_with('/') ? common : git + "/" + common;
    return git;
}

}  // namespace

std::shared_ptr<const IgnoreLevel> enter_directory(std::shared_ptr<const IgnoreLevel> parent, int dir_fd,
                                                   std::string_view relative, std::string above, bool has_ignore,
                                                   bool has_gitignore, bool has_git, bool vcs) {
    if (!vcs) has_gitignore = has_git = false;
    IgnoreFile dot_ignore = has_ignore ? read_ignore_file(dir_fd, ".ignore") : IgnoreFile();
    IgnoreFile gitignore = has_gitignore ? read_ignore_file(dir_fd, ".gitignore") : IgnoreFile();
    struct stat st;
    has_git = has_git && ::fstatat(dir_fd, ".git", &st, 0) == 0;
    if (dot_ignore.empty() && gitignore.empty() && !has_git) return parent;
    auto level = std::make_shared<IgnoreLevel>();
    level->below = relative.empty() ? 0 : relative.size() + 1;
    level->above = std::move(above);
    level->dot_ignore = std::move(dot_ignore);
    level->gitignore = std::move(gitignore);
    level->work_tree = parent != nullptr ? parent->work_tree : nullptr;
    if (has_git) {
        const std::string git = git_directory(dir_fd);
        level->repository = true;
        level->work_tree = level.get();
        if (!git.empty()) level->exclude = std::make_shared<IgnoreFile>(read_ignore_file(dir_fd, (git + "/info/exclude").c_str(), true));
        // git config(1)'s order: system, global (XDG, then ~/.gitconfig), the repository's own.
        std::string excludes;
        if (environment("GIT_CONFIG_NOSYSTEM").empty()) read_excludes_setting(AT_FDCWD, "/etc/gitconfig", excludes);
        read_excludes_setting(AT_FDCWD, xdg_config_home() + "/git/config", excludes);
        if (!environment("HOME").empty()) read_excludes_setting(AT_FDCWD, environment("HOME") + "/.gitconfig", excludes);
        if (!git.empty()) read_excludes_setting(dir_fd, git + "/config", excludes);
        if (excludes.empty()) excludes = xdg_config_home() + "/git/ignore";
        level->global = std::make_shared<IgnoreFile>(read_ignore_file(AT_FDCWD, excludes.c_str(), true));
    }
    level->parent = std::move(parent);
    return level;
}

std::shared_ptr<const IgnoreLevel> levels_above(const std::string& directory, bool vcs) {
    char* real = ::realpath(directory.c_str(), nullptr);
    if (real == nullptr) return nullptr;
    const std::string path(real);
    std::free(real);
    // The directories above, from the top: "/", "/home", "/home/u", ...
    std::vector<std::size_t> ends;
    for (std::size_t slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1))
        ends.push_back(slash);
    if (path != "/") ends.insert(ends.begin(), 1);
    else return nullptr;
    struct Found {
        std::string dir;
        bool ignore, gitignore, git;
    };
    std::vector<Found> found;
    bool in_work_tree = false;
    for (auto end = ends.rbegin(); end != ends.rend(); ++end) {  // nearest first: git stops at .git
        const std::string dir = path.substr(0, *end);
        auto exists = [&](const char* name) { return ::access((dir + (dir == "/" ? "" : "/") + name).c_str(), F_OK) == 0; };
        Found here{dir, exists(".ignore"), vcs && !in_work_tree && exists(".gitignore"), vcs && !in_work_tree && exists(".git")};
        if (here.ignore || here.gitignore || here.git) found.push_back(here);
        in_work_tree = in_work_tree || here.git;
    }
    if (!in_work_tree)
        for (Found& f : found) f.gitignore = false;  // git's files apply only in a work tree
    std::shared_ptr<const IgnoreLevel> level;
    for (auto f = found.rbegin(); f != found.rend(); ++f) {
        Fd fd(::open(f->dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC), true);
        if (fd.get() < 0) continue;
        if (fd.get() >= 0)
            level = enter_directory(std::move(level), fd.get(), {}, path.substr(f->dir == "/" ? 1 : f->dir.size() + 1) + "/",
                                    f->ignore, f->gitignore, f->git, vcs);
    }
    return level;
}

}  // namespace elvis::detail
