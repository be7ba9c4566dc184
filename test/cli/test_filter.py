#!/usr/bin/env python3
"""The filter as users run it: rewriting, errors, streaming through pipes, large files."""
from support import *  # noqa: F401,F403 (the binaries, run(), Base, the reference)


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
        # A byte order mark and '#' comment lines; \x23 for a find text that starts with '#';
        # rules from standard input, the input from a file.
        commented = self.write("c.tsv", b"\xef\xbb\xbf# renames\nold\tnew\n\\x23tag\tTAG\n")
        r = run(["--rules", commented], b"old #tag # renames")
        self.assertEqual((r.returncode, r.stdout), (0, b"new TAG # renames"), r.stderr)
        r = run(["--rules", "-", self.write("in.txt", b"old")], b"old\tnew\n")
        self.assertEqual((r.returncode, r.stdout), (0, b"new"), r.stderr)

    def test_escapes_on_the_command_line(self):
        r = run(["-E", "-f", "a\\x00b", "-r", "line\\nbreak"], b"a\x00b a\\x00b")
        self.assertEqual((r.returncode, r.stdout), (0, b"line\nbreak a\\x00b"), r.stderr)
        r = run(["-f", "a\\n", "-r", "x"], b"a\\n")  # without -E, the text as it is
        self.assertEqual(r.stdout, b"x")
        r = run(["-E", "-f", "a\\q", "-r", "x"], b"")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"unknown escape", r.stderr)

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
        tabs = self.write("tabs.tsv", b"a\tb\tc\n")
        self.assert_usage_error(["--rules", tabs], "tabs.tsv:1: more than one TAB")
        self.assert_usage_error(["-Q"], "unrecognised option '-Q'\n")  # no far-fetched suggestion
        r = run(["cuont"])
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"cuont: no such file, nor a command; did you mean 'elvis count'?", r.stderr)
        r = run(["count", "president", "."])
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"did you mean 'elvis count -t president'?", r.stderr)
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


    def test_preserve_case_rewrites_lower_capitalized_and_upper_variants(self):
        text = b"elvis Elvis ELVIS eLvis; the Elvisian ELVISes\n"
        r = run(["-f", "elvis", "-r", "presley", "--preserve-case"], text)
        self.assertEqual((r.returncode, r.stdout), (0, b"presley Presley PRESLEY eLvis; the Presleyian PRESLEYes\n"))
        # A rule given decides over another's variant; -w applies to the variants too.
        r = run(["-f", "elvis", "-r", "presley", "-f", "ELVIS", "-r", "KING", "-w", "--preserve-case"], text)
        self.assertEqual(r.stdout, b"presley Presley KING eLvis; the Elvisian ELVISes\n")
        path = self.write("f.txt", text)
        r = run(["--in-place", "--preserve-case", "-f", "elvis", "-r", "presley", path])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.read(path), b"presley Presley PRESLEY eLvis; the Presleyian PRESLEYes\n")
        r = run(["--preserve-case", "-i"], b"x")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"--preserve-case cannot be combined with -i", r.stderr)

if __name__ == "__main__":
    unittest.main(verbosity=2)
