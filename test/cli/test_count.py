#!/usr/bin/env python3
"""elvis count as users run it: terms, trees, records, JSON, ranges."""
from support import *  # noqa: F401,F403 (the binaries, run(), Base, the reference)


class Count(Base):
    def make_tree(self):
        """Nested directories, symlinks (file, dir, loop, dangling), hidden files, an empty file, a FIFO."""
        root = os.path.join(self.dir, "tree")
        os.makedirs(os.path.join(root, "a", "b", "c"))
        os.makedirs(os.path.join(root, ".git"))
        files = {
            "top.txt": b"elvis president elvis",
            "a/one.txt": b"the president met elvis",
            "a/b/two.txt": b"elvielvis eelvis",
            "a/b/c/three.rss": b"<item>elvis</item><item>president elvis</item><item>none</item>",
            "a/empty.txt": b"",
            "a/b/space name \u00e9.txt": b"elvis",
            ".hidden.txt": b"elvis elvis elvis",
            ".git/objects": b"elvis",
        }
        for rel, data in files.items():
            with open(os.path.join(root, rel), "wb") as f:
                f.write(data)
        os.symlink(os.path.join(root, "top.txt"), os.path.join(root, "a", "link-to-file"))
        os.symlink(os.path.join(root, "a"), os.path.join(root, "link-to-dir"))
        os.symlink(root, os.path.join(root, "a", "b", "loop"))
        os.symlink(os.path.join(root, "nowhere"), os.path.join(root, "dangling"))
        os.mkfifo(os.path.join(root, "a", "fifo"))
        return root

    def count(self, args, data=b"", **kw):
        return run(["count"] + args, data, **kw)

    def test_tree_defaults(self):
        root = self.make_tree()
        r = self.count(["-t", "elvis", "-t", "president", root])
        # A FIFO met while walking is skipped, not an error (named, it is read); symlinks are
        # not followed; hidden and .git skipped.
        self.assertEqual(r.stdout, b"elvis\t8\npresident\t3\n")
        self.assertEqual((r.returncode, r.stderr), (0, b""))

    def test_files_that_read_short_are_counted_whole(self):
        # /proc/PID/smaps reads a few KiB at a time, as NFS and FUSE may read a file, and says its
        # size is 0: walked (the small-file batch) or named, on either backend, every line counts.
        # A sleeping child with many mappings makes it stable and larger than a chunk.
        child = subprocess.Popen([sys.executable, "-c", "import mmap, sys, time\n"
                                  "maps = [mmap.mmap(-1, 4096) for _ in range(400)]\n"
                                  "print('ready', flush=True); time.sleep(60)"], stdout=subprocess.PIPE)
        try:
            self.assertEqual(child.stdout.readline(), b"ready\n")
            smaps = f"/proc/{child.pid}/smaps"
            with open(smaps, "rb") as f:
                expected = f.read().count(b"Rss:")
            self.assertGreater(expected, 400)
            for backend in self.backends():
                for args in (["-g", "smaps", f"/proc/{child.pid}/"], [smaps]):
                    r = self.count([f"--io={backend}", "--buffer-size=64K", "-t", "Rss:"] + args)
                    self.assertEqual((r.returncode, r.stderr), (0, b""), (backend, args))
                    # Walked, smaps is found twice (also under task/PID/).
                    self.assertEqual(r.stdout, b"Rss:\t%d\n" % (expected * (2 if "-g" in args else 1)), (backend, args))
        finally:
            child.kill()
            child.wait()
            child.stdout.close()

    def test_tree_threads_and_backends_agree(self):
        root = self.make_tree()
        os.unlink(os.path.join(root, "a", "fifo"))
        outputs = set()
        for backend in self.backends():
            for j in ["1", "2", "4"]:
                for size in ["1", "5", "256K"]:
                    r = self.count(["-j", j, f"--io={backend}", f"--buffer-size={size}", "--per-file", root])
                    self.assertEqual(r.returncode, 0, r.stderr)
                    outputs.add(r.stdout)
        self.assertEqual(len(outputs), 1, outputs)
        lines = outputs.pop().decode().splitlines()
        self.assertEqual(lines[-1], "elvis\t8")
        paths = [l.split("\t")[0] for l in lines[:-1]]
        self.assertEqual(paths, sorted(paths))
        self.assertIn(f"{root}/a/b/space name \u00e9.txt\telvis\t1", lines)

    def test_stats_and_trace_one_track_per_worker(self):
        import json
        root = self.make_tree()
        os.unlink(os.path.join(root, "a", "fifo"))
        trace = os.path.join(self.dir, "count-trace.json")
        r = run(["count", "-j", "2", "--stats", "--trace", trace, root])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"elvis\t", r.stdout)
        self.assertRegex(r.stderr, rb"elvis: files: +\d+\nelvis: bytes: +\d+\n")
        self.assertRegex(r.stderr, rb"elvis: io backend: +(io_uring|posix)")
        for worker in (b"count worker 1", b"count worker 2"):
            self.assertRegex(r.stderr, worker + rb": scan [0-9.]+ ms, waiting for reads [0-9.]+ ms")
        doc = json.load(open(trace))
        tracks = {e["args"]["name"] for e in doc["traceEvents"] if e["name"] == "thread_name"}
        self.assertEqual(tracks, {"count worker 1", "count worker 2"})
        self.assertIn("scan", {e["name"] for e in doc["traceEvents"] if e.get("ph") == "X"})
        # One big file split across threads: a track per range.
        big = self.write("big.txt", b"elvis " * 50000)
        r = run(["count", "-j", "3", "--split-threshold", "1K", "--buffer-size", "4K", "--trace", trace, big])
        self.assertEqual(r.stdout, b"elvis\t50000\n")
        doc = json.load(open(trace))
        tracks = {e["args"]["name"] for e in doc["traceEvents"] if e["name"] == "thread_name"}
        self.assertTrue({"range 1/3", "range 2/3", "range 3/3"} <= tracks, tracks)
        r = run(["count", "--trace", os.path.join(self.dir, "no", "such", "dir.json"), big])
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stdout, b"")  # refused before counting
        self.assertIn(b"cannot write the trace", r.stderr)

    def test_hidden_follow_and_globs(self):
        root = self.make_tree()
        os.unlink(os.path.join(root, "a", "fifo"))
        os.unlink(os.path.join(root, "dangling"))
        self.assertEqual(self.count(["--hidden", root]).stdout, b"elvis\t12\n")
        r = self.count(["--follow", root])
        # link-to-file (2) and link-to-dir (a/: 1 + 2 + 2 + 1, and its link-to-file 2) add up;
        # the loops back to the root are reported.
        self.assertEqual(r.stdout, b"elvis\t18\n")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"loop: symbolic link loop", r.stderr)
        self.assertEqual(self.count(["--glob", "*.rss", root]).stdout, b"elvis\t2\n")
        self.assertEqual(self.count(["--glob", "!*.rss", root]).stdout, b"elvis\t6\n")
        self.assertEqual(self.count(["--glob", "!b", root]).stdout, b"elvis\t3\n")

    def test_globs_with_double_star_and_directory_patterns(self):
        root = os.path.join(self.dir, "g")
        for rel in ["top.txt", "a/mid.txt", "a/b/deep.txt", "a/b/deep.md", "node_modules/x.txt", "a/node_modules",
                    "a/top.txt", "a/x/node_modules/y.txt"]:
            os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
            with open(os.path.join(root, rel), "wb") as f:
                f.write(b"elvis\n")

        def files(*globs):
            r = self.count(["--per-file"] + [a for g in globs for a in ("--glob", g)] + [root])
            self.assertEqual(r.returncode, 0, r.stderr)
            return sorted(line.split(b"\t")[0].decode()[len(root) + 1:] for line in r.stdout.splitlines()
                          if line.startswith(root.encode()))

        self.assertEqual(files("**/*.txt"), ["a/b/deep.txt", "a/mid.txt", "a/top.txt", "a/x/node_modules/y.txt",
                                             "node_modules/x.txt", "top.txt"])
        self.assertEqual(files("a/**/*.txt"), ["a/b/deep.txt", "a/mid.txt", "a/top.txt", "a/x/node_modules/y.txt"])
        # A leading '/' anchors the pattern: not a/x/node_modules, not a/top.txt.
        self.assertEqual(files("/node_modules/**"), ["node_modules/x.txt"])
        self.assertEqual(files("/top.txt"), ["top.txt"])
        self.assertEqual(files("!/node_modules/"), ["a/b/deep.md", "a/b/deep.txt", "a/mid.txt", "a/node_modules",
                                                    "a/top.txt", "a/x/node_modules/y.txt", "top.txt"])
        self.assertEqual(files("!**/b/**"), ["a/mid.txt", "a/node_modules", "a/top.txt", "a/x/node_modules/y.txt",
                                             "node_modules/x.txt", "top.txt"])
        # A trailing '/': only directories of that name are left out, not the file a/node_modules.
        self.assertEqual(files("!node_modules/"), ["a/b/deep.md", "a/b/deep.txt", "a/mid.txt", "a/node_modules",
                                                   "a/top.txt", "top.txt"])

    def test_dangling_link_reported_when_following(self):
        root = self.make_tree()
        os.unlink(os.path.join(root, "a", "fifo"))
        r = self.count(["--follow", root])
        self.assertIn(b"dangling: dangling symbolic link", r.stderr)

    def test_records(self):
        root = self.make_tree()
        rss = os.path.join(root, "a", "b", "c", "three.rss")
        r = self.count(["--records", "item", "-t", "elvis", "-t", "president", "--format", "json", rss])
        self.assertEqual(r.returncode, 0, r.stderr)
        import json
        doc = json.loads(r.stdout)
        self.assertEqual([t["count"] for t in doc["terms"]], [2, 1])
        self.assertEqual(doc["records"], 3)
        # --doc-freq's documents are records here: two files, three records hold elvis.
        one = self.write("one.xml", b"<item>elvis</item><item>elvis elvis</item><item>x</item>")
        two = self.write("two.xml", b"<item>elvis</item>")
        self.assertEqual(self.count(["--records", "item", "--doc-freq", one, two]).stdout, b"elvis\t3\t3\n")
        self.assertEqual(self.count(["--doc-freq", one, two]).stdout, b"elvis\t4\t2\n")

    def test_json_shape(self):
        import json
        root = self.make_tree()
        r = self.count(["--format", "json", "--per-file", root])
        doc = json.loads(r.stdout)
        self.assertEqual(doc["terms"], [{"term": "elvis", "count": 8, "documents": 5}])
        self.assertEqual(doc["files_searched"], 6)
        searched = ["top.txt", "a/one.txt", "a/b/two.txt", "a/b/c/three.rss", "a/empty.txt", "a/b/space name \u00e9.txt"]
        self.assertEqual(doc["bytes_read"], sum(os.path.getsize(os.path.join(root, f)) for f in searched))
        self.assertEqual(doc["errors"], [])
        self.assertEqual(doc["skipped"], {"special_files": 1})  # the FIFO
        self.assertEqual([f["path"] for f in doc["files"]], sorted(f["path"] for f in doc["files"]))

    def test_json_is_utf8_and_gives_back_any_bytes(self):
        import base64
        import json
        # Paths and terms need not be UTF-8; the JSON must still be, and lose nothing.
        names = [b"latin1-\xe9.txt", b"utf8-\xc3\xa9.txt", b"overlong-\xc0\xaf", b"surrogate-\xed\xa0\x80",
                 b"cut-\xe2\x82", b"astral-\xf0\x9f\x8e\xb8"]
        paths = [os.path.join(os.fsencode(self.dir), name) for name in names]
        for path in paths:
            with open(path, "wb") as f:
                f.write(b"elvis \xff\xfe")
        r = run(["count", "--format", "json", "--per-file", "-t", "elvis", "-t", "\udcff\udcfe"] + paths)
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout.decode("utf-8"))  # strict UTF-8

        def given_back(value):  # ripgrep's convention: a string, or {"bytes": BASE64}
            return base64.b64decode(value["bytes"]) if isinstance(value, dict) else value.encode("utf-8")
        self.assertEqual(sorted(given_back(f["path"]) for f in doc["files"]), sorted(paths))
        self.assertEqual([given_back(t["term"]) for t in doc["terms"]], [b"elvis", b"\xff\xfe"])
        self.assertEqual(doc["terms"][1]["term"], {"bytes": "//4="})
        self.assertEqual([t["count"] for t in doc["terms"]], [len(names)] * 2)
        for f in doc["files"]:
            self.assertEqual(f["counts"], {"elvis": 1, "//4=": 1})
        self.assertNotIn(b"\\udc", r.stdout)
        # jq reads it without loss: the bytes are ASCII base64.
        if shutil.which("jq"):
            jq = subprocess.run(["jq", "-r", ".files[].path | if type == \"object\" then .bytes else . end"],
                                input=r.stdout, capture_output=True, check=True)
            self.assertIn(base64.b64encode(paths[0]), jq.stdout)
        self.assertIn("utf8-\u00e9.txt".encode(), r.stdout)  # well-formed UTF-8 is kept as it is

    def test_diagnostics_are_one_line_whatever_the_name(self):
        # A name with a newline, a tab, a backslash and a terminal escape: one line on stderr,
        # escaped as the TSV output escapes (and \xHH for other control bytes).
        missing = os.path.join(self.dir, "a\nb\tc\\d\x1b[31m")
        for args in (["count", missing], ["--in-place", missing], [missing]):
            r = run(args)
            self.assertEqual(r.returncode, 2, args)
            self.assertEqual(r.stderr.count(b"\n"), 1 if args[0] == "count" or args[0] == missing else 2, r.stderr)
            self.assertIn(f"{self.dir}/a\\nb\\tc\\\\d\\x1b[31m: No such file or directory".encode(), r.stderr, args)
            self.assertNotIn(b"\x1b", r.stderr)

    def test_terms_from_files(self):
        terms = self.write("terms.txt", b"# a comment\nelvis\n\\x23tag\npresident\r\n\ntab\\there\n")
        rules = self.write("rules.tsv", b"vice\tVICE\n")
        data = b"elvis #tag president elvis vice tab\there"
        r = self.count(["--terms-file", terms, "--rules", rules, "-t", "x"], data)
        self.assertEqual(r.stdout, b"x\t0\nelvis\t2\n#tag\t1\npresident\t1\ntab\\there\t1\nvice\t1\n", r.stderr)
        for content, message in [(b"a\\q\n", "terms.txt:1: unknown escape \\q"), (b"# only\n", "terms.txt: no terms in file")]:
            self.write("terms.txt", content)
            r = self.count(["--terms-file", terms], b"")
            self.assertEqual(r.returncode, 2)
            self.assertIn(message.encode(), r.stderr)
        r = self.count(["--terms-file", os.path.join(self.dir, "missing")], b"")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"missing: No such file or directory", r.stderr)

    @staticmethod
    def has_open(pid, path):
        fds = f"/proc/{pid}/fd"
        try:
            return any(os.readlink(os.path.join(fds, fd)) == path for fd in os.listdir(fds))
        except OSError:  # gone, or a descriptor closed meanwhile
            return False

    def test_file_truncated_while_counted_is_an_error_naming_it(self):
        # Truncated at a random moment while count reads it (streamed on either backend, in
        # ranges, or met while walking): the whole count, or exit 2 naming the file, never a
        # partial count given as if whole.
        rng = random.Random(5)
        data = b"elvis and some more text\n" * 1_000_000  # 25 MB, 1,000,000 matches
        tree = os.path.join(self.dir, "tree")
        os.mkdir(tree)
        seen = collections.Counter()
        for attempt in range(24):
            args = [["-j", "1", "--io=posix"], ["-j", "1", "--io=uring"], ["-j", "2", "--split-threshold", "1M"]][attempt % 3]
            walked = attempt % 2 == 1
            path = os.path.join(tree, "big.txt")
            with open(path, "wb") as f:
                f.write(data)
            p = subprocess.Popen([ELVIS, "count"] + args + [tree if walked else path], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
            # The cut comes a random moment after count opened the file: a sanitized or loaded
            # build may take longer than that moment just to start.
            deadline = time.monotonic() + 10
            while p.poll() is None and time.monotonic() < deadline and not self.has_open(p.pid, path):
                time.sleep(0.001)
            time.sleep(rng.uniform(0, 0.03))
            os.truncate(path, 1000)
            out, err = p.communicate(timeout=60)
            if p.returncode == 0:  # before the cut (or after it, when it came before the open)
                self.assertIn(out, (b"elvis\t1000000\n", b"elvis\t40\n"), (args, err))
                seen["whole"] += 1
            else:
                self.assertEqual(p.returncode, 2, (args, err))
                self.assertIn(f"{path}: shrank while it was read".encode(), err)
                seen["shrank"] += 1
        self.assertGreater(seen["shrank"], 0, seen)

    def test_globs_as_ripgrep_reads_them(self):
        # -g short form, {a,b} braces (nested too), --iglob, and the last matching glob decides.
        for rel in ["a.c", "b.h", "c.txt", "D.C", "keep.txt", "sub/e.cpp", "sub/f.hpp"]:
            os.makedirs(os.path.dirname(os.path.join(self.dir, "t", rel)), exist_ok=True)
            self.write(os.path.join("t", rel), b"elvis")
        root = os.path.join(self.dir, "t")

        def files(*globs):
            r = self.count(["--per-file"] + list(globs) + [root])
            self.assertIn(r.returncode, (0, 1), r.stderr)
            return sorted(os.path.relpath(l.split(b"\t")[0].decode(), root) for l in r.stdout.splitlines()[:-1])
        self.assertEqual(files("-g", "*.{c,h}"), ["a.c", "b.h"])
        self.assertEqual(files("-g", "*.{c,{h,c}pp}"), ["a.c", "sub/e.cpp", "sub/f.hpp"])
        self.assertEqual(files("--iglob", "*.c"), ["D.C", "a.c"])
        self.assertEqual(files("-g", "!*.txt", "-g", "keep.txt"), ["keep.txt"])  # as rg --files says
        self.assertEqual(files("-g", "keep.txt", "-g", "!*.txt"), [])
        self.assertEqual(files("-g", "*.txt", "-g", "!sub/"), ["c.txt", "keep.txt"])

    def test_special_files_met_while_walking_are_skipped_and_counted(self):
        import json
        import socket
        root = os.path.join(self.dir, "t")
        os.mkdir(root)
        self.write("t/a.txt", b"elvis")
        os.mkfifo(os.path.join(root, "fifo"))
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(os.path.join(root, "sock"))
        try:
            r = self.count([root])
            self.assertEqual((r.returncode, r.stdout, r.stderr), (0, b"elvis\t1\n", b""))
            doc = json.loads(self.count(["--format", "json", root]).stdout)
            self.assertEqual((doc["skipped"], doc["errors"]), ({"special_files": 2}, []))
            r = run(["--in-place", root])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(b"skipped: 2 special (FIFO, socket, device)", r.stderr)
            # Named, a socket stays an error.
            r = self.count([os.path.join(root, "sock")])
            self.assertEqual(r.returncode, 2, r.stderr)
        finally:
            sock.close()

    def test_exit_status(self):
        f = self.write("f", b"nothing here")
        self.assertEqual(self.count([f]).returncode, 1)
        self.assertEqual(self.count([f]).stdout, b"elvis\t0\n")
        self.assertEqual(self.count(["-t", "here", f]).returncode, 0)
        r = self.count([f, os.path.join(self.dir, "missing")])
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"missing: No such file or directory", r.stderr)

    def test_stdin_and_files_from(self):
        self.assertEqual(self.count([], b"elvis elvis").stdout, b"elvis\t2\n")
        self.assertEqual(self.count(["-"], b"elvis").stdout, b"elvis\t1\n")
        a = self.write("a b", b"elvis")
        b = self.write("b", b"elvis elvis")
        lst = self.write("list0", a.encode() + b"\0" + b.encode() + b"\0")
        self.assertEqual(self.count(["--files-from", lst, "-0"]).stdout, b"elvis\t3\n")
        self.assertEqual(self.count(["--files-from", "-"], (a + "\n" + b + "\n").encode()).stdout, b"elvis\t3\n")

    def test_files_from_gets_the_walk_rules(self):
        # Listed paths are read as if met while walking: links not followed (reported), FIFOs
        # not opened, globs applied; --follow follows.
        self.write("outside.txt", b"elvis elvis")
        self.write("in.txt", b"elvis")
        os.symlink(os.path.join(self.dir, "outside.txt"), os.path.join(self.dir, "link.txt"))
        os.mkfifo(os.path.join(self.dir, "fifo"))
        listed = "\n".join(os.path.join(self.dir, p) for p in ["in.txt", "link.txt", "fifo"]).encode()
        r = self.count(["--files-from", "-"], listed)
        self.assertEqual((r.returncode, r.stdout), (2, b"elvis\t1\n"), r.stderr)
        self.assertIn(b"link.txt: a symbolic link on its way; not followed", r.stderr)
        self.assertIn(b"fifo: not a regular file; skipped", r.stderr)
        r = self.count(["--follow", "--glob", "!in.txt", "--files-from", "-"], listed.rsplit(b"\n", 1)[0])
        self.assertEqual((r.returncode, r.stdout), (0, b"elvis\t2\n"), r.stderr)
        # A FIFO listed is not opened with --follow either (it would block).
        r = self.count(["--follow", "--files-from", "-"], os.path.join(self.dir, "fifo").encode())
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"fifo: not a regular file; skipped", r.stderr)
        # A long list holds no descriptor per path while it waits: 300 files under ulimit -n 64.
        many = os.path.join(self.dir, "many")
        os.mkdir(many)
        for i in range(300):
            self.write(f"many/f{i}", b"elvis")

        def limited():
            resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
        listing = "\n".join(os.path.join(many, f"f{i}") for i in range(300)).encode()
        r = self.count(["--files-from", "-"], listing, preexec_fn=limited)
        self.assertEqual((r.returncode, r.stdout), (0, b"elvis\t300\n"), r.stderr[-300:])
        r = run(["--in-place", "--files-from", "-"], listing, preexec_fn=limited)
        self.assertEqual(r.returncode, 0, r.stderr[-300:])

    def test_unreadable_path_list_or_rules_file_is_an_error(self):
        # A read error (a directory, a closed stdin) once read as an empty list: "elvis 0", exit 1.
        for args, shell_tail, message in [
                (["count", "--files-from", self.dir], "", f"{self.dir}: read error: Is a directory"),
                (["count", "--files-from", "-"], "<&-", "(standard input): read error: Bad file descriptor"),
                (["--in-place", "--files-from", self.dir], "", f"{self.dir}: read error: Is a directory"),
                (["--rules", self.dir], "< /dev/null", f"{self.dir}: read error: Is a directory")]:
            with self.subTest(args=args):
                cmd = " ".join(shlex.quote(a) for a in [ELVIS] + args)
                r = subprocess.run(f"exec {cmd} {shell_tail}", shell=True, capture_output=True, timeout=30)
                self.assertEqual((r.returncode, r.stdout), (2, b""), r.stderr)
                self.assertIn(message.encode(), r.stderr)
        rules = b"elvis\tpresley\n"
        self.assertEqual(run(["--rules", "-", "-"], rules).stdout, b"")  # the rules took all of stdin
        self.assertEqual(run(["--rules", "-", self.write("in", b"elvis!")], rules).stdout, b"presley!")

    def test_unreadable_file_as_unprivileged_user(self):
        root = self.make_tree()
        os.unlink(os.path.join(root, "a", "fifo"))
        locked = os.path.join(root, "a", "locked.txt")
        with open(locked, "wb") as f:
            f.write(b"elvis")
        os.chmod(locked, 0)
        for dirpath, dirnames, _ in os.walk(self.dir):
            os.chmod(dirpath, 0o755)
        cmd = [ELVIS, "count", root]
        cmd = unprivileged(cmd)
        r = subprocess.run(cmd, capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stdout, b"elvis\t8\n")
        self.assertIn(b"locked.txt: Permission denied", r.stderr)

    def test_bad_options(self):
        for args, message in [(["-j", "0"], b"--threads: must be at least 1\n"),
                              (["-j", "100000"], b"--threads: must be at most 256\n"),
                              (["-j", "1K"], b"--threads: expected a whole number"),
                              (["--format", "xml"], b"expected tsv or json"), (["-t", ""], b"empty find text"),
                              (["--bogus"], b"unrecognised option"), (["--buffer-size", "0"], b"at least 1"),
                              (["--records", ""], b"needs a tag")]:
            r = self.count(args + [self.dir])
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(message, r.stderr, args)
        self.assertIn(b"Usage: elvis count", run(["help", "count"]).stdout)
        self.assertIn(b"Usage: elvis count", self.count(["--help"]).stdout)

    def test_one_big_file_split_matches_whole(self):
        rng = random.Random(3)
        data = b"".join(rng.choice([b"aa", b"a", b"elvis", b"elvielvis", b" "]) for _ in range(300000))
        path = self.write("big", data)
        expected = self.count(["-j", "1", "-t", "aa", "-t", "elvis", path]).stdout
        for j in ["2", "3", "4"]:
            r = self.count(["-j", j, "--split-threshold", "1K", "-t", "aa", "-t", "elvis", path])
            self.assertEqual(r.stdout, expected, j)

    def test_file_replaced_by_rename_while_counted_is_one_file_or_the_other(self):
        # Editors and --in-place replace a file by rename. Whatever the moment, the count is that
        # of the old file or of the new one, never parts of both (the small-file batch once read
        # the first chunk through one open and the rest through another).
        if "uring" not in self.backends():
            self.skipTest("io_uring refused here")
        versions = {200000: b"elvis " * 200000, 10923: (b"x" * 100 + b"elvis") * 10923}
        masters = [self.write(f"master{n}", data) for n, data in versions.items()]
        tree = os.path.join(self.dir, "tree")
        os.mkdir(tree)
        target = os.path.join(tree, "swapped.txt")
        os.link(masters[0], target)
        stop = threading.Event()

        def swap():
            i = 0
            while not stop.is_set():
                i += 1
                staged = os.path.join(tree, ".staged")
                os.link(masters[i % 2], staged)
                os.rename(staged, target)
        swapper = threading.Thread(target=swap)
        swapper.start()
        try:
            seen = collections.Counter()
            for _ in range(300):
                r = self.count(["-j", "1", "--io=uring", "-t", "elvis", tree])
                self.assertIn(r.returncode, (0, 1), r.stderr)
                seen[r.stdout] += 1
        finally:
            stop.set()
            swapper.join()
        allowed = {f"elvis\t{n}\n".encode() for n in versions}
        self.assertLessEqual(set(seen), allowed, seen)


    def test_files_with_matches_prints_the_paths_with_a_count_and_exits_1_with_none(self):
        root = self.make_tree()
        r = run(["count", "-l", "-t", "president", root])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.decode().splitlines(),
                         [f"{root}/a/b/c/three.rss", f"{root}/a/one.txt", f"{root}/top.txt"])
        r = run(["count", "--files-with-matches", "-t", "president", "--records", "item", root])
        self.assertEqual(r.stdout.decode().splitlines(), [f"{root}/a/b/c/three.rss"])
        r = run(["count", "-l", "-t", "nowhere-to-be-found", root])
        self.assertEqual((r.returncode, r.stdout), (1, b""))
        r = run(["count", "-l", "--format", "json", root])
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"cannot be combined", r.stderr)

    def test_preserve_case_counts_the_variants_under_their_term(self):
        text = b"elvis Elvis ELVIS eLvis <item>Elvis</item><item>ELVIS elvis</item>\n" * 1000
        path = self.write("big.txt", text)
        for extra in [[], ["-j", "2", "--split-threshold", "4K"]]:
            r = run(["count", "--preserve-case", "-t", "elvis", *extra, path])
            self.assertEqual(r.stdout, b"elvis\t6000\n", (extra, r.stderr))
        r = run(["count", "--preserve-case", "-t", "elvis", "--records", "item", "--doc-freq", path])
        self.assertEqual(r.stdout, b"elvis\t2000\t2000\n", r.stderr)  # both items, once each
        r = run(["count", "-t", "elvis", "--records", "item", path])
        self.assertEqual(r.stdout, b"elvis\t1000\n", r.stderr)
        r = run(["count", "-t", "elvis", path])
        self.assertEqual(r.stdout, b"elvis\t2000\n")

    # Each term on its own (grep -oF TERM | wc -l), and --exclusive (what the filter replaces).
    def grep_count(self, data, term, word=False, ignore_case=False):
        """What `grep -oF [-w] [-i] TERM | wc -l` counts: the greedy scan of the term alone."""
        import re
        flags = re.IGNORECASE if ignore_case else 0
        pattern = re.escape(term)
        if word:
            pattern = r"(?<![A-Za-z0-9_])" + pattern + r"(?![A-Za-z0-9_])"
        return len(re.findall(pattern.encode(), data, flags))

    def test_each_term_on_its_own_and_exclusive(self):
        data = b"the vice-president met the president; a dentist\n" * 50
        path = self.write("p.txt", data)
        terms = ["president", "vice-president", "dent"]
        args = [a for t in terms for a in ("-t", t)]
        r = self.count(args + [path])
        self.assertEqual(r.stdout, b"president\t100\nvice-president\t50\ndent\t150\n", r.stderr)
        for t in terms:  # each column is the count of that term alone
            self.assertEqual(self.count(["-t", t, path]).stdout, b"%s\t%d\n" % (t.encode(), self.grep_count(data, t)))
        r = self.count(["--exclusive"] + args + [path])
        self.assertEqual(r.stdout, b"president\t50\nvice-president\t50\ndent\t50\n", r.stderr)
        # A term that overlaps itself: aa twice in aaaaa, as grep -o.
        r = self.count(["-t", "aa", "-t", "a"], b"aaaaa")
        self.assertEqual(r.stdout, b"aa\t2\na\t5\n")
        # -w and -i per term.
        data = b"Elvis-elvis ELVIS_ lvis elvis\n"
        r = self.count(["-w", "-i", "-t", "elvis", "-t", "elvis-elvis", "-t", "lvis"], data)
        self.assertEqual(r.stdout, b"elvis\t3\nelvis-elvis\t1\nlvis\t1\n")

    def test_each_term_random_sets_against_grep(self):
        import random
        rng = random.Random(5)
        stems = ["pre", "sid", "ent", "de", "vi", "ce", "-", " "]
        data = "".join(rng.choice(stems) for _ in range(20000)).encode()
        path = self.write("words.txt", data)
        for n in (3, 40, 400):
            terms = sorted({"".join(rng.choice(stems[:-1]) for _ in range(rng.randint(1, 3))) for _ in range(n)})
            terms_file = self.write("terms-%d.txt" % n, ("\n".join(terms) + "\n").encode())
            for word in (False, True):
                expected = "".join("%s\t%d\n" % (t, self.grep_count(data, t, word)) for t in terms).encode()
                for j in ("1", "2"):
                    r = self.count(["--terms-file", terms_file, "-j", j, "--split-threshold", "1K"] +
                                   (["-w"] if word else []) + [path])
                    self.assertEqual(r.stdout, expected, (n, word, j, r.stderr))

    def test_each_term_in_split_files_and_gzip_ranges(self):
        import gzip
        line = b"elvis king, the vice-president; elvis presley. "
        data = line * 40000
        plain = self.write("big.txt", data)
        members = b"".join(gzip.compress(data[i:i + 50000], 1) for i in range(0, len(data), 50000))
        gz = self.write("big.txt.gz", members)
        args = ["-t", "elvis", "-t", "elvis presley", "-t", "s k", "-t", "president", "-t", "dent"]
        expected = b"".join(b"%s\t%d\n" % (t.encode(), self.grep_count(data, t)) for t in args[1::2])
        for path, extra in ((plain, []), (gz, ["-z"])):
            r = self.count(args + extra + ["-j", "2", "--split-threshold", "64K", "--stats", path])
            self.assertEqual(r.stdout, expected, r.stderr)
            self.assertIn(b"gzip split:" if extra else b"split:", r.stderr)
        # A term that overlaps itself: the file is one stream, the count still each term's own.
        r = self.count(["-t", "elvis", "-t", "lvis elvis", "-j", "2", "--split-threshold", "64K", "--stats", plain])
        self.assertEqual(r.stdout, b"elvis\t%d\nlvis elvis\t0\n" % self.grep_count(data, "elvis"), r.stderr)
        self.assertNotIn(b"split:", r.stderr)

    def test_each_term_records_and_header(self):
        rss = b"<item>the vice-president</item><item>president</item><item>dent</item><item>none</item>"
        r = self.count(["--records", "item", "-t", "president", "-t", "vice-president", "-t", "dent"], rss)
        self.assertEqual(r.stdout, b"president\t2\nvice-president\t1\ndent\t3\n", r.stderr)
        r = self.count(["--records", "item", "--exclusive", "-t", "president", "-t", "vice-president", "-t", "dent"], rss)
        self.assertEqual(r.stdout, b"president\t1\nvice-president\t1\ndent\t1\n", r.stderr)
        # The header says which counting, and merge refuses to add the two up.
        a = self.write("a.tsv", self.count(["--header", "-t", "dent", "--label", "a"], b"dent").stdout)
        b = self.write("b.tsv", self.count(["--header", "--exclusive", "-t", "dent", "--label", "b"], b"dent").stdout)
        self.assertIn(b"\tcounting=each-term\t", self.read(a))
        self.assertIn(b"\tcounting=exclusive\t", self.read(b))
        r = run(["merge", a, b])
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"counting=exclusive", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
