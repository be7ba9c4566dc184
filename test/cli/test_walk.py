#!/usr/bin/env python3
"""Which files a walk takes (count and --in-place share it): ignore files, compared with git."""
from support import *  # noqa: F401,F403 (the binaries, run(), Base, the reference)

GIT = shutil.which("git")

# What the generated trees are made of: names git and glob syntax treat specially among them.
DIRS = ["d1", "d2", "deep", "a", "b", "Build"]
NAMES = ["a", "b", "ab", "x.c", "y.h", "z.log", "A.LOG", ".hid", "#h", "!b", "sp ace", "d1", "deep", "x.c~",
         "[x]", "q?", "back\\slash"]
PATTERNS = ["a", "b", "x.c", "*.c", "*.log", "*.LOG", "d1", "d1/", "/d1", "/d1/", "d1/*.c", "**/x.c", "d2/**",
            "a/**/b", "**/deep/", "**/deep", "*", "?", "??", "[ab]", "[!a]*", "[^a]*", "[a-c]*", "[]a]", "\\#h",
            "\\!b", "#h", "x.c ", "x.c\\ ", "sp\\ ace", "sp ace", "[[:alpha:]].c", "[[:digit:]]*", "*/x.c", "d*/",
            "**", "deep/**/y.h", "/*.c", "a/b", "deep/*", "*~", "\\[x]", "[[]x]", "q\\?", "back\\\\slash",
            "d1/deep/", "**/a/**", "Build", "*.[ch]", "a*b", "*b/", "y.h/", ".hid", ".*", "a/**/b/*.c",
            "**/d1/*.c", "d?/", "/**/x.c", "deep/**", "a/*/x.c", "x\\", "*/*/*", "d1/**/", "[a-]*", "[\\]]",
            "***/x.c", "a**", "**b", "[[:upper:]]*", "[[:nope:]]", "[z-a]", "*.LOG/"]


def git_env(home):
    env = dict(os.environ)
    for name in ("GIT_DIR", "GIT_WORK_TREE", "XDG_CONFIG_HOME"):
        env.pop(name, None)
    env.update({"HOME": home, "GIT_CONFIG_NOSYSTEM": "1"})
    return env


def random_pattern(rng):
    pattern = rng.choice(PATTERNS)
    if rng.random() < 0.25:
        pattern = "!" + pattern
    return pattern


