#!/usr/bin/env python3
"""Command-level tests: run the built `elvis` binary the way users do.

Usage: cli_test.py PATH_TO_ELVIS   (run by `meson test`)
"""
import contextlib
import os
import random
import resource
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

ELVIS = None
ELVIS_HOOKED = None  # the same command with test/support/env_hooks.cpp: ELVIS_TEST_* inject failures
BACKENDS = ["posix", "uring"]

REFERENCE_TABLE = [
    ("abc", "abc"), ("elvis", "Elvis"), ("aElvis", "aElvis"), ("abcelvis", "abcElvis"),
    ("eelvis", "eElvis"), ("aelvis", "aElvis"), ("aabeeeelvis", "aabeeeElvis"),
    ("e l v i s", "e l v i s"), ("aa bb e l v i saa", "aa bb e l v i saa"), (" elvi s", " elvi s"),
    ("elvielvis", "elviElvis"), ("elvielvielviselvi1", "elvielviElviselvi1"),
    ("elvielviselvis", "elviElvisElvis"),
]


def uring_available():
    """io_uring is refused by some kernels and sandboxes; those runs skip the uring half."""
    r = subprocess.run([ELVIS, "--io=uring"], input=b"", capture_output=True)
    return r.returncode == 0


def run(args, data=b"", env=None, **kw):
    full_env = dict(os.environ)
    full_env.pop("ELVIS_IO", None)
    if env:
        full_env.update(env)
    hooked = any(name.startswith("ELVIS_TEST_") for name in env or {})
    return subprocess.run([ELVIS_HOOKED if hooked else ELVIS] + args, input=data, capture_output=True, env=full_env,
                          timeout=120, **kw)


def unprivileged(cmd):
    """Runs cmd as nobody when we are root, so that file permissions apply to it."""
    if os.geteuid() == 0:
        return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd
    return cmd


def reference_rewrite(data, pairs):
    out, i = bytearray(), 0
    while i < len(data):
        best = None
        for find, rep in pairs:
            if data.startswith(find, i) and (best is None or len(find) > len(best[0])):
                best = (find, rep)
        if best:
            out += best[1]
            i += len(best[0])
        else:
            out.append(data[i])
            i += 1
    return bytes(out)


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    @contextlib.contextmanager
    def small_tmpfs(self, size, required=True):
        """A directory with a tmpfs of `size` mounted on it, to fill up for real, unmounted on the
        way out. Without root it stays a plain directory (os.path.ismount tells), or the test is
        skipped when `required`."""
        mnt = os.path.join(self.dir, "small-tmpfs")
        os.makedirs(mnt)
        mounted = os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", mnt],
                                                       capture_output=True).returncode == 0
        if not mounted and required:
            self.skipTest("needs root to mount a small tmpfs")
        try:
            yield mnt
        finally:
            if mounted:
                subprocess.run(["umount", mnt])

    @staticmethod
    def read(path):
        with open(path, "rb") as f:
            return f.read()

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def backends(self):
        return BACKENDS if uring_available() else ["posix"]


