#!/usr/bin/env bash
# Training throughput of a 784-256-128-10 MLP (ReLU, softmax cross-entropy, SGD lr 0.1, batch 128,
# 60,000 random f32 samples, fixed batch order), PyTorch against reference_impls, side by side.
# PyTorch: $SHARED/bench/anchors/torch_mlp.py; ours: reference_impls/examples/mlp_throughput.rs.
# Figure: median samples/s over EPOCHS epochs (default 3) per run. Method and environment
# variables (ROUNDS, THREADS, IDLE_MAX, RETRIES, TORCH_VERSION): bench/side_by_side.sh.
# Usage: bench/mlp_bench.sh
source "$(dirname "${BASH_SOURCE[0]}")/side_by_side.sh"
epochs="${EPOCHS:-3}"
BENCH_COMMAND="bench/mlp_bench.sh (ROUNDS=$rounds THREADS=\"$threads_list\" EPOCHS=$epochs)"
ensure_torch
ours="$(build_example mlp_throughput)"
run_pairs "MLP 784-256-128-10 training, SGD, batch 128" "samples/s" 1 \
    "$venv/bin/python" "$shared/bench/anchors/torch_mlp.py" --epochs "$epochs" -- \
    "$ours" --epochs "$epochs"
