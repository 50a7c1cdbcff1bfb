#!/usr/bin/env bash
# Training throughput on a real GPU: savoir's wgpu backend against PyTorch eager on the same card,
# side by side (run by hand on a machine with a GPU, not in CI; lavapipe figures only smoke-test).
#
# Workloads (both sides the same work, fp32, data resident on the GPU):
#   mlp     : 784-256-128-10 MLP training step, batch 128, SGD (an epoch = 468 steps)
#   encoder : one transformer encoder layer (d_model 256, 4 heads, FF 1024) + token head,
#             training step, batch 32 x 128 tokens, SGD (an epoch = 20 steps)
# Ours:    $SAVOIR_BENCH (default target/release/examples/gpu_train_bench) — a prebuilt binary:
#          no cargo needed on the GPU machine (build it with
#          `cargo build --release -p reference_impls --example gpu_train_bench`).
# PyTorch: bench/gpu_torch.py with the machine's python3 (needs torch with CUDA; no download).
#          Without a working torch+CUDA, reports ours against the card's peak f32 FLOP/s (PEAK_TFLOPS,
#          default 67 for an H100/H200 SXM; FLOPs counted per step below).
# Method:  for each workload, PAIRS (default 5) pairs alternating savoir then torch, each run a
#          warm-up epoch + EPOCHS (default 3) timed ones; the ratio of each pair's medians;
#          reports the median ratio savoir/torch with min–max. An idle check (GPU utilisation from
#          nvidia-smi, when present) runs before every pair; a busy pair is redone once.
# Budget:  about 2–3 minutes in all on an H200.
#
# Output:  the runs' own lines go to stderr, the summary to stdout: send them to two files
#          (`> out.txt 2> runs.txt`), never one (tee /dev/stderr would truncate it).
# Usage (from the repository root):  bench/gpu_bench.sh   (MODELS="mlp" runs one workload)
#        DEVICE=gpu:1 PAIRS=5 EPOCHS=3 SAVOIR_BENCH=path/to/gpu_train_bench bench/gpu_bench.sh
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ours="${SAVOIR_BENCH:-$repo/target/release/examples/gpu_train_bench}"
device="${DEVICE:-gpu}"
pairs="${PAIRS:-5}"
epochs="${EPOCHS:-3}"
peak="${PEAK_TFLOPS:-67}"
python="${PYTHON:-python3}"
export NODEVICE_SELECT=1

[[ -x "$ours" ]] || { echo "error: $ours not found: build it with cargo build --release -p reference_impls --example gpu_train_bench, or set SAVOIR_BENCH" >&2; exit 2; }

have_torch=0
if "$python" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    have_torch=1
fi

# The median samples/s from a line like "… samples/s median 12345 (…".
median_of() { sed -n 's/.*samples\/s median \([0-9]*\).*/\1/p' | tail -n 1; }

# GPU utilisation in percent (0 when nvidia-smi is absent).
gpu_busy() {
    if command -v nvidia-smi >/dev/null; then
        nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits | head -n 1 | tr -d ' '
    else
        echo 0
    fi
}

echo "== machine"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
adapter="$("$ours" mlp --device "$device" --epochs 0)"   # not `| head`: SIGPIPE would stop the script
echo "${adapter%%$'\n'*}"
[[ $have_torch == 1 ]] && "$python" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"

# FLOPs of one training step (3 × the forward's 2·m·n·k, attention included), for the peak figure.
flops_per_sample() {
    case "$1" in
        mlp) echo $(( 6 * (784 * 256 + 256 * 128 + 128 * 10) )) ;;
        encoder) echo $(( 6 * 128 * (256 * 768 + 256 * 256 + 2 * 256 * 1024 + 256 * 10 + 2 * 128 * 256) )) ;;
    esac
}

for model in ${MODELS:-mlp encoder}; do
    echo "== $model"
    ratios=()
    for ((pair = 1; pair <= pairs; pair++)); do
        for attempt in 1 2; do
            busy="$(gpu_busy)"
            [[ "$busy" -le 5 ]] || echo "warning: GPU ${busy}% busy before pair $pair" >&2
            s="$("$ours" "$model" --device "$device" --epochs "$epochs" | tee /dev/stderr | median_of)"
            if [[ $have_torch == 1 ]]; then
                t="$("$python" "$repo/bench/gpu_torch.py" "$model" --epochs "$epochs" | tee /dev/stderr | median_of)"
            else
                t=""
            fi
            [[ "$busy" -le 5 || $attempt == 2 ]] && break
            echo "redoing pair $pair (the GPU was busy)" >&2
        done
        if [[ -n "$t" ]]; then
            ratio="$(awk -v s="$s" -v t="$t" 'BEGIN { printf "%.3f", s / t }')"
            echo "pair $pair: savoir $s, torch $t samples/s, ratio $ratio"
        else
            flops="$(flops_per_sample "$model")"
            ratio="$(awk -v s="$s" -v f="$flops" -v p="$peak" 'BEGIN { printf "%.4f", s * f / (p * 1e12) }')"
            echo "pair $pair: savoir $s samples/s = $(awk -v r="$ratio" -v p="$peak" 'BEGIN { printf "%.2f", r * p }') TFLOP/s, fraction of peak $ratio"
        fi
        ratios+=("$ratio")
    done
    summary="$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "median %.3f (min %.3f - max %.3f, %d pairs)", m, v[1], v[NR], NR }')"
    if [[ $have_torch == 1 ]]; then
        echo "RESULT $model: savoir/torch throughput ratio $summary (target >= 0.8)"
    else
        echo "RESULT $model: torch unavailable; fraction of ${peak} TFLOP/s peak $summary"
    fi
done
