#!/usr/bin/env python3
"""Scale-out: count --shard, merge, and GNU parallel driving them."""
from support import *  # noqa: F401,F403 (the binaries, run(), Base, the reference)


def fnv1a64(data):
    """The shard hash, as docs/scale-out.md documents it."""
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h
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

    def test_one_multi_member_gzip_file_on_every_core_counts_as_one_thread(self):
        import gzip
        rng = random.Random(24)
        words = [b"elvis ", b"king ", b"elv", b"is ", b"president\n", b"the "]
        plain = b"".join(rng.choice(words) for _ in range(60000))
        members, at = [], 0
        while at < len(plain):  # cut anywhere, so terms cross members
            n = rng.randrange(1, 600)
            members.append(gzip.compress(plain[at:at + n], compresslevel=rng.choice([0, 1, 6])))
            at += n
        # A stored member holding whole valid members: false starts a range must never take.
        nested = gzip.compress(b"elvis " + b"".join(gzip.compress(b"elvis king ", compresslevel=0) for _ in range(300)), 0)
        members.insert(len(members) // 4, nested)  # at the edge of a range with -j4
        packed = b"".join(members)
        path = self.write("crawl.warc.wet.gz", packed)
        expected = self.count(self.TERMS, gzip.decompress(packed)).stdout
        single = self.write("single.gz", gzip.compress(gzip.decompress(packed)))
        split = ["--split-threshold", "1K"]  # compressed files split from a sixteenth of it
        for threads in range(1, 5):
            for backend in self.backends():
                args = [f"--io={backend}", "-z", f"-j{threads}", "--stats"] + split + self.TERMS
                r = self.count(args + [path])
                self.assertEqual((r.returncode, r.stdout), (0, expected), threads)
                if threads > 1:
                    self.assertIn(b"gzip split:   1 file(s) of many members, decoded in", r.stderr)
                r = self.count(args + [single])
                self.assertEqual(r.stdout, expected)
                if threads > 1:
                    self.assertIn(b"gzip stream:  1 file(s) inflated sequentially: one member", r.stderr)
        # A bad member anywhere: the same message, exit status and counts as one thread gives.
        for name, bad in [("flipped.gz", packed[:len(packed) * 3 // 4] + bytes([packed[len(packed) * 3 // 4] ^ 0x10])
                           + packed[len(packed) * 3 // 4 + 1:]),
                          ("cut.gz", packed[:-5]), ("trailing.gz", packed + b"garbage")]:
            bad_path = self.write(name, bad)
            results = {(r.returncode, r.stdout, r.stderr) for r in
                       (self.count(["-z", f"-j{j}"] + split + self.TERMS + [bad_path]) for j in range(1, 5))}
            self.assertEqual(len(results), 1, name)
            returncode, _, stderr = results.pop()
            self.assertEqual(returncode, 2, name)
            self.assertIn(b"elvis: " + bad_path.encode() + b": ", stderr)

    def test_count_header_lets_merge_refuse_what_does_not_add_up(self):
        root, _ = self.make_corpus()
        whole = self.count(["--header"] + self.TERMS + [root]).stdout
        header, _, body = whole.partition(b"\n")
        self.assertTrue(header.startswith(b"#elvis-count\tv1\tsemantics=occurrences\t"), header)
        self.assertIn(b"\tterm=president\t", header)
        self.assertTrue(header.endswith(b"\tinput=" + root.encode()))
        self.assertEqual(body, self.count(self.TERMS + [root]).stdout)  # the lines are those without it
        # Shards, headed, merge into the headed count of the whole; the shards' files are named.
        parts = []
        for i in range(1, 5):
            parts.append(self.write(f"part{i}.tsv", self.count(["--header", "--shard", f"{i}/4"] + self.TERMS + [root]).stdout))
        r = self.merge(parts)
        self.assertEqual((r.returncode, r.stdout), (0, whole))
        manifest = self.write("manifest.txt", root.encode() + b"\n")
        self.assertEqual(self.merge(["--expect", manifest] + parts).stdout, whole)
        # A retried shard counted twice, a shard missing, an input not in the manifest.
        r = self.merge(parts + [parts[1]])
        self.assertEqual((r.returncode, r.stdout), (2, b""))
        self.assertIn(b"shard 2/4 of '" + root.encode() + b"' counted twice", r.stderr)
        r = self.merge(["--expect=" + manifest] + parts[:3])
        self.assertEqual((r.returncode, r.stdout), (2, b""))
        self.assertIn(manifest.encode() + b": " + root.encode() + b": shards 4/4 not among the inputs", r.stderr)
        other = self.write("other.tsv", self.count(["--header"] + self.TERMS + [os.path.join(root, "d0")]).stdout)
        r = self.merge(["--expect", manifest, other] + parts)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"among the inputs, but not in the manifest", r.stderr)
        # Different counts: records against occurrences, -i, other terms; and plain among headed.
        records = self.write("records.tsv", self.count(["--header", "--records", "item"] + self.TERMS + [root]).stdout)
        caseless = self.write("caseless.tsv", self.count(["--header", "-i"] + self.TERMS + [root]).stdout)
        fewer = self.write("fewer.tsv", self.count(["--header", "-t", "elvis", root]).stdout)
        plain = self.write("plain.tsv", self.count(self.TERMS + [root]).stdout)
        for bad, message in [(records, b"semantics=records:item"), (caseless, b"ignore-case=yes"),
                             (fewer, b"counted other terms"), (plain, b"count every output to be merged with --header")]:
            r = self.merge([parts[0], bad])
            self.assertEqual((r.returncode, r.stdout), (2, b""), bad)
            self.assertIn(message, r.stderr)
        # Without headers merge is as before; the header is a comment line to sort | awk.
        self.assertEqual(self.merge([plain, plain]).returncode, 0)
        awk = subprocess.run(["awk", "-F\t", "!/^#/ { s[$1] += $2 } END { for (t in s) print t, s[t] }"],
                             input=whole, capture_output=True)
        self.assertEqual(sorted(awk.stdout.splitlines()),
                         sorted(line.replace(b"\t", b" ") for line in body.splitlines()))
        self.assertEqual(self.count(["--header", "--format", "json", root]).returncode, 2)
        self.assertEqual(self.count(["--header", "--files", root]).returncode, 2)
        # A count with errors says so, and merge will not take it as a count of its inputs.
        failed = self.count(["--header"] + self.TERMS + [root, os.path.join(self.dir, "missing.txt")])
        self.assertEqual(failed.returncode, 2)
        self.assertIn(b"\terrors=1\n", failed.stdout)
        r = self.merge([self.write("failed.tsv", failed.stdout)])
        self.assertEqual((r.returncode, r.stdout), (2, b""))
        self.assertIn(b"this count had 1 error(s)", r.stderr)
        r = self.merge(["--expect", manifest, plain])
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"--expect needs count outputs with a header", r.stderr)
        # A download piped in: --label names standard input, in the header too, so --expect works.
        import gzip
        name = "crawl-data/CC-MAIN-2024-10/segments/1/wet/x.warc.wet.gz"
        r = self.count(["--header", "--per-file", "-z", "--label", name, "-"], gzip.compress(b"elvis elvis"))
        self.assertEqual(r.stdout.split(b"\n")[1:], [name.encode() + b"\telvis\t2", b"elvis\t2", b""])
        self.assertTrue(r.stdout.split(b"\n")[0].endswith(b"\tinput=" + name.encode()))
        labelled = self.write("labelled.tsv", r.stdout)
        self.assertEqual(self.merge(["--expect", self.write("wet.paths", name.encode() + b"\n"), labelled]).returncode, 0)
        r = self.count(["-z", "--label", name, "-"], b"not gzip")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"elvis: " + name.encode() + b": invalid gzip data", r.stderr)

    def test_gzip_output_writes_one_member_per_input_that_gzip_reads(self):
        import gzip
        import zlib
        rng = random.Random(7)
        big = b"".join(rng.choice([b"elvis ", b"king ", b"\n", bytes([rng.randrange(256)])]) for _ in range(400000))
        a = self.write("a.txt", big)
        empty = self.write("empty.txt", b"")
        packed = self.write("c.txt.gz", gzip.compress(b"the king elvis"))

        def members(data):
            found = []
            while data:
                z = zlib.decompressobj(wbits=31)
                found.append(z.decompress(data))
                self.assertTrue(z.eof)
                data = z.unused_data
            return found

        plain_a = run([a]).stdout
        for backend in self.backends():
            r = run([f"--io={backend}", "--gzip-output", "-z", a, empty, packed, "-"], b"elvis from stdin")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(members(r.stdout), [plain_a, b"", b"the king Elvis", b"Elvis from stdin"])
            self.assertLess(len(r.stdout), len(big) // 2)
            unzipped = subprocess.run(["gzip", "-dc"], input=r.stdout, capture_output=True)
            self.assertEqual(unzipped.stdout, plain_a + b"the king Elvis" + b"Elvis from stdin")
        # Sparse matches and a longer replacement: long unchanged runs between short pieces.
        sparse = self.write("sparse.txt", b"".join(bytes([rng.randrange(97, 123)]) * rng.randrange(1, 90000) + b"elvis"
                                                   for _ in range(40)))
        rules = ["-f", "elvis", "-r", "The King"]
        r = run(["--gzip-output"] + rules + [sparse])
        self.assertEqual(gzip.decompress(r.stdout), run(rules + [sparse]).stdout)
        # A file that cannot be read: named, exit 2, and the output is still whole gzip.
        r = run(["--gzip-output", a, os.path.join(self.dir, "missing.txt"), empty])
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"missing.txt: No such file or directory", r.stderr)
        self.assertEqual(members(r.stdout), [plain_a, b""])
        r = run(["--gzip-output", "--in-place", a])
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"--gzip-output applies to the filter's output", r.stderr)
        # Not to a terminal, as gzip refuses.
        import pty
        leader, follower = pty.openpty()
        try:
            r = subprocess.run([ELVIS, "--gzip-output", a], stdout=follower, stderr=subprocess.PIPE, timeout=60)
        finally:
            os.close(follower)
            os.close(leader)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"compressed data not written to a terminal", r.stderr)

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

    def test_merge_of_a_million_per_file_lines_spills_to_temporary_files_and_stays_bounded(self):
        # Three shards of one sharded count whose paths overlap (a retried shard), in random order.
        rng = random.Random(25)
        terms, sums, shards = ["elvis", "king"], {}, []
        for shard in range(3):
            lines, totals = [], dict.fromkeys(terms, 0)
            for i in rng.sample(range(600_000), 333_334):
                path, term, n = f"corpus/d{i % 97}/file-{i:07}.txt", terms[i % 3 == shard], rng.randrange(1, 1000)
                lines.append(f"{path}\t{term}\t{n}\n")
                totals[term] += n
                sums[(path, term)] = sums.get((path, term), 0) + n
            lines.sort()
            shards.append(self.write(f"shard{shard}.tsv", "".join(lines + [f"{t}\t{c}\n" for t, c in totals.items()]).encode()))
        expected = "".join(f"{p}\t{t}\t{n}\n" for (p, t), n in sorted(sums.items(), key=lambda kv: (kv[0][0], terms.index(kv[0][1]))))
        expected += "".join(f"{t}\t{sum(n for (_, u), n in sums.items() if u == t)}\n" for t in terms)
        spill = os.path.join(self.dir, "spill")
        os.mkdir(spill)
        peak = subprocess.run([sys.executable, "-c", "import resource, subprocess, sys; "
                               "r = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE); sys.stdout.buffer.write(r.stdout); "
                               "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)",
                               ELVIS, "merge", "-T", spill] + shards, capture_output=True, timeout=300)
        returncode, peak_kib = map(int, peak.stderr.split())
        self.assertEqual(returncode, 0)
        self.assertEqual(peak.stdout.decode(), expected)
        self.assertEqual(os.listdir(spill), [])  # the temporary files were unlinked as they were made
        if not os.environ.get("ELVIS_SANITIZED"):  # the sanitizers' shadow memory is not ours
            # Held in memory, these 1,000,002 lines took ~140 MB; spilled, the merge stays near its
            # 32 MiB budget whatever the number of lines.
            self.assertLess(peak_kib, 80 * 1024, "peak RSS in KiB")
        # Temporary files that cannot be made: exit 2 with the directory named, and no output.
        for args, env in [(["-T", "/nonexistent"], None), (["--temporary-directory=/nonexistent"], None),
                          ([], {"TMPDIR": "/nonexistent"})]:
            r = run(["merge"] + args + shards, env=env)
            self.assertEqual((r.returncode, r.stdout), (2, b""), args)
            self.assertEqual(r.stderr, b"elvis: cannot create a temporary file in /nonexistent: No such file or directory\n")

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
    unittest.main(verbosity=2)
