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
#   4. the site index (examples/site_search_index): total size, and for each query the bytes a
#      fresh page loads for its first query and the time search.js takes to answer it, in node
#      (target <= 150 kB and <= 30 ms; Pagefind promises < 300 kB for 10,000 pages).
#
# Usage: bench/search_bench.sh   (SHARED defaults to ../shared next to the repository, RUNS
#                                 to 7, NOTES to 10000; SAVOIR=path uses that binary and
#                                 SITE_INDEX=path that example instead of building them)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${SHARED:-$repo/../shared}"
runs="${RUNS:-7}"
notes="${NOTES:-10000}"
gen="$shared/bench/gen_vault.py"
[[ -f "$gen" ]] || { echo "error: $gen not found (set SHARED to the shared folder)" >&2; exit 2; }

if [[ -z "${SAVOIR:-}" || -z "${SITE_INDEX:-}" ]]; then
    echo "building savoir and the site index example (release)…" >&2
    cargo build --release --quiet --manifest-path "$repo/Cargo.toml" --bin savoir --example site_search_index
fi
target="${CARGO_TARGET_DIR:-$repo/target}/release"
savoir="${SAVOIR:-$target/savoir}"
site_index="${SITE_INDEX:-$target/examples/site_search_index}"

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
def idle():
    load = os.getloadavg()[0]
    if load > 1.5:
        print(f"  (machine busy: load {load:.1f}; figures are noisy)", file=sys.stderr)
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

"$site_index" "$vault" "$work/site" fr
node - "$repo/templates/assets/search.js" "$work/site/search" <<'JS'
const fs = require('fs'), path = require('path'), vm = require('vm');
const [searchJs, dir] = process.argv.slice(2);
const search = require(searchJs);
let total = 0, files = 0;
(function walk(d) { for (const f of fs.readdirSync(d)) { const p = path.join(d, f);
  if (fs.statSync(p).isDirectory()) walk(p); else { total += fs.statSync(p).size; files++; } } })(dir);
console.log(`site index: ${files} files, ${(total / 1e6).toFixed(1)} MB in all`);
(async () => {
  for (const q of ['reseaux recurrents', 'descente de gradient', 'tranformer', 'apprentissage profond']) {
    let bytes = 0;
    const engine = new search.Engine((f) => {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      bytes += Buffer.byteLength(text);
      vm.runInThisContext(text);
      return Promise.resolve();
    });
    globalThis.savoirSearch = engine.registry;
    const start = process.hrtime.bigint();
    const result = await engine.search(q, 8);
    await Promise.all(result.hits.map((h) => engine.doc(h.doc)));
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    console.log(`site first query ${JSON.stringify(q)}: ${(bytes / 1024).toFixed(1)} kB loaded, ` +
      `${ms.toFixed(1)} ms in node with file reads (targets 150 kB, 30 ms; Pagefind: < 300 kB)`);
  }
})();
JS
