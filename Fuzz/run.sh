#!/usr/bin/env bash
# Builds the fuzz targets and runs each for a fixed time on a copy of its seed corpus
# (Fuzz/corpus/<target>), so the repository is never modified. Exits non-zero if any target
# crashes, times out or runs out of memory; the input that did it is kept in $FUZZ_ARTIFACTS.
#   bash Fuzz/run.sh [seconds-per-target] [target ...]
# Default: 20 seconds each for the targets in DEFAULT below. Docs/fuzzing.md says more.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
shift || true
DEFAULT=(json safetensors npy config model timecode project)
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=("${DEFAULT[@]}")

B="${FUZZ_BUILD:-.build-fuzz}"
ARTIFACTS="${FUZZ_ARTIFACTS:-$B/artifacts}"
mkdir -p "$ARTIFACTS"
ARTIFACTS=$(cd "$ARTIFACTS" && pwd)

start=$(date +%s)
bash Fuzz/build.sh "${targets[@]}"
echo "fuzz build: $(( $(date +%s) - start )) s"

# libFuzzer's own handler reports the crash and saves the input; Swift's backtracer would
# race it (and trips AddressSanitizer inside its crash handler).
export SWIFT_BACKTRACE=enable=no
# Leaks are not what these runs look for (Foundation and the Swift runtime keep caches alive).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TMPDIR="$work"

failed=()
for t in "${targets[@]}"; do
    mkdir -p "$work/$t"
    if [[ -d Fuzz/corpus/$t ]]; then cp -R "Fuzz/corpus/$t/." "$work/$t/"; fi
    dict=()
    [[ -f Fuzz/dict/$t.dict ]] && dict=(-dict="Fuzz/dict/$t.dict")
    echo "=== fuzz-$t: ${seconds}s, $(ls "$work/$t" | wc -l) seed inputs"
    set +e
    "$B/fuzz-$t" "$work/$t" "${dict[@]}" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        -max_len=65536 -detect_leaks=0 -print_final_stats=1 -artifact_prefix="$ARTIFACTS/$t-" \
        > "$work/$t.log" 2>&1
    rc=$?
    set -e
    grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$work/$t.log" || true
    if (( rc != 0 )); then
        echo "fuzz-$t FAILED (exit $rc); log tail:"
        grep -v '^    #\|^  [A-Z]' "$work/$t.log" | tail -40
        failed+=("$t")
    fi
done
echo "fuzzing took $(( $(date +%s) - start )) s in all"
if (( ${#failed[@]} > 0 )); then
    echo "crashing inputs are in $ARTIFACTS (reproduce: $B/fuzz-<target> <file>): ${failed[*]}" >&2
    exit 1
fi