class FilterBehaviour(Base):
    def test_reference_table_every_backend_and_buffer_size(self):
        for backend in self.backends():
            for size in ["1", "2", "3", "7", "256K"]:
                for inp, expected in REFERENCE_TABLE:
                    r = run([f"--io={backend}", f"--buffer-size={size}"], inp.encode())
                    self.assertEqual(r.returncode, 0, r.stderr)
                    self.assertEqual(r.stdout, expected.encode(), (backend, size, inp))

    def test_concatenated_table_from_file_and_stdin(self):
        data = "".join(i for i, _ in REFERENCE_TABLE).encode()
        expected = "".join(e for _, e in REFERENCE_TABLE).encode()
        path = self.write("in.txt", data)
        for backend in self.backends():
            self.assertEqual(run([f"--io={backend}", path]).stdout, expected)
            self.assertEqual(run([f"--io={backend}", "-"], data).stdout, expected)
            self.assertEqual(run([f"--io={backend}"], data).stdout, expected)

    def test_uring_and_posix_agree_on_random_binary_input(self):
        rng = random.Random(42)
        words = [b"elvis", b"elvi", b"\x00", b"\r\n", b"\xff\xfe", b"Elvis", b"lvis", b"e", b" "]
        data = b"".join(rng.choice(words) for _ in range(200000))
        path = self.write("bin", data)
        pairs = [(b"elvis", b"The King"), (b"\x00\x00", b"")]
        args = ["-f", "elvis", "-r", "The King", "--rules", self.write("rules", b"\\0\\0\t\n")]
        expected = reference_rewrite(data, pairs)
        for backend in self.backends():
            for size in ["1K", "4099", "64K"]:
                r = run([f"--io={backend}", f"--buffer-size={size}"] + args + [path])
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertTrue(r.stdout == expected, (backend, size))

    def test_bytes_pass_through_untouched(self):
        data = b"\x00\x00elvis\r\n\xc3\x28 invalid utf8 \xff no newline at end"
        r = run([], data)
        self.assertEqual(r.stdout, data.replace(b"elvis", b"Elvis"))

    def test_multiple_rules_ignore_case_word(self):
        r = run(["-f", "cat", "-r", "dog", "-f", "category", "-r", "class"], b"cat category cats")
        self.assertEqual(r.stdout, b"dog class dogs")
        r = run(["-i"], b"ELVIS Elvis eLvIs")
        self.assertEqual(r.stdout, b"Elvis Elvis Elvis")
        r = run(["-w"], b"elvis elvises _elvis (elvis)")
        self.assertEqual(r.stdout, b"Elvis elvises _elvis (Elvis)")
        r = run(["-f", "elvis", "-r", ""], b"elvis has left")
        self.assertEqual(r.stdout, b" has left")

    def test_files_are_separate_streams_in_order(self):
        a = self.write("a", b"elv")
        b = self.write("b", b"is elvis")
        self.assertEqual(run([a, b]).stdout, b"elvis Elvis")

    def test_rules_file(self):
        rules = self.write("rules.tsv", b"old_name\tnew_name\r\n\nfoo\tbar\\tbaz\n")
        r = run(["--rules", rules], b"old_name foo")
        self.assertEqual(r.stdout, b"new_name bar\tbaz")
        more = self.write("more.tsv", b"king\tKing\n")
        r = run(["--rules", rules, "-f", "x", "-r", "y", "--rules", more], b"old_name foo king x")
        self.assertEqual((r.returncode, r.stdout), (0, b"new_name bar\tbaz King y"), r.stderr)

    def test_needle_longer_than_buffer(self):
        needle = "a" * 4096
        data = ("x" + needle + "y").encode() * 3
        for backend in self.backends():
            r = run([f"--io={backend}", "--buffer-size=100", "-f", needle, "-r", "B"], data)
            self.assertEqual(r.stdout, b"xBy" * 3)

    def test_option_values_may_look_like_options_or_be_empty(self):
        # As getopt: a value is the next word, whatever it looks like; --replace= is empty.
        line = b"a -w -i y x\n"
        for args, out in [(["-f", "-w", "-r", "X"], b"a X -i y x\n"), (["-f", "-i", "-r", "X"], b"a -w X y x\n"),
                          (["-f", "x", "-r", "-i"], b"a -w -i y -i\n"), (["-f", "y", "--replace="], b"a -w -i  x\n"),
                          (["--find", "-w", "--replace", "--stats"], b"a --stats -i y x\n"),
                          (["--find=-w", "--replace", ""], b"a  -i y x\n")]:
            r = run(args, line)
            self.assertEqual((r.returncode, r.stdout, r.stderr), (0, out, b""), args)
        r = run(["count", "-t", "-i", "-"], line)
        self.assertEqual((r.returncode, r.stdout), (0, b"-i\t1\n"))
        r = run(["-f", "elvis", "-r"], line)  # a value still has to be there
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"the required argument for option '--replace' is missing", r.stderr)
        r = run(["-f", "elvis", "-r", "E", "--", "-f"], line)  # after --, words are files
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"-f: No such file or directory", r.stderr)

    def test_help_and_version(self):
        r = run(["--help"])
        self.assertEqual(r.returncode, 0)
        self.assertIn(b"Usage: elvis", r.stdout)
        self.assertIn(b"--find", r.stdout)
        version = run(["-V"])
        self.assertEqual(version.returncode, 0)
        self.assertRegex(version.stdout.decode(), r"^elvis \d+\.\d+\.\d+\n$")
        for args in (["--version"], ["count", "--version"], ["count", "-V"], ["merge", "--version"], ["merge", "-V"]):
            r = run(args)
            self.assertEqual((r.returncode, r.stdout, r.stderr), (0, version.stdout, b""), args)

    def test_input_file_is_output_file(self):
        # As cat: `elvis big.txt >> big.txt` would read what it writes until the disk is full.
        path = self.write("same.txt", b"elvis\n")
        other = self.write("other.txt", b"elvis other\n")
        with open(path, "ab") as out:
            r = subprocess.run([ELVIS, other, path], stdout=out, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr, f"elvis: {path}: input file is output file\n".encode())
        self.assertEqual(self.read(path), b"elvis\nElvis other\n")
        with open(path, "rb") as inp, open(path, "ab") as out:
            r = subprocess.run([ELVIS], stdin=inp, stdout=out, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual((r.returncode, r.stderr), (2, b"elvis: (standard input): input file is output file\n"))
        self.assertEqual(self.read(path), b"elvis\nElvis other\n")

    def test_stats_report_backend_and_fallback(self):
        r = run(["--stats", "--io=posix"], b"elvis elvis")
        self.assertEqual(r.stdout, b"Elvis Elvis")
        self.assertIn(b"replacements: 2", r.stderr)
        self.assertIn(b"io backend:   posix", r.stderr)
        self.assertIn(b"bytes in:     11", r.stderr)
        for error in ["ENOSYS", "EPERM", "ENOMEM", "EINVAL"]:
            env = {"ELVIS_TEST_URING_ERROR": error}
            quiet = run([], b"elvis", env=env)
            self.assertEqual((quiet.returncode, quiet.stdout, quiet.stderr), (0, b"Elvis", b""))
            loud = run(["--stats"], b"elvis", env=env)
            self.assertIn(b"posix (fallback: io_uring setup failed", loud.stderr)
            forced = run(["--io=uring"], b"elvis", env=env)
            self.assertEqual(forced.returncode, 2)
            self.assertIn(b"io_uring is not available", forced.stderr)

    def test_trace_is_chrome_trace_json(self):
        import json
        trace = os.path.join(self.dir, "trace.json")
        data = self.write("in", b"elvis " * 100000)
        r = run(["--buffer-size", "64K", "--trace", trace, "--stats", data])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"elvis: time:         filter: scan ", r.stderr)
        doc = json.load(open(trace))
        names = {e["name"] for e in doc["traceEvents"]}
        self.assertTrue({"thread_name", "read wait", "scan"} <= names, names)
        spans = [e for e in doc["traceEvents"] if e.get("ph") == "X"]
        self.assertGreaterEqual(len([e for e in spans if e["name"] == "scan"]), 600000 // 65536)
        self.assertTrue(all(e["dur"] >= 0 and e["ts"] >= 0 for e in spans))
        # Refused before any input is read: standard input stays for whoever reads it next.
        r = run(["--trace", os.path.join(self.dir, "no", "such", "dir.json")], b"elvis")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stdout, b"")
        self.assertRegex(r.stderr, rb"^elvis: cannot write the trace .*dir.json: No such file or directory\n$")
        with open(data, "rb") as f:
            r = subprocess.run([ELVIS, "--trace", os.path.join(self.dir, "no", "dir.json"), "-"], stdin=f,
                               capture_output=True)
            self.assertEqual(r.returncode, 2)
            self.assertEqual(f.tell(), 0)
        # Opened once: a FIFO's reader gets the whole trace, not the end of file of an early check.
        fifo = os.path.join(self.dir, "trace.fifo")
        os.mkfifo(fifo)
        with subprocess.Popen(["cat", fifo], stdout=subprocess.PIPE) as reader:
            r = run(["--trace", fifo, data])
            got = reader.communicate(timeout=60)[0]
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("traceEvents", json.loads(got))
        r = run(["--trace", "/dev/full", data])
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"elvis: cannot write the trace /dev/full: No space left on device", r.stderr)

    def test_environment_variable_selects_backend(self):
        r = run(["--stats"], b"x", env={"ELVIS_IO": "posix"})
        self.assertIn(b"io backend:   posix", r.stderr)


