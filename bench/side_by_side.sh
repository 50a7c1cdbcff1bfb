# Shared by bench/{mlp,lstm,attention}_bench.sh (sourced, not run): PyTorch against
# reference_impls on one workload, side by side, by hand (never in CI).
#
# Method: ROUNDS rounds (default 5) per thread count; each round is one pair (PyTorch and savoir,
# the order alternating between rounds), taken only after an idle check (CPU busy ≤ IDLE_MAX %,
# default 10, over one second); a pair during which the machine got busy is redone (at most
# RETRIES times, default 5, then kept and flagged). Reported: each side's median over the rounds,
# the ratio of the medians, and the min–max of the per-round ratios. The PyTorch side runs in
# bench/.venv with torch pinned to TORCH_VERSION (default 2.15.0); its BLAS line is printed.
# Results are appended to bench/RESULTS.md (or $RESULTS) with the command, the date and the machine.

set -euo pipefail

# cpu_busy_percent, wait_for_idle (IDLE_MAX).
source "$(dirname "${BASH_SOURCE[0]}")/idle.sh"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${SHARED:-$repo/../shared}"
rounds="${ROUNDS:-5}"
threads_list="${THREADS:-1 2}"
retries="${RETRIES:-5}"
torch_version="${TORCH_VERSION:-2.15.0}"
venv="$repo/bench/.venv"
results="${RESULTS:-$repo/bench/RESULTS.md}"
[[ -d "$shared/bench/anchors" ]] || {
    echo "error: $shared/bench/anchors not found (set SHARED to the shared folder)" >&2
    exit 2
}

# Creates bench/.venv with torch==$torch_version and numpy when missing (a large download).
ensure_torch() {
    if ! "$venv/bin/python" -c "import torch, numpy, sys; sys.exit(torch.__version__.split('+')[0] != '$torch_version')" 2>/dev/null; then
        echo "installing torch==$torch_version and numpy into $venv (large download)…" >&2
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet "torch==$torch_version" numpy
    fi
}

# Builds one reference_impls example in release and prints its path.
build_example() {
    cargo build --release --quiet --manifest-path "$repo/Cargo.toml" -p reference_impls --example "$1" >&2
    echo "${CARGO_TARGET_DIR:-$repo/target}/release/examples/$1"
}

# The machine, torch and its BLAS, as one block of text.
describe_machine() {
    local cpu
    cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "machine: $cpu, $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
    "$venv/bin/python" - <<'PY'
import re, torch
print(f"torch {torch.__version__}")
show = torch.__config__.show()
blas = re.findall(r"\b((?:BLAS_INFO|LAPACK_INFO|USE_MKL|USE_MKLDNN)=[^,\s]*)", show)
print("torch BLAS:", ", ".join(blas) or "not stated in torch.__config__.show()")
PY
}

# run_pairs NAME UNIT HIGHER_IS_BETTER TORCH_CMD... -- OURS_CMD...
# Each command is run with the thread count appended as `--threads N`; each prints one line
# with `median X` (X the figure in UNIT). Appends the table to bench/RESULTS.md.
run_pairs() {
    local name="$1" unit="$2" higher="$3"
    shift 3
    local torch_cmd=() ours_cmd=()
    while [[ "$1" != "--" ]]; do torch_cmd+=("$1"); shift; done
    shift
    ours_cmd=("$@")
    local machine table="" n r busy_before busy_after t o attempt first
    machine="$(describe_machine)"
    echo "$machine"
    for n in $threads_list; do
        local torch_figs=() ours_figs=() flags=()
        for ((r = 1; r <= rounds; r++)); do
            for ((attempt = 0; attempt <= retries; attempt++)); do
                busy_before="$(wait_for_idle)"
                if (( r % 2 == 1 )); then
                    t="$("${torch_cmd[@]}" --threads "$n" | median_figure)"
                    o="$(MATMUL_NUM_THREADS="$n" RAYON_NUM_THREADS="$n" "${ours_cmd[@]}" --threads "$n" | median_figure)"
                else
                    o="$(MATMUL_NUM_THREADS="$n" RAYON_NUM_THREADS="$n" "${ours_cmd[@]}" --threads "$n" | median_figure)"
                    t="$("${torch_cmd[@]}" --threads "$n" | median_figure)"
                fi
                busy_after="$(cpu_busy_percent)"
                # Busy just after the pair: something else ran beside it.
                if (( busy_before <= idle_max && busy_after <= idle_max )); then
                    break
                fi
                echo "round $r ($n threads): machine busy (${busy_before}% before, ${busy_after}% after); redoing the pair" >&2
            done
            (( attempt > retries )) && flags+=("round $r busy")
            echo "$name, $n thread(s), round $r: torch $t $unit, savoir $o $unit" >&2
            torch_figs+=("$t")
            ours_figs+=("$o")
        done
        table+="$(python3 - "$n" "$higher" "${torch_figs[*]}" "${ours_figs[*]}" "${flags[*]:-}" <<'PY'
import statistics, sys
n, higher, torch, ours, flags = sys.argv[1], sys.argv[2] == "1", sys.argv[3].split(), sys.argv[4].split(), sys.argv[5]
torch = [float(v) for v in torch]; ours = [float(v) for v in ours]
ratios = [o / t for o, t in zip(ours, torch)]
mt, mo = statistics.median(torch), statistics.median(ours)
note = f" ({flags})" if flags else ""
print(f"| {n} | {mt:,.2f} | {mo:,.2f} | {mo / mt:.2f} | {min(ratios):.2f}–{max(ratios):.2f} | {len(ratios)}{note} |")
PY
)"$'\n'
    done
    local header="| threads | torch | savoir | savoir/torch (ratio of medians) | per-round min–max | rounds |"
    local report
    report="$(printf '### %s\n\n`%s` — %s\n\n```\n%s\n```\n\n%s (%s; %s)\n\n%s\n|---|---|---|---|---|---|\n%s' \
        "$name" "$BENCH_COMMAND" "$(date -u '+%Y-%m-%d %H:%M UTC')" "$machine" "$unit" \
        "$( [[ $higher == 1 ]] && echo 'higher is better: target ratio ≥ 1' || echo 'lower is better: target ratio ≤ 1')" \
        "median over the rounds; each round alternates which side runs first" "$header" "$table")"
    echo
    echo "$report"
    [[ -f "$results" ]] || printf '# Benchmarks: savoir reference_impls against PyTorch (CPU)\n\nWritten by bench/*_bench.sh (see bench/side_by_side.sh for the method).\n' > "$results"
    printf '\n%s\n' "$report" >> "$results"
}

# The figure after `median` on the last line that has one (thousands separators dropped).
median_figure() {
    sed -n 's/.*median \([0-9][0-9,.]*\).*/\1/p' | tr -d , | tail -n 1
}
