#!/usr/bin/env python3
"""elvis count --warc and elvis --warc against a reference written here: Python's gzip module for
the members and a small WARC reader that frames records by Content-Length only. The inputs are
bench/gen_warc.py's, above all trap_records(): records that a reader searching for `WARC/1.0`, or
counting the whole stream, gets wrong."""
import gzip
import json
import zlib

from support import *  # noqa: F401,F403 (the binaries, run(), Base)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
import gen_warc  # noqa: E402

try:  # not packaged by Debian 12: only used where someone installed it
    from warcio.archiveiterator import ArchiveIterator
except ImportError:
    ArchiveIterator = None

DEFAULT_TYPES = (b"conversion", b"response", b"resource")
DIGESTS = (b"warc-block-digest", b"warc-payload-digest")
WORD_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
BUFFER_SIZES = ["1", "7", "64", "4096", "1M"]
SMALL_BIG = 20000  # the traps' big record in the loops over buffer sizes: above all but 1M


# ---- the reference ---------------------------------------------------------------------------
class Rec(collections.namedtuple("Rec", "start end version headers block")):
    def get(self, name):
        return next((v for k, v in self.headers if k.lower() == name), None)

    @property
    def type(self):
        return (self.get(b"warc-type") or b"").lower()


def parse_warc(data):
    """([Rec], None) or ([the complete records before the bad one], (offset of the bad record, why))."""
    records, pos = [], 0
    while pos < len(data):
        start, lines = pos, []
        while True:  # header lines end in CRLF or LF; a blank line ends the header
            nl = data.find(b"\n", pos)
            if nl < 0 or nl - start > 65536:
                return records, (start, "header")
            line, pos = data[pos:nl].removesuffix(b"\r"), nl + 1
            if not line:
                break
            lines.append(line)
        if not lines or not re.fullmatch(rb"WARC/1\.\d+", lines[0]):
            return records, (start, "version")
        headers = [tuple(part.strip() for part in line.split(b":", 1)) for line in lines[1:]]
        length = next((v for k, v in headers if k.lower() == b"content-length"), None)
        if length is None or not length.isdigit():
            return records, (start, "length")
        end = pos + int(length)
        if end > len(data):
            return records, (start, "truncated")
        if data[end:end + 4] != b"\r\n\r\n":
            return records, (start, "trailer")
        records.append(Rec(start, end + 4, lines[0], headers, data[pos:end]))
        pos = end + 4
    return records, None


def split_payload(rec):
    """(HTTP head, payload): the block of a response or request is an HTTP message, whose payload
    starts after the first \\r\\n\\r\\n or \\n\\n."""
    if rec.type not in (b"response", b"request"):
        return b"", rec.block
    cuts = [(i, i + len(sep)) for sep in (b"\r\n\r\n", b"\n\n") if (i := rec.block.find(sep)) >= 0]
    cut = min(cuts)[1] if cuts else len(rec.block)  # (no blank line: none in these inputs)
    return rec.block[:cut], rec.block[cut:]


def selected(rec, types=DEFAULT_TYPES, langs=None):
    if rec.type not in types:
        return False
    if langs is None:
        return True
    listed = rec.get(b"warc-identified-content-language")
    return listed is not None and bool(set(listed.split(b",")) & set(langs))


def is_word_at(hay, i, n):
    return not (i > 0 and hay[i - 1] in WORD_BYTES) and not (i + n < len(hay) and hay[i + n] in WORD_BYTES)


def term_counts(payload, terms, ci=False, word=False, exclusive=False):
    hay = payload.lower() if ci else payload  # bytes.lower(): ASCII only, as -i
    needles = [t.lower() if ci else t for t in terms]
    if not exclusive:  # each term on its own, non-overlapping, left to right
        counts = []
        for t in needles:
            n = i = 0
            while (i := hay.find(t, i)) >= 0:
                if word and not is_word_at(hay, i, len(t)):
                    i += 1
                    continue
                n, i = n + 1, i + len(t)
            counts.append(n)
        return counts
    counts, i = [0] * len(terms), 0  # the terms compete: leftmost, then longest
    while i < len(hay):
        best = max((k for k, t in enumerate(needles) if hay.startswith(t, i) and (not word or is_word_at(hay, i, len(t)))),
                   key=lambda k: len(needles[k]), default=None)
        if best is None:
            i += 1
        else:
            counts[best] += 1
            i += len(needles[best])
    return counts


def reference_count(streams, terms, ci=False, word=False, exclusive=False, types=DEFAULT_TYPES, langs=None):
    """Over the decompressed streams, in order: ([(tf, df)], records, payload bytes, per-record rows)."""
    tf, df, nrec, nbytes, rows = [0] * len(terms), [0] * len(terms), 0, 0, []
    for records in streams:
        for rec in records:
            if not selected(rec, types, langs):
                continue
            payload = split_payload(rec)[1]
            nrec, nbytes = nrec + 1, nbytes + len(payload)
            for k, n in enumerate(term_counts(payload, terms, ci, word, exclusive)):
                tf[k], df[k] = tf[k] + n, df[k] + (n > 0)
                if n:
                    rows.append((rec.get(b"warc-target-uri") or b"", rec.get(b"warc-record-id") or b"", terms[k], n))
    return list(zip(tf, df)), nrec, nbytes, rows


