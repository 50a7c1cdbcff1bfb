#!/usr/bin/env bash
# Benchmark of search (run by hand, not in CI).
#
# Corpus:  python3 $SHARED/bench/gen_vault.py --notes 10000 --seed 1 DIR (10,000 French notes)
# Measures, against the targets of issue 8:
#   1. index build from scratch: `savoir search` with no .savoir/index (vault read + index
#      written), RUNS times, median (target <= 3 s);
#   2. `savoir search` end to end on the warm index (process start to exit), three queries
#      alternated RUNS times each, median and min-max per query (target <= 30 ms);
#   3. the index size on disk per note;
#   4. the site's index, as `savoir build --no-demos` writes it: total size and size per note;
#      for each query, in headless Chromium (examples/site_search_timing: a fresh tab opens the
#      home page from disk, the query is typed, the clock stops when the dropdown shows its
#      hits), the median time over RUNS tabs and the bytes of index the first query loaded
#      (target <= 150 kB and <= 30 ms; Pagefind promises < 300 kB for 10,000 pages).
# Before each round of 1 and 2 the CPUs must be at most IDLE_MAX % busy over a second
# (default 10, as bench/idle.sh checks; waits up to a minute, then says so).
#
# Needs: chromium (apt-get install -y chromium, or CHROME=path).
# Usage: bench/search_bench.sh   (SHARED defaults to ../shared next to the repository, RUNS
#                                 to 7, NOTES to 10000; SAVOIR=path uses that binary and
#                                 TIMING=path that example instead of building them)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${SHARED:-$repo/../shared}"
runs="${RUNS:-7}"
notes="${NOTES:-10000}"
gen="$shared/bench/gen_vault.py"
[[ -f "$gen" ]] || { echo "error: $gen not found (set SHARED to the shared folder)" >&2; exit 2; }

if [[ -z "${SAVOIR:-}" || -z "${TIMING:-}" ]]; then
    echo "building savoir and the site search timing example (release)…" >&2
    cargo build --release --quiet --manifest-path "$repo/Cargo.toml" --bin savoir --example site_search_timing
fi
target="${CARGO_TARGET_DIR:-$repo/target}/release"
savoir="${SAVOIR:-$target/savoir}"
timing="${TIMING:-$target/examples/site_search_timing}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
vault="$work/vault"
echo "generating $notes notes (seed 1)…" >&2
python3 "$gen" --notes "$notes" --seed 1 --quiet "$vault"
printf 'language = "fr"\n' >"$work/savoir.toml"
cd "$work"

python3 - "$savoir" "$vault" "$runs" <<'PY'
import os, shutil, statistics, subprocess, sys, time
savoir, vault, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
def run(query):
    start = time.perf_counter()
    subprocess.run([savoir, "--vault", vault, "search", query, "--format", "json"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start
IDLE_MAX = float(os.environ.get("IDLE_MAX", "10"))
def busy_percent():
    """CPU busy % (all cores) over one second, as bench/idle.sh measures it."""
    def sample():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
        return sum(v), v[3] + v[4]
    t0, i0 = sample()
    time.sleep(1)
    t1, i1 = sample()
    return 100 * (1 - (i1 - i0) / max(t1 - t0, 1))
def idle():
    for _ in range(60):
        busy = busy_percent()
        if busy <= IDLE_MAX:
            return
    print(f"  (machine busy: {busy:.0f} % after a minute; figures are noisy)", file=sys.stderr)
builds = []
for i in range(runs):
    shutil.rmtree(".savoir", ignore_errors=True)
    idle()
    builds.append(run("gradient"))
print(f"index build from scratch: median {statistics.median(builds):.2f} s "
      f"(min {min(builds):.2f}, max {max(builds):.2f}; target 3 s)")
queries = ["reseaux recurrents", "descente de gradient", "tranformer"]
times = {q: [] for q in queries}
for i in range(runs):
    idle()
    for q in queries:
        times[q].append(run(q))
for q in queries:
    t = sorted(times[q])
    print(f"search {q!r} warm: median {statistics.median(t)*1000:.1f} ms "
          f"(min {t[0]*1000:.1f}, max {t[-1]*1000:.1f}; target 30 ms)")
size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(".savoir/index") for f in fs)
notes = sum(1 for d, _, fs in os.walk(vault) for f in fs if f.endswith(".md"))
print(f"index on disk: {size/1e6:.1f} MB, {size/notes/1024:.2f} KiB per note")
PY

"$savoir" --vault "$vault" build --no-demos --out "$work/site" 2>/dev/null
python3 - "$work/site/search" "$notes" <<'PY'
import os, sys
folder, notes = sys.argv[1], int(sys.argv[2])
sizes = [os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(folder) for f in fs]
print(f"site index: {len(sizes)} files, {sum(sizes)/1e6:.1f} MB in all, "
      f"{sum(sizes)/notes/1024:.2f} KiB per note")
PY
load=$(cut -d' ' -f1 /proc/loadavg)
echo "  (load before the browser runs: $load)" >&2
"$timing" "$work/site" "$runs" 'reseaux recurrents' 'descente de gradient' 'tranformer' 'apprentissage profond'
