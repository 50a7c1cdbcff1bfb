#!/usr/bin/env bash
# Forward+backward of a one-layer LSTM (input 64, hidden 128, sequence 50, batch 32, loss = Σ
# output), PyTorch against reference_impls, side by side. PyTorch:
# $SHARED/bench/anchors/torch_lstm.py; ours: reference_impls/examples/sequence_throughput.rs lstm.
# Figure: median milliseconds per step over ITERS steps (default 50) after 5 warm-up steps.
# Method and environment variables: bench/side_by_side.sh. Usage: bench/lstm_bench.sh
source "$(dirname "${BASH_SOURCE[0]}")/side_by_side.sh"
iters="${ITERS:-50}"
BENCH_COMMAND="bench/lstm_bench.sh (ROUNDS=$rounds THREADS=\"$threads_list\" ITERS=$iters)"
ensure_torch
ours="$(build_example sequence_throughput)"
run_pairs "LSTM fwd+bwd, input 64, hidden 128, seq 50, batch 32" "ms/step" 0 \
    "$venv/bin/python" "$shared/bench/anchors/torch_lstm.py" --iters "$iters" -- \
    "$ours" lstm --iters "$iters"