def esc(field):
    return field.replace(b"\\", b"\\\\").replace(b"\t", b"\\t").replace(b"\n", b"\\n").replace(b"\r", b"\\r")


def totals_tsv(terms, ref):
    counts, nrec, nbytes, _ = ref
    return b"".join(esc(t) + b"\t%d\t%d\n" % c for t, c in zip(terms, counts)) + \
        b"#warc\trecords\t%d\tpayload-bytes\t%d\n" % (nrec, nbytes)


def per_record_tsv(ref):
    return b"".join(b"\t".join(map(esc, (uri, rid, term))) + b"\t%d\n" % n for uri, rid, term, n in ref[3])


def rewrite(payload, pairs, ci=False):
    """Leftmost-longest, as the plain filter: an alternation longest first."""
    finds = sorted((f for f, _ in pairs), key=len, reverse=True)
    table = {(f.lower() if ci else f): r for f, r in pairs}
    pattern = re.compile(b"|".join(map(re.escape, finds)), re.IGNORECASE if ci else 0)
    return pattern.sub(lambda m: table[m.group(0).lower() if ci else m.group(0)], payload)


def split_members(data):
    members = []
    while data:
        d = zlib.decompressobj(31)
        members.append(d.decompress(data))
        if not d.eof:
            raise ValueError("a gzip member is cut short")
        data = d.unused_data
    return members


# ---- the inputs ------------------------------------------------------------------------------
_traps = {}


def traps(big_size=SMALL_BIG):
    if big_size not in _traps:
        _traps[big_size] = gen_warc.trap_records(big_size)
    return _traps[big_size]


