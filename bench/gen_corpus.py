#!/usr/bin/env python3
"""Generates benchmark corpora for elvis (python3 standard library only).

Modes:
  text SIZE OUT     English-like words and punctuation, a newline every ~60-100 bytes, about one
                    `elvis` per 300 bytes plus near misses (elvi, lvis, eelvis, Elvis, ELVIS,
                    "elvi s", president). Exactly SIZE bytes; the last byte is a newline.
  nolines SIZE OUT  The same words without a single newline byte (one huge "line").
  news DIR N        N RSS-like XML files of ~12 KB each, some in nested subdirectories.

SIZE takes an optional K, M or G suffix (powers of 1024): 64M, 1G, 500K, 12345.

The expected number of `elvis` occurrences (case-sensitive, non-overlapping; `eelvis` holds one)
in the output is printed to stdout as a single integer; details go to stderr.

Speed: a pool of a few MiB of text is generated once from a seeded RNG, then written out in
chunks, each chunk picked at random from the pool and rotated at a random line (or word)
boundary, so the output is not periodic. Chunks end in a separator, so no occurrence of `elvis`
spans two chunks and the count is the sum of the per-chunk counts. 1 GiB takes a few seconds.
"""

import argparse
import os
import random
import sys

WORDS = """
the of and to a in is it you that he was for on are with as his they be at one have this from
or had by hot word but what some we can out other were all there when up use your how said an
each she which do their time if will way about many then them write would like so these her long
make thing see him two has look more day could go come did number sound no most people my over
know water than call first who may down side been now find any new work part take get place made
live where after back little only round man year came show every good me give our under name very
through just form sentence great think say help low line differ turn cause much mean before move
right boy old too same tell does set three want air well also play small end put home read hand
port large spell add even land here must big high such follow act why ask men change went light
kind off need house picture try us again animal point mother world near build self earth father
head stand own page should country found answer school grow study still learn plant cover food sun
four between state keep eye never last let thought city tree cross farm hard start might story saw
far sea draw left late run while press close night real life few north open seem together next
white children begin got walk example ease paper group always music those both mark often letter
until mile river car feet care second book carry took science eat room friend began idea fish
mountain stop once base hear horse cut sure watch color face wood main enough plain girl usual
young ready above ever red list though feel talk bird soon body dog family direct pose leave song
measure door product black short numeral class wind question happen complete ship area half rock
order fire south problem piece told knew pass since top whole king space heard best hour better
true during hundred five remember step early hold west ground interest reach fast verb sing listen
six table travel less morning ten simple several vowel toward war lay against pattern slow center
love person money serve appear road map rain rule govern pull cold notice voice unit power town
fine certain fly fall lead cry dark machine note wait plan figure star box noun field rest correct
able pound done beauty drive stood contain front teach week final gave green oh quick develop ocean
warm free minute strong special mind behind clear tail produce fact street inch multiply nothing
course stay wheel full force blue object decide surface deep moon island foot system busy test
record boat common gold possible plane stead dry wonder laugh thousand ago ran check game shape
equate miss brought heat snow tire bring yes distant fill east paint language among grand ball yet
wave drop heart am present heavy dance engine position arm wide sail material size vary settle
speak weight general ice matter circle pair include divide syllable felt perhaps pick sudden count
square reason length represent art subject region energy hunt probable bed brother egg ride cell
believe fraction forest sit race window store summer train sleep prove lone leg exercise wall catch
mount wish sky board joy winter sat written wild instrument kept glass grass cow job edge sign
visit past soft fun bright gas weather month million bear finish happy hope flower clothe strange
gone jump baby eight village meet root buy raise solve metal whether push seven paragraph third
shall held hair describe cook floor either result burn hill safe cat century consider type law bit
coast copy phrase silent tall sand soil roll temperature finger industry value fight lie beat
excite natural view sense ear else quite broke case middle kill son lake moment scale loud spring
observe child straight consonant nation dictionary milk speed method organ pay age section dress
cloud surprise quiet stone tiny climb cool design poor lot experiment bottom key iron single stick
flat twenty skin smile crease hole trade melody trip office receive row mouth exact symbol die
least trouble shout except wrote seed tone join suggest clean break lady yard rise bad blow oil
blood touch grew cent mix team wire cost lost brown wear garden equal sent choose fell fit flow
fair bank collect save control decimal gentle woman captain practice separate difficult doctor
please protect noon whose locate ring character insect caught period indicate radio spoke atom
human history effect electric expect crop modern element hit student corner party supply bone rail
imagine provide agree thus capital chair danger fruit rich thick soldier process operate guess
necessary sharp wing create neighbor wash bat rather crowd corn compare poem string bell depend
meat rub tube famous dollar stream fear sight thin triangle planet hurry chief colony clock mine
tie enter major fresh search send yellow gun allow print dead spot desert suit current lift rose
continue block chart hat sell success company subtract event particular deal swim term opposite
wife shoe shoulder spread arrange camp invent cotton born determine quart nine truck noise level
chance gather shop stretch throw shine property column molecule select wrong gray repeat require
broad prepare salt nose plural anger claim continent oxygen sugar death pretty skill women season
solution magnet silver thank branch match suffix especially fig afraid huge sister steel discuss
forward similar guide experience score apple bought led pitch coat mass card band rope slip win
dream evening condition feed tool total basic smell valley nor double seat arrive master track
parent shore division sheet substance favor connect post spend chord fat glad original share
station dad bread charge proper bar offer segment slave duck instant market degree populate chick
dear enemy reply drink occur support speech nature range steam motion path liquid log meant
quotient teeth shell neck graceland memphis guitar record singer stage tour vegas rock roll
""".split()

