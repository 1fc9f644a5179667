#!/usr/bin/env bash
# Two kinecolor builds in the same run, alternating, so machine noise hits both alike:
#   Scripts/compare-builds.sh OLD_BINARY NEW_BINARY [ROUNDS]
# Per round and binary: the default model's forward pass at 192×352 (`model bench`, median of 5)
# and the wall time of colorizing the bundled 132-frame sample. Prints every figure and the
# medians over the rounds, with new/old ratios.
set -euo pipefail
old=$1 new=$2 rounds=${3:-3}
sample="$(cd "$(dirname "$0")/.." && pwd)/Samples/big-buck-bunny-gray.mp4"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

forward() { "$1" model bench --size 192x352 --runs 5 | awk '/median/ {print $3; exit}'; }
film() {
    local start end
    start=$(date +%s.%N)
    "$1" colorize "$sample" -o "$work/out.mp4" -y -q
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN {printf "%.2f\n", b - a}'
}
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

for r in $(seq "$rounds"); do
    for which in old new; do
        bin=${!which}
        f=$(forward "$bin"); w=$(film "$bin")
        echo "round $r $which: forward ${f} s, film ${w} s"
        echo "$f" >> "$work/$which.forward"; echo "$w" >> "$work/$which.film"
    done
done
for what in forward film; do
    o=$(median < "$work/old.$what"); n=$(median < "$work/new.$what")
    printf '%-8s median old %.3f s, new %.3f s, new/old %.2f\n' "$what" "$o" "$n" "$(awk -v a="$o" -v b="$n" 'BEGIN {print b / a}')"
done
