#!/usr/bin/env python3
"""Writes the hand-made seed corpora fuzz/corpus/fuzz_{rewrite,count,ranges,options}/.

The files are checked in; rerun this after changing a seed or the input encoding (documented in
fuzz_common.hpp and fuzz_count.cpp). Usage: fuzz/make_seeds.py [FUZZ_DIR]
"""
import os
import sys

BEST, AVX2, SSE2, SCALAR = range(4)
WRITABLE, READ_ONLY, ALT_WRITABLE, ALT_READ_ONLY = range(4)


def encode(rules, stream, ignore_case=False, whole_word=False, isa=BEST, mode=WRITABLE, pieces=(),
           record=None, abandon_at=None):
    """rules: [(find, replace)] as bytes; record: (tag, markers_ignore_case) for fuzz_count;
    abandon_at: fuzz_rewrite first abandons a stream whose sink throws at that put (1..8)."""
    assert 1 <= len(rules) <= 20 and len(pieces) <= 15
    out = bytes([ignore_case | whole_word << 1 | isa << 2 | (min(len(rules), 4) - 1) << 4 | mode << 6])
    for i, (find, replace) in enumerate(rules):
        assert 1 <= len(find) <= 64 and len(replace) <= 63
        more = 0x40 if i >= 3 and i + 1 < len(rules) else 0  # past four, each rule adds the next
        out += bytes([len(find) - 1]) + find + bytes([len(replace) | more]) + replace
    if record is not None:
        tag, markers_ignore_case = record
        assert 1 <= len(tag) <= 4
        out += bytes([(len(tag) - 1) | markers_ignore_case << 2]) + tag
    p = len(pieces)
    if abandon_at is not None:
        assert 1 <= abandon_at <= 8
        p |= 0x10 | (abandon_at - 1) << 5
    return out + bytes([p]) + bytes(pieces) + stream


HAYSTACK = b"".join(b"line %d: some hay, a needle, more hay; NEEDLE and Needle\n" % i for i in range(12))

REWRITE = {
    "elvis-default": encode([(b"elvis", b"Elvis")], b"elvielvis eelvis elvis! elvielvielviselvi1 e l v i s",
                            pieces=[3, 1, 7]),
    "elvis-bytewise-readonly": encode([(b"elvis", b"Elvis")], b"aabeeeelvis elvielvis elviselvis", pieces=[1],
                                      mode=READ_ONLY),
    "overlap-aab-aaab": encode([(b"aab", b"X"), (b"aaab", b"YY")], b"aaaab aab aaaaab aaab aa", pieces=[1, 2]),
    "overlap-abab": encode([(b"abab", b"1"), (b"abababab", b"2")], b"ababababab abababab aba bababab",
                           pieces=[2, 5], mode=ALT_WRITABLE),
    "same-length-case": encode([(b"Elvis", b"ELVIS"), (b"king", b"KING")], b"ELVIS elvis eLvIs KiNg kingelvis",
                               ignore_case=True, pieces=[4, 0, 9]),
    "whole-word": encode([(b"cat", b"dog"), (b"cat_", b"x")], b"cat concat cat_ cats (cat) cat9 _cat cat",
                         whole_word=True, pieces=[5, 3], mode=ALT_READ_ONLY),
    "whole-word-case-prefixes": encode([(b"a", b"1"), (b"ab", b"22"), (b"abc", b""), (b"abcd", b"4444")],
                                       b"a ab abc abcd ABCD abcde xabc Ab-aBc", ignore_case=True, whole_word=True,
                                       pieces=[1]),
    "delete-and-grow": encode([(b"ab", b""), (b"b", b"bbb")], b"abba bab abab bbb", pieces=[2], mode=READ_ONLY),
    "binary": encode([(b"\x00\xff", b"\xff\x00"), (b"\xff", b"\xfe")], b"\x00\xff\xff\x00\x00\xff\xfe\xff",
                     isa=SCALAR, pieces=[1, 3]),
    "simd-avx2-long": encode([(b"needle", b"NEEDLE"), (b"hay", b"HAY")], HAYSTACK, ignore_case=True, isa=AVX2,
                             pieces=[0, 100, 37, 255]),
    "simd-sse2-long": encode([(b"needle", b"pin"), (b"hay", b"straw")], HAYSTACK, isa=SSE2, pieces=[17, 64]),
    "abandon-after-failed-write": encode([(b"elvis", b"Elvis!"), (b"aab", b"")], b"elvielvis aaab elvis " * 4,
                                         pieces=[3, 1, 7], abandon_at=3),
    "abandon-same-length": encode([(b"elvis", b"ELVIS")], b"elvielvis eelvis elvis " * 8, pieces=[5, 2, 40],
                                  mode=ALT_WRITABLE, abandon_at=1),
    "many-needles": encode([(w, w.upper()) for w in (b"elvis", b"elvi", b"lvis", b"is", b"king", b"kin", b"rock",
                                                        b"roll", b"rock and roll", b"the", b"he", b"e")],
                           b"the king of rock and roll, elvis elvielvis lvis is kin thee he e " * 3, pieces=[7, 31, 2]),
    "many-needles-words": encode([(w, b"<" + w + b">") for w in (b"a", b"ab", b"abc", b"b", b"bc", b"c", b"ca", b"cab")],
                                 b"a ab abc b bc c ca cab abcab (ab) ab_c a-b-c " * 2, ignore_case=True,
                                 whole_word=True, pieces=[1, 5]),
    "start-table-needles": encode([(bytes([97 + i, 98 + i]), b"#") for i in range(18)],
                                  b"abcdefghijklmnopqrstuvwxyz" * 4, pieces=[3, 33]),
    "long-needle": encode([(b"x" * 40 + b"y", b"Z"), (b"x" * 20, b"w")], b"x" * 70 + b"y" + b"x" * 45,
                          pieces=[7, 13], mode=ALT_WRITABLE),
}