class Errors(Base):
    def assert_usage_error(self, args, message):
        r = run(args, b"elvis")
        self.assertEqual(r.returncode, 2, (args, r.stderr))
        self.assertEqual(r.stdout, b"")
        self.assertIn(message.encode(), r.stderr)

    def test_bad_options(self):
        self.assert_usage_error(["-f", "", "-r", "x"], "empty find text")
        self.assert_usage_error(["-f", "a"], "every --find needs a --replace")
        self.assert_usage_error(["-f", "a", "-r", "b", "-r", "c"], "every --find needs a --replace")
        self.assert_usage_error(["--bogus"], "unrecognised option '--bogus'")
        self.assert_usage_error(["--ignorecase"], "did you mean '--ignore-case'?")
        self.assert_usage_error(["--buffer-size", "0"], "must be at least 1")
        self.assert_usage_error(["--buffer-size", "1T"], "unknown suffix")
        self.assert_usage_error(["--buffer-size", "99999999999999999999999"], "too large")
        self.assert_usage_error(["--buffer-size", "65M"], "at most")
        self.assert_usage_error(["--buffer-size", "lots"], "expected a number")
        self.assert_usage_error(["--io", "fast"], "invalid I/O mode")
        self.assert_usage_error(["-f", "a", "-r", "b", "-f", "a", "-r", "c"], "duplicate find text")
        self.assert_usage_error(["--rules", os.path.join(self.dir, "missing.tsv")], "missing.tsv")
        bad = self.write("bad.tsv", b"ok\tfine\nno tab\n")
        self.assert_usage_error(["--rules", bad], "bad.tsv:2: expected FIND<TAB>REPLACE")
        self.assertIn(b"Try 'elvis --help'", run(["--bogus"]).stderr)

    def test_missing_and_unreadable_files_do_not_stop_the_others(self):
        good = self.write("good", b"elvis\n")
        missing = os.path.join(self.dir, "missing")
        r = run([missing, good, self.dir, good])
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stdout, b"Elvis\nElvis\n")
        self.assertIn(f"elvis: {missing}: No such file or directory".encode(), r.stderr)
        self.assertIn(f"elvis: {self.dir}: Is a directory".encode(), r.stderr)
        if os.geteuid() != 0:
            locked = self.write("locked", b"elvis")
            os.chmod(locked, 0)
            r = run([locked, good])
            self.assertEqual((r.returncode, r.stdout), (2, b"Elvis\n"))
            self.assertIn(b"Permission denied", r.stderr)

    def test_permission_denied_as_unprivileged_user(self):
        good = self.write("good", b"elvis\n")
        locked = self.write("locked", b"elvis")
        os.chmod(locked, 0)
        os.chmod(self.dir, 0o755)
        os.chmod(good, 0o644)
        cmd = [ELVIS, locked, good]
        cmd = unprivileged(cmd)
        r = subprocess.run(cmd, capture_output=True, timeout=60)
        self.assertEqual((r.returncode, r.stdout), (2, b"Elvis\n"))
        self.assertIn(f"elvis: {locked}: Permission denied".encode(), r.stderr)

    def test_unreadable_file_as_root_via_directory_read(self):
        # Root can read any mode; a directory read is the portable "cannot read" case.
        r = run([self.dir])
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stdout, b"")

    def test_stdout_full(self):
        with open("/dev/full", "wb") as full:
            r = subprocess.run([ELVIS], input=b"elvis" * 1000, stdout=full, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"elvis: write error: No space left on device", r.stderr)

    def test_full_disk_met_by_the_writer_thread(self):
        # Past the first MiB the output goes through the writer thread: its ENOSPC must still end
        # the run with the message and exit 2, after output that is a correct prefix.
        with self.small_tmpfs("2m") as mnt:
            source = os.path.join(self.dir, "big-in.txt")
            data = b"some text with elvis in it\n" * 300_000  # 8.4 MB
            with open(source, "wb") as f:
                f.write(data)
            target = os.path.join(mnt, "out.txt")
            for backend in self.backends():
                with self.subTest(backend=backend), open(source, "rb") as inp, open(target, "wb") as out:
                    r = subprocess.run([ELVIS, f"--io={backend}"], stdin=inp, stdout=out, stderr=subprocess.PIPE,
                                       timeout=60)
                    self.assertEqual(r.returncode, 2, r.stderr)
                    self.assertIn(b"elvis: write error: No space left on device", r.stderr)
                    with open(target, "rb") as f:
                        written = f.read()
                    self.assertGreater(len(written), 1 << 20)
                    self.assertTrue(data.replace(b"elvis", b"Elvis").startswith(written))

    def test_closed_stdin_or_stdout_is_an_error_not_a_hang(self):
        # With stdin closed, the io_uring ring once took descriptor 0 and elvis read it forever.
        cases = [("<&-", [], b""), ("<&-", ["-"], b""), ("<&-", ["count", "-"], b"elvis\t0\n"),
                 (">&-", [], None), (">&-", ["count", "-"], None)]
        for redirect, args, out in cases:
            for backend in self.backends():
                with self.subTest(redirect=redirect, args=args, backend=backend):
                    argv = " ".join([f"'{ELVIS}'"] + args + [f"--io={backend}"])
                    p = subprocess.run(f"echo elvis | exec {argv} {redirect}", shell=True,
                                       capture_output=True, timeout=30)
                    self.assertEqual(p.returncode, 2, p.stderr)
                    self.assertIn(b"Bad file descriptor", p.stderr)
                    if out is not None:
                        self.assertEqual(p.stdout, out)

    def test_every_command_reports_a_full_disk_on_stdout(self):
        # Help, version, count, merge, --dry-run and --diff once exited 0 into /dev/full.
        tree = os.path.join(self.dir, "t")
        os.mkdir(tree)
        for name in ("a", "b"):
            self.write(os.path.join("t", name), b"elvis\n")
        for args, data in [(["--help"], b""), (["--version"], b""), (["help", "count"], b""),
                           (["count", tree], b""), (["merge"], b"elvis\t1\n"),
                           (["--in-place", "--dry-run", tree], b""),
                           (["--in-place", "--diff", tree], b"")]:
            with self.subTest(args=args), open("/dev/full", "wb") as full:
                r = subprocess.run([ELVIS] + args, input=data, stdout=full, stderr=subprocess.PIPE, timeout=60)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(b"No space left on device", r.stderr)
        with open(os.path.join(tree, "a"), "rb") as f:
            self.assertEqual(f.read(), b"elvis\n")  # previews change nothing

    def test_stdio_output_into_a_closed_pipe_is_quiet(self):
        # With SIGPIPE ignored, merge's table into `head` once ended "write error", exit 2.
        table = self.write("m.tsv", "".join(f"term{i}\t{i}\n" for i in range(200000)).encode())
        p = subprocess.Popen([ELVIS, "merge", table], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             preexec_fn=lambda: signal.signal(signal.SIGPIPE, signal.SIG_IGN))
        self.assertEqual(p.stdout.read(10), b"term0\t0\nte")
        p.stdout.close()
        err = p.stderr.read()
        p.stderr.close()
        self.assertEqual((p.wait(timeout=60), err), (0, b""))

    def test_stdout_closed_early_is_quiet_and_does_not_hang(self):
        big = self.write("big", b"elvis " * 2_000_000)
        for backend in self.backends():
            p = subprocess.run(f"'{ELVIS}' --io={backend} '{big}' | head -c 10", shell=True,
                               capture_output=True, timeout=60)
            self.assertEqual(p.stdout, b"Elvis Elvi")
            self.assertEqual(p.stderr, b"")
            # With SIGPIPE ignored by the parent, EPIPE must be just as quiet.
            p = subprocess.Popen([ELVIS, f"--io={backend}", big], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 preexec_fn=lambda: signal.signal(signal.SIGPIPE, signal.SIG_IGN))
            p.stdout.read(10)
            p.stdout.close()
            err = p.stderr.read()
            p.stderr.close()
            self.assertEqual(p.wait(timeout=60), 141)
            self.assertEqual(err, b"")


