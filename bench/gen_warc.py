#!/usr/bin/env python3
"""Common-Crawl-like WARC/1.0 WET files for elvis's --warc mode (python3 standard library only).

CLI:
  gen_warc.py --size 1G --seed 1 --gzip OUT.warc.wet.gz   one gzip member per record
  gen_warc.py --size 8M --plain OUT.warc.wet              uncompressed
  options: --mixed (also response, request and metadata records, as in a WARC file), --density D
  (the share of words that are `elvis`, `Elvis`, `presley` or a near miss), --level N (zlib
  level, default 1: fast enough for 1 GiB), --stats FILE (what was written, as JSON).

SIZE (K, M, G suffixes: powers of 1024) is the uncompressed length, exact unless too small for
the warcinfo record and one more. Standard output gets what `elvis count --warc -t elvis OUT`
must print, computed here while writing:
  elvis<TAB>TF<TAB>DF
  #warc<TAB>records<TAB>N<TAB>payload-bytes<TAB>M

The term `elvis` (in any case) is only ever written into payloads that count searches by
default (conversion records, bodies of response records): never into WARC headers, HTTP heads,
warcinfo, request or metadata records, so that a whole-stream count (zcat | rg) agrees with
elvis's per-payload count. trap_records() deliberately breaks that rule, for the tests.

Module use (test/cli/test_warc.py): record(), sha1_b32(), Generator, trap_records(),
gzip_members(), write_file().
"""

import argparse
import base64
import bisect
import datetime
import hashlib
import json
import os
import random
import re
import sys
import time
import uuid
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_corpus import parse_size  # noqa: E402 (sizes as every bench script takes them)

CRLF = b"\r\n"
TERMS = ("elvis", "Elvis", "presley")
# Near misses share letters with the terms: they exercise -i and -w ("eelvis" and "elvis_" hold
# `elvis` but not as a word; "ELVIS" only with -i).
NEAR_MISSES = ("eelvis", "elvi", "lvis", "ELVIS", "elvis_", "elv", "Presley's")
WORDS = """
the of and to in is it you that he was for on are with as his they be at one have this from or had
by hot word but what some we can out other were all there when up use your how said an each she
which do their time if will way about many then them write would like so these her long make thing
see him two has look more day could go come did number sound no most people my over know water
than call first who may down side been now find any new work part take get place made live where
after back little only round man year came show every good me give our under name very through
just form sentence great think say help low line differ turn cause much mean before move right boy
old too same tell does set three want air well also play small end put home read hand port large
spell add even land here must big high such follow act why ask men change went light kind off need
house picture try us again animal point mother world near build self earth father head stand own
page should country found answer school grow study still learn plant cover food sun four between
state keep eye never last let thought city tree cross farm hard start might story saw far sea draw
graceland memphis guitar record singer stage tour vegas rock roll king music hound dog suede shoes
café naïve Straße größer été déjà 日本語 音楽 Zürich señor año
""".split()
LANGUAGES = ["eng", "eng", "eng", "eng,fra", "deu", "fra", "jpn,eng", "spa", None]
HOSTS = ["example.com", "news.example.org", "blog.example.net", "shop.example.co.uk", "wiki.example.de",
         "forum.example.fr", "music.example.jp", "archive.example.edu"]


def sha1_b32(data):
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def _bytes(v):
    return v if isinstance(v, bytes) else str(v).encode("utf-8")


LENGTH = object()  # a header value to be filled with the block's length


def record(headers, block, *, version=b"WARC/1.0", eol=CRLF, trailer=CRLF + CRLF):
    """One record as bytes. headers: (name, value) pairs, written in order; a value LENGTH
    becomes len(block). Nothing is added, so a record without Content-Length is possible."""
    lines = [_bytes(version)]
    for name, value in headers:
        lines.append(_bytes(name) + b": " + (str(len(block)).encode() if value is LENGTH else _bytes(value)))
    return eol.join(lines) + eol + eol + block + trailer


def gzip_members(records, level=6):
    """Each record its own gzip member (wbits 31: a gzip header, mtime 0), as Common Crawl does."""
    out = []
    for rec in records:
        c = zlib.compressobj(level, zlib.DEFLATED, 31)
        out.append(c.compress(rec) + c.flush())
    return out