def ranges(rules, stream, threads, read_size, skip=0, **flags):
    """fuzz_ranges: the rules header, then threads (1..8), read size (1..256) and skip bytes."""
    assert 1 <= threads <= 8 and 1 <= read_size <= 256 and 0 <= skip <= 255
    header = encode(rules, b"", **flags)[:-1]  # without the piece-count byte
    return header + bytes([threads - 1, read_size - 1, skip]) + stream


RANGES = {
    "elvis-chains": ranges([(b"elvis", b"Elvis")], b"elvielvis eelvis elvis! elvielvielviselvi1 " * 6, 5, 7),
    "a-runs": ranges([(b"aa", b"xy"), (b"aaa", b"bcd")], b"a" * 301 + b"b" + b"a" * 77, 7, 3, skip=1),
    # The meeting match is decided a chunk after its bytes (abcd might follow).
    "decided-a-chunk-late": ranges([(b"qqq", b"123"), (b"ab", b"XY"), (b"abcd", b"PQRS"), (b"cx", b"UV")],
                                   b".......qqqabcx..........", 3, 3),
    # The range's last match ends where the true one does, but starts elsewhere.
    "same-end-other-start": ranges([(b"Lx", b"12"), (b"xxc", b"PQR"), (b"cdef", b"1234"), (b"def", b"XYZ")],
                                   b"Lxxcdef", 7, 1),
    "met-at-the-end": ranges([(b"a", b"X"), (b"a a", b"XZX"), (b" ", b"X"), (b" a ", b"XXY")],
                             b"a baaaabbaabb aa a baaaa a a", 8, 256),
    "words-case": ranges([(b"Elvis", b"ELVIS"), (b"king", b"KING")], b"ELVIS elvis_ eLvIs KiNg kingelvis (elvis) " * 4,
                         4, 5, skip=3, ignore_case=True, whole_word=True),
    "long-needle": ranges([(b"x" * 40 + b"y", b"Z" * 41), (b"x" * 20, b"w" * 20)], b"x" * 70 + b"y" + b"x" * 45, 6, 9),
}

