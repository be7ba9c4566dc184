#!/usr/bin/env python3
"""bench/limits.py: hostile input and limits, each case timed with its peak RSS, elvis beside the
peers that do the same job (perl, sed, grep -F -f, zcat, rg --files), in one invocation.

    python3 bench/limits.py [ELVIS] [REPORT.md]      (bench/limits.sh runs it and keeps the report)

A peer that runs past its time limit is reported as such (killed), not waited for; a peer that
is missing is reported missing. Every elvis result is checked against a reference where one is
cheap (the peers' output, or a count worked out from how the input was made).
"""
import gzip
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ELVIS = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/elvis")
REPORT = sys.argv[2] if len(sys.argv) > 2 else "bench/out/limits-results.md"
LIMIT = float(os.environ.get("PEER_TIME_LIMIT", "60"))
work = tempfile.mkdtemp(prefix="elvis-limits-")
rows = []


def run_isolated(label, argv, stdin=None, stdout=None, shell=False, limit=LIMIT):
    """(seconds, peak RSS MiB, exit status or 'killed', stderr tail) of one run, under GNU time
    (a small C parent: no copy of this Python process is counted as the child's memory)."""
    command = ["/usr/bin/time", "-f", "%e %M", "-o", path("time.out")] + (["sh", "-c", argv] if shell else argv)
    stdin_file = open(stdin, "rb") if stdin else subprocess.DEVNULL
    stdout_file = open(stdout, "wb") if stdout else subprocess.DEVNULL
    proc = subprocess.Popen(command, stdin=stdin_file, stdout=stdout_file, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        err = proc.communicate(timeout=limit)[1].decode(errors="replace")[-300:]
        status = proc.returncode
        seconds, kib = open(path("time.out")).read().split()[-2:]
        seconds, rss = float(seconds), int(kib) / 1024
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # time, and the command under it
        proc.communicate()
        status, err, seconds, rss = "killed", "", limit, float("nan")
    err = "\n".join(line for line in err.splitlines() if not line.startswith("Command "))
    shown = "killed after %.0f s" % limit if status == "killed" else "%.2f s" % seconds
    print(f"[limits] {label}: {shown}, {rss:.0f} MiB, exit {status} {err.strip()[:200]}", file=sys.stderr)
    return seconds, rss, status, err


def row(case, tool, result, note=""):
    seconds, rss, status, _ = result
    shown = f"killed at {LIMIT:.0f} s" if status == "killed" else f"{seconds:.2f}"
    memory = "" if status == "killed" else f"{rss:.0f}" if rss >= 10 else f"{rss:.1f}"
    rows.append(f"| {case} | {tool} | {shown} | {memory} | {status} | {note} |")


def have(command):
    return shutil.which(command) is not None


def path(name):
    return os.path.join(work, name)


# 1. 100,000 rules, filter: elvis --rules against perl (one alternation, a hash lookup per match)
#    and sed -f (one s/// per rule, so it gets a small input).
words = [f"w{i:06d}x" for i in range(100_000)]
with open(path("rules.tsv"), "w") as f:
    f.writelines(f"{w}\t{w.upper()}\n" for w in words)
with open(path("rules.sed"), "w") as f:
    f.writelines(f"s/{w}/{w.upper()}/g\n" for w in words)
text = " ".join(words[i * 7919 % len(words)] + " filler text" for i in range(400_000)).encode() + b"\n"
with open(path("in-10M.txt"), "wb") as f:
    f.write(text[:10_000_000])
with open(path("in-20K.txt"), "wb") as f:
    f.write(text[:20_000])
perl_script = ("open R, '<', $ARGV[0]; while (<R>) { chomp; ($f, $r) = split /\\t/; $h{$f} = $r } shift; "
               "$re = join '|', map quotemeta, sort { length $b <=> length $a } keys %h; "
               "while (<>) { s/($re)/$h{$1}/go; print }")
for size in ["10M", "20K"]:
    out_e, out_p = path(f"out-elvis-{size}"), path(f"out-perl-{size}")
    e = run_isolated(f"100k rules elvis {size}", [ELVIS, "--rules", path("rules.tsv")], stdin=path(f"in-{size}.txt"),
                     stdout=out_e)
    row(f"100,000 rules over {size}B", "elvis --rules", e)
    p = run_isolated(f"100k rules perl {size}", ["perl", "-e", perl_script, path("rules.tsv")],
                     stdin=path(f"in-{size}.txt"), stdout=out_p)
    same = p[2] == 0 and open(out_e, "rb").read() == open(out_p, "rb").read()
    row(f"100,000 rules over {size}B", "perl (alternation + hash)", p, "output = elvis" if same else
        ("output differs" if p[2] == 0 else ""))
s = run_isolated("100k rules sed 20K", ["sed", "-f", path("rules.sed")], stdin=path("in-20K.txt"), stdout=path("out-sed"))
same = s[2] == 0 and open(path("out-sed"), "rb").read() == open(path("out-elvis-20K"), "rb").read()
row("100,000 rules over 20KB", "sed -f", s, "output = elvis" if same else "")

# 2. 100,000 terms, count: elvis count --terms-file against grep -F -f (-o | wc -l) over 10 MB.
with open(path("terms.txt"), "w") as f:
    f.writelines(w + "\n" for w in words)
e = run_isolated("100k terms elvis", [ELVIS, "count", "-j", "1", "--terms-file", path("terms.txt"), path("in-10M.txt")],
                 stdout=path("count-elvis"))
total = sum(int(line.rsplit(b"\t", 1)[1]) for line in open(path("count-elvis"), "rb"))
row("100,000 terms over 10MB", "elvis count --terms-file -j1", e, f"total {total}")
g = run_isolated("100k terms grep", f"grep -oF -f {path('terms.txt')} {path('in-10M.txt')} | wc -l", shell=True,
                 stdout=path("count-grep"))
gt = open(path("count-grep")).read().strip()
row("100,000 terms over 10MB", "grep -oF -f | wc -l", g, f"total {gt}" + (" = elvis" if gt == str(total) else ""))

# 3. A long find text with many nested ones: 100,000 'a's plus 20 shorter runs of 'a', count over
#    1 MiB of 'a'; and the filter with a 1 MiB needle over 256 KiB of 'a' (perl beside it).
with open(path("a-1M"), "wb") as f:
    f.write(b"a" * (1 << 20))
with open(path("a-256K"), "wb") as f:
    f.write(b"a" * (256 << 10))
nested = ["a" * 100_000] + ["a" * (100_000 - 4_999 * k) for k in range(1, 21)]
with open(path("nested.txt"), "w") as f:
    f.writelines(t + "\n" for t in nested)
e = run_isolated("nested count", [ELVIS, "count", "-j", "1", "--terms-file", path("nested.txt"), path("a-1M")],
                 stdout=path("nested-count"))
left, expected = 1 << 20, 0  # leftmost-longest: the longest that fits, again and again
for length in sorted((len(t) for t in nested), reverse=True):
    expected += left // length
    left %= length
got = sum(int(line.rsplit(b"\t", 1)[1]) for line in open(path("nested-count"), "rb"))
row("needle of 100k 'a' + 20 nested, count over 1 MiB of 'a'", "elvis count", e,
    f"{got} matches" + (" (as expected)" if got == expected else f" (expected {expected})"))
with open(path("needle-1M.tsv"), "w") as f:
    f.write("a" * (1 << 20) + "\tb\n")
e = run_isolated("1 MiB needle filter", [ELVIS, "--rules", path("needle-1M.tsv")], stdin=path("a-256K"))
row("1 MiB needle, filter over 256 KiB of 'a'", "elvis", e)
p = run_isolated("1 MiB needle perl", ["perl", "-pe", "BEGIN { $n = 'a' x (1 << 20) } s/\\Q$n\\E/b/g"],
                 stdin=path("a-256K"))
row("1 MiB needle, filter over 256 KiB of 'a'", "perl -pe s///g", p)

# 4. A gzip bomb: 1 GiB of zeros, about 1 MiB compressed.
bomb = path("bomb.gz")
with gzip.open(bomb, "wb", compresslevel=9) as f:
    chunk = b"\0" * (1 << 20)
    for _ in range(1024):
        f.write(chunk)
e = run_isolated("gzip bomb count", [ELVIS, "count", "-z", "-j", "1", bomb])
row(f"gzip bomb: 1 GiB of zeros in {os.path.getsize(bomb) >> 10} KiB", "elvis count -z", e,
    f"{1024 / e[0]:.0f} MiB/s inflated")
z = run_isolated("gzip bomb zcat", f"zcat {bomb} > /dev/null", shell=True)
row(f"gzip bomb: 1 GiB of zeros in {os.path.getsize(bomb) >> 10} KiB", "zcat > /dev/null", z)

# 5. merge: a 200 MB line, and 1,000,000 per-file lines.
with open(path("long-line.tsv"), "wb") as f:
    f.write(b"t" * 200_000_000 + b"\t1\n")
e = run_isolated("merge 200 MB line", [ELVIS, "merge", path("long-line.tsv")])
row("merge: one 200 MB line", "elvis merge", e, (e[3].strip().splitlines() or [""])[-1][:90])
with open(path("per-file.tsv"), "w") as f:
    f.writelines(f"dir/sub/file-{i:07d}.txt\telvis\t{i % 7 + 1}\n" for i in range(1_000_000))
    f.write(f"elvis\t{sum(i % 7 + 1 for i in range(1_000_000))}\n")
e = run_isolated("merge 1M per-file lines", [ELVIS, "merge", path("per-file.tsv")], stdout=path("merged.tsv"))
row("merge: 1,000,000 per-file lines (38 MB)", "elvis merge", e)
s = run_isolated("sort 1M lines", ["sort", path("per-file.tsv")])
row("merge: 1,000,000 per-file lines (38 MB)", "sort (for scale)", s)

# 6. Trees: 5,000 levels deep (default ulimit -n 1024), and 200,000 empty files in one directory.
deep = path("deep")
cur = deep
os.makedirs(deep)
fd = os.open(deep, os.O_RDONLY)
for level in range(5000):
    os.mkdir("d", dir_fd=fd)
    nfd = os.open("d", os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = nfd
with open(os.open("leaf.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as f:
    f.write("elvis\n")
os.close(fd)
limit_fds = "ulimit -n 1024; cd " + work + " && "
e = run_isolated("deep count", limit_fds + f"{ELVIS} count -j 1 deep", shell=True, stdout=path("deep-count"))
row("5,000 levels deep, ulimit -n 1024", "elvis count", e, open(path("deep-count")).read().strip().replace("\t", " = "))
if have("rg"):
    r = run_isolated("deep rg", limit_fds + "rg --no-config -c elvis deep", shell=True, stdout=path("deep-rg"))
    row("5,000 levels deep, ulimit -n 1024", "rg -c", r, f"{len(open(path('deep-rg')).read().splitlines())} file(s) found")
wide = path("wide")
os.makedirs(wide)
wfd = os.open(wide, os.O_RDONLY)
for i in range(200_000):
    os.close(os.open(f"f{i:06d}", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=wfd))
os.close(wfd)
e = run_isolated("wide count", [ELVIS, "count", wide])
row("200,000 empty files in one directory", "elvis count", e)
if have("rg"):
    r = run_isolated("wide rg --files", f"rg --no-config --files {wide} | wc -l", shell=True)
    row("200,000 empty files in one directory", "rg --files | wc -l", r, "lists them, opens none")
    r = run_isolated("wide rg -c", ["rg", "--no-config", "-c", "elvis", wide])
    row("200,000 empty files in one directory", "rg -c elvis", r, "opens and reads each, as count")
else:
    rows.append("| 200,000 empty files in one directory | rg | missing | | | |")

os.makedirs(os.path.dirname(REPORT) or ".", exist_ok=True)
with open(REPORT, "w") as f:
    f.write("# Hostile input and limits\n\n")
    f.write(f"{time.strftime('%Y-%m-%d', time.gmtime())} · {os.uname().release} · {os.cpu_count()} cores · "
            f"command: `bench/limits.sh` (one run each; peers killed after {LIMIT:.0f} s)\n\n")
    f.write("| case | tool | seconds | peak RSS MiB | exit | note |\n|---|---|---|---|---|---|\n")
    f.write("\n".join(rows) + "\n")
print(open(REPORT).read())
subprocess.run(["rm", "-rf", work])  # shutil.rmtree recurses once per level
