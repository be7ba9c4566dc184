#!/usr/bin/env bash
# docs/tuning-log-results/plot.sh: draws docs/tuning-log-results/throughput.svg (MB/s per tool, file->file filter and count)
# from the markdown tables that bench/filter.sh and bench/count.sh wrote (gnuplot, from Debian).
#   docs/tuning-log-results/plot.sh [FILTER_RESULTS.md] [COUNT_RESULTS.md]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
filter=${1:-docs/tuning-log-results/filter-2026-11-26.md}
count=${2:-docs/tuning-log-results/count-2026-11-26.md}
source bench/common.sh
install_peers /dev/null gnuplot-nox:gnuplot
have gnuplot || { echo "plot.sh: gnuplot is missing" >&2; exit 2; }
data=$(mktemp)
trap 'rm -f "$data"' EXIT
# Filter, file->file on text: | tool | median s | best s | runs | MB/s | ...
awk -F'|' '/^## file→file, text/ {on=1; next} /^## / {on=0} on && $2 ~ /[a-z]/ && $6 ~ /[0-9]/ {
  gsub(/^ +| +$/, "", $2); gsub(/ /, "", $6); printf "\"filter: %s\" %s\n", $2, $6 }' "$filter" > "$data"
# Count, one 1 GiB file: | command | median s | best s | MB/s | ratio |
# (a command may itself contain '|', so MB/s is taken counting from the end of the row)
awk -F'|' '/^## one 1 GiB file/ {on=1; next} /^## / {on=0} on && $2 ~ /[a-z]/ && $(NF-2) ~ /[0-9]/ {
  gsub(/^ +| +$/, "", $2); mbs = $(NF-2); gsub(/ /, "", mbs); printf "\"count: %s\" %s\n", $2, mbs }' "$count" >> "$data"
gnuplot <<GNUPLOT
set terminal svg size 900,520 font "sans,11" background "white"
set output "docs/tuning-log-results/throughput.svg"
set title "elvis vs peers, 1 GiB dense corpus, warm cache (MB/s, median; higher is better)"
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.8
set xtics rotate by -35 left
set ylabel "MB/s"
set grid ytics
set bmargin 9
unset key
plot "$data" using 2:xtic(1) linecolor rgb "#3a6ea5"
GNUPLOT
echo "wrote docs/tuning-log-results/throughput.svg" >&2