@unittest.skipUnless(GIT, "needs git to compare with")
class IgnoreFiles(Base):
    def setUp(self):
        super().setUp()
        self.home = os.path.join(self.dir, "home")
        os.makedirs(self.home)
        self.env = git_env(self.home)

    def repo(self, name="repo"):
        root = os.path.join(self.dir, name)
        os.makedirs(root)
        subprocess.run([GIT, "init", "-q", root], check=True, env=self.env)
        return root

    def put(self, root, relative, data=b"elvis\n"):
        path = os.path.join(root, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)

    def elvis_files(self, root, *args):
        r = run(["count", "--files", "--hidden", "-g", "!.git", *args], env=self.env, cwd=root)
        self.assertEqual(r.returncode, 0, r.stderr)
        return sorted(r.stdout.decode().splitlines())

    def git_files(self, root):
        r = subprocess.run([GIT, "ls-files", "-z", "--others", "--exclude-standard"], cwd=root, env=self.env,
                           capture_output=True, check=True)
        return sorted(p for p in r.stdout.decode().split("\0") if p)

    def test_walk_takes_what_git_ls_files_lists_over_random_patterns(self):
        rng = random.Random(int(os.environ.get('WALK_TEST_SEED', 20261202)))
        for round in range(150):
            with self.subTest(round=round):
                root = self.repo(f"repo{round}")
                for _ in range(rng.randint(10, 40)):
                    depth = rng.randint(0, 3)
                    relative = "/".join([rng.choice(DIRS) for _ in range(depth)] + [rng.choice(NAMES)])
                    # a name cannot be a file and a directory at once
                    if any(os.path.isfile(os.path.join(root, *relative.split("/")[:i]))
                           for i in range(1, depth + 1)) or os.path.isdir(os.path.join(root, relative)):
                        continue
                    self.put(root, relative)
                dirs = [d for d, _, _ in os.walk(root) if "/.git" not in d + "/" and not d.endswith("/.git")]
                written = []
                for d in rng.sample(dirs, min(len(dirs), rng.randint(1, 4))):
                    lines = [random_pattern(rng) for _ in range(rng.randint(1, 6))]
                    self.put(d, ".gitignore", ("\n".join(lines) + "\n").encode())
                    written.append((os.path.relpath(d, root), lines))
                if rng.random() < 0.4:
                    self.put(root, ".git/info/exclude", (random_pattern(rng) + "\n").encode())
                if rng.random() < 0.4:
                    global_file = os.path.join(self.home, f"ignore{round}")
                    with open(global_file, "w") as f:
                        f.write(random_pattern(rng) + "\n")
                    with open(os.path.join(self.home, ".gitconfig"), "w") as f:
                        f.write(f"[core]\n\texcludesFile = ~/ignore{round}\n")
                elif os.path.exists(os.path.join(self.home, ".gitconfig")):
                    os.remove(os.path.join(self.home, ".gitconfig"))
                self.assertEqual(self.elvis_files(root), self.git_files(root), written)

    def test_a_subdirectory_walked_obeys_the_ignore_files_above_it(self):
        root = self.repo()
        self.put(root, ".gitignore", b"*.log\n/src/gen/\n")
        self.put(root, ".git/info/exclude", b"secret*\n")
        for name in ["src/a.c", "src/b.log", "src/gen/x.c", "src/secret.c", "src/sub/c.c"]:
            self.put(root, name)
        r = run(["count", "--files"], env=self.env, cwd=os.path.join(root, "src"))
        self.assertEqual(sorted(r.stdout.decode().splitlines()), ["a.c", "sub/c.c"], r.stderr)
        r = run(["count", "--files", "src"], env=self.env, cwd=root)
        self.assertEqual(sorted(r.stdout.decode().splitlines()), ["src/a.c", "src/sub/c.c"], r.stderr)

    def test_git_files_only_apply_inside_a_work_tree_and_ignore_files_anywhere(self):
        plain = os.path.join(self.dir, "plain")
        for name in ["a.c", "b.log", "c.tmp"]:
            self.put(plain, name)
        self.put(plain, ".gitignore", b"*.log\n")
        self.put(plain, ".ignore", b"*.tmp\n")
        r = run(["count", "--files", plain], env=self.env)
        self.assertEqual(sorted(r.stdout.decode().splitlines()), [f"{plain}/a.c", f"{plain}/b.log"], r.stderr)
        r = run(["count", "--files", "--no-ignore", plain], env=self.env)
        self.assertEqual(len(r.stdout.decode().splitlines()), 3, r.stdout)

    def test_dot_ignore_decides_over_gitignore_and_no_ignore_vcs_keeps_it(self):
        root = self.repo()
        for name in ["a.log", "b.log", "c.tmp", "d.c"]:
            self.put(root, name)
        self.put(root, ".gitignore", b"*.log\n")
        self.put(root, ".ignore", b"!a.log\n*.tmp\n")
        files = lambda *args: sorted(run(["count", "--files", *args], env=self.env, cwd=root).stdout.decode().split())
        self.assertEqual(files(), ["a.log", "d.c"])
        self.assertEqual(files("--no-ignore-vcs"), ["a.log", "b.log", "d.c"])
        self.assertEqual(files("--no-ignore"), ["a.log", "b.log", "c.tmp", "d.c"])

    def test_named_files_are_taken_and_a_matching_glob_decides_over_ignore_files(self):
        root = self.repo()
        self.put(root, ".gitignore", b"*.log\nbuild/\n")
        for name in ["app.log", "build/out.c", "src/a.c"]:
            self.put(root, name)
        r = run(["count", "app.log", "src"], env=self.env, cwd=root)
        self.assertEqual(r.stdout, b"elvis\t2\n", r.stderr)
        r = run(["count", "--files", "-g", "*.log"], env=self.env, cwd=root)
        self.assertEqual(r.stdout.decode().split(), ["app.log"], r.stderr)

    def test_in_place_leaves_ignored_files_alone(self):
        # The report that started it: build output, logs and node_modules rewritten, invisible to git.
        root = self.repo()
        self.put(root, ".gitignore", b"build/\n*.log\nnode_modules\n")
        for name in ["build/out.c", "app.log", "node_modules/m.js", "src/main.c", "README"]:
            self.put(root, name)
        r = run(["--in-place", "."], env=self.env, cwd=root)
        self.assertEqual(r.returncode, 0, r.stderr)
        for name in ["build/out.c", "app.log", "node_modules/m.js"]:
            self.assertEqual(self.read(os.path.join(root, name)), b"elvis\n", name)
        for name in ["src/main.c", "README"]:
            self.assertEqual(self.read(os.path.join(root, name)), b"Elvis\n", name)
        r = run(["--in-place", "--no-ignore", "."], env=self.env, cwd=root)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.read(os.path.join(root, "node_modules/m.js")), b"Elvis\n")

    def test_in_place_changes_exactly_what_git_status_then_shows(self):
        root = self.repo()
        self.put(root, ".gitignore", b"build/\n*.log\n")
        for name, data in {"src/a.c": b"elvis\n", "README": b"nothing\n", "build/out.c": b"elvis\n",
                           "app.log": b"elvis\n", ".hidden.c": b"elvis\n"}.items():
            self.put(root, name, data)
        git = lambda *args: subprocess.run([GIT, "-C", root, *args], env=self.env, capture_output=True, check=True).stdout
        git("add", "-A")
        git("-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-q", "-m", "elvis was here")
        self.put(root, "new.txt")
        r = run(["--in-place", "--hidden", "."], env=self.env, cwd=root)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(git("status", "--porcelain").decode().splitlines(), [" M .hidden.c", " M src/a.c", "?? new.txt"])
        self.assertEqual(git("status", "--porcelain", "--ignored").decode().splitlines(),
                         [" M .hidden.c", " M src/a.c", "?? new.txt", "!! app.log", "!! build/"])
        self.assertEqual(self.read(os.path.join(root, "build/out.c")), b"elvis\n")
        self.assertEqual(self.read(os.path.join(root, ".git/COMMIT_EDITMSG")), b"elvis was here\n")
        self.assertEqual(git("check-ignore", "app.log", "build/out.c").decode().split(), ["app.log", "build/out.c"])

    def test_a_nested_repository_starts_its_own_rules(self):
        root = self.repo()
        self.put(root, ".gitignore", b"*.c\n")
        inner = os.path.join(root, "vendor", "lib")
        os.makedirs(inner)
        subprocess.run([GIT, "init", "-q", inner], check=True, env=self.env)
        self.put(inner, ".gitignore", b"*.h\n")
        for name in ["a.c", "vendor/lib/b.c", "vendor/lib/c.h", "vendor/lib/d.txt"]:
            self.put(root, name)
        r = run(["count", "--files"], env=self.env, cwd=root)
        # ripgrep's reading: the outer .gitignore stops at the inner repository's top.
        self.assertEqual(sorted(r.stdout.decode().split()), ["vendor/lib/b.c", "vendor/lib/d.txt"], r.stderr)