# (token, share of all tokens). A token averages ~4.8 bytes with its separator, so ~62 tokens make
# 300 bytes: `elvis` at 1/62 of the tokens gives about one per 300 bytes.
SPECIALS = [
    ("elvis", 1 / 62),
    ("eelvis", 1 / 600),     # contains `elvis`: counts
    ("elvi", 1 / 200),
    ("lvis", 1 / 200),
    ("Elvis", 1 / 150),
    ("ELVIS", 1 / 300),
    ("elvi s", 1 / 300),
    ("elv", 1 / 400),
    ("president", 1 / 120),
]

# Separators after a token. None of them may contain a letter: chunk boundaries rely on it.
SEPARATORS = [(" ", 0.80), (", ", 0.07), (". ", 0.06), ("; ", 0.01), ("! ", 0.01), ("? ", 0.01),
              (" - ", 0.01), (" (", 0.01), (") ", 0.01), (" \"", 0.005), ("\" ", 0.005)]


def parse_size(text):
    t = text.strip().upper()
    if t.endswith("IB"):
        t = t[:-2]
    elif t.endswith("B") and len(t) > 1 and t[-2] in "KMG":
        t = t[:-1]
    mult = 1
    if t and t[-1] in "KMG":
        mult = 1024 ** ("KMG".index(t[-1]) + 1)
        t = t[:-1]
    try:
        value = int(float(t) * mult)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad size {text!r} (examples: 64M, 1G, 500K, 12345)")
    if value < 1:
        raise argparse.ArgumentTypeError(f"size must be at least 1 byte: {text!r}")
    return value


def token_table(elvis_share=None):
    specials = [(tok, elvis_share if tok == "elvis" and elvis_share else share)
                for tok, share in SPECIALS]
    special_share = sum(share for _, share in specials)
    # Zipf-like weights for the plain words, scaled to the remaining share.
    raw = [1.0 / (rank + 10) for rank in range(len(WORDS))]
    scale = (1.0 - special_share) / sum(raw)
    tokens = list(WORDS) + [tok for tok, _ in specials]
    weights = [w * scale for w in raw] + [share for _, share in specials]
    return tokens, weights


def make_chunk(rng, target, newlines):
    """About `target` bytes of text that ends in a separator ('\\n' or ' ')."""
    tokens, weights = token_table()
    seps = [s for s, _ in SEPARATORS]
    sep_w = [w for _, w in SEPARATORS]
    n = target // 6 + 64
    parts = []
    size = 0
    line_len = 0
    line_target = rng.randint(60, 100)
    while size < target:
        words = rng.choices(tokens, weights, k=n)
        after = rng.choices(seps, sep_w, k=n)
        if not newlines:
            for w, s in zip(words, after):
                parts.append(w)
                parts.append(s)
                size += len(w) + len(s)
            continue
        for w, s in zip(words, after):
            parts.append(w)
            line_len += len(w)
            if line_len + len(s) >= line_target:
                # Close the line; drop trailing blanks of the separator ("."/"," stay).
                s = s.rstrip(" ")
                parts.append(s + "\n")
                size += line_len + len(s) + 1
                line_len = 0
                line_target = rng.randint(60, 100)
            else:
                parts.append(s)
                line_len += len(s)
    if newlines and line_len:
        parts.append("\n")
    data = "".join(parts).encode("ascii")
    if not newlines:
        assert b"\n" not in data
        if not data.endswith(b" "):
            data += b" "
    return data


def boundaries(rng, chunk, sep, count=256):
    """Random offsets just after a separator byte: rotating there keeps words intact."""
    positions = []
    start = 0
    n = len(chunk)
    for _ in range(count):
        p = chunk.find(sep, rng.randrange(n)) + 1
        if p <= 0 or p >= n:
            p = 0
        positions.append(p)
    return positions or [start]


