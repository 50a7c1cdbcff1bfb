#!/usr/bin/env bash
# Forward+backward of 4-head self-attention (d_model 128, sequence 128, batch 32, q = k = v = x,
# loss = Σ output), PyTorch's nn.MultiheadAttention against reference_impls, side by side.
# PyTorch: $SHARED/bench/anchors/torch_attention.py (its `mha` line; the script also times a
# whole encoder block, which this comparison leaves out); ours:
# reference_impls/examples/sequence_throughput.rs attention. Figure: median milliseconds per step
# over ITERS steps (default 50) after 5 warm-up steps. Method and environment variables:
# bench/side_by_side.sh. Usage: bench/attention_bench.sh
source "$(dirname "${BASH_SOURCE[0]}")/side_by_side.sh"
iters="${ITERS:-50}"
BENCH_COMMAND="bench/attention_bench.sh (ROUNDS=$rounds THREADS=\"$threads_list\" ITERS=$iters)"
ensure_torch
ours="$(build_example sequence_throughput)"
# torch_attention.py prints the mha line first, then the block line: keep the mha one.
torch_mha() { "$venv/bin/python" "$shared/bench/anchors/torch_attention.py" "$@" | grep 'attention mha'; }
run_pairs "4-head self-attention fwd+bwd, d_model 128, seq 128, batch 32" "ms/step" 0 \
    torch_mha --iters "$iters" -- \
    "$ours" attention --iters "$iters"