class Streaming(Base):
    def test_live_pipe_output_keeps_pace(self):
        """Bytes written to elvis come out before the writer closes the pipe; only a possible
        partial match (a prefix of 'elvis' at the end) is held back."""
        steps = [(b"hello elvis\n", b"hello Elvis\n"), (b"one line", b"one lin"),
                 (b" and elvi", b"e and "), (b"s!", b"Elvis!"), (b" done\n", b" done\n")]
        for backend in self.backends():
            p = subprocess.Popen([ELVIS, f"--io={backend}"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            try:
                for piece, expected in steps:
                    p.stdin.write(piece)
                    p.stdin.flush()
                    got = b""
                    deadline = time.time() + 10
                    while len(got) < len(expected) and time.time() < deadline:
                        ready, _, _ = select.select([p.stdout], [], [], 0.5)
                        if ready:
                            got += os.read(p.stdout.fileno(), 4096)
                    self.assertEqual(got, expected, (backend, piece))
            finally:
                p.stdin.close()
                p.stdout.close()
                p.wait(timeout=10)

    def test_pipes_are_grown_to_a_buffer(self):
        """The filter grows the pipes it reads and writes to 256 KiB (fewer wake-ups), count the
        pipe it reads; a larger pipe is never shrunk, and a pipe on stdin is left alone when
        elvis reads files instead."""
        import fcntl
        grown = 256 << 10
        with open("/proc/sys/fs/pipe-max-size") as f:
            if int(f.read()) < 1 << 20:
                self.skipTest("pipe-max-size below 1 MiB")
        path = self.write("f", b"elvis\n")
        for args, before in (([], None), ([path], None), ([], 1 << 20)):
            in_r, in_w = os.pipe()
            out_r, out_w = os.pipe()
            if before:
                fcntl.fcntl(out_w, fcntl.F_SETPIPE_SZ, before)
            after = max(fcntl.fcntl(out_w, fcntl.F_GETPIPE_SZ), grown)  # the default may be larger
            p = subprocess.Popen([ELVIS] + args, stdin=in_r, stdout=out_w)
            os.close(in_r)
            os.close(out_w)
            if not args:  # (with a FILE, elvis may be gone before a write to stdin: EPIPE)
                os.write(in_w, b"elvis\n")
            os.close(in_w)
            self.assertEqual(os.read(out_r, 100), b"Elvis\n")
            # Both ends share one pipe: the read end shows the size elvis set on the write end.
            self.assertEqual(fcntl.fcntl(out_r, fcntl.F_GETPIPE_SZ), after, (args, before))
            self.assertEqual(p.wait(timeout=30), 0)
            os.close(out_r)
        # stdin: elvis's own view of it is gone; check through /proc while it waits for input.
        for args, stdin_grown in (([], True), ([path, "-"], True), ([path], False),
                                  (["count"], True), (["count", path], False)):
            in_r, in_w = os.pipe()
            initial = fcntl.fcntl(in_w, fcntl.F_GETPIPE_SZ)
            p = subprocess.Popen([ELVIS] + args, stdin=in_r, stdout=subprocess.DEVNULL)
            os.close(in_r)
            deadline = time.time() + 10
            size = fcntl.fcntl(in_w, fcntl.F_GETPIPE_SZ)
            while stdin_grown and size < grown and time.time() < deadline:
                time.sleep(0.02)
                size = fcntl.fcntl(in_w, fcntl.F_GETPIPE_SZ)
            if not stdin_grown:
                self.assertEqual(p.wait(timeout=30), 0)  # read its file and ended without stdin
                size = fcntl.fcntl(in_w, fcntl.F_GETPIPE_SZ)
            os.close(in_w)
            p.wait(timeout=30)
            self.assertEqual(size, max(initial, grown) if stdin_grown else initial, args)

    def test_one_byte_at_a_time_through_a_slow_pipe(self):
        data = b"xx elvielvis eelvis\nelvis"
        for backend in self.backends():
            p = subprocess.Popen([ELVIS, f"--io={backend}"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            for i in range(len(data)):
                p.stdin.write(data[i:i + 1])
                p.stdin.flush()
                time.sleep(0.002)
            p.stdin.close()
            self.assertEqual(p.stdout.read(), reference_rewrite(data, [(b"elvis", b"Elvis")]))
            p.stdout.close()
            self.assertEqual(p.wait(), 0)

    def test_memory_stays_bounded_without_newlines(self):
        """256 MiB with no newline must not grow memory: the bound is independent of input size."""
        size = 256 << 20
        for backend in self.backends():
            gen = subprocess.Popen(["sh", "-c", f"head -c {size} /dev/zero | tr '\\000' 'e'"], stdout=subprocess.PIPE)
            p = subprocess.Popen([ELVIS, f"--io={backend}"], stdin=gen.stdout, stdout=subprocess.PIPE)
            gen.stdout.close()
            total, peak_kib = 0, 0
            while True:
                chunk = p.stdout.read(1 << 20)
                if not chunk:
                    break
                total += len(chunk)
                # VmHWM is the peak RSS of this program image (ru_maxrss would include the forked parent).
                try:
                    with open(f"/proc/{p.pid}/status") as status:
                        for line in status:
                            if line.startswith("VmHWM:"):
                                peak_kib = max(peak_kib, int(line.split()[1]))
                except OSError:
                    pass
            self.assertEqual(p.wait(), 0)
            gen.wait()
            self.assertEqual(total, size)
            self.assertGreater(peak_kib, 0)
            if not os.environ.get("ELVIS_SANITIZED"):  # ASan's shadow memory is not ours
                self.assertLess(peak_kib, 16 * 1024, f"peak RSS in KiB ({backend})")

    def test_hostile_sizes(self):
        # Around one buffer: the filter's default (1 MiB) and --in-place's (256 KiB), file and pipe.
        for n in [0, 1, 262143, 262144, 262145, 1048575, 1048576, 1048577]:
            data = (b"elvis" * (n // 5 + 1))[:n]
            expected = data.replace(b"elvis", b"Elvis")
            r = run([], data)
            self.assertEqual(r.stdout, expected, n)
            r = run([self.write("sized", data)])
            self.assertEqual(r.stdout, expected, n)
        r = subprocess.run(f"head -c 1000000 /dev/zero | '{ELVIS}' | cmp - /dev/zero -n 1000000",
                           shell=True, capture_output=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_many_rules(self):
        pairs = [(f"word{i}x".encode(), f"W{i}".encode()) for i in range(10000)]
        rules = self.write("many.tsv", b"".join(f + b"\t" + r + b"\n" for f, r in pairs))
        data = b" ".join(f for f, _ in pairs[::7]) + b" word5 word12x"
        r = run(["--rules", rules], data)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, reference_rewrite(data, pairs))

    def test_pathological_needle_stays_linear(self):
        needle = "a" * 4095 + "b"
        data = self.write("aaaa", b"a" * (32 << 20))
        start = time.time()
        r = run(["-f", needle, "-r", "X", "--stats", data])
        elapsed = time.time() - start
        self.assertEqual(len(r.stdout), 32 << 20)
        # Quadratic work would be ~2**37 byte comparisons: minutes, not seconds.
        self.assertLess(elapsed, 30)
        sys.stderr.write(f"\n  pathological a..ab needle over 32 MiB of 'a': "
                         f"{(32 << 20) / elapsed / 1e6:.0f} MB/s\n")
        # With a short needle too, the long one runs on past every `aaa` match; the scan once
        # went back to read it again after each: 32 MiB / 3 * 4096 steps, minutes again.
        start = time.time()
        r = run(["count", "-t", needle, "-t", "aaa", data])
        elapsed = time.time() - start
        self.assertEqual(r.stdout, f"{needle}\t0\naaa\t{(32 << 20) // 3}\n".encode())
        self.assertLess(elapsed, 30)
        sys.stderr.write(f"  the same with aaa as well: {(32 << 20) / elapsed / 1e6:.0f} MB/s\n")
        # 1000 needles that are suffixes of each other: keeping every match seen would cost
        # 1000 steps a byte; past a few per byte the scanner reads the bytes again instead.
        rules = self.write("nested.tsv", "".join("a" * k + "\tX\n" for k in range(1, 1001)).encode())
        data = self.write("a16", b"a" * (16 << 20))
        start = time.time()
        r = run(["--rules", rules, data])
        elapsed = time.time() - start
        self.assertEqual(r.stdout, b"X" * ((16 << 20) // 1000 + 1))
        self.assertLess(elapsed, 30)
        sys.stderr.write(f"  1000 nested needles over 16 MiB of 'a': {(16 << 20) / elapsed / 1e6:.0f} MB/s\n")


class LargeFileToFile(Base):
    """A regular file of 64 MiB or more into a regular file, with same-length rules: its ranges
    are rewritten on every core at once, and the output must still be the one stream's rewrite."""

    SIZE = (64 << 20) + 12345

    @classmethod
    def setUpClass(cls):
        # Matches everywhere, chains of partial ones among them, so one crosses any cut.
        unit = b"elvielvis eelvis ELVIS x_elvis elvis_ Elvis elvis\n"
        cls.data = (unit * (cls.SIZE // len(unit) + 1))[:cls.SIZE]

    def big(self):
        return self.write("big.txt", self.data)

    def test_output_is_the_streams_rewrite(self):
        import re
        path = self.big()
        word = rb"(?<![A-Za-z0-9_])elvis(?![A-Za-z0-9_])"
        # No "elvis" can overlap an "eelvis" that starts later, so replacing one after the other
        # is leftmost-longest.
        two = self.data.replace(b"eelvis", b"EELVIS")
        cases = (([], *re.subn(rb"elvis", b"Elvis", self.data)), (["-w"], *re.subn(word, b"Elvis", self.data)),
                 (["-i"], *re.subn(rb"(?i)elvis", b"Elvis", self.data)),
                 (["-f", "elvis", "-r", "ELVIS", "-f", "eelvis", "-r", "EELVIS"],
                  two.replace(b"elvis", b"ELVIS"), self.data.count(b"eelvis") + two.count(b"elvis")))
        for args, want, count in cases:
            for backend in self.backends() if not args else ["uring" if "uring" in self.backends() else "posix"]:
                with self.subTest(args=args, backend=backend), open(path, "rb") as inp, \
                        open(os.path.join(self.dir, "out"), "wb") as out:
                    r = subprocess.run([ELVIS, f"--io={backend}", "--stats"] + args, stdin=inp, stdout=out,
                                       stderr=subprocess.PIPE, timeout=120)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    self.assertEqual(self.read(os.path.join(self.dir, "out")), want)
                    self.assertIn(b"elvis: replacements: %d\n" % count, r.stderr)
                    if (os.cpu_count() or 1) > 1:
                        self.assertIn(b"range 2/", r.stderr)  # it did take the ranges
                        # ... and the streaming thread had nothing to scan
                        self.assertIn(b"filter: scan 0.0 ms", r.stderr)

    def test_rules_that_extend_each_other_at_the_cuts(self):
        """Where a match crosses a cut, the next range is rescanned until both scans agree; here
        they agree on a match that is only decided in the rescan's second chunk (abcd might have
        followed), and the range's own rewrite of the bytes after it must survive."""
        n = min(4, len(os.sched_getaffinity(0)))
        if n < 2:
            self.skipTest("one CPU: no ranges")
        for buffer_args, chunk in (([], 192 << 10), (["--buffer-size", "256K"], 256 << 10)):
            with self.subTest(chunk=chunk):
                data = bytearray(b"." * self.SIZE)
                want = bytearray(data)
                for k in range(1, n):
                    cut = self.SIZE * k // n
                    data[cut - 1:cut + 2], want[cut - 1:cut + 2] = b"qqq", b"123"
                    c = cut + 2 + chunk - 1  # the last byte of the rescan's first chunk
                    data[c - 2:c + 2], want[c - 2:c + 2] = b"abcx", b"XYUV"
                path = self.write("cuts.txt", bytes(data))
                out_path = os.path.join(self.dir, "out")
                with open(path, "rb") as inp, open(out_path, "wb") as out:
                    r = subprocess.run([ELVIS, "--stats"] + buffer_args +
                                       ["-f", "qqq", "-r", "123", "-f", "ab", "-r", "XY", "-f", "abcd", "-r", "PQRS",
                                        "-f", "cx", "-r", "UV"],
                                       stdin=inp, stdout=out, stderr=subprocess.PIPE, timeout=120)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn(b"range 2/", r.stderr)
                self.assertIn(b"elvis: replacements: %d\n" % (3 * (n - 1)), r.stderr)
                got = self.read(out_path)
                self.assertEqual(len(got), len(want))
                self.assertTrue(got == want, [i for i in range(len(want)) if got[i] != want[i]][:10])

    def test_positions_and_several_files(self):
        """Standard input read from an offset, output after what is already there, and several
        FILEs: the same bytes as streaming them, and the input's offset ends at its end."""
        path = self.big()
        small = self.write("small.txt", b"one elvis\n")
        out_path = os.path.join(self.dir, "out")
        with open(path, "rb") as inp, open(out_path, "wb") as out:
            out.write(b"header\n")
            out.flush()
            os.lseek(inp.fileno(), 1001, os.SEEK_SET)
            r = subprocess.run([ELVIS, small, "-", small], stdin=inp, stdout=out, stderr=subprocess.PIPE, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(os.lseek(inp.fileno(), 0, os.SEEK_CUR), self.SIZE)
            self.assertEqual(os.lseek(out.fileno(), 0, os.SEEK_CUR), 7 + 10 + self.SIZE - 1001 + 10)
        self.assertEqual(self.read(out_path), b"header\none Elvis\n" + self.data[1001:].replace(b"elvis", b"Elvis")
                         + b"one Elvis\n")
        # Appending (>>) cannot take offsets: streamed, with the same result.
        with open(path, "rb") as inp, open(out_path, "ab") as out:
            r = subprocess.run([ELVIS], stdin=inp, stdout=out, stderr=subprocess.PIPE, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(self.read(out_path)), 7 + 10 + self.SIZE - 1001 + 10 + self.SIZE)

    def test_write_errors_are_reported(self):
        path = self.big()
        with open(path, "rb") as inp, open(os.path.join(self.dir, "out"), "wb") as out:
            r = subprocess.run([ELVIS_HOOKED], stdin=inp, stdout=out, stderr=subprocess.PIPE, timeout=120,
                               env=dict(os.environ, ELVIS_TEST_WRITE_ERROR="ENOSPC"))
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr, b"elvis: write error: No space left on device\n")
        # The shipped command has no such hooks.
        r = subprocess.run([ELVIS], input=b"elvis", capture_output=True, timeout=120,
                           env=dict(os.environ, ELVIS_TEST_WRITE_ERROR="ENOSPC", ELVIS_TEST_URING_ERROR="ENOSYS"))
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, b"Elvis", b""))

    def test_a_real_full_disk(self):
        with self.small_tmpfs("8m") as mnt:
            path = self.big()
            with open(path, "rb") as inp, open(os.path.join(mnt, "out"), "wb") as out:
                r = subprocess.run([ELVIS], stdin=inp, stdout=out, stderr=subprocess.PIPE, timeout=120)
            self.assertEqual(r.returncode, 2)
            self.assertIn(b"elvis: write error: No space left on device", r.stderr)
            # Ranges written in part would leave holes (NUL bytes) between them: taken back.
            self.assertEqual(os.path.getsize(os.path.join(mnt, "out")), 0)


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
        # FIFO is reported (exit 2); symlinks are not followed; hidden and .git skipped.
        self.assertEqual(r.stdout, b"elvis\t8\npresident\t3\n")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"fifo: not a regular file", r.stderr)

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
        self.assertEqual(len(doc["errors"]), 1)
        self.assertTrue(doc["errors"][0]["path"].endswith("fifo"))
        self.assertEqual([f["path"] for f in doc["files"]], sorted(f["path"] for f in doc["files"]))

    def test_json_is_utf8_and_gives_back_any_bytes(self):
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
        self.assertEqual(sorted(os.fsencode(f["path"]) for f in doc["files"]), sorted(paths))
        self.assertEqual([os.fsencode(t["term"]) for t in doc["terms"]], [b"elvis", b"\xff\xfe"])
        self.assertEqual([t["count"] for t in doc["terms"]], [len(names)] * 2)
        self.assertIn("utf8-\u00e9.txt".encode(), r.stdout)  # well-formed UTF-8 is kept as it is

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
        self.assertEqual(r.returncode, 2, r.stderr)  # the FIFO is reported
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
        self.assertIn(b"fifo: not a regular file", r.stderr)
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
        # Without diff(1) each change is reported as not shown, and nothing is written.
        r = run(["--in-place", "--diff", plain], env={"PATH": os.path.join(self.dir, "no-bin")})
        self.assertEqual((r.returncode, r.stdout), (2, b""))
        self.assertIn(f"elvis: {plain}: cannot run diff to show the change\n".encode(), r.stderr)
        r = run(["--in-place", "--diff", plain])
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

    def test_backup_never_overwrites_an_existing_file(self):
        # echo precious > a.orig; elvis --in-place --backup .orig a: a is left alone, a.orig kept.
        a = self.write("a", b"elvis old\n")
        self.write("a.orig", b"precious\n")
        before = os.stat(a)
        for dry in ([], ["--dry-run"]):
            r = run(["--in-place", "--backup", ".orig"] + dry + [a])
            self.assertEqual(r.returncode, 2, dry)
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
                              (["--in-place", "--stats", "x"], b"not to --in-place"),
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

    def make_batch(self, n=150, size=100_000):
        root = os.path.join(self.dir, "batch")
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

    def test_sigkill_at_random_moments(self):
        rng = random.Random(8)
        for attempt in range(5):
            root, original, rewritten = self.make_batch()
            p = subprocess.Popen([ELVIS, "--in-place", "-f", "elvis", "-r", "The King", root],
                                 stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.0, 0.3))
            p.kill()
            p.wait()
            self.assert_each_file_whole(root, original, rewritten)
            subprocess.run(["rm", "-rf", root])

    def test_sigint_and_sigterm_remove_temporaries(self):
        for sig, status in [(signal.SIGINT, 130), (signal.SIGTERM, 143)]:
            root, original, rewritten = self.make_batch(n=400)
            p = subprocess.Popen([ELVIS, "--in-place", "-j", "2", "-f", "elvis", "-r", "The King", root],
                                 stderr=subprocess.PIPE)
            time.sleep(0.15)
            p.send_signal(sig)
            _, err = p.communicate(timeout=60)
            if p.returncode == 0:
                continue  # finished before the signal: nothing to check
            self.assertEqual(p.returncode, status, err)
            self.assert_no_temporaries(root)
            self.assert_each_file_whole(root, original, rewritten)
            subprocess.run(["rm", "-rf", root])


def fnv1a64(data):
    """The shard hash, as docs/scale-out.md documents it."""
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


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


class ScaleOut(Base):
    """count --shard, merge, and -z/--decompress: the scale-out issue's promises."""
    TERMS = ["-t", "elvis", "-t", "president", "-t", "king"]

    def make_corpus(self, n=50):
        """n files in nested directories (one name with a space), some with no match at all."""
        rng = random.Random(1956)
        root = os.path.join(self.dir, "corpus")
        words = [b"elvis", b"president", b"king", b"the", b"elvielvis", b"kingking", b"\n", b"Elvis", b"a"]
        paths = []
        for i in range(n):
            sub = os.path.join(root, f"d{i % 4}", f"e{i % 3}")
            os.makedirs(sub, exist_ok=True)
            path = os.path.join(sub, f"f {i}.txt" if i == 7 else f"f{i}.txt")
            with open(path, "wb") as f:
                f.write(b"none" if i % 10 == 3 else b" ".join(rng.choice(words) for _ in range(rng.randrange(1, 400))))
            paths.append(path)
        return root, paths

    def count(self, args, data=b""):
        return run(["count"] + args, data)

    def merge(self, args, data=b""):
        return run(["merge"] + args, data)

    def test_shards_1_to_5_merged_equal_one_count(self):
        root, paths = self.make_corpus()
        for extra in [[], ["--per-file"], ["--doc-freq"], ["-j", "1", "-w"]]:
            whole = self.count(self.TERMS + extra + [root])
            self.assertEqual(whole.returncode, 0, whole.stderr)
            for n in range(1, 6):
                outputs = []
                for i in range(1, n + 1):
                    r = self.count(self.TERMS + extra + ["--shard", f"{i}/{n}", root])
                    self.assertIn(r.returncode, (0, 1), r.stderr)
                    self.assertEqual(r.stderr, b"")
                    outputs.append(self.write(f"shard-{n}-{i}.tsv", r.stdout))
                m = self.merge(outputs)
                self.assertEqual(m.returncode, 0, m.stderr)
                self.assertEqual(m.stdout, whole.stdout, (extra, n))
                # All outputs in one stream, in another order: the same.
                joined = b"".join(self.read(o) for o in reversed(outputs))
                self.assertEqual(self.merge([], joined).stdout, whole.stdout, (extra, n))
                self.assertEqual(self.merge(["-"], joined).stdout, whole.stdout, (extra, n))

    def test_shards_are_disjoint_complete_and_follow_the_documented_hash(self):
        import json
        root, paths = self.make_corpus()
        lst = self.write("list", b"".join(p.encode() + b"\n" for p in paths))
        for n in range(1, 6):
            seen = []
            searched = 0
            for i in range(1, n + 1):
                for source in (["--files-from", lst], [root]):
                    r = self.count(["-t", "e", "--per-file", "--format", "json", "--shard", f"{i}/{n}"] + source)
                    doc = json.loads(r.stdout)
                    files = [f["path"] for f in doc["files"]]
                    self.assertEqual(files, [p for p in sorted(paths) if fnv1a64(p.encode()) % n == i - 1], (n, i))
                    if source[0] == root:
                        seen += files
                        searched += doc["files_searched"]
            self.assertEqual(sorted(seen), sorted(paths))
            self.assertEqual(searched, len(paths))

    def test_xargs_and_gnu_parallel_drive_count_and_merge(self):
        root, paths = self.make_corpus()
        whole = self.count(self.TERMS + ["--per-file", root])
        e, terms, r = shlex.quote(ELVIS), " ".join(self.TERMS), shlex.quote(root)
        # Only the merged output is checked: xargs exits 123 when a batch has no match (count exits 1).
        commands = [f"find {r} -type f -print0 | xargs -0 -P 2 -n 7 {e} count {terms} --per-file -j 1 | {e} merge"]
        if shutil.which("parallel"):
            commands.append(f"find {r} -type f | parallel --will-cite -S : -j 2 -X -n 9 "
                            f"{e} count {terms} --per-file -j 1 | {e} merge")
            # The recipes of docs/scale-out.md, on the local host: a shard per job slot over a
            # shared file list; a file per job (--transferfile is a no-op locally); each job's
            # output in a file, merged at the end.
            lst = self.write("files.txt", b"".join(os.path.relpath(p, self.dir).encode() + b"\n" for p in paths))
            wd = shlex.quote(self.dir)
            commands.append(f"seq 1 3 | parallel --will-cite -S 2/: --workdir {wd} "
                            f"'{e} count --files-from {shlex.quote(lst)} --shard {{}}/3 {terms} --per-file; test $? -le 1' "
                            f"| {e} merge | sed 's|^corpus/|{self.dir}/corpus/|'")
            commands.append(f"find {r} -type f | parallel --will-cite -S 2/: --transferfile {{}} --cleanup "
                            f"'{e} count -j1 {terms} --per-file {{}}; test $? -le 1' | {e} merge")
            out = shlex.quote(os.path.join(self.dir, "parts"))
            commands.append(f"mkdir -p {out} && seq 1 4 | parallel --will-cite -S : -j 2 --joblog {out}/jobs.log "
                            f"'{e} count {terms} --per-file --shard {{}}/4 {r} > {out}/{{}}.tsv; test $? -le 1' "
                            f"&& {e} merge {out}/*.tsv")
        else:
            print("(GNU parallel not installed: only xargs -P tested)", file=sys.stderr)
        for command in commands:
            p = subprocess.run(["bash", "-c", command], capture_output=True, timeout=300,
                               env={k: v for k, v in os.environ.items() if k != "ELVIS_IO"})
            self.assertEqual(p.stdout, whole.stdout, (command, p.stderr))
            self.assertNotIn(b"elvis:", p.stderr, command)

    def corpus_bytes(self):
        rng = random.Random(77)
        return b"".join(rng.choice([b"elvis ", b"the king ", b"elvi", b"s\n", b"president "]) for _ in range(60000))

    def test_gzip_round_trip_count_and_filter(self):
        import gzip
        data = self.corpus_bytes()
        plain = self.write("plain.txt", data)
        gz = self.write("data.txt.gz", gzip.compress(data))
        sniffed = self.write("gzip-without-suffix", gzip.compress(data, 1))
        expected_count = self.count(self.TERMS + [plain]).stdout
        expected_filter = run([plain]).stdout
        self.assertEqual(expected_filter, data.replace(b"elvis", b"Elvis"))
        for backend in self.backends():
            for size in ["7", "256K"]:
                io = [f"--io={backend}", f"--buffer-size={size}"]
                for path in (gz, sniffed):
                    self.assertEqual(self.count(io + ["-z"] + self.TERMS + [path]).stdout, expected_count)
                    self.assertEqual(self.count(io + ["--decompress", "-j", "2", "--split-threshold", "1K"] + self.TERMS + [path]).stdout,
                                     expected_count)
                    self.assertEqual(run(io + ["-z", path]).stdout, expected_filter)
                self.assertEqual(self.count(io + ["-z"] + self.TERMS, gzip.compress(data)).stdout, expected_count)
                self.assertEqual(run(io + ["-z"], gzip.compress(data)).stdout, expected_filter)
                self.assertEqual(run(io + ["--decompress", "-", plain], gzip.compress(data)).stdout, expected_filter * 2)
                # Plain input is read as it is with -z.
                self.assertEqual(self.count(io + ["-z"] + self.TERMS + [plain]).stdout, expected_count)
                self.assertEqual(run(io + ["-z", plain]).stdout, expected_filter)
        # Without -z, compressed bytes are counted as they are.
        self.assertEqual(self.count([gz]).stdout, b"elvis\t0\n")

    def test_gzip_tree_matches_the_plain_tree(self):
        import gzip
        root, paths = self.make_corpus(20)
        plain = self.count(self.TERMS + [root]).stdout
        for i, path in enumerate(paths):
            with open(path, "rb") as f:
                data = f.read()
            os.unlink(path)
            with open(path + ".gz" if i % 2 else path, "wb") as f:  # half with the suffix, half sniffed
                f.write(gzip.compress(data))
        for backend in self.backends():
            r = self.count([f"--io={backend}", "-z"] + self.TERMS + [root])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, plain)

    def test_multi_member_gzip_is_one_stream(self):
        import gzip
        # "elv" ends one member and "is" begins the next: one stream, so one match.
        parts = [b"elvis and elv", b"is then ", b"", b"elvis"]
        path = self.write("multi.gz", b"".join(gzip.compress(p) for p in parts))
        self.assertEqual(self.count(["-z", path]).stdout, b"elvis\t3\n")
        self.assertEqual(run(["-z", path]).stdout, b"Elvis and Elvis then Elvis")
        self.assertEqual(run(["-z", "--buffer-size", "1", path]).stdout, b"Elvis and Elvis then Elvis")
        # What gzip itself makes from concatenated files, read by Python's decompressor too.
        self.assertEqual(gzip.decompress(self.read(path)), b"".join(parts))

    def test_corrupt_and_truncated_gzip_name_the_file(self):
        import gzip
        data = self.corpus_bytes()
        packed = gzip.compress(data)
        corrupt = bytearray(packed)
        for at in range(len(packed) // 2, len(packed) // 2 + 8):
            corrupt[at] ^= 0x55
        cases = [("corrupt.gz", bytes(corrupt), b"invalid gzip data"),
                 ("truncated.gz", packed[: len(packed) // 2], b"truncated gzip data"),
                 ("not-gzip.gz", b"elvis in plain text", b"invalid gzip data: incorrect header check"),
                 ("sniffed-truncated", packed[:100], b"truncated gzip data"),
                 ("bad-crc.gz", packed[:-8] + bytes([packed[-8] ^ 1]) + packed[-7:], b"invalid gzip data: incorrect data check")]
        good = self.write("good.txt.gz", gzip.compress(b"elvis"))
        for name, content, message in cases:
            path = self.write(name, content)
            for backend in self.backends():
                r = self.count([f"--io={backend}", "-z", path, good])
                self.assertEqual(r.returncode, 2, name)
                self.assertIn(b"elvis: " + path.encode() + b": " + message, r.stderr, name)
                self.assertEqual(r.stderr.count(b"\n"), 1, r.stderr)
                r = run([f"--io={backend}", "-z", path, good])
                self.assertEqual(r.returncode, 2, name)
                self.assertIn(b"elvis: " + path.encode() + b": " + message, r.stderr, name)
                self.assertTrue(r.stdout.endswith(b"Elvis"), name)  # the next file is still processed
            # In a walked tree too.
            r = self.count(["-z", self.dir])
            self.assertEqual(r.returncode, 2)
            self.assertIn(b": " + message, r.stderr)
            os.unlink(path)
        r = run(["-z"], packed[:50])
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"elvis: (standard input): truncated gzip data", r.stderr)
        r = self.count(["-z"], packed[:50])
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"elvis: (standard input): truncated gzip data", r.stderr)

    def test_merge_rejects_malformed_input_with_file_and_line(self):
        good = self.write("good.tsv", b"elvis\t3\nking\t1\n")
        for content, message in [(b"elvis\t3\nking\tmany\n", b"bad.tsv:2: COUNT 'many' is not a non-negative decimal integer"),
                                 (b"elvis\t-1\n", b"bad.tsv:1: COUNT '-1' is not a non-negative decimal integer"),
                                 (b"elvis 3\n", b"bad.tsv:1: no tab"),
                                 (b"elvis\t3\n\n", b"bad.tsv:2: empty line"),
                                 (b"a\tb\tc\td\n", b"bad.tsv:1: too many fields"),
                                 (b"elvis\t18446744073709551615\n", b"bad.tsv:1: the total COUNT of 'elvis' overflows 64 bits"),
                                 (b"elvis\t1\t1\n", b"bad.tsv:1: TERM<TAB>COUNT<TAB>DOCS line, but the totals line at "),
                                 (b"elvis\t1\nelvis\t2\t1\n", b"bad.tsv:2: PATH<TAB>TERM<TAB>COUNT line for the term '2'")]:
            bad = self.write("bad.tsv", content)
            r = self.merge([good, bad])
            self.assertEqual(r.returncode, 2, content)
            self.assertEqual(r.stdout, b"", content)
            self.assertTrue(r.stderr.startswith(b"elvis: " + os.path.join(self.dir, "").encode() + message), (content, r.stderr))
        r = self.merge([good, "-"], b"elvis\t1\nelvis\tx\n")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"elvis: (standard input):2: COUNT 'x'", r.stderr)
        r = self.merge([good, os.path.join(self.dir, "missing")])
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"missing: No such file or directory", r.stderr)
        r = self.merge([self.dir])
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"Is a directory", r.stderr)

    def test_merge_sums_doc_freq_and_per_file(self):
        a = self.write("a.tsv", b"elvis\t3\t2\nking\t0\t0\n")
        b = self.write("b.tsv", b"elvis\t1\t1\nking\t5\t1\n")
        self.assertEqual(self.merge([a, b]).stdout, b"elvis\t4\t3\nking\t5\t1\n")
        c = self.write("c.tsv", b"z\telvis\t1\nelvis\t1\n")
        d = self.write("d.tsv", b"a\telvis\t2\nz\telvis\t4\nelvis\t6\n")
        self.assertEqual(self.merge([c, d]).stdout, b"a\telvis\t2\nz\telvis\t5\nelvis\t7\n")
        self.assertEqual(self.merge([]).stdout, b"")  # empty standard input

    def test_usage(self):
        self.assertIn(b"Usage: elvis merge", self.merge(["--help"]).stdout)
        r = self.merge(["--bogus"])
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"unrecognised option '--bogus'", r.stderr)
        self.assertIn(b"--shard I/N", self.count(["--help"]).stdout)
        self.assertIn(b"--decompress", run(["--help"]).stdout)
        for shard, message in [("0/3", b"numbered from 1"), ("4/3", b"between 1 and N"), ("1/0", b"at least 1"),
                               ("x", b"expected I/N"), ("1/3/", b"expected I/N")]:
            r = self.count(["--shard", shard, self.dir])
            self.assertEqual(r.returncode, 2, shard)
            self.assertIn(b"invalid shard '" + shard.encode() + b"'", r.stderr)
            self.assertIn(message, r.stderr, shard)
        r = self.count(["--per-file", "--doc-freq", self.dir])
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"cannot be combined in tsv output", r.stderr)
        self.assertEqual(self.count(["--per-file", "--doc-freq", "--format", "json", self.dir]).returncode, 1)
        r = run(["-z", "--in-place", self.dir])
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"--decompress cannot be combined with --in-place", r.stderr)


if __name__ == "__main__":
    ELVIS = os.path.abspath(sys.argv.pop(1))
    ELVIS_HOOKED = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