def gen_stream(size, out_path, newlines, seed):
    rng = random.Random(seed)
    chunk_target = 256 * 1024
    pool_chunks = 16  # 4 MiB of distinct text
    sep = b"\n" if newlines else b" "
    pool = [make_chunk(rng, chunk_target, newlines) for _ in range(pool_chunks)]
    cuts = [boundaries(rng, c, sep) for c in pool]
    counts = [c.count(b"elvis") for c in pool]

    expected = 0
    written = 0
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    tmp = out_path + ".tmp"
    with open(tmp, "wb", buffering=0) as f:
        while written < size:
            i = rng.randrange(pool_chunks)
            chunk = pool[i]
            p = rng.choice(cuts[i])
            remaining = size - written
            if len(chunk) <= remaining:
                f.write(memoryview(chunk)[p:])
                f.write(memoryview(chunk)[:p])
                expected += counts[i]
                written += len(chunk)
            else:
                piece = (chunk[p:] + chunk[:p])[:remaining]
                if newlines:
                    piece = piece[:-1] + b"\n"
                f.write(piece)
                expected += piece.count(b"elvis")
                written += len(piece)
    os.replace(tmp, out_path)
    return expected


RSS_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<title>{title}</title>
<link>https://news.example.org/feeds/{n}</link>
<description>{desc}</description>
<language>en-us</language>
"""

RSS_ITEM = """<item>
<title>{title}</title>
<link>https://news.example.org/{n}/{k}.html</link>
<guid isPermaLink="false">item-{n}-{k}</guid>
<pubDate>{day}, {dd:02d} {mon} 20{yy:02d} {hh:02d}:{mm:02d}:00 GMT</pubDate>
<dc:creator>{author}</dc:creator>
<description><![CDATA[{body}]]></description>
</item>
"""

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def gen_news(out_dir, n_files, seed):
    rng = random.Random(seed)
    # News is sparser in `elvis` (about one per 2.5 KB), so only some items mention it.
    tokens, weights = token_table(elvis_share=1 / 500)
    # A pool of words to take slices from.
    pool = rng.choices(tokens, weights, k=400_000)
    pool_len = len(pool)

    def words(k):
        a = rng.randrange(pool_len - k)
        return " ".join(pool[a:a + k])

    subdirs = ["", "", "", "world", "world/americas", "world/europe", "music",
               "music/archive/1977", "politics", "politics/us/white-house"]
    expected = 0
    items_with_elvis = 0
    items_total = 0
    total_bytes = 0
    for n in range(n_files):
        sub = subdirs[n % len(subdirs)]
        d = os.path.join(out_dir, sub) if sub else out_dir
        os.makedirs(d, exist_ok=True)
        parts = [RSS_HEAD.format(title=words(5).title(), n=n, desc=words(12))]
        size = len(parts[0])
        k = 0
        target = rng.randint(11 * 1024, 13 * 1024)
        while size < target - 200:
            body = words(rng.randint(40, 180))
            if rng.random() < 0.3:
                body = "<p>" + body + "</p>"
            item = RSS_ITEM.format(title=words(rng.randint(4, 10)).capitalize(), n=n, k=k,
                                   day=rng.choice(DAYS), dd=rng.randint(1, 28),
                                   mon=rng.choice(MONTHS), yy=rng.randint(0, 24),
                                   hh=rng.randint(0, 23), mm=rng.randint(0, 59),
                                   author=words(2).title(), body=body)
            items_total += 1
            if "elvis" in item:
                items_with_elvis += 1
            parts.append(item)
            size += len(item)
            k += 1
        parts.append("</channel>\n</rss>\n")
        text = "".join(parts)
        data = text.encode("ascii")
        expected += data.count(b"elvis")
        total_bytes += len(data)
        with open(os.path.join(d, f"feed-{n:06d}.xml"), "wb") as f:
            f.write(data)
    print(f"news: {n_files} files, {total_bytes} bytes, {items_total} items, "
          f"{items_with_elvis} items containing 'elvis'", file=sys.stderr)
    return expected


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--seed", type=int, default=1935, help="RNG seed (default 1935)")
    sub = ap.add_subparsers(dest="mode", required=True)
    for mode in ("text", "nolines"):
        p = sub.add_parser(mode)
        p.add_argument("size", type=parse_size)
        p.add_argument("out")
    p = sub.add_parser("news")
    p.add_argument("dir")
    p.add_argument("n", type=int)
    args = ap.parse_args()

    if args.mode in ("text", "nolines"):
        expected = gen_stream(args.size, args.out, args.mode == "text", args.seed)
        print(f"{args.mode}: {args.size} bytes to {args.out}", file=sys.stderr)
    else:
        expected = gen_news(args.dir, args.n, args.seed)
    print(expected)


if __name__ == "__main__":
    main()
