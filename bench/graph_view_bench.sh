#!/usr/bin/env bash
# Time of the graph views (force-directed layout + SVG) on generated vaults (run by hand, not in CI).
#
# Corpus:  python3 $SHARED/bench/gen_vault.py --notes N --seed 1 DIR, for N in $SIZES
#          (default "2000 10000"; French notes, ~22 links per note, ~3 % broken links → stubs)
# Command: the example `graph_view` (release build): draws the global graph of every concept and
#          the depth-2 local graph of the best linked concept, prints the time of each and the
#          global figure's size; RUNS times per size (default 5), median and min–max reported.
# Target:  2,000 nodes well under a second for layout + SVG.
#
# Usage: bench/graph_view_bench.sh   (SHARED defaults to ../shared relative to the repository)
# On a shared machine the wall time swings with the load: the script prints the load average.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${SHARED:-$repo/../shared}"
runs="${RUNS:-5}"
sizes="${SIZES:-2000 10000}"

gen="$shared/bench/gen_vault.py"
[[ -f "$gen" ]] || { echo "error: $gen not found (set SHARED to the shared folder)" >&2; exit 2; }

echo "building the graph_view example (release)…" >&2
cargo build --release --quiet --manifest-path "$repo/Cargo.toml" --example graph_view
example="${CARGO_TARGET_DIR:-$repo/target}/release/examples/graph_view"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for n in $sizes; do
  python3 "$gen" --notes "$n" --seed 1 --quiet "$work/vault-$n"
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  times=()
  for ((i = 0; i < runs; i++)); do
    line="$("$example" "$work/vault-$n" "$work/out-$n")"
    times+=("$(sed -E 's/.* global ([0-9.]+) s .*/\1/' <<<"$line")")
  done
  echo "$line"
  printf '%s\n' "${times[@]}" | sort -n | awk -v n="$n" '
    { t[NR] = $1 }
    END { printf "%s notes: global graph (layout + SVG) median %.3f s, min %.3f s, max %.3f s over %d runs\n",
          n, t[int((NR + 1) / 2)], t[1], t[NR], NR }'
done