COUNT = {
    "records-basic": encode([(b"elvis", b""), (b"presley", b"")],
                            b'<rec>elvis</rec><rec id="1">presley elvis elvis</rec><recx>elvis</rec>'
                            b"<rec/>x</rec><rec\tpresley</rec> <rec>open elvis",
                            record=(b"rec", False), pieces=[5, 11]),
    "records-no-nesting": encode([(b"elvis", b"")], b"<rec><rec>elvis</rec>elvis</rec><rec>\nelvis\r\n</rec>",
                                 record=(b"rec", False), pieces=[1]),
    "records-term-across-markers": encode([(b"s</re", b""), (b"c>el", b""), (b"</rec>", b"")],
                                          b"<rec>elvis</rec><rec>els</rec>", record=(b"rec", False),
                                          pieces=[3, 2]),
    "records-case": encode([(b"Elvis", b""), (b"king", b"")], b"<ITEM>ELVIS</item><Item king>elvis</ITEM>",
                           ignore_case=True, record=(b"Item", True), pieces=[6]),
    "records-whole-word": encode([(b"cat", b""), (b"dog", b"")],
                                 b"<r>cat</r><r>concat</r><r>dog cat</r><r>cat</r dogs</r>", whole_word=True,
                                 record=(b"r", False), pieces=[2, 0, 1]),
    "counts-overlap": encode([(b"aab", b""), (b"aaab", b""), (b"abab", b""), (b"abababab", b"")],
                             b"aaaab aab ababababab abababab aaab", record=(b"a", False), pieces=[1, 4]),
    "counts-elvis-simd": encode([(b"elvis", b""), (b"elvielvis", b"")],
                                b"elvielvis elvis " * 20 + b"<t>elvielvis</t>", isa=AVX2, record=(b"t", False),
                                pieces=[33, 64, 255]),
}


def args(*argv):
    """fuzz_options: the arguments after argv[0], NUL-separated (see fuzz_options.cpp)."""
    return b"\0".join(a.encode() if isinstance(a, str) else a for a in argv)


OPTIONS = {
    "filter-pairs": args("-f", "elvis", "-r", "Elvis", "--find=a\tb", "--replace", "", "-iw", "-", "x.txt"),
    "filter-rules": args("--rules", "rules.tsv", "--buffer-size", "64K", "--io=posix", "--stats", "--", "-f"),
    "filter-bad-sizes": args("--buffer-size", "0", "--buffer-size=65M", "--buffer-size", "18446744073709551616G"),
    "filter-unknown": args("--in-plase", "--hlep", "-q", "---", "--find"),
    "filter-in-place": args("--in-place", "--dry-run", "--backup", ".bak", "--hard-links", "split", "-j", "3",
                            "--glob", "!*.o", "--shard", "2/3", "--no-fsync", "--files-from", "paths.txt", "dir"),
    "filter-in-place-bad": args("--in-place", "--diff", "--dry-run", "-j", "0", "--shard", "4/3",
                                "--hard-links=maybe", "-"),
    "filter-in-place-null": args("--in-place", "-0", "--files-from=paths0.txt", "--progress", "--no-progress"),
    "filter-mismatched": args("-f", "a", "-f", "b", "-r", "c", "-z", "--in-place", "p"),
    "filter-help": args("--help"),
    "filter-version": args("-V"),
    "count-basic": args("count", "-t", "elvis", "-t", "presley", "-iw", "--format", "json", "--per-file", "."),
    "count-records": args("count", "--records", "item", "--doc-freq", "--per-file", "--format=tsv", "-j", "256",
                          "--split-threshold", "1G", "--buffer-size", "1"),
    "count-bad": args("count", "--records", "", "-j", "100000", "--shard", "0/0", "--format", "xml", "-0"),
    "count-files-from": args("count", "--files-from", "paths.txt", "-z", "--hidden", "--follow", "--io", "uring"),
    "count-help": args("count", "-h"),
}


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for fuzzer, seeds in (("fuzz_rewrite", REWRITE), ("fuzz_count", COUNT), ("fuzz_ranges", RANGES),
                          ("fuzz_options", OPTIONS)):
        folder = os.path.join(root, "corpus", fuzzer)
        os.makedirs(folder, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
