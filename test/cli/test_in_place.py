#!/usr/bin/env python3
"""elvis --in-place as users run it, and walks that never leave their tree."""
from support import *  # noqa: F401,F403 (the binaries, run(), Base, the reference)


class InPlace(Base):
    """elvis --in-place: every promise of the issue has a test here."""

    def make_tree(self):
        root = os.path.join(self.dir, "tree")
        outside = os.path.join(self.dir, "outside")
        os.makedirs(os.path.join(root, "nested", "deeper"))
        os.makedirs(os.path.join(root, ".hidden-dir"))
        os.makedirs(outside)
        files = {
            "plain.txt": b"elvis is here\nand elvis again\n",
            "nested/deeper/deep.txt": b"deep elvis",
            "nested/caf\u00e9 with space.txt": b"unicode elvis",
            "unchanged.txt": b"nothing to see\n",
            "empty.txt": b"",
            "binary.dat": b"elvis\0\x01\x02 elvis",
            ".hidden-dir/h.txt": b"elvis hidden",
            ".dotfile": b"elvis dot",
        }
        for rel, data in files.items():
            with open(os.path.join(root, rel), "wb") as f:
                f.write(data)
        with open(os.path.join(outside, "victim.txt"), "wb") as f:
            f.write(b"elvis outside")
        os.symlink("plain.txt", os.path.join(root, "link-to-file"))
        os.symlink("nested", os.path.join(root, "link-to-dir"))
        os.symlink("missing", os.path.join(root, "dangling"))
        os.symlink(".", os.path.join(root, "nested", "loop"))
        os.symlink(outside, os.path.join(root, "to-outside"))
        os.symlink(os.path.join(outside, "victim.txt"), os.path.join(root, "file-outside"))
        os.mkfifo(os.path.join(root, "fifo"))
        return root

    def files_in(self, root):
        found = []
        for dirpath, dirnames, filenames in os.walk(root):
            found += [os.path.join(dirpath, f) for f in filenames]
        return found

    def assert_no_temporaries(self, root):
        stray = [f for f in self.files_in(root) if ".elvis-" in os.path.basename(f)]
        self.assertEqual(stray, [])

    def test_tree_content_and_what_is_left_alone(self):
        root = self.make_tree()
        unchanged = os.path.join(root, "unchanged.txt")
        before = os.stat(unchanged)
        r = run(["--in-place", root])
        self.assertEqual(r.returncode, 0, r.stderr)  # the FIFO is skipped, not an error
        self.assertEqual(self.read(os.path.join(root, "plain.txt")), b"Elvis is here\nand Elvis again\n")
        self.assertEqual(self.read(os.path.join(root, "nested/deeper/deep.txt")), b"deep Elvis")
        self.assertEqual(self.read(os.path.join(root, "nested/caf\u00e9 with space.txt")), b"unicode Elvis")
        self.assertEqual(self.read(os.path.join(root, "binary.dat")), b"elvis\0\x01\x02 elvis")
        self.assertEqual(self.read(os.path.join(root, ".hidden-dir/h.txt")), b"elvis hidden")
        self.assertEqual(self.read(os.path.join(root, ".dotfile")), b"elvis dot")
        self.assertEqual(self.read(os.path.join(self.dir, "outside", "victim.txt")), b"elvis outside")
        after = os.stat(unchanged)
        self.assertEqual((before.st_ino, before.st_mtime_ns), (after.st_ino, after.st_mtime_ns))
        for link in ["link-to-file", "link-to-dir", "dangling", "to-outside", "file-outside", "nested/loop"]:
            self.assertTrue(os.path.islink(os.path.join(root, link)), link)
        self.assertIn(b"binary file", r.stderr)
        self.assertIn(b"skipped: 1 binary, 1 special (FIFO, socket, device)", r.stderr)
        self.assertRegex(r.stderr, rb"elvis: 6 files scanned, 3 changed \(4 replacements\), 2 unchanged; skipped: 1 binary")
        self.assert_no_temporaries(root)

    def test_shorter_rewrite_leaves_no_space_reserved_past_the_end(self):
        # The new file's space is reserved at the original's size; a shorter result gives the
        # rest back instead of keeping it allocated past its end.
        path = os.path.join(self.dir, "big.txt")
        with open(path, "wb") as f:
            f.write(b"elvis presley " * 80000)  # 1.1 MB
        r = run(["--in-place", "--no-fsync", "-f", "elvis presley ", "-r", "E", path])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.read(path), b"E" * 80000)
        st = os.stat(path)
        self.assertLessEqual(st.st_blocks * 512, (st.st_size + 4095) // 4096 * 4096 + 4096, (st.st_size, st.st_blocks))

    def test_summary_counts_one_in_the_singular(self):
        path = os.path.join(self.dir, "one.txt")
        with open(path, "wb") as f:
            f.write(b"elvis once\n")
        r = run(["--in-place", path])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stderr, rb"^elvis: 1 file scanned, 1 changed \(1 replacement\), 0 unchanged; "
                                   rb"0 left alone for safety, 0 errors in [0-9.]+ s\n$")
        r = run(["--in-place", path, os.path.join(self.dir, "missing.txt")])
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr, rb"elvis: 1 file scanned, 0 changed \(0 replacements\), 1 unchanged; "
                                   rb"0 left alone for safety, 1 error in ")

    def test_many_workers_within_a_low_open_file_limit(self):
        # Each worker keeps a batch of files open; 256 workers under a hard limit of 128 open
        # files must still rewrite everything (fewer workers), not fail with EMFILE.
        root = os.path.join(self.dir, "many")
        os.makedirs(root)
        for i in range(600):
            with open(os.path.join(root, "f%03d.txt" % i), "wb") as f:
                f.write(b"elvis %d\n" % i)
        limit = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128))
        r = run(["--in-place", "--no-fsync", "-j", "256", root], preexec_fn=limit)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"600 files scanned, 600 changed", r.stderr)
        for i in (0, 299, 599):
            self.assertEqual(self.read(os.path.join(root, "f%03d.txt" % i)), b"Elvis %d\n" % i)
        self.assert_no_temporaries(root)

    def test_binary_hidden_and_globs(self):
        root = self.make_tree()
        os.unlink(os.path.join(root, "fifo"))
        r = run(["--in-place", "--binary", "--hidden", "--glob", "!deep.txt", root])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.read(os.path.join(root, "binary.dat")), b"Elvis\0\x01\x02 Elvis")
        self.assertEqual(self.read(os.path.join(root, ".dotfile")), b"Elvis dot")
        self.assertEqual(self.read(os.path.join(root, "nested/deeper/deep.txt")), b"deep elvis")

    def test_follow_edits_through_links_and_stays_in_the_tree(self):
        root = self.make_tree()
        os.unlink(os.path.join(root, "fifo"))
        r = run(["--in-place", "--follow", root])
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"to-outside: symbolic link leads outside the tree", r.stderr)
        self.assertIn(b"file-outside: symbolic link leads outside the tree", r.stderr)
        self.assertIn(b"dangling: dangling symbolic link", r.stderr)
        self.assertIn(b"loop: symbolic link loop", r.stderr)
        self.assertEqual(self.read(os.path.join(self.dir, "outside", "victim.txt")), b"elvis outside")
        self.assertTrue(os.path.islink(os.path.join(root, "link-to-file")))
        # plain.txt is reached directly and through two links: rewritten once.
        self.assertEqual(self.read(os.path.join(root, "plain.txt")), b"Elvis is here\nand Elvis again\n")
        self.assert_no_temporaries(root)

    def test_named_symlink_is_edited_through(self):
        target = self.write("target.txt", b"elvis")
        link = os.path.join(self.dir, "link.txt")
        os.symlink("target.txt", link)
        r = run(["--in-place", link])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.islink(link))
        self.assertEqual(self.read(target), b"Elvis")
        dangling = os.path.join(self.dir, "dangling")
        os.symlink("nowhere", dangling)
        r = run(["--in-place", dangling])
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"dangling symbolic link", r.stderr)
        self.assertTrue(os.path.islink(dangling))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "nowhere")))

    def test_metadata_is_carried_over(self):
        path = self.write("meta.txt", b"elvis")
        os.chmod(path, 0o4751)
        os.setxattr(path, "user.note", b"keep me")
        if os.geteuid() == 0:
            os.chown(path, 65534, 65534)
            os.chmod(path, 0o4751)
        before = os.stat(path)
        r = run(["--in-place", path])
        self.assertEqual(r.returncode, 0, r.stderr)
        after = os.stat(path)
        self.assertNotEqual(before.st_ino, after.st_ino)
        self.assertEqual(after.st_mode & 0o7777, 0o4751)
        self.assertEqual((after.st_uid, after.st_gid), (before.st_uid, before.st_gid))
        self.assertEqual(os.getxattr(path, "user.note"), b"keep me")
        self.assertEqual(self.read(path), b"Elvis")

    def test_read_only_and_hard_links_need_consent(self):
        ro = self.write("ro.txt", b"elvis")
        os.chmod(ro, 0o444)
        a = self.write("a.txt", b"elvis")
        b = os.path.join(self.dir, "b.txt")
        os.link(a, b)
        r = run(["--in-place", ro, a])
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"ro.txt: read-only file; left as it is", r.stderr)
        self.assertIn(b"a.txt: has 2 hard links", r.stderr)
        self.assertEqual((self.read(ro), self.read(a)), (b"elvis", b"elvis"))
        r = run(["--in-place", "--hard-links=skip", a])
        self.assertEqual((r.returncode, self.read(a)), (0, b"elvis"))
        r = run(["--in-place", "--force", "--hard-links=split", ro, a])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual((self.read(ro), self.read(a), self.read(b)), (b"Elvis", b"Elvis", b"elvis"))
        self.assertEqual(os.stat(ro).st_mode & 0o777, 0o444)
        r = run(["--in-place", "--hard-links=maybe", a])
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"expected refuse, skip or split", r.stderr)

    def test_unwritable_directory(self):
        d = os.path.join(self.dir, "locked")
        os.makedirs(d)
        path = os.path.join(d, "f.txt")
        with open(path, "wb") as f:
            f.write(b"elvis")
        os.chmod(path, 0o666)
        os.chmod(d, 0o555)
        os.chmod(self.dir, 0o755)
        cmd = [ELVIS, "--in-place", path]
        cmd = unprivileged(cmd)
        r = subprocess.run(cmd, capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"f.txt: cannot create a temporary file in its directory: Permission denied", r.stderr)
        self.assertEqual(self.read(path), b"elvis")
        os.chmod(d, 0o755)

    def test_dry_run_diff_and_backup(self):
        root = self.make_tree()
        os.unlink(os.path.join(root, "fifo"))
        plain = os.path.join(root, "plain.txt")
        before = os.stat(plain)
        r = run(["--in-place", "--dry-run", root])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"{plain}\t2\n".encode(), r.stdout)
        # The list is sorted and its paths escaped as count's are, so the same tree gives the same list.
        listed = os.path.join(self.dir, "listed")
        names = [f"f{k:03}" for k in range(200)] + ["tab\there", "new\nline", "back\\slash"]
        os.mkdir(listed)
        for name in names:
            with open(os.path.join(listed, name), "wb") as f:
                f.write(b"elvis\n")
        escaped = sorted((os.path.join(listed, n), n.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n"))
                         for n in names)
        expected = "".join(f"{listed}/{e}\t1\n" for _, e in escaped).encode()
        for _ in range(3):
            r = run(["--in-place", "--dry-run", "-j", "8", listed])
            self.assertEqual((r.returncode, r.stdout), (0, expected), r.stderr)
        # So is --diff: one diff per file, in the order of their paths, whichever worker was first.
        labels = [f"--- a/{listed.lstrip('/')}/{n}\n".encode() for n in sorted(names[:200])]
        for _ in range(3):
            r = run(["--in-place", "--diff", "-j", "8", listed])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual([line + b"\n" for line in r.stdout.split(b"\n") if line.startswith(b"--- a/") and
                              b"/f" in line], labels)
        # Made in-process: no diff(1) needed.
        r = run(["--in-place", "--diff", plain], env={"PATH": os.path.join(self.dir, "no-bin")})
        self.assertEqual(r.returncode, 0, r.stderr)
        label = plain.lstrip("/")
        self.assertIn(f"--- a/{label}\n+++ b/{label}\n".encode(), r.stdout)
        self.assertIn(b"-elvis is here\n-and elvis again\n+Elvis is here\n+and Elvis again\n", r.stdout)
        after = os.stat(plain)
        self.assertEqual((before.st_ino, before.st_mtime_ns), (after.st_ino, after.st_mtime_ns))
        r = run(["--in-place", "--backup", ".orig", plain])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.read(plain + ".orig"), b"elvis is here\nand elvis again\n")
        self.assertEqual(self.read(plain), b"Elvis is here\nand Elvis again\n")

    def diff_applies(self, files, find_args, tools):
        """--diff of a tree, applied by each of `tools` to a copy, gives what --in-place writes."""
        root = os.path.join(self.dir, "src")
        shutil.rmtree(root, ignore_errors=True)
        os.makedirs(root)
        for name, data in files.items():
            with open(os.path.join(root, name), "wb") as f:
                f.write(data)
        r = run(["--in-place", "--diff", *find_args, "."], cwd=root)
        self.assertIn(r.returncode, (0, 1), r.stderr)
        diff = r.stdout
        rewritten = os.path.join(self.dir, "rewritten")
        shutil.rmtree(rewritten, ignore_errors=True)
        shutil.copytree(root, rewritten)
        r = run(["--in-place", "--no-fsync", *find_args, "."], cwd=rewritten)
        self.assertEqual(r.returncode, 0, r.stderr)
        for tool in tools if diff else []:  # git apply refuses an empty patch
            applied = os.path.join(self.dir, "applied-" + tool[0])
            shutil.rmtree(applied, ignore_errors=True)
            shutil.copytree(root, applied)
            p = subprocess.run(tool, input=diff, cwd=applied, capture_output=True)
            self.assertEqual(p.returncode, 0, (tool, p.stdout, p.stderr, diff))
            for name in files:
                self.assertEqual(self.read(os.path.join(applied, name)), self.read(os.path.join(rewritten, name)),
                                 (tool, name, diff))
        return diff

    def test_diff_is_what_patch_and_git_apply_take(self):
        tools = [t for t in (["patch", "-p1", "-s", "-f"], ["git", "apply", "--unsafe-paths", "-"])
                 if shutil.which(t[0])]
        if not tools:
            self.skipTest("needs patch or git")
        names = {"plain.txt": b"a\nelvis\nb\n", "sp ace.txt": b"elvis", "tab\there": b"x elvis\n",
                 "new\nline": b"elvis\n", 'quo"te': b"elvis\n", "back\\slash": b"elvis\n",
                 "\u00e9l\u00e8ve.txt": "élève elvis\n".encode(), "ctrl\x01": b"elvis\n"}
        diff = self.diff_applies(names, [], tools)
        self.assertIn(b'--- "a/tab\\there"\n+++ "b/tab\\there"\n', diff)
        self.assertIn(b'--- "a/new\\nline"\n', diff)
        self.assertIn(b'--- "a/ctrl\\001"\n', diff)
        self.assertIn(b"--- a/sp ace.txt\t\n", diff)
        self.assertIn(b"@@ -1 +1 @@\n-elvis\n\\ No newline at end of file\n+Elvis\n\\ No newline at end of file\n", diff)
        # Matches near each other share a hunk, far apart they do not; lines joined, split, deleted.
        rng = random.Random(7)
        for trial in range(40):
            lines = [rng.choice([b"elvis", b"x", b"y elvis z", b"", b"elvis elvis", b"el", b"vis"]) for _ in range(rng.randint(1, 30))]
            data = b"\n".join(lines) + rng.choice([b"", b"\n"])
            rules = rng.choice([[], ["-E", "-f", "elvis\\n", "-r", "E "], ["-E", "-f", "elvis", "-r", "E\\nL"],
                                ["-E", "-f", "elvis\\n", "-r", ""], ["-f", "x", "-r", "xx", "-f", "elvis", "-r", ""]])
            with self.subTest(trial=trial, data=data, rules=rules):
                self.diff_applies({"f.txt": data, "g.txt": data[::-1]}, rules, tools)

    def test_diff_color_only_when_asked_or_on_a_terminal(self):
        self.write("f.txt", b"elvis\n")
        plain = run(["--in-place", "--diff", "."], cwd=self.dir).stdout
        self.assertNotIn(b"\x1b[", plain)
        self.assertEqual(run(["--in-place", "--diff", "--color=never", "."], cwd=self.dir).stdout, plain)
        coloured = run(["--in-place", "--diff", "--color=always", "."], cwd=self.dir).stdout
        self.assertIn(b"\x1b[31m-elvis\x1b[m\n\x1b[32m+Elvis\x1b[m\n", coloured)
        self.assertEqual(re.sub(rb"\x1b\[[0-9;]*m", b"", coloured), plain)
        r = run(["--in-place", "--diff", "--color=sometimes", "."], cwd=self.dir)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"invalid value 'sometimes' for --color", r.stderr)

    def review(self, root, answers, extra=()):
        """Runs --interactive on a pseudo-terminal in `root`; answers[file] lists the answers for
        that file's hunks (files come in walk order, so the header says which is asked). Returns
        the exit status and everything shown, colours removed. A list instead of a dict answers
        the questions in turn whatever the file; "SIGINT" sends one instead of an answer."""
        import pty
        pid, fd = pty.fork()
        if pid == 0:
            os.chdir(root)
            os.execv(ELVIS, [ELVIS, "--in-place", "--interactive", "--no-fsync", *extra, "."])
        shown, current, asked = b"", None, 0
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline:
                ready, _, _ = select.select([fd], [], [], 1)
                if not ready:
                    continue
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # the child is gone: EIO on Linux
                    break
                if not chunk:
                    break
                shown += chunk
                plain = re.sub(rb"\x1b\[[0-9;]*m", b"", shown)
                prompts = plain.count(b"Rewrite this hunk [y,n,a,d,A,q,?]? ")
                while asked < prompts:
                    headers = re.findall(rb"diff --git a/(\S+)", plain)
                    name = headers[-1].decode()
                    if isinstance(answers, list):  # one list for the whole run
                        if current is None:
                            current, queue = name, answers
                    elif name != current:
                        current, queue = name, list(answers[name])
                    answer = queue.pop(0) if queue else "q"
                    if answer == "SIGINT":
                        os.kill(pid, signal.SIGINT)
                    else:
                        os.write(fd, answer.encode() + b"\n")
                    asked += 1
        finally:
            _, status = os.waitpid(pid, 0)
            os.close(fd)
        return os.waitstatus_to_exitcode(status), re.sub(rb"\x1b\[[0-9;]*m", b"", shown).decode().replace("\r\n", "\n")

    def test_interactive_writes_only_the_hunks_accepted(self):
        root = os.path.join(self.dir, "tree")
        os.makedirs(root)
        two_hunks = b"elvis one\n" + b"".join(b"line %d\n" % k for k in range(10)) + b"elvis two\n"
        for name in ["a.txt", "b.txt", "c.txt", "d.txt"]:
            with open(os.path.join(root, name), "wb") as f:
                f.write(two_hunks)
        untouched = os.stat(os.path.join(root, "c.txt"))
        status, shown = self.review(root, {"a.txt": ["y", "n"], "b.txt": ["a"], "c.txt": ["d"], "d.txt": ["z", "n", "y"]})
        self.assertEqual(status, 0, shown)
        self.assertIn("-elvis one\n+Elvis one\n", shown)  # the hunk, as --diff shows it
        self.assertIn("y - rewrite this hunk", shown)        # 'z' asked again, with the help
        self.assertEqual(self.read(os.path.join(root, "a.txt")), two_hunks.replace(b"elvis one", b"Elvis one"))
        self.assertEqual(self.read(os.path.join(root, "b.txt")), two_hunks.replace(b"elvis", b"Elvis"))
        self.assertEqual(self.read(os.path.join(root, "c.txt")), two_hunks)
        after = os.stat(os.path.join(root, "c.txt"))
        self.assertEqual((untouched.st_ino, untouched.st_mtime_ns), (after.st_ino, after.st_mtime_ns))
        self.assertEqual(self.read(os.path.join(root, "d.txt")), two_hunks.replace(b"elvis two", b"Elvis two"))
        self.assertIn("4 files scanned, 3 changed (4 replacements), 1 unchanged", shown)

    def test_interactive_all_and_quit(self):
        root = os.path.join(self.dir, "tree")
        os.makedirs(root)
        for name in ["a.txt", "b.txt", "c.txt"]:
            with open(os.path.join(root, name), "wb") as f:
                f.write(b"elvis\n")
        status, shown = self.review(root, {n: ["A"] for n in ["a.txt", "b.txt", "c.txt"]})
        self.assertEqual((status, shown.count("Rewrite this hunk")), (0, 1), shown)
        for name in ["a.txt", "b.txt", "c.txt"]:
            self.assertEqual(self.read(os.path.join(root, name)), b"Elvis\n")
        status, shown = self.review(root, {n: ["q"] for n in ["a.txt", "b.txt", "c.txt"]}, ["-f", "Elvis", "-r", "x"])
        self.assertEqual((status, shown.count("Rewrite this hunk")), (0, 1), shown)
        for name in ["a.txt", "b.txt", "c.txt"]:
            self.assertEqual(self.read(os.path.join(root, name)), b"Elvis\n")
        # SIGINT at a later question keeps the files already accepted.
        for name in ["a.txt", "b.txt", "c.txt"]:
            with open(os.path.join(root, name), "wb") as f:
                f.write(b"elvis\n")
        status, shown = self.review(root, ["y", "SIGINT"], ["-f", "elvis\\n", "-E", "-r", "x\\ny\\n"])
        self.assertEqual(status, 130, shown)
        first = re.findall(r"diff --git a/(\S+)", shown)[0]
        self.assertEqual(self.read(os.path.join(root, first)), b"x\ny\n", shown)
        r = run(["--in-place", "--interactive", root])
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"--interactive needs a terminal", r.stderr)

    def test_a_file_whose_new_bytes_equal_the_old_is_not_written(self):
        same = self.write("same.txt", b"elvis and elvis\n")
        cased = self.write("cased.txt", b"elvis\nElvis\n")
        before = {p: os.stat(p) for p in (same, cased)}
        r = run(["--in-place", "-f", "elvis", "-r", "elvis", self.dir])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"2 files scanned, 0 changed (0 replacements), 2 unchanged", r.stderr)
        # -i: elvis -> elvis changes Elvis only; a file without it is not touched.
        args = ["--in-place", "-i", "-f", "elvis", "-r", "elvis"]
        r = run(args + ["--dry-run", self.dir])
        self.assertEqual(r.stdout, f"{cased}\t1\n".encode(), r.stderr)  # Elvis only: elvis stays
        r = run(args + ["--diff", self.dir])
        self.assertIn(b"@@ -1,2 +1,2 @@\n elvis\n-Elvis\n+elvis\n", r.stdout)
        self.assertNotIn(b"same.txt", r.stdout)
        r = run(args + [self.dir])
        self.assertIn(b"2 files scanned, 1 changed", r.stderr)
        self.assertEqual(self.read(cased), b"elvis\nelvis\n")
        after = os.stat(same)
        self.assertEqual((before[same].st_ino, before[same].st_mtime_ns), (after.st_ino, after.st_mtime_ns))
        self.assertNotEqual(before[cased].st_ino, os.stat(cased).st_ino)
        # Nothing to change is not a refusal either: a read-only file of only Elvis, with -i.
        readonly = self.write("ro.txt", b"Elvis\n")
        os.chmod(readonly, 0o444)
        r = run(["--in-place", "-i", readonly])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"1 file scanned, 0 changed (0 replacements), 1 unchanged; 0 left alone", r.stderr)

    def test_binary_guard_sees_the_first_8k_whatever_the_buffer_size(self):
        # A match at the start and a NUL at byte 5000: binary for every --buffer-size, and
        # --dry-run says so too.
        path = self.write("late-nul.txt", b"elvis " + b"x" * 4994 + b"\0" + b"elvis\n")
        before = self.read(path)
        for size in ["1K", "4K", "256K"]:
            for dry in ([], ["--dry-run"]):
                r = run(["--in-place", "--buffer-size", size] + dry + [path])
                self.assertEqual(r.returncode, 1 if dry else 0, (size, dry, r.stderr))  # a preview: 1, nothing would change
                self.assertIn(b"binary file", r.stderr, (size, dry))
                self.assertEqual(r.stdout, b"", (size, dry))
        self.assertEqual(self.read(path), before)

    def test_a_low_open_file_limit_still_rewrites_everything(self):
        # ulimit -n 32: one worker with a small batch, every directory walked, every file rewritten.
        root = os.path.join(self.dir, "limited")
        for d in range(3):
            os.makedirs(os.path.join(root, "d%d" % d, "sub"))
            for i in range(40):
                with open(os.path.join(root, "d%d" % d, "sub" if i % 2 else "", "f%02d.txt" % i), "wb") as f:
                    f.write(b"elvis %d\n" % i)
        for limit in (32, 64):
            r = run(["--in-place", "--no-fsync", root],
                    preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit)))
            self.assertEqual(r.returncode, 0, (limit, r.stderr))
        for d in range(3):
            for i in range(40):
                self.assertEqual(self.read(os.path.join(root, "d%d" % d, "sub" if i % 2 else "", "f%02d.txt" % i)),
                                 b"Elvis %d\n" % i)
        self.assert_no_temporaries(root)

    def test_backup_never_overwrites_an_existing_file(self):
        # echo precious > a.orig; elvis --in-place --backup .orig a: a is left alone, a.orig kept.
        a = self.write("a", b"elvis old\n")
        self.write("a.orig", b"precious\n")
        before = os.stat(a)
        for dry in ([], ["--dry-run"]):
            r = run(["--in-place", "--backup", ".orig"] + dry + [a])
            self.assertEqual(r.returncode, 1 if dry else 2, dry)  # a preview: left alone is reported, and nothing would change
            self.assertIn(f"elvis: {a}: backup a.orig exists already; left as it is".encode(), r.stderr)
            self.assertIn(b"1 left alone for safety", r.stderr)
        self.assertEqual(self.read(a + ".orig"), b"precious\n")
        self.assertEqual(self.read(a), b"elvis old\n")
        self.assertEqual(os.stat(a).st_ino, before.st_ino)
        # In a tree: the file with a backup in the way is left alone, the others are backed up,
        # and backups met while walking are neither rewritten nor backed up in turn.
        root = os.path.join(self.dir, "t")
        os.makedirs(root)
        with open(os.path.join(root, "x.txt"), "wb") as f:
            f.write(b"elvis x\n")
        with open(os.path.join(root, "y.txt"), "wb") as f:
            f.write(b"elvis y\n")
        with open(os.path.join(root, "y.txt.orig"), "wb") as f:
            f.write(b"elvis precious\n")
        r = run(["--in-place", "--backup", ".orig", root])
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(b"y.txt: backup y.txt.orig exists already", r.stderr)
        self.assertEqual(self.read(os.path.join(root, "x.txt")), b"Elvis x\n")
        self.assertEqual(self.read(os.path.join(root, "x.txt.orig")), b"elvis x\n")
        self.assertEqual(self.read(os.path.join(root, "y.txt")), b"elvis y\n")
        self.assertEqual(self.read(os.path.join(root, "y.txt.orig")), b"elvis precious\n")
        self.assertEqual(sorted(os.listdir(root)), ["x.txt", "x.txt.orig", "y.txt", "y.txt.orig"])
        self.assertIn(b"2 files scanned", r.stderr)

    def test_shards_split_the_files_with_no_overlap(self):
        root = os.path.join(self.dir, "shards")
        os.makedirs(root)
        for i in range(40):
            with open(os.path.join(root, f"f{i}.txt"), "wb") as f:
                f.write(b"elvis")
        everything = run(["--in-place", "--dry-run", root]).stdout.splitlines()
        self.assertEqual(len(everything), 40)
        seen = []
        for i in range(1, 4):
            r = run(["--in-place", "--dry-run", "--shard", f"{i}/3", root])
            self.assertEqual(r.returncode, 0, r.stderr)
            seen += r.stdout.splitlines()
        self.assertEqual(sorted(seen), sorted(everything))
        self.assertEqual(len(set(seen)), 40)
        r = run(["--in-place", "--shard", "4/3", root])
        self.assertEqual(r.returncode, 2)

    def test_help_subcommands(self):
        self.assertIn(b"elvis --in-place [OPTIONS] PATH...", run(["help"]).stdout)
        self.assertIn(b"Usage: elvis merge", run(["help", "merge"]).stdout)
        r = run(["help", "bogus"])
        self.assertEqual(r.returncode, 2)

    def test_usage_errors(self):
        for args, message in [(["--in-place"], b"needs at least one PATH"), (["--in-place", "-"], b"standard input"),
                              (["--dry-run", "x"], b"--dry-run only applies with --in-place"),
                              (["--in-place", "--dry-run", "--diff", "x"], b"cannot be combined"),
                              (["--in-place", "-j", "0", "x"], b"at least 1"),
                              (["--in-place", "--stats"], b"needs at least one PATH"),
                              (["--in-place", "--trace", "t.json", "x"], b"not to --in-place")]:
            r = run(args)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(message, r.stderr, args)

    def test_disk_full_leaves_originals_intact(self):
        with self.small_tmpfs("256k", required=False) as mnt:
            path = os.path.join(mnt, "big.txt")
            original = b"elvis " * 30000  # 180 KB; the longer rewrite cannot fit beside it
            with open(path, "wb") as f:
                f.write(original)
            env = None if os.path.ismount(mnt) else {"ELVIS_TEST_WRITE_ERROR": "ENOSPC"}
            r = run(["--in-place", "-f", "elvis", "-r", "The King", path], env=env)
            self.assertEqual(r.returncode, 2)
            self.assertIn(b"No space left on device", r.stderr)
            self.assertEqual(self.read(path), original)
            self.assertEqual(os.listdir(mnt), ["big.txt"])

    def make_batch(self, n=150, size=100_000, name="batch"):
        root = os.path.join(self.dir, name)
        os.makedirs(root)
        original = (b"line with elvis and more text\n" * (size // 30))
        for i in range(n):
            with open(os.path.join(root, f"f{i:04}.txt"), "wb") as f:
                f.write(original)
        return root, original, original.replace(b"elvis", b"The King")

    def assert_each_file_whole(self, root, original, rewritten):
        for path in self.files_in(root):
            if ".elvis-" in path:
                continue
            self.assertIn(self.read(path), (original, rewritten), path)

    def make_spread_tree(self, files=2000, per_dir=50):
        root = os.path.join(self.dir, "spread")
        original = b"line with elvis and more text\n" * 100
        for i in range(files):
            d = os.path.join(root, f"d{i // per_dir:02}")
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, f"f{i:04}.txt"), "wb") as f:
                f.write(original)
        return root, original, original.replace(b"elvis", b"The King")

    def stray_files(self, root):
        return [f for f in self.files_in(root) if ".elvis-" in os.path.basename(f)]

    def test_sigkill_at_random_moments(self):
        # 30 kills at random moments over 2000 files, the rewrite going one way and then back so
        # that every run has work: each file stays wholly old or wholly new, and a temporary left
        # by a kill in the moment between naming and renaming is removed by the next run, which
        # says so. After a last complete run nothing stray is left.
        rng = random.Random(8)
        root, original, rewritten = self.make_spread_tree()
        full = time.monotonic()
        r = run(["--in-place", "-f", "elvis", "-r", "The King", root])
        full = time.monotonic() - full
        self.assertEqual(r.returncode, 0, r.stderr)
        left, removed = set(), set()
        note = re.compile(rb"^elvis: (.*): removed: a temporary file an interrupted elvis run left$", re.M)
        for kill in range(30):
            forward = kill % 2 == 1
            find, replace = (b"elvis", b"The King") if forward else (b"The King", b"elvis")
            p = subprocess.Popen([ELVIS, "--in-place", "-f", find, "-r", replace, root], stderr=subprocess.PIPE)
            time.sleep(rng.uniform(0.0, full))
            p.kill()
            _, err = p.communicate()
            removed.update(note.findall(err))
            for path in self.files_in(root):
                if ".elvis-" not in os.path.basename(path):
                    self.assertIn(self.read(path), (original, rewritten), path)
            left.update(os.fsencode(f) for f in self.stray_files(root))
        r = run(["--in-place", "-f", "The King", "-r", "elvis", root])
        self.assertEqual(r.returncode, 0, r.stderr)
        removed.update(note.findall(r.stderr))
        self.assertEqual(self.stray_files(root), [])
        print("sigkill loop: full run %.2f s, %d temporaries left by kills" % (full, len(left)), file=sys.stderr)
        self.assertEqual(removed, left)  # every one left was removed by a later run, and reported
        for path in self.files_in(root):
            self.assertEqual(self.read(path), original, path)

    def test_temporary_left_by_a_crash_is_removed_by_the_next_run(self):
        root = os.path.join(self.dir, "t")
        os.makedirs(root)
        for name in ["a.txt", "b.txt"]:
            self.write(os.path.join("t", name), b"elvis\n")
        # Killed between naming the new a.txt and renaming it over the original.
        r = run(["--in-place", "-j", "1", os.path.join(root, "a.txt")], env={"ELVIS_TEST_KILLED_AT_RENAME": "1"})
        self.assertEqual(r.returncode, -signal.SIGKILL)
        [stale] = self.stray_files(root)
        self.assertTrue(os.path.basename(stale).startswith(".a.txt.elvis-"), stale)
        self.assertEqual(self.read(stale), b"Elvis\n")
        # Files of that form the run cannot prove it made stay, unread and unrewritten: wrong
        # check digits, a second hard link, a symbolic link.
        lookalike = os.path.join(root, ".b.txt.elvis-abcdefgh12345678")
        self.write(os.path.relpath(lookalike, self.dir), b"elvis mine\n")
        os.link(stale, os.path.join(self.dir, "second-link"))
        os.symlink("a.txt", os.path.join(root, ".a.txt.elvis-zzzzzzzz00000000"))
        r = run(["--in-place", "--hidden", root])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn(b"removed", r.stderr)
        self.assertTrue(os.path.exists(stale))
        os.unlink(os.path.join(self.dir, "second-link"))
        # Without its original the temporary proves nothing: left as it is.
        os.rename(os.path.join(root, "a.txt"), os.path.join(self.dir, "a.txt"))
        r = run(["--in-place", root])
        self.assertTrue(os.path.exists(stale), r.stderr)
        self.assertEqual(self.read(lookalike), b"elvis mine\n")

    def test_temporary_left_by_a_crash_is_removed_when_the_original_is_untouched(self):
        root = os.path.join(self.dir, "t")
        os.makedirs(root)
        self.write("t/a.txt", b"elvis\n")
        for env in [{"ELVIS_TEST_KILLED_AT_RENAME": "1"}, {"ELVIS_TEST_KILLED_AT_RENAME": "1", "ELVIS_TEST_NO_TMPFILE": "1"}]:
            r = run(["--in-place", root], env=env)
            self.assertEqual(r.returncode, -signal.SIGKILL)
            [stale] = self.stray_files(root)
            self.assertEqual(self.read(os.path.join(root, "a.txt")), b"elvis\n")
            dry = run(["--in-place", "--dry-run", root])
            self.assertTrue(os.path.exists(stale), dry.stderr)  # a dry run removes nothing
            r = run(["--in-place", "-f", "elvis", "-r", "elvis", root])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(f"{stale}: removed: a temporary file an interrupted elvis run left".encode(), r.stderr)
            self.assertIn(b"1 stale temporary file removed", r.stderr)
            self.assertEqual(self.stray_files(root), [])

    def test_without_o_tmpfile_named_temporaries_do_the_job(self):
        root, original, rewritten = self.make_batch(n=20, size=1000)
        r = run(["--in-place", "--stats", "-f", "elvis", "-r", "The King", root], env={"ELVIS_TEST_NO_TMPFILE": "1"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"new files: named temporaries (O_EXCL)", r.stderr)
        self.assert_no_temporaries(root)
        self.assert_each_file_whole(root, rewritten, rewritten)

    def test_without_proc_new_files_are_still_named(self):
        # Chroots and minimal containers have no /proc: linkat(AT_EMPTY_PATH) names the new file,
        # or, where that is refused too, an exclusively created temporary is used.
        probe = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", "umount -l /proc"],
                               capture_output=True)
        if probe.returncode != 0:
            self.skipTest("cannot unmount /proc in a mount namespace here: " + probe.stderr.decode())
        if os.environ.get("ELVIS_SANITIZED"):
            # The sanitizers read their options, and LeakSanitizer the threads, from /proc.
            self.skipTest("sanitizers need /proc")
        os.chmod(self.dir, 0o755)
        for name, who in [("as-me", []), ("unprivileged", unprivileged([]))]:
            root, original, rewritten = self.make_batch(n=20, size=1000, name=name)
            if who:
                subprocess.run(["chown", "-R", "65534:65534", root], check=True)
            command = who + [ELVIS, "--in-place", "--stats", "-f", "elvis", "-r", "The King", root]
            r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                'umount -l /proc && exec "$@"', "sh"] + command, capture_output=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertRegex(r.stderr, rb"new files: (unnamed \(O_TMPFILE\), named with linkat AT_EMPTY_PATH|"
                                       rb"named temporaries \(O_EXCL\))")
            self.assert_no_temporaries(root)
            self.assert_each_file_whole(root, rewritten, rewritten)

    def test_files_from_gets_the_walk_rules(self):
        # `find / -name '*.conf' -print0 | elvis --in-place -0 --files-from -` as root: a user's
        # link to /etc/passwd (the file itself, or a directory on the way) is not followed; a
        # FIFO does not block; a listed directory is walked; a hidden file listed is taken.
        etc = os.path.join(self.dir, "etc")
        home = os.path.join(self.dir, "home", "u")
        os.makedirs(etc)
        os.makedirs(os.path.join(home, "sub"))
        self.write("etc/passwd", b"root elvis\n")
        self.write("home/u/a.conf", b"elvis\n")
        self.write("home/u/sub/.h.conf", b"elvis\n")
        self.write("home/u/sub/c.conf", b"elvis\n")
        os.symlink(os.path.join(etc, "passwd"), os.path.join(home, "b.conf"))
        os.symlink(etc, os.path.join(home, "linkdir"))
        os.mkfifo(os.path.join(home, "f.conf"))
        listed = ["a.conf", "b.conf", "linkdir/passwd", "f.conf", "sub/.h.conf", "sub"]
        data = b"".join(os.path.join(home, p).encode() + b"\0" for p in listed)
        r = run(["--in-place", "-0", "--files-from", "-"], data)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(self.read(os.path.join(etc, "passwd")), b"root elvis\n")
        for p in ["a.conf", "sub/.h.conf", "sub/c.conf"]:
            self.assertEqual(self.read(os.path.join(home, p)), b"Elvis\n", p)
        self.assertIn(f"{home}/b.conf: a symbolic link on its way; not followed (--follow follows it)".encode(), r.stderr)
        self.assertIn(f"{home}/linkdir/passwd: a symbolic link on its way; not followed".encode(), r.stderr)
        self.assertIn(f"{home}/f.conf: not a regular file; skipped".encode(), r.stderr)
        self.assertIn(b"3 files scanned, 3 changed", r.stderr)
        # Globs apply to listed paths too; --follow follows the links.
        r = run(["--in-place", "-f", "Elvis", "-r", "elvis", "--glob", "!c.conf", "--files-from", "-"],
                b"\n".join(os.path.join(home, p).encode() for p in ["a.conf", "sub/c.conf"]))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.read(os.path.join(home, "sub/c.conf")), b"Elvis\n")
        self.assertEqual(self.read(os.path.join(home, "a.conf")), b"elvis\n")
        r = run(["--in-place", "--follow", "--files-from", "-"], os.path.join(home, "b.conf").encode())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.read(os.path.join(etc, "passwd")), b"root Elvis\n")

    def test_any_depth_within_the_default_descriptor_limit(self):
        # 5,000 levels under `ulimit -n 1024` (a descriptor per level stopped count at ~1017 and
        # the rewrite at ~601), a file at a few depths; count and the rewrite reach them all.
        root = os.path.join(self.dir, "deep")
        os.mkdir(root)
        fd = os.open(root, os.O_RDONLY)
        try:
            for level in range(1, 5001):
                os.mkdir("d", dir_fd=fd)
                if level in (1, 700, 1500, 5000):
                    with open(os.open(f"f{level}.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "wb") as f:
                        f.write(b"elvis\n")
                below = os.open("d", os.O_RDONLY, dir_fd=fd)
                os.close(fd)
                fd = below
        finally:
            os.close(fd)

        def limited():
            resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
        try:
            for args in (["count", "-j", "1"], ["count"]):
                r = run(args + [root], preexec_fn=limited)
                self.assertEqual((r.returncode, r.stdout), (0, b"elvis\t4\n"), r.stderr[-300:])
            r = run(["--in-place", root], preexec_fn=limited)
            self.assertEqual(r.returncode, 0, r.stderr[-300:])
            self.assertIn(b"4 files scanned, 4 changed", r.stderr)
            r = run(["count", "-t", "Elvis", root], preexec_fn=limited)
            self.assertEqual(r.stdout, b"Elvis\t4\n", r.stderr[-300:])
        finally:
            subprocess.run(["rm", "-rf", root])  # shutil.rmtree recurses once per level

    def test_version_control_directories_are_never_rewritten(self):
        # Not even with --hidden: .git/COMMIT_EDITMSG, .hg and .svn files stay as they are;
        # count reads them with --hidden, as rg does.
        root = os.path.join(self.dir, "repo")
        for rel in [".git/COMMIT_EDITMSG", ".git/logs/HEAD", ".hg/store", ".svn/entries", ".hidden.txt", "a.txt"]:
            os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
            self.write(os.path.join("repo", rel), b"elvis\n")
        r = run(["--in-place", "--hidden", root])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"2 files scanned, 2 changed", r.stderr)
        for rel in [".git/COMMIT_EDITMSG", ".git/logs/HEAD", ".hg/store", ".svn/entries"]:
            self.assertEqual(self.read(os.path.join(root, rel)), b"elvis\n", rel)
        self.assertEqual(self.read(os.path.join(root, ".hidden.txt")), b"Elvis\n")
        r = run(["count", "--hidden", root])
        self.assertEqual(r.stdout, b"elvis\t4\n", r.stderr)

    def test_exit_status_for_scripts(self):
        # --must-match: 1 when nothing was replaced; a preview: 0 or 1 by whether anything would
        # change, a read-only file reported but not an error; 2 only on a real error.
        root = os.path.join(self.dir, "t")
        os.mkdir(root)
        self.write("t/a.txt", b"nothing here\n")
        self.write("t/ro.txt", b"elvis\n")
        os.chmod(os.path.join(root, "ro.txt"), 0o444)
        for preview in (["--dry-run"], ["--diff"]):
            r = run(["--in-place"] + preview + [root])
            self.assertEqual(r.returncode, 1, (preview, r.stderr))
            self.assertIn(b"ro.txt: read-only file", r.stderr)
        self.write("t/b.txt", b"elvis\n")
        for preview in (["--dry-run"], ["--diff"]):
            self.assertEqual(run(["--in-place"] + preview + [root]).returncode, 0, preview)
        os.unlink(os.path.join(root, "ro.txt"))
        self.assertEqual(run(["--in-place", "--must-match", root]).returncode, 0)
        self.assertEqual(self.read(os.path.join(root, "b.txt")), b"Elvis\n")
        r = run(["--in-place", "--must-match", root])
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(run(["--in-place", root]).returncode, 0)
        self.assertEqual(run(["--must-match"], b"nothing").returncode, 1)
        self.assertEqual(run(["--must-match"], b"elvis").returncode, 0)
        self.assertEqual(run(["--must-match", os.path.join(self.dir, "missing")]).returncode, 2)

    def test_hard_links_every_name_and_a_summary_that_adds_up(self):
        root = os.path.join(self.dir, "h")
        os.makedirs(os.path.join(root, "src"))
        a = self.write("h/a", b"elvis\n")
        os.link(a, os.path.join(root, "b"))
        os.link(a, os.path.join(root, "src", "c"))
        self.write("h/src/x", b"elvis\n")

        def summary(stderr):
            m = re.search(rb"(\d+) files? scanned, (\d+) changed .*?, (\d+) unchanged.*?; (\d+) left alone for safety, (\d+) errors?",
                          stderr)
            return [int(g) for g in m.groups()]
        # The default reports every hard-linked name it leaves alone; overlapping paths count once.
        r = run(["--in-place", a, os.path.join(root, "b"), os.path.join(root, "src"), root])
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr.count(b"has 3 hard links; left as it is"), 3, r.stderr)
        scanned, changed, unchanged, left, errors = summary(r.stderr)
        self.assertEqual((scanned, changed, left), (4, 1, 3), r.stderr)
        self.assertEqual(scanned, changed + unchanged + left + errors)
        # split: every name, given or met, becomes its own file with the new text.
        self.write("h/src/x", b"elvis\n")
        r = run(["--in-place", "--hard-links=split", a, os.path.join(root, "src"), root])
        self.assertEqual(r.returncode, 0, r.stderr)
        for name in ["a", "b", "src/c", "src/x"]:
            self.assertEqual(self.read(os.path.join(root, name)), b"Elvis\n", name)
            self.assertEqual(os.stat(os.path.join(root, name)).st_nlink, 1, name)
        scanned, changed, unchanged, left, errors = summary(r.stderr)
        self.assertEqual((scanned, changed), (4, 4), r.stderr)
        self.assertEqual(scanned, changed + unchanged + left + errors)

    def test_sigint_and_sigterm_remove_temporaries(self):
        for sig, status in [(signal.SIGINT, 130), (signal.SIGTERM, 143)]:
            root, original, rewritten = self.make_batch(n=400)
            p = subprocess.Popen([ELVIS, "--in-place", "-j", "2", "-f", "elvis", "-r", "The King", root],
                                 stderr=subprocess.PIPE)
            time.sleep(0.15)
            p.send_signal(sig)
            _, err = p.communicate(timeout=60)
            if p.returncode == 0:  # finished before the signal: nothing to check
                subprocess.run(["rm", "-rf", root])
                continue
            self.assertEqual(p.returncode, status, err)
            self.assert_no_temporaries(root)
            self.assert_each_file_whole(root, original, rewritten)
            subprocess.run(["rm", "-rf", root])
