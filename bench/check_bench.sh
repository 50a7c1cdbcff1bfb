#!/usr/bin/env bash
# Benchmark of `savoir check` on a synthetic vault (run by hand, not in CI).
#
# Corpus:  python3 $SHARED/bench/gen_vault.py --notes 10000 --seed 1 DIR
#          (10,000 French notes of 400-900 words, ~3 % broken links)
# Command: savoir --vault DIR check --format json > /dev/null, RUNS times (default 11)
# Reports: median wall time and peak resident memory, against the targets 0.5 s and 400 MB.
#          With BASELINE=/path/to/an/older/savoir, runs it alternately with this build
#          (same vault, same moments) and reports the ratio of the medians.
#
# Usage: bench/check_bench.sh            (from anywhere; SHARED defaults to ../shared
#                                         relative to the repository, RUNS to 11,
#                                         NOTES to 10000)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${SHARED:-$repo/../shared}"
runs="${RUNS:-11}"
notes="${NOTES:-10000}"
target_wall_s=0.5
target_rss_mb=400

gen="$shared/bench/gen_vault.py"
[[ -f "$gen" ]] || { echo "error: $gen not found (set SHARED to the shared folder)" >&2; exit 2; }

echo "building savoir (release)…" >&2
cargo build --release --quiet --manifest-path "$repo/Cargo.toml" --bin savoir
savoir="${CARGO_TARGET_DIR:-$repo/target}/release/savoir"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
vault="$work/vault"
echo "generating $notes notes (seed 1)…" >&2
python3 "$gen" --notes "$notes" --seed 1 --quiet "$vault"

# One timed run of binary $1: prints "<wall seconds> <peak RSS in KiB> <user+system CPU seconds>".
measure() {
    if /usr/bin/time -v true >/dev/null 2>&1; then
        local log="$work/time.log" start end
        start=$(date +%s.%N)
        /usr/bin/time -v -o "$log" "$1" --vault "$vault" check --format json >/dev/null || true
        end=$(date +%s.%N)
        local rss cpu
        rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
        cpu=$(awk -F': ' '/(User|System) time/ {s += $2} END {print s}' "$log")
        echo "$(python3 -c "print(f'{$end - $start:.4f}')") $rss $cpu"
    else
        python3 - "$1" "$vault" <<'PY'
import resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run([sys.argv[1], "--vault", sys.argv[2], "check", "--format", "json"],
               stdout=subprocess.DEVNULL)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{wall:.4f} {usage.ru_maxrss} {usage.ru_utime + usage.ru_stime:.2f}")
PY
    fi
}

# `check` exits 1 on findings (the corpus has broken links); only a crash is a failure.
"$savoir" --vault "$vault" check --format json >"$work/report.json" || [[ $? -eq 1 ]]
python3 - "$work/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"findings: {r['errors']} errors, {r['warnings']} warnings", file=sys.stderr)
PY

results=()
baseline_results=()
for i in $(seq "$runs"); do
    results+=("$(measure "$savoir")")
    read -r wall rss cpu <<<"${results[-1]}"
    echo "run $i: $wall s wall, $cpu s CPU, $((rss / 1024)) MiB" >&2
    if [[ -n "${BASELINE:-}" ]]; then
        baseline_results+=("$(measure "$BASELINE")")
        read -r wall rss cpu <<<"${baseline_results[-1]}"
        echo "       baseline: $wall s wall, $cpu s CPU, $((rss / 1024)) MiB" >&2
    fi
done

summary() {
    python3 -c "
import statistics, sys
rows = [line.split() for line in sys.stdin if line.strip()]
print(statistics.median(float(w) for w, _, _ in rows))
"
}
if [[ -n "${BASELINE:-}" ]]; then
    new=$(printf '%s\n' "${results[@]}" | summary)
    old=$(printf '%s\n' "${baseline_results[@]}" | summary)
    python3 -c "print(f'baseline {\"$BASELINE\"}: median {$old:.3f} s; this build {$new:.3f} s; ratio {$old / $new:.2f}x')"
fi

printf '%s\n' "${results[@]}" | python3 -c "
import statistics, sys
rows = [line.split() for line in sys.stdin if line.strip()]
wall = statistics.median(float(w) for w, _, _ in rows)
cpu = statistics.median(float(c) for _, _, c in rows)
rss_mb = max(int(r) for _, r, _ in rows) * 1024 / 1e6
ok = lambda good: 'ok' if good else 'MISSED'
print(f'savoir check, $notes notes, {len(rows)} runs on $(nproc) cores')
print(f'  median wall time: {wall:.3f} s   (target <= $target_wall_s s: {ok(wall <= $target_wall_s)})')
print(f'  fastest, slowest: {min(float(w) for w, _, _ in rows):.3f} s, {max(float(w) for w, _, _ in rows):.3f} s')
print(f'  median CPU time:  {cpu:.3f} s   (user + system, all threads)')
print(f'  load average:     {open(\"/proc/loadavg\").read().split()[0]} (wall times grow with it on a shared machine)')
print(f'  peak RSS:         {rss_mb:.0f} MB    (target <= $target_rss_mb MB: {ok(rss_mb <= $target_rss_mb)})')
"