class Warc(Base):
    def setUp(self):
        super().setUp()
        self.recs = [rec for _, rec in traps()]
        self.plain = self.write("traps.warc", b"".join(self.recs))
        self.members = gen_warc.write_file(os.path.join(self.dir, "traps.warc.gz"), self.recs)
        self.single = self.write("traps-one.warc.gz", gzip.compress(b"".join(self.recs)))
        self.parsed, err = parse_warc(b"".join(self.recs))
        self.assertIsNone(err)

    def count(self, args, **kw):
        return run(["count", "--warc"] + args, **kw)

    def assert_ok(self, r, status=0):
        self.assertEqual((r.returncode, r.stderr.decode(errors="replace")), (status, ""))

    # ---- the reference and the generator on their own (no elvis here) -------------------------
    def test_reference_on_the_traps(self):
        what = [w for w, _ in traps()]
        self.assertEqual(len(self.parsed), len(what))
        by_what = dict(zip(what, self.parsed))
        for rec in self.parsed:
            self.assertEqual(int(rec.get(b"content-length")), len(rec.block))
            for name, data in ((b"warc-block-digest", rec.block), (b"warc-payload-digest", split_payload(rec)[1])):
                if rec.get(name) is not None:
                    self.assertEqual(rec.get(name).decode(), gen_warc.sha1_b32(data))
        self.assertTrue(by_what["payload ending in 'elv'"].block.endswith(b"elv"))
        self.assertTrue(by_what["payload starting with 'is'"].block.startswith(b"is"))
        self.assertEqual(by_what["empty payload"].block, b"")
        self.assertIn(b"\nWARC/1.0\r\n", by_what["CRLF payload holding WARC/1.0 lines, blank lines and a fake record"].block)
        self.assertEqual(by_what["lowercase header names"].type, b"conversion")
        self.assertEqual(by_what["LF-only header lines"].block, b"LF-only header lines\nelvis presley\n")
        self.assertEqual(by_what["WARC-Type in capitals, a resource"].type, b"resource")
        big = next(rec for w, rec in zip(what, self.parsed) if w.startswith("payload of"))
        self.assertGreater(len(big.block), SMALL_BIG)
        head, body = split_payload(by_what["response whose HTTP head holds the term"])
        self.assertIn(b"elvis", head)
        self.assertTrue(body.startswith(b"<p>elvis"))
        head, body = split_payload(by_what["response with an LF HTTP head (\\n\\n before a later \\r\\n\\r\\n)"])
        self.assertEqual(head, b"HTTP/1.1 200 OK\nX-Note: elvis\n\n")
        # The traps matter: a count of the whole stream, or of the records joined, is wrong.
        (tf, df), = reference_count([self.parsed], [b"elvis"])[0]
        whole = b"".join(self.recs)
        self.assertNotEqual(whole.count(b"elvis"), tf)
        self.assertGreater(b"".join(split_payload(r)[1] for r in self.parsed if selected(r)).count(b"elvis"), tf)

    def test_reference_on_generated_files(self):
        # The generator counts while it writes, the reference after parsing: they must agree,
        # and the gzip and plain outputs must hold the same bytes.
        for mixed in (False, True):
            stats = {}
            gen = gen_warc.Generator(seed=5)
            data = b"".join(gen.records(300_000, mixed, stats))
            self.assertEqual(len(data), 300_000)
            parsed, err = parse_warc(data)
            self.assertIsNone(err)
            self.assertEqual(len(parsed), stats["records"])
            counts, nrec, nbytes, _ = reference_count([parsed], [b"elvis"])
            self.assertEqual((counts[0], nrec, nbytes), ((stats["tf"], stats["df"]), stats["searched"], stats["payload_bytes"]))
            self.assertEqual(data.count(b"elvis"), stats["tf"])  # never in headers: the premise of bench/warc.sh
            for rec in parsed:
                for name, data in zip(DIGESTS, (rec.block, split_payload(rec)[1])):
                    if rec.get(name) is not None:
                        self.assertEqual(rec.get(name).decode(), gen_warc.sha1_b32(data))
            if mixed:
                self.assertEqual({r.type for r in parsed}, {b"warcinfo", b"conversion", b"response", b"request", b"metadata"})
        gz = gen_warc.gzip_members([data])[0]
        self.assertEqual(gzip.decompress(gz), data)
        self.assertEqual(gen_warc.trap_records(SMALL_BIG), traps())  # deterministic

    def test_reference_errors(self):
        g = gen_warc.Generator(seed=3)
        good = g.conversion(b"elvis")
        for bad, why in self.bad_records(g):
            records, err = parse_warc(good + bad + good)
            self.assertEqual((len(records), err), (1, (len(good), why)), why)

    # ---- count -------------------------------------------------------------------------------
    def test_totals(self):
        terms = [b"elvis", b"Elvis", b"presley", b"elv", b"is", b"elvis presley", b"\xff\xfe"]
        for flags in ([], ["-i"], ["-w"], ["-i", "-w"], ["--exclusive"], ["--exclusive", "-i"]):
            # (-i: elvis and Elvis would be one term given twice, a usage error)
            ts = [t for t in terms if t != b"Elvis"] if "-i" in flags else terms
            ref = reference_count([self.parsed], ts, "-i" in flags, "-w" in flags, "--exclusive" in flags)
            args = flags + [a for t in ts for a in ("-t", os.fsdecode(t))]
            r = self.count(args + [self.members])
            self.assert_ok(r)
            self.assertEqual(r.stdout, totals_tsv(ts, ref), flags)
        r = self.count([self.members])  # default term: elvis
        self.assertEqual(r.stdout, totals_tsv([b"elvis"], reference_count([self.parsed], [b"elvis"])))

    def test_gzip_detected_by_its_bytes(self):
        expected = totals_tsv([b"elvis", b"presley"], reference_count([self.parsed], [b"elvis", b"presley"]))
        for path in (self.plain, self.members, self.single):
            for z in ([], ["-z"]):
                r = self.count(z + ["-t", "elvis", "-t", "presley", path])
                self.assert_ok(r)
                self.assertEqual(r.stdout, expected, (path, z))
        named = self.write("no-gz-suffix.warc", self.read(self.members))
        self.assertEqual(self.count(["-t", "elvis", "-t", "presley", named]).stdout, expected)

    def test_buffer_sizes_backends_threads(self):
        terms = [b"elvis", b"Elvis", b"is"]
        ref = reference_count([self.parsed], terms)
        totals, rows = totals_tsv(terms, ref), per_record_tsv(ref)
        targs = [a for t in terms for a in ("-t", t.decode())]
        for backend in self.backends():
            for size in BUFFER_SIZES:
                for j in ("1", "2"):
                    for path in (self.members, self.plain):
                        common = [f"--io={backend}", f"--buffer-size={size}", "-j", j] + targs + [path]
                        r = self.count(common)
                        self.assert_ok(r)
                        self.assertEqual(r.stdout, totals, (backend, size, j, path))
                        r = self.count(["--per-record"] + common)
                        self.assert_ok(r)
                        self.assertEqual(r.stdout, rows, (backend, size, j, path))

    def test_record_larger_than_the_buffer(self):
        big = 3 << 20
        recs = [rec for _, rec in traps(big)]
        parsed, _ = parse_warc(b"".join(recs))
        self.assertTrue(any(len(r.block) > big for r in parsed))
        path = gen_warc.write_file(os.path.join(self.dir, "big.warc.gz"), recs)
        terms = [b"elvis", b"presley"]
        ref = reference_count([parsed], terms)
        for size in ("64K", "1M"):
            r = self.count(["--buffer-size", size, "-t", "elvis", "-t", "presley", path])
            self.assert_ok(r)
            self.assertEqual(r.stdout, totals_tsv(terms, ref), size)
            r = self.count(["--buffer-size", size, "--per-record", "-t", "elvis", "-t", "presley", path])
            self.assertEqual(r.stdout, per_record_tsv(ref), size)

    def test_types_and_languages(self):
        terms = [b"elvis", b"presley"]
        cases = [
            (["--warc-type", "metadata"], dict(types=(b"metadata",))),
            (["--warc-type", "conversion", "--warc-type", "RESPONSE"], dict(types=(b"conversion", b"response"))),
            (["--warc-type", "resource"], dict(types=(b"resource",))),
            (["--warc-lang", "eng"], dict(langs=(b"eng",))),
            (["--warc-lang", "fra,deu"], dict(langs=(b"fra", b"deu"))),
            (["--warc-lang", "fra", "--warc-lang", "jpn"], dict(langs=(b"fra", b"jpn"))),
            (["--warc-lang", "eng", "--warc-type", "conversion"], dict(langs=(b"eng",), types=(b"conversion",))),
        ]
        for args, how in cases:
            ref = reference_count([self.parsed], terms, **how)
            self.assertGreater(ref[1], 0, args)
            r = self.count(args + ["-t", "elvis", "-t", "presley", self.members])
            self.assert_ok(r)
            self.assertEqual(r.stdout, totals_tsv(terms, ref), args)
            r = self.count(args + ["--per-record", "-t", "elvis", "-t", "presley", self.members])
            self.assertEqual(r.stdout, per_record_tsv(ref), args)

    def test_request_records_searched_without_their_http_head(self):
        # A request chosen with --warc-type is an HTTP message too: its request line and headers
        # are not searched (they hold the term here, so a count of the whole block differs).
        terms = [b"elvis"]
        ref = reference_count([self.parsed], terms, types=(b"request",))
        whole_blocks = sum(r.block.count(b"elvis") for r in self.parsed if r.type == b"request")
        self.assertLess(ref[0][0][0], whole_blocks)
        r = self.count(["--warc-type", "request", self.members])
        self.assertEqual(r.stdout, totals_tsv(terms, ref))

    def test_request_records_rewritten_without_their_http_head(self):
        out = self.filter(["--warc-type", "request", "-f", "elvis", "-r", "The King"], self.members)
        self.assertEqual(self.check_filter(b"".join(self.recs), out, [(b"elvis", b"The King")], types=(b"request",)), 1)

    def test_per_record_several_files_json_lines(self):
        g = gen_warc.Generator(seed=11)
        other = gen_warc.write_file(os.path.join(self.dir, "a-first.warc.gz"),
                                    [g.warcinfo()] + [g.conversion() for _ in range(5)])
        other_parsed, _ = parse_warc(gzip.decompress(self.read(other)))
        terms = [b"elvis", b"Elvis"]
        ref = reference_count([other_parsed, self.parsed], terms)  # sorted: a-first before traps
        outputs = set()
        for j in ("1", "2"):
            r = self.count(["-j", j, "--per-record", "-t", "elvis", "-t", "Elvis", self.members, other])
            self.assert_ok(r)
            outputs.add(r.stdout)
            r = self.count(["-j", j, "--per-record", "--format", "json", "-t", "elvis", "-t", "Elvis", self.members, other])
            self.assert_ok(r)
            got = [json.loads(line) for line in r.stdout.decode("utf-8").splitlines()]
            self.assertEqual(got, [{"uri": uri.decode(), "record_id": rid.decode(), "term": term.decode(), "count": n}
                                   for uri, rid, term, n in ref[3]])
        self.assertEqual(outputs, {per_record_tsv(ref)})
        self.assertIn(b"http://example.com/a\\\\b\\tc\t<urn:uuid:", outputs.pop())

    def test_json_totals(self):
        terms = [b"elvis", b"presley", b"nowhere-to-be-found"]
        ref = reference_count([self.parsed, self.parsed], terms)
        for backend in self.backends():
            r = self.count([f"--io={backend}", "--format", "json", "-t", "elvis", "-t", "presley",
                            "-t", "nowhere-to-be-found", self.plain, self.members])
            self.assert_ok(r)
            doc = json.loads(r.stdout)
            self.assertEqual(doc["terms"], [{"term": t.decode(), "tf": tf, "df": df} for t, (tf, df) in zip(terms, ref[0])])
            self.assertEqual((doc["records"], doc["payload_bytes"]), (ref[1], ref[2]))
            self.assertEqual((doc["files_searched"], doc["errors"]), (2, []))
            self.assertGreaterEqual(doc["bytes_read"], os.path.getsize(self.plain))
            self.assertIn(doc["io_backend"], ("posix", "io_uring"))
            if backend == "posix":
                self.assertEqual(doc["io_backend"], "posix")
        doc = json.loads(self.count(["--format", "json", self.plain]).stdout)
        self.assertEqual(doc["bytes_read"], os.path.getsize(self.plain))

    def test_merge_sums_every_column(self):
        half = len(self.recs) // 2
        a = self.write("a.warc", b"".join(self.recs[:half]))
        b = gen_warc.write_file(os.path.join(self.dir, "b.warc.gz"), [self.recs[0]] + self.recs[half:])
        terms = ["-t", "elvis", "-t", "presley", "-t", "is"]
        outs = []
        for path in (a, b):
            r = self.count(terms + [path])
            self.assert_ok(r)
            outs.append(self.write(os.path.basename(path) + ".tsv", r.stdout))
        both = self.count(terms + [a, b])
        merged = run(["merge"] + outs)
        self.assertEqual(merged.returncode, 0, merged.stderr)
        self.assertEqual(merged.stdout, both.stdout)
        parsed_b, _ = parse_warc(b"".join([self.recs[0]] + self.recs[half:]))
        ref = reference_count([parse_warc(b"".join(self.recs[:half]))[0], parsed_b], [b"elvis", b"presley", b"is"])
        self.assertEqual(both.stdout, totals_tsv([b"elvis", b"presley", b"is"], ref))

    def test_exit_status(self):
        self.assertEqual(self.count(["-t", "elvis", self.members]).returncode, 0)
        r = self.count(["-t", "nowhere-to-be-found", self.members])
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, totals_tsv([b"nowhere-to-be-found"], reference_count([self.parsed], [b"nowhere-to-be-found"])))
        # In headers, HTTP heads and unselected records only: not found.
        r = self.count(["-t", "WARC-Record-ID", "-t", "X-Fan-Of", "-t", "elvis=1", self.members])
        self.assertEqual(r.returncode, 1, r.stdout)

    def test_usage_errors(self):
        for args in (["count", "--per-record"], ["count", "--warc-type", "conversion"], ["--warc-lang", "eng"],
                     ["--warc-digests", "drop"], ["--warc", "--warc-digests", "keep"], ["--warc", "--in-place", "--diff", "."],
                     ["count", "--warc", "--records", "item"], ["count", "--warc", "--per-file"],
                     ["count", "--warc", "--per-record", "--header"], ["count", "--warc", "--warc-type", ","]):
            r = run(args + [self.members])
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(b"elvis: ", r.stderr, args)
            self.assertEqual(r.stdout, b"", args)

    def test_files_with_matches(self):
        empty = self.write("empty.warc", gen_warc.record([("WARC-Type", "conversion"), ("Content-Length", gen_warc.LENGTH)], b"none"))
        r = self.count(["-l", "-t", "elvis", self.members, empty])
        self.assertEqual(r.stdout, self.members.encode() + b"\n")

    def test_memory_bounded_by_the_buffer_not_the_record(self):
        # One record of 96 MiB, streamed from a pipe: count holds a header and a buffer, never the
        # record (the bound: 16 MiB of RSS whatever the record sizes).
        if os.environ.get("ELVIS_SANITIZED"):
            self.skipTest("sanitizers add their own memory")
        payload_size = 96 << 20
        head = b"WARC/1.0\r\nWARC-Type: conversion\r\nContent-Length: %d\r\n\r\n" % payload_size
        script = ("import sys; o = sys.stdout.buffer; o.write(%r); piece = b'elvis ' * 174763\n"
                  "for _ in range(%d): o.write(piece[:1 << 20])\no.write(b'\\r\\n\\r\\n')" % (head, payload_size >> 20))
        producer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
        # A fresh Python runs elvis, so that its children's peak RSS is elvis's alone.
        wrapper = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
                   "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(r.returncode)")
        measured = subprocess.run([sys.executable, "-c", wrapper, ELVIS, "count", "--warc", "-j1", "-"],
                                  stdin=producer.stdout, capture_output=True, timeout=120)
        producer.stdout.close()
        producer.wait()
        self.assertEqual(measured.returncode, 0, measured.stderr)
        occurrences = (1 << 20) // len(b"elvis ") * (payload_size >> 20)  # each MiB ends in "elvi"
        self.assertEqual(measured.stdout, b"elvis\t%d\t1\n#warc\trecords\t1\tpayload-bytes\t%d\n" % (occurrences, payload_size))
        self.assertLess(int(measured.stderr.split()[-1]), 16 * 1024, "peak RSS in KiB")
        # The filter gathers a rewritten block in a temporary file past a few MiB.
        producer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
        out = os.path.join(self.dir, "big-out.warc")
        with open(out, "wb") as f:
            measured = subprocess.run([sys.executable, "-c", wrapper, ELVIS, "--warc", "-f", "elvis", "-r", "Elvis!", "-"],
                                      stdin=producer.stdout, stdout=f, stderr=subprocess.PIPE, timeout=120)
        producer.stdout.close()
        producer.wait()
        self.assertEqual(measured.returncode, 0, measured.stderr)
        self.assertLess(int(measured.stderr.split()[-1]), 16 * 1024, "peak RSS in KiB")
        with open(out, "rb") as f:
            rewritten = f.read(200)
        self.assertIn(b"Content-Length: %d\r\n" % (payload_size + occurrences), rewritten)
        self.assertEqual(os.path.getsize(out), len(head) - len(str(payload_size)) + len(str(payload_size + occurrences))
                         + payload_size + occurrences + 4)

    # ---- malformed input ---------------------------------------------------------------------
    @staticmethod
    def bad_records(g):
        """(record bytes, why the reference stops there) for each malformation but truncation."""
        block = b"bad record: elvis elvis elvis"
        base = [("WARC-Type", "conversion"), ("WARC-Target-URI", "http://bad.example.com/"),
                ("WARC-Record-ID", g.record_id())]
        return [
            (gen_warc.record(base, block), "length"),  # no Content-Length at all
            (gen_warc.record(base + [("Content-Length", "2x9")], block), "length"),
            (gen_warc.record(base + [("Content-Length", gen_warc.LENGTH)], block, trailer=b"\r\nXX\r\n\r\n"), "trailer"),
            (gen_warc.record(base + [("X-Padding", "p" * 70000), ("Content-Length", gen_warc.LENGTH)], block), "header"),
            (gen_warc.record(base + [("Content-Length", gen_warc.LENGTH)], block, version=b"HTTP/1.1 200"), "version"),
        ]

    def assert_reported(self, r, path, data, bad_start, good_records, terms=(b"elvis",), json_output=False):
        self.assertEqual(r.returncode, 2, r.stderr)
        ref = reference_count([good_records], list(terms))
        if json_output:
            doc = json.loads(r.stdout)
            self.assertEqual([(t["tf"], t["df"]) for t in doc["terms"]], ref[0])
            self.assertEqual((doc["records"], doc["payload_bytes"]), (ref[1], ref[2]))
            self.assertIn(path, [e["path"] for e in doc["errors"]])
            return
        self.assertEqual(r.stdout, totals_tsv(list(terms), ref))
        self.assertIn(os.path.basename(path).encode(), r.stderr)
        m = re.search(rb"byte (\d+)", r.stderr)
        self.assertIsNotNone(m, r.stderr)
        self.assertTrue(bad_start <= int(m.group(1)) <= len(data), (int(m.group(1)), bad_start, len(data), r.stderr))

    def test_malformed_records(self):
        g = gen_warc.Generator(seed=3)
        head = [g.warcinfo(), g.conversion(b"elvis one"), g.conversion(b"elvis two, elvis")]
        tail = [g.conversion(b"after the bad one: elvis")]
        cases = [(bad, tail) for bad, _ in self.bad_records(g)]
        block = b"truncated: elvis"
        cases.append((gen_warc.record([("WARC-Type", "conversion"), ("Content-Length", len(block) + 1000)], block)[:-4], []))
        for n, (bad, after) in enumerate(cases):
            data = b"".join(head) + bad + b"".join(after)
            good, err = parse_warc(data)
            self.assertEqual(len(good), len(head))
            for compressed in (False, True):
                name = f"bad-{n}.warc" + (".gz" if compressed else "")
                path = gen_warc.write_file(os.path.join(self.dir, name), head + [bad] + after, gzip=compressed)
                self.assert_reported(self.count([path]), path, data, err[0], good)
                self.assert_reported(self.count(["--format", "json", path]), path, data, err[0], good, json_output=True)
        # The good file of the same run is counted in full, whatever the threads.
        whole = self.write("fine.warc", b"".join(head + tail))
        bad = os.path.join(self.dir, f"bad-{len(cases) - 1}.warc")
        expected = reference_count([parse_warc(b"".join(head + tail))[0], good], [b"elvis"])
        for j in ("1", "2"):
            r = self.count(["-j", j, bad, whole])
            self.assertEqual(r.returncode, 2)
            self.assertEqual(r.stdout, totals_tsv([b"elvis"], expected), j)

    def test_corrupt_gzip_member(self):
        g = gen_warc.Generator(seed=4)
        recs = [g.warcinfo()] + [g.conversion(g.text(3000)) for _ in range(4)]
        members = gen_warc.gzip_members(recs)
        third = bytearray(members[2])
        middle = 10 + (len(third) - 18) // 2  # between the 10-byte header and the 8-byte trailer
        for k in range(middle - 8, middle + 8):
            third[k] ^= 0x5A
        members[2] = bytes(third)
        path = self.write("corrupt.warc.gz", b"".join(members))
        good = parse_warc(b"".join(recs[:2]))[0]
        for fmt in ("tsv", "json"):
            r = self.count(["--format", fmt, "-t", "elvis", path])
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(b"corrupt.warc.gz", r.stderr if fmt == "tsv" else r.stdout)
            ref = reference_count([good], [b"elvis"])
            if fmt == "tsv":
                self.assertEqual(r.stdout, totals_tsv([b"elvis"], ref))
            else:
                doc = json.loads(r.stdout)
                self.assertEqual(([(t["tf"], t["df"]) for t in doc["terms"]], doc["records"]), (ref[0], ref[1]))
                self.assertEqual([e["path"] for e in doc["errors"]], [path])

    # ---- the filter --------------------------------------------------------------------------
    def check_filter(self, src, out, pairs, ci=False, types=DEFAULT_TYPES, langs=None, digests="recompute"):
        """out, elvis --warc's output for the stream src, against the reference rewrite."""
        before, err = parse_warc(src)
        self.assertIsNone(err)
        after, err = parse_warc(out)
        self.assertIsNone(err, "the output does not parse")
        self.assertEqual(len(after), len(before))
        changed = 0
        for a, b in zip(before, after):
            if not selected(a, types, langs):
                self.assertEqual(out[b.start:b.end], src[a.start:a.end])
                continue
            head, payload = split_payload(a)
            new = rewrite(payload, pairs, ci)
            if new == payload:
                self.assertEqual(out[b.start:b.end], src[a.start:a.end], "an unchanged record is copied as it is")
                continue
            changed += 1
            self.assertEqual((b.version, b.block), (a.version, head + new))
            special = (b"content-length",) + DIGESTS
            kept = lambda rec, names: [(k, v) for k, v in rec.headers if k.lower() not in names]
            self.assertEqual(kept(b, special), kept(a, special))
            self.assertEqual(b.get(b"content-length"), b"%d" % len(b.block))
            if digests == "drop":
                self.assertEqual([k for k, v in b.headers], [k for k, v in a.headers if k.lower() not in DIGESTS])
                continue
            self.assertEqual([k for k, v in b.headers], [k for k, v in a.headers])
            for name, data in zip(DIGESTS, (b.block, new)):
                if a.get(name) is not None:
                    self.assertEqual(b.get(name), gen_warc.sha1_b32(data).encode(), name)
        return changed

    def filter(self, args, path):
        r = run(["--warc"] + args + [path])
        self.assert_ok(r)
        return r.stdout

    def test_filter_same_length_rule(self):
        src = b"".join(self.recs)
        outputs = set()
        for path in (self.plain, self.members, self.single):
            out = self.filter([], path)  # elvis -> Elvis; plain output even for gzip input
            outputs.add(out)
            self.assertGreater(self.check_filter(src, out, [(b"elvis", b"Elvis")]), 5)
        self.assertEqual(len(outputs), 1)
        lengths = lambda data: [r.get(b"content-length") for r in parse_warc(data)[0]]
        self.assertEqual(lengths(outputs.pop()), lengths(src))

    def test_filter_length_changing_rule_buffers_backends(self):
        src = b"".join(self.recs)
        outputs = set()
        for backend in self.backends():
            for size in BUFFER_SIZES:
                outputs.add(self.filter([f"--io={backend}", f"--buffer-size={size}", "-f", "elvis", "-r", "The King"],
                                        self.members))
        self.assertEqual(len(outputs), 1, "the output depends on the backend or buffer size")
        self.assertGreater(self.check_filter(src, outputs.pop(), [(b"elvis", b"The King")]), 5)
        for path in (self.plain, self.single):
            out = self.filter(["-z", "-f", "elvis", "-r", "The King"], path)
            self.check_filter(src, out, [(b"elvis", b"The King")])

    def test_filter_record_larger_than_the_buffer(self):
        recs = [rec for _, rec in traps(3 << 20)]
        src = b"".join(recs)
        path = gen_warc.write_file(os.path.join(self.dir, "big.warc.gz"), recs)
        for args in (["--buffer-size", "64K"], []):
            out = self.filter(args + ["-f", "elvis", "-r", "The King"], path)
            self.check_filter(src, out, [(b"elvis", b"The King")])

    def test_filter_rules_and_ignore_case(self):
        src = b"".join(self.recs)
        pairs = [(b"elvis", b"E."), (b"elvis presley", b"the King"), (b"elvi", b"(elvi)"), (b"is", b"IS")]
        rules = self.write("rules.tsv", b"".join(f + b"\t" + r + b"\n" for f, r in pairs))
        self.check_filter(src, self.filter(["--rules", rules], self.members), pairs)
        self.check_filter(src, self.filter(["-i", "--rules", rules], self.members), pairs, ci=True)

    def test_filter_digests_dropped(self):
        src = b"".join(self.recs)
        out = self.filter(["--warc-digests=drop", "-f", "elvis", "-r", "The King"], self.members)
        self.assertGreater(self.check_filter(src, out, [(b"elvis", b"The King")], digests="drop"), 5)

    def test_filter_types_and_languages(self):
        src = b"".join(self.recs)
        pairs = [(b"elvis", b"The King")]
        for args, how in ((["--warc-type", "metadata,conversion"], dict(types=(b"metadata", b"conversion"))),
                          (["--warc-type", "response"], dict(types=(b"response",))),
                          (["--warc-lang", "eng"], dict(langs=(b"eng",))),
                          (["--warc-lang", "fra,deu", "--warc-type", "conversion"], dict(langs=(b"fra", b"deu"), types=(b"conversion",)))):
            out = self.filter(args + ["-f", "elvis", "-r", "The King"], self.members)
            self.assertGreater(self.check_filter(src, out, pairs, **how), 0, args)

    def test_filter_gzip_output_one_member_per_record(self):
        src = b"".join(self.recs)
        plain_out = self.filter(["-f", "elvis", "-r", "The King"], self.members)
        gz_out = self.filter(["--gzip-output", "-f", "elvis", "-r", "The King"], self.members)
        members = split_members(gz_out)
        self.assertEqual(b"".join(members), plain_out)
        self.assertEqual(len(members), len(self.recs))
        for member in members:
            records, err = parse_warc(member)
            self.assertEqual((len(records), err), (1, None))
        self.check_filter(src, b"".join(members), [(b"elvis", b"The King")])

    # ---- in place ----------------------------------------------------------------------------
    def in_place_tree(self):
        """A tree of WARC files (gzip per record, one gzip member, plain, no match) and the filter's
        rewrite of each, for -f elvis -r 'The King'."""
        tree = os.path.join(self.dir, "crawl")
        os.mkdir(tree)
        none = gen_warc.record([("WARC-Type", "conversion"), ("Content-Length", gen_warc.LENGTH)], b"no match here")
        files = {"per-record.warc.wet.gz": self.read(self.members), "one-member.warc.gz": self.read(self.single),
                 "plain.warc": self.read(self.plain), "unmatched.warc": none,
                 "header-only.warc": gen_warc.record([("WARC-Type", "warcinfo"), ("X-Note", "elvis"),
                                                      ("Content-Length", gen_warc.LENGTH)], b"elvis")}
        expected = {}
        for name, data in files.items():
            path = os.path.join(tree, name)
            with open(path, "wb") as f:
                f.write(data)
            expected[name] = self.filter(["-f", "elvis", "-r", "The King"], path)
        return tree, files, expected

    def test_in_place_rewrites_as_the_filter_and_keeps_gzip(self):
        tree, files, expected = self.in_place_tree()
        stats = {name: os.stat(os.path.join(tree, name)) for name in files}
        r = run(["--in-place", "--warc", "-f", "elvis", "-r", "The King", tree])
        self.assertEqual(r.returncode, 0, r.stderr)
        src = b"".join(self.recs)
        for name in files:
            path = os.path.join(tree, name)
            data = self.read(path)
            if name.endswith(".gz"):
                members = split_members(data)
                self.assertEqual(len(members), len(self.recs), name + ": one gzip member per record")
                data = b"".join(members)
            self.assertEqual(data, expected[name], name)
            if name in ("unmatched.warc", "header-only.warc"):
                # Headers never match: nothing replaced, the file never written to.
                self.assertEqual(data, files[name])
                after = os.stat(path)
                self.assertEqual((after.st_ino, after.st_mtime_ns), (stats[name].st_ino, stats[name].st_mtime_ns), name)
            else:
                self.assertGreater(self.check_filter(src, data, [(b"elvis", b"The King")]), 5, name)
        # Run again: the King has no elvis left to replace.
        rewritten = {name: self.read(os.path.join(tree, name)) for name in files}
        r = run(["--in-place", "--warc", "-f", "elvis", "-r", "The King", tree])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual({name: self.read(os.path.join(tree, name)) for name in files}, rewritten)

    def test_in_place_dry_run_counts_and_writes_nothing(self):
        tree, files, expected = self.in_place_tree()
        before = {name: (os.stat(os.path.join(tree, name)).st_ino, self.read(os.path.join(tree, name))) for name in files}
        r = run(["--in-place", "--warc", "--dry-run", "-j", "2", tree])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual({name: (os.stat(os.path.join(tree, name)).st_ino, self.read(os.path.join(tree, name)))
                          for name in files}, before)
        occurrences = sum(split_payload(rec)[1].count(b"elvis") for rec in self.parsed if selected(rec))
        listed = dict(line.rsplit(b"\t", 1) for line in r.stdout.splitlines())
        self.assertEqual(listed, {os.path.join(tree, name).encode(): b"%d" % occurrences
                                  for name in ("per-record.warc.wet.gz", "one-member.warc.gz", "plain.warc")})

    def test_in_place_malformed_file_left_as_it_was(self):
        g = gen_warc.Generator(seed=5)
        head = [g.warcinfo(), g.conversion(b"elvis one"), g.conversion(b"elvis two, elvis")]
        block = b"truncated: elvis"
        bad = [b for b, _ in self.bad_records(g)]
        bad.append(gen_warc.record([("WARC-Type", "conversion"), ("Content-Length", len(block) + 1000)], block)[:-4])
        good = gen_warc.write_file(os.path.join(self.dir, "good.warc.gz"), head)
        good_data = self.read(good)
        good_rewritten = self.filter([], good)
        for n, record in enumerate(bad):
            data = b"".join(head) + record + b"".join(head[1:])
            err = parse_warc(data)[1]
            for compressed in (False, True):
                path = gen_warc.write_file(os.path.join(self.dir, f"bad-{n}.warc" + (".gz" if compressed else "")),
                                           head + [record] + head[1:], gzip=compressed)
                original = self.read(path)
                r = run(["--in-place", "--warc", path, good])
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertEqual(self.read(path), original, "a malformed file is left as it was")
                line = next(l for l in r.stderr.splitlines() if os.path.basename(path).encode() + b":" in l)
                m = re.search(rb"byte (\d+)", line)
                self.assertIsNotNone(m, line)
                self.assertTrue(err[0] <= int(m.group(1)) <= len(data), (line, err))
                self.assertEqual(b"of the inflated data" in line, compressed, line)
                # The good file beside it was rewritten all the same (once).
                self.assertEqual(b"".join(split_members(self.read(good))), good_rewritten)
                with open(good, "wb") as f:
                    f.write(good_data)
        # A corrupt gzip member, and a *.gz name over plain records: errors, files intact.
        members = gen_warc.gzip_members(head)
        third = bytearray(members[2])
        third[len(third) // 2] ^= 0x5A
        corrupt = self.write("corrupt.warc.gz", b"".join(members[:2]) + bytes(third))
        named = self.write("named.warc.gz", b"".join(head))
        for path in (corrupt, named):
            original = self.read(path)
            r = run(["--in-place", "--warc", path])
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(os.path.basename(path).encode() + b": ", r.stderr)
            self.assertIn(b"gzip", r.stderr)
            self.assertEqual(self.read(path), original)

    def test_warcio_reads_what_the_filter_writes(self):
        if ArchiveIterator is None:
            return  # warcio is not installed: nothing to compare with
        import io
        g = gen_warc.Generator(seed=9)
        recs = list(g.records(200_000, mixed=True))
        path = gen_warc.write_file(os.path.join(self.dir, "mixed.warc.gz"), recs)
        gz_out = self.filter(["--gzip-output", "-f", "elvis", "-r", "The King"], path)
        for data in (self.read(path), gz_out):
            ours = parse_warc(gzip.decompress(data))[0]
            theirs = [(r.rec_type.encode(), r.rec_headers.get_header("WARC-Record-ID").encode(), r.raw_stream.read())
                      for r in ArchiveIterator(io.BytesIO(data), no_record_parse=True)]
            self.assertEqual(theirs, [(r.type, r.get(b"warc-record-id"), r.block) for r in ours])


if __name__ == "__main__":
    unittest.main()