class WideDirectory(Base):
    @unittest.skipIf(os.environ.get("ELVIS_SANITIZED"), "the sanitizers' shadow memory dwarfs what is measured")
    def test_a_wide_directory_is_listed_in_parts_so_memory_does_not_grow_with_it(self):
        wide = os.path.join(self.dir, "wide")
        os.makedirs(os.path.join(wide, "sub"))
        for k in range(100_000):
            open(os.path.join(wide, f"a-file-with-a-longish-name-{k:06}.txt"), "wb").close()
        open(os.path.join(wide, "sub", "last.txt"), "wb").close()
        peak = subprocess.run([sys.executable, "-c", "import resource, subprocess, sys; "
                               "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); "
                               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)",
                               ELVIS, "count", "--files", wide], capture_output=True, check=True)
        # Listed whole, 100,000 entries took ~60 MB; in parts of 4096 it stays near the baseline.
        self.assertLess(int(peak.stdout), 30_000, "peak RSS in KiB")
        r = run(["count", "--files", wide])
        self.assertEqual(len(r.stdout.splitlines()), 100_001)
        self.assertEqual(r.stdout.splitlines()[-1], os.path.join(wide, "sub", "last.txt").encode())


class Files(Base):
    def test_files_lists_what_count_would_search_and_searches_nothing(self):
        for name in ["a.txt", "sub/b.txt", ".hidden", "sub/c.gz"]:
            path = os.path.join(self.dir, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(b"not gzip")
        r = run(["count", "--files", self.dir])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(r.stdout.decode().split()),
                         sorted(os.path.join(self.dir, n) for n in ["a.txt", "sub/b.txt", "sub/c.gz"]))
        r = run(["count", "--files", "--shard", "1/2", self.dir])
        s = run(["count", "--files", "--shard", "2/2", self.dir])
        self.assertEqual(sorted(r.stdout.decode().split() + s.stdout.decode().split()),
                         sorted(os.path.join(self.dir, n) for n in ["a.txt", "sub/b.txt", "sub/c.gz"]))
        r = run(["count", "--files", os.path.join(self.dir, "missing")])
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"missing: No such file or directory", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
