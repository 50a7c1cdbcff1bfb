#!/usr/bin/env bash
# Benchmark of `savoir build --no-demos` against Hugo on the same Markdown (run by hand, not in CI).
#
# Corpus:  python3 $SHARED/bench/gen_vault.py --notes 10000 --seed 1 DIR
#          (10,000 French notes of 400-900 words), copied into a minimal Hugo site by
#          $SHARED/bench/anchors/to_hugo.py (same Markdown, wiki links left as text).
# Command: savoir --vault DIR build --no-demos --out OUT   (cold: no previous site, no cache)
#          savoir --vault DIR build --no-demos --out OUT   (again, nothing changed: the rebuild)
#          savoir --vault DIR build --no-demos --out OUT   (after appending a sentence to one note)
#          hugo --quiet -d OUT_H                            (cold, in the Hugo site)
#          RUNS pairs (default 5), Hugo first in every other pair; before each pair the
#          CPUs must be at most IDLE_MAX % busy over a second (default 10; bench/idle.sh;
#          waits up to a minute, then says so).
# Reports: per run the wall time, CPU time and peak memory of each; the median ratio
#          savoir / Hugo with its min-max, savoir's peak memory, and the median ratios
#          rebuild / cold and one-note-edit rebuild / cold. Targets: <= 0.5x Hugo, <= 1 GB,
#          rebuild <= 20 % of cold (the edit has none: it shows what a real change costs).
#
# Needs:   hugo (apt-get install -y hugo), GNU time (/usr/bin/time).
# Usage:   bench/site_bench.sh      (SHARED defaults to ../shared beside the repository,
#                                    RUNS to 5, NOTES to 10000, SAVOIR to a fresh release build)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${SHARED:-$repo/../shared}"
runs="${RUNS:-5}"
notes="${NOTES:-10000}"

command -v hugo >/dev/null || { echo "error: hugo not found (apt-get install -y hugo)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "error: /usr/bin/time not found (apt-get install -y time)" >&2; exit 2; }
[[ -f "$shared/bench/gen_vault.py" ]] || { echo "error: $shared/bench/gen_vault.py not found (set SHARED)" >&2; exit 2; }

if [[ -z "${SAVOIR:-}" ]]; then
    echo "building savoir (release)…" >&2
    cargo build --release --quiet --manifest-path "$repo/Cargo.toml" --bin savoir
    SAVOIR="${CARGO_TARGET_DIR:-$repo/target}/release/savoir"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "generating $notes notes (seed 1)…" >&2
python3 "$shared/bench/gen_vault.py" --notes "$notes" --seed 1 --quiet "$work/vault"
python3 "$shared/bench/anchors/to_hugo.py" "$work/vault" "$work/hugo" >/dev/null

# cpu_busy_percent, wait_for_idle (IDLE_MAX, default 10 %).
source "$repo/bench/idle.sh"

# Waits for an idle machine before a pair, and says what it found.
idle_check() {
    local busy
    busy="$(wait_for_idle)"
    if (( busy > idle_max )); then
        echo "  idle check: still ${busy} % busy after a minute (figures are noisy)" >&2
    else
        echo "  idle check: ${busy} % busy" >&2
    fi
}

# Runs a command in a folder, prints "<wall s> <peak KiB> <CPU s>".
timed() {
    local dir=$1; shift
    ( cd "$dir" && /usr/bin/time -f "%e %M %U %S" -o "$work/time.log" "$@" >/dev/null 2>"$work/err.log" ) \
        || { cat "$work/err.log" >&2; exit 1; }
    awk '{printf "%s %s %.2f\n", $1, $2, $3 + $4}' "$work/time.log"
}

# The note each pair edits (the same one: the edit only has to be new).
edited_note="$(find "$work/vault" -name '*.md' | sort | sed -n 1p)"

ratios=(); rebuilds=(); edits=(); peaks=()
for i in $(seq "$runs"); do
    idle_check
    rm -rf "$work/site" "$work/.savoir" "$work/out_h" "$work/hugo/resources"
    # Which side goes first alternates: the first one creates its files right after the
    # previous pair's were deleted, which costs the file system more.
    if (( i % 2 == 0 )); then
        read -r h_wall h_rss h_cpu < <(timed "$work/hugo" hugo --quiet -d "$work/out_h")
    fi
    read -r s_wall s_rss s_cpu < <(timed "$work" "$SAVOIR" --vault "$work/vault" build --no-demos --out "$work/site")
    read -r r_wall r_rss r_cpu < <(timed "$work" "$SAVOIR" --vault "$work/vault" build --no-demos --out "$work/site")
    printf '\nUne phrase ajoutée par la mesure %s.\n' "$i" >> "$edited_note"
    read -r e_wall e_rss e_cpu < <(timed "$work" "$SAVOIR" --vault "$work/vault" build --no-demos --out "$work/site")
    if (( i % 2 == 1 )); then
        read -r h_wall h_rss h_cpu < <(timed "$work/hugo" hugo --quiet -d "$work/out_h")
    fi
    echo "run $i: savoir $s_wall s (CPU $s_cpu s, $((s_rss / 1024)) MiB), rebuild $r_wall s ($((r_rss / 1024)) MiB), one note edited $e_wall s (CPU $e_cpu s), hugo $h_wall s (CPU $h_cpu s, $((h_rss / 1024)) MiB)" >&2
    ratios+=("$(python3 -c "print($s_wall / $h_wall)")")
    rebuilds+=("$(python3 -c "print($r_wall / $s_wall)")")
    edits+=("$(python3 -c "print($e_wall / $s_wall)")")
    peaks+=("$s_rss" "$r_rss" "$e_rss")
done

python3 - "${ratios[*]}" "${rebuilds[*]}" "${edits[*]}" "${peaks[*]}" <<'PY'
import statistics, sys
ratios = [float(x) for x in sys.argv[1].split()]
rebuilds = [float(x) for x in sys.argv[2].split()]
edits = [float(x) for x in sys.argv[3].split()]
peak_mb = max(int(x) for x in sys.argv[4].split()) / 1024
print(f"savoir / hugo wall time: median {statistics.median(ratios):.2f}x "
      f"(min {min(ratios):.2f}, max {max(ratios):.2f}; target <= 0.5)")
print(f"no-change rebuild / cold build: median {statistics.median(rebuilds):.0%} "
      f"(min {min(rebuilds):.0%}, max {max(rebuilds):.0%}; target <= 20 %)")
print(f"one-note-edit rebuild / cold build: median {statistics.median(edits):.0%} "
      f"(min {min(edits):.0%}, max {max(edits):.0%})")
print(f"savoir peak memory: {peak_mb:.0f} MiB (target <= 1024)")
PY
