#!/usr/bin/env bash
# Training throughput of a 784-256-128-10 MLP: PyTorch against reference_impls, side by side
# (run by hand, not in CI).
#
# Workload (both sides): ReLU, softmax cross-entropy, SGD lr 0.1, batch 128, 60,000 random f32
#          samples (seeded), random labels 0-9, fixed batch order, EPOCHS epochs (default 3).
# PyTorch: $SHARED/bench/anchors/torch_mlp.py --threads N --epochs EPOCHS, in bench/.venv
#          (created with `pip install torch numpy` when missing: ~5 GB, a few minutes).
# Ours:    reference_impls/examples/mlp_throughput.rs --threads N --epochs EPOCHS (release build),
#          with MATMUL_NUM_THREADS=N (matrixmultiply) and RAYON_NUM_THREADS=N.
# Reports: for 1 and 2 threads, the median samples/s over the epochs of each side and the ratio
#          savoir/torch (target: >= 1.0), plus the CPU model and how busy the machine was.
#
# Usage: bench/mlp_bench.sh     (from anywhere; SHARED defaults to ../shared relative to the
#                                repository, EPOCHS to 3, THREADS to "1 2")
# The figures are only meaningful on an idle machine: 2-thread runs collapse when another
# process takes a core. The script prints the CPU load before and after; rerun when it is high.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${SHARED:-$repo/../shared}"
epochs="${EPOCHS:-3}"
threads_list="${THREADS:-1 2}"
venv="$repo/bench/.venv"

torch_script="$shared/bench/anchors/torch_mlp.py"
[[ -f "$torch_script" ]] || { echo "error: $torch_script not found (set SHARED to the shared folder)" >&2; exit 2; }

if ! "$venv/bin/python" -c "import torch, numpy" 2>/dev/null; then
    echo "installing torch and numpy into $venv (large download, a few minutes)…" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet torch numpy
fi

echo "building the mlp_throughput example (release)…" >&2
cargo build --release --quiet --manifest-path "$repo/Cargo.toml" -p reference_impls --example mlp_throughput
ours="${CARGO_TARGET_DIR:-$repo/target}/release/examples/mlp_throughput"

# Percentage of CPU time spent busy (all cores) over one second, from /proc/stat.
cpu_busy_percent() {
    local a b
    read -r -a a < <(grep '^cpu ' /proc/stat)
    sleep 1
    read -r -a b < <(grep '^cpu ' /proc/stat)
    local total=0 i
    for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
    local idle=$((b[4] - a[4] + b[5] - a[5]))
    echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}

# The median samples/s from a line like "… samples/s median 12,345 (…": prints 12345.
median_of() {
    sed -n 's/.*samples\/s median \([0-9,]*\).*/\1/p' | tr -d , | tail -n 1
}

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "machine: $cpu, $(nproc) cores; torch $("$venv/bin/python" -c 'import torch; print(torch.__version__)')"
busy_before="$(cpu_busy_percent)"
echo "before: CPU ${busy_before}% busy; $(uptime | sed 's/.*load/load/')"
[[ "$busy_before" -le 10 ]] || echo "warning: the machine is not idle; the figures below are not reliable" >&2

declare -A torch_rate ours_rate
for n in $threads_list; do
    echo "--- $n thread(s): torch" >&2
    out="$("$venv/bin/python" "$torch_script" --threads "$n" --epochs "$epochs")"
    echo "$out" >&2
    torch_rate[$n]="$(median_of <<<"$out")"
    echo "--- $n thread(s): savoir reference_impls" >&2
    out="$(MATMUL_NUM_THREADS="$n" RAYON_NUM_THREADS="$n" "$ours" --threads "$n" --epochs "$epochs")"
    echo "$out" >&2
    ours_rate[$n]="$(median_of <<<"$out")"
done

busy_after="$(cpu_busy_percent)"
echo "after:  CPU ${busy_after}% busy; $(uptime | sed 's/.*load/load/')"
echo
echo "MLP 784-256-128-10, SGD lr 0.1, batch 128, 60,000 samples, $epochs epochs (median samples/s)"
printf '| %-7s | %-13s | %-15s | %-13s |\n' threads torch savoir "savoir/torch"
printf '| %-7s | %-13s | %-15s | %-13s |\n' ------- ------------- --------------- -------------
for n in $threads_list; do
    ratio="$(awk -v s="${ours_rate[$n]}" -v t="${torch_rate[$n]}" 'BEGIN { printf "%.2f", s / t }')"
    printf '| %-7s | %13s | %15s | %13s |\n' "$n" "${torch_rate[$n]}" "${ours_rate[$n]}" "$ratio"
done