def write_file(path, records, gzip=True, level=6):
    with open(path, "wb") as f:
        for chunk in (gzip_members(records, level) if gzip else records):
            f.write(chunk)
    return path


class Generator:
    """Deterministic from the seed: the same seed and arguments give the same bytes."""

    def __init__(self, seed=1, density=0.02, pool_size=4 << 20):
        self.rng = random.Random(seed)
        self.density = density
        self.clock = datetime.datetime(2024, 2, 20, 12, 0, 0, tzinfo=datetime.timezone.utc)
        self.pool = self._pool(pool_size)
        # Offsets of line starts in the pool: payloads are whole lines, as in a WET file.
        self.line_starts = [0] + [m.end() for m in re.finditer(b"\n", self.pool)][:-1]

    def _pool(self, size):
        rng = self.rng
        specials = TERMS * 4 + NEAR_MISSES  # the terms more often than the near misses
        vocab = WORDS + list(specials)
        weights = [(1 - self.density) / len(WORDS)] * len(WORDS) + [self.density / len(specials)] * len(specials)
        lines, n = [], 0
        while n < size:
            # In batches: random.choices is much faster per word than random.choice.
            words = rng.choices(vocab, weights, k=60000)
            i = 0
            while i < len(words) and n < size:
                k = rng.randint(3, 30)
                line = " ".join(words[i:i + k])
                i += k
                if k % 3 == 0:
                    line = line[:1].upper() + line[1:] + "."
                data = (line + "\n").encode("utf-8")
                lines.append(data)
                n += len(data)
        return b"".join(lines)

    def record_id(self):
        return "<urn:uuid:%s>" % uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def date(self):
        self.clock += datetime.timedelta(seconds=self.rng.randint(0, 3))
        return self.clock.strftime("%Y-%m-%dT%H:%M:%SZ")

    def uri(self):
        rng = self.rng
        path = "/".join(rng.choice(WORDS[:200]) for _ in range(rng.randint(1, 4)))
        return f"http{'s' if rng.random() < 0.7 else ''}://{rng.choice(HOSTS)}/{path}?id={rng.randint(1, 10**6)}"

    def text(self, n):
        """Whole pool lines, at least n bytes (but for a pool shorter than that)."""
        starts = self.line_starts
        k = self.rng.randrange(len(starts))
        begin = starts[k]
        j = bisect.bisect_left(starts, begin + n)
        if j >= len(starts):  # past the pool's end: the lines just before begin instead
            end = len(self.pool)
            begin = max(0, end - n)
            begin = starts[bisect.bisect_left(starts, begin)] if begin else 0
            return self.pool[begin:end]
        return self.pool[begin:starts[j]]

    def payload_length(self):
        # Log-normal, median ~5 KB, mean ~8 KB, like Common Crawl's extracted text.
        return int(min(max(self.rng.lognormvariate(8.5, 1.0), 64), 256_000))

    def warcinfo(self, filename="CC-MAIN-20240220120000-00000.warc.wet.gz"):
        block = CRLF.join([b"Software-Info: gen_warc.py", b"Extracted-Date: Tue, 20 Feb 2024 12:00:00 GMT",
                           b"robots: checked via crawler-commons", b"isPartOf: CC-MAIN-2024-10",
                           b"operator: Common Crawl Admin", b"description: Wide crawl of the web",
                           b"publisher: Common Crawl"]) + CRLF
        return record([("WARC-Type", "warcinfo"), ("WARC-Date", self.date()), ("WARC-Filename", filename),
                       ("WARC-Record-ID", self.record_id()), ("Content-Type", "application/warc-fields"),
                       ("Content-Length", LENGTH)], block)

    def conversion(self, payload=None, lang="random", uri=None):
        if payload is None:
            payload = self.text(self.payload_length())
        if lang == "random":
            lang = self.rng.choice(LANGUAGES)
        headers = [("WARC-Type", "conversion"), ("WARC-Target-URI", uri or self.uri()), ("WARC-Date", self.date()),
                   ("WARC-Record-ID", self.record_id()), ("WARC-Refers-To", self.record_id()),
                   ("WARC-Block-Digest", sha1_b32(payload))]
        if lang:
            headers.append(("WARC-Identified-Content-Language", lang))
        headers += [("Content-Type", "text/plain"), ("Content-Length", LENGTH)]
        return record(headers, payload)

    def http_head(self, length):
        return CRLF.join([b"HTTP/1.1 200 OK", b"Date: Tue, 20 Feb 2024 12:00:00 GMT", b"Server: nginx",
                          b"Content-Type: text/html; charset=UTF-8", b"Content-Length: %d" % length]) + CRLF + CRLF

    def response(self, body=None, uri=None, head=None, lang="random"):
        if body is None:
            body = b"<html><body><p>" + self.text(self.payload_length()) + b"</p></body></html>\n"
        block = (head if head is not None else self.http_head(len(body))) + body
        if lang == "random":
            lang = self.rng.choice(LANGUAGES)
        headers = [("WARC-Type", "response"), ("WARC-Date", self.date()), ("WARC-Record-ID", self.record_id()),
                   ("Content-Length", LENGTH), ("Content-Type", "application/http; msgtype=response"),
                   ("WARC-Target-URI", uri or self.uri()), ("WARC-Block-Digest", sha1_b32(block)),
                   ("WARC-Payload-Digest", sha1_b32(body))]
        if lang:
            headers.append(("WARC-Identified-Content-Language", lang))
        return record(headers, block)

    def request(self, uri=None, block=None):
        uri = uri or self.uri()
        if block is None:
            host = uri.split("/")[2]
            block = CRLF.join([b"GET /" + uri.split("/", 3)[3].encode() + b" HTTP/1.1", b"Host: " + host.encode(),
                               b"User-Agent: CCBot/2.0 (https://commoncrawl.org/faq/)", b"Accept: text/html"]) + CRLF + CRLF
        return record([("WARC-Type", "request"), ("WARC-Date", self.date()), ("WARC-Record-ID", self.record_id()),
                       ("Content-Length", LENGTH), ("Content-Type", "application/http; msgtype=request"),
                       ("WARC-Target-URI", uri), ("WARC-Block-Digest", sha1_b32(block))], block)

    def metadata(self, uri=None, block=None):
        if block is None:
            block = b"fetchTimeMs: %d\r\ncharset-detected: UTF-8\r\n" % self.rng.randint(10, 3000)
        return record([("WARC-Type", "metadata"), ("WARC-Date", self.date()), ("WARC-Record-ID", self.record_id()),
                       ("WARC-Target-URI", uri or self.uri()), ("Content-Type", "application/warc-fields"),
                       ("Content-Length", LENGTH)], block)

    def records(self, size, mixed=False, stats=None):
        """Yields records whose lengths add up to exactly `size` (unless it is too small).
        stats, a dict, gets the counts of `elvis` in the payloads count searches by default."""
        st = stats if stats is not None else {}
        st.update(bytes=0, records=0, searched=0, payload_bytes=0, tf=0, df=0, by_type={})

        def note(kind, rec, payload=None):
            st["bytes"] += len(rec)
            st["records"] += 1
            st["by_type"][kind] = st["by_type"].get(kind, 0) + 1
            if payload is not None:
                n = payload.count(b"elvis")
                st["searched"] += 1
                st["payload_bytes"] += len(payload)
                st["tf"] += n
                st["df"] += n > 0
            return rec

        yield note("warcinfo", self.warcinfo())
        while True:
            remaining = size - st["bytes"]
            if mixed and remaining > 4096 and self.rng.random() < 0.6:
                uri = self.uri()
                yield note("request", self.request(uri))
                body = b"<html><body><p>" + self.text(self.payload_length()) + b"</p></body></html>\n"
                rec = self.response(body, uri)
                if len(rec) + 2048 < size - st["bytes"]:
                    yield note("response", rec, body)
                    yield note("metadata", self.metadata(uri))
                    continue
            remaining = size - st["bytes"]
            length = self.payload_length()
            if remaining > length + 2048:
                payload = self.text(length)
                rec = self.conversion(payload)
                if len(rec) + 1024 <= remaining:
                    yield note("conversion", rec, payload)
                    continue
            # The last record: a payload cut to the byte so that the total is exactly size. Its
            # header's length depends on the payload's through Content-Length's digits.
            if remaining <= 0:
                return
            n = remaining
            for _ in range(4):
                probe = self.conversion(b"x" * max(n, 0), lang="eng", uri="https://example.com/last")
                n = remaining - (len(probe) - max(n, 0))
            if n < 0:
                return  # too small for one more record: the file stays a little short
            payload = (self.text(n) + self.text(n))[:n]  # two pieces: enough even at the pool's end
            rec = self.conversion(payload, lang="eng", uri="https://example.com/last")
            yield note("conversion", rec, payload)
            return