class TreeContainment(Base):
    """Nothing outside the named tree is read or rewritten, whatever is swapped while elvis runs
    (issue: "Escapes through symlink races")."""

    RENAME_EXCHANGE = 2

    def exchange(self, a, b):
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.renameat2(-100, a.encode(), -100, b.encode(), self.RENAME_EXCHANGE) != 0:
            raise OSError(ctypes.get_errno(), "renameat2", a)

    def outside_bytes(self, outside):
        return {os.path.join(d, f): self.read(os.path.join(d, f)) for d, _, files in os.walk(outside) for f in files}

    def test_swaps_while_walking_never_reach_outside(self):
        # A link re-pointed outside after the walk listed it, and a real directory exchanged for a
        # link to an outside directory (RENAME_EXCHANGE), at random moments of 500 runs of
        # --in-place --follow and count --follow: no byte outside changes, nothing outside is counted.
        outside = os.path.join(self.dir, "outside")
        os.makedirs(os.path.join(outside, "dir"))
        with open(os.path.join(outside, "victim.txt"), "wb") as f:
            f.write(b"elvis victim outside\n")
        for i in range(50):
            with open(os.path.join(outside, "dir", "o%02d.txt" % i), "wb") as f:
                f.write(b"elvis victim %d\n" % i)
        root = os.path.join(self.dir, "tree")
        big = os.path.join(root, "big")
        os.makedirs(os.path.join(root, "real"))
        os.makedirs(big)
        for i in range(300):
            with open(os.path.join(big, "f%03d.txt" % i), "wb") as f:
                f.write(b"elvis %d\n" % i)
        with open(os.path.join(root, "real", "inside.txt"), "wb") as f:
            f.write(b"elvis inside\n")
        with open(os.path.join(root, "target.txt"), "wb") as f:
            f.write(b"elvis target\n")
        link = os.path.join(big, "link")
        os.symlink(os.path.join(root, "target.txt"), link)
        os.symlink(os.path.join(outside, "dir"), os.path.join(root, "swapped"))
        before = self.outside_bytes(outside)

        stop = [False]

        def swapper():
            rng = random.Random(7)
            targets = [os.path.join(root, "target.txt"), os.path.join(outside, "victim.txt")]
            while not stop[0]:
                new = link + ".new"
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(new)
                os.symlink(targets[rng.randrange(2)], new)
                os.rename(new, link)  # ln -sfn ... && mv -T
                self.exchange(os.path.join(root, "real"), os.path.join(root, "swapped"))
                time.sleep(rng.random() * 0.002)

        import threading
        thread = threading.Thread(target=swapper)
        thread.start()
        try:
            for i in range(500):
                if i % 2:
                    r = run(["--in-place", "--follow", "--no-fsync", "-j1", root])
                else:
                    r = run(["count", "--follow", "-t", "victim", root])
                    self.assertRegex(r.stdout, rb"^victim\t0\n$", (i, r.stderr))
                self.assertNotIn(b"No such file", r.stderr, i)
                self.assertEqual(self.outside_bytes(outside), before, (i, r.stderr))
        finally:
            stop[0] = True
            thread.join()
        self.assertEqual(self.outside_bytes(outside), before)
        self.assertEqual(self.read(os.path.join(root, "target.txt")), b"Elvis target\n")

    def test_a_directory_exchanged_for_a_link_to_outside_is_refused_by_count_and_in_place(self):
        # The directory d becomes a link to outside (and l the real directory): neither count nor
        # --in-place, with or without --follow, reads or writes outside; l is walked as it now is.
        outside = os.path.join(self.dir, "outside")
        os.makedirs(outside)
        with open(os.path.join(outside, "o.txt"), "wb") as f:
            f.write(b"elvis outside\n")
        root = os.path.join(self.dir, "tree")
        os.makedirs(os.path.join(root, "d"))
        with open(os.path.join(root, "d", "in.txt"), "wb") as f:
            f.write(b"elvis inside\n")
        os.symlink(outside, os.path.join(root, "l"))
        self.exchange(os.path.join(root, "d"), os.path.join(root, "l"))  # d is the link now
        for args in (["--in-place", "--follow"], ["--in-place"]):
            r = run(args + [root])
            self.assertEqual(self.read(os.path.join(outside, "o.txt")), b"elvis outside\n", args)
        self.assertEqual(self.read(os.path.join(root, "l", "in.txt")), b"Elvis inside\n")
        r = run(["count", "--follow", "-t", "outside", root])
        self.assertEqual(r.stdout, b"outside\t0\n")
        self.assertIn(b"d: symbolic link leads outside the tree", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