def trap_records(big_size=3 << 20, seed=7):
    """Small records, each a trap for a WARC reader, and one record of more than big_size bytes.
    Returns [(what, record bytes)]; the first is a warcinfo record. The expected counts are the
    reader's to compute (test/cli/test_warc.py's reference): no count is promised here."""
    g = Generator(seed=seed, density=0.05, pool_size=1 << 20)
    out = [("warcinfo", g.warcinfo("traps.warc.wet.gz"))]
    add = lambda what, rec: out.append((what, rec))

    add("CRLF payload holding WARC/1.0 lines, blank lines and a fake record",
        g.conversion(b"elvis at the start\r\n\r\nWARC/1.0\r\nWARC-Type: conversion\r\nContent-Length: 5\r\n\r\n"
                     b"elvis\r\n\r\n\r\nElvis presley elvis\r\n", lang="eng"))
    add("LF payload holding a fake lowercase header",
        g.conversion(b"elvis\n\nWARC/1.0\n\nwarc-type: conversion\ncontent-length: 0\n\n\nelvis elvis\n", lang="eng,fra"))
    add("empty payload", g.conversion(b"", lang="eng"))
    add("invalid UTF-8", g.conversion(b"\xff\xfe elvis \xc3\x28 \xed\xa0\x80 Elvis \x80elvis\xc0\xaf presley", lang="deu"))
    add("payload ending in 'elv'", g.conversion(b"the end of this one: elv", lang="eng"))
    add("payload starting with 'is'", g.conversion(b"is the start of this one, and elvis", lang="eng"))
    add("payload ending in CRLF CRLF (then the trailer's own)", g.conversion(b"elvis\r\n\r\n", lang="fra"))
    add("words for -w", g.conversion(b"elvis_ xelvis elvis2 (elvis) Elvis. ELVIS eelvis elvielvis elvis", lang="fra,eng"))
    pieces, n = [b"elvis "], 6
    while n <= big_size:
        pieces.append(g.text(min(big_size + 1 - n, 256 << 10)))
        n += len(pieces[-1])
    big = b"".join(pieces) + b" elvis"
    add(f"payload of {len(big)} bytes", g.conversion(big, lang="eng"))
    add("lowercase header names", record(
        [("warc-type", "conversion"), ("warc-target-uri", "http://lower.example.com/"), ("warc-date", g.date()),
         ("warc-record-id", g.record_id()), ("warc-block-digest", sha1_b32(b"lowercase elvis Elvis")),
         ("warc-identified-content-language", "eng"), ("content-type", "text/plain"), ("content-length", LENGTH)],
        b"lowercase elvis Elvis"))
    lf = b"LF-only header lines\nelvis presley\n"
    add("LF-only header lines", record(
        [("WARC-Type", "conversion"), ("WARC-Target-URI", "http://lf.example.com/"), ("WARC-Date", g.date()),
         ("WARC-Record-ID", g.record_id()), ("WARC-Block-Digest", sha1_b32(lf)),
         ("WARC-Identified-Content-Language", "deu"), ("Content-Type", "text/plain"), ("Content-Length", LENGTH)],
        lf, eol=b"\n"))
    body = b"<p>elvis in the body, Elvis too</p>\r\n\r\nelvis after a blank line\n"
    head = CRLF.join([b"HTTP/1.1 200 OK", b"X-Fan-Of: elvis", b"Content-Type: text/html"]) + CRLF + CRLF
    add("response whose HTTP head holds the term", g.response(body, head=head, lang="eng"))
    add("response with an LF HTTP head (\\n\\n before a later \\r\\n\\r\\n)",
        g.response(b"elvis\r\n\r\nelvis\n", head=b"HTTP/1.1 200 OK\nX-Note: elvis\n\n", lang="eng"))
    add("request holding the term", g.request("http://example.com/elvis",
                                              b"GET /elvis HTTP/1.1\r\nHost: example.com\r\n\r\nelvis=1"))
    add("metadata holding the term", g.metadata("http://example.com/elvis", b"note: elvis\r\n"))
    add("WARC-Type in capitals, a resource", record(
        [("WARC-Type", "RESOURCE"), ("WARC-Target-URI", "file:///music/elvis.txt"), ("WARC-Date", g.date()),
         ("WARC-Record-ID", g.record_id()), ("WARC-Block-Digest", sha1_b32(b"resource: elvis presley")),
         ("WARC-Payload-Digest", sha1_b32(b"resource: elvis presley")), ("Content-Type", "text/plain"),
         ("Content-Length", LENGTH)], b"resource: elvis presley"))
    add("WARC/1.1", record(
        [("WARC-Type", "conversion"), ("WARC-Target-URI", "http://v11.example.com/"), ("WARC-Date", g.date()),
         ("WARC-Record-ID", g.record_id()), ("Content-Type", "text/plain"), ("Content-Length", LENGTH)],
        b"version 1.1: elvis", version=b"WARC/1.1"))
    add("URI with a tab and a backslash (TSV escapes)",
        g.conversion(b"escaped elvis", lang="eng", uri="http://example.com/a\\b\tc"))
    add("no language header", g.conversion(b"no language: elvis elvis", lang=None))
    add("languages jpn,eng", g.conversion(b"\xe6\x97\xa5\xe6\x9c\xac elvis", lang="jpn,eng"))
    for _ in range(3):
        add("ordinary conversion", g.conversion())
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--size", type=parse_size, default=parse_size("8M"), help="uncompressed bytes (K, M, G)")
    ap.add_argument("--seed", type=int, default=1)
    how = ap.add_mutually_exclusive_group()
    how.add_argument("--gzip", action="store_true", help="one gzip member per record (the default)")
    how.add_argument("--plain", action="store_true", help="uncompressed")
    ap.add_argument("--mixed", action="store_true", help="also response, request and metadata records")
    ap.add_argument("--density", type=float, default=0.02, help="share of words that are terms or near misses")
    ap.add_argument("--level", type=int, default=1, help="zlib level of each member (default 1)")
    ap.add_argument("--stats", help="write what was generated to this file, as JSON")
    ap.add_argument("--traps", action="store_true", help="write trap_records() instead (--size: the big record)")
    args = ap.parse_args()

    t0 = time.monotonic()
    gen = Generator(args.seed, args.density)
    stats = {}
    if args.traps:
        recs = iter(rec for _, rec in trap_records(args.size, args.seed))
    else:
        recs = gen.records(args.size, args.mixed, stats)
    tmp = args.out + ".tmp"
    compressed = 0
    with open(tmp, "wb", buffering=1 << 20) as f:
        for rec in recs:
            if not args.plain:
                c = zlib.compressobj(args.level, zlib.DEFLATED, 31)
                rec = c.compress(rec) + c.flush()
            compressed += len(rec)
            f.write(rec)
    os.replace(tmp, args.out)
    if args.traps:
        return
    stats.update(file=args.out, gzip=not args.plain, file_bytes=compressed, seed=args.seed, mixed=args.mixed)
    if args.stats:
        with open(args.stats, "w") as f:
            json.dump(stats, f, indent=1)
    sys.stdout.write(f"elvis\t{stats['tf']}\t{stats['df']}\n"
                     f"#warc\trecords\t{stats['searched']}\tpayload-bytes\t{stats['payload_bytes']}\n")
    print(f"gen_warc.py: {stats['bytes']} bytes ({compressed} on disk), {stats['records']} records "
          f"{stats['by_type']}, elvis {stats['tf']} times in {stats['df']} records, {time.monotonic() - t0:.1f} s",
          file=sys.stderr)


if __name__ == "__main__":
    main()
