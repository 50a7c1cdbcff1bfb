#!/usr/bin/env python3
"""PyTorch eager on the GPU: the same two workloads as reference_impls/examples/gpu_train_bench.rs.

Usage: python3 bench/gpu_torch.py [mlp|encoder] [--epochs 5] [--steps N]
  mlp     : 784-256-128-10, ReLU, CrossEntropyLoss, SGD lr 0.1, batch 128, 468 random batches
            (59,904 samples) resident on the GPU, fixed order.
  encoder : nn.TransformerEncoderLayer(256, 4, dim_feedforward=1024, dropout=0, batch_first=True)
            + nn.Linear(256, 10) per token, CrossEntropyLoss, SGD lr 0.01, batch 32 x 128 tokens,
            20 steps per epoch.
One warm-up epoch, then --epochs timed ones; each ends with loss.item() (waits for the GPU).
Prints samples/s per epoch, then the median (min-max). fp32 throughout, TF32 off (as savoir).
"""
import argparse, statistics, time
import torch
import torch.nn as nn

ap = argparse.ArgumentParser()
ap.add_argument("model", choices=["mlp", "encoder"], nargs="?", default="mlp")
ap.add_argument("--epochs", type=int, default=5)
ap.add_argument("--steps", type=int, default=None)
args = ap.parse_args()
dev = torch.device("cuda")
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.manual_seed(0)
lossf = nn.CrossEntropyLoss()

if args.model == "mlp":
    batches = [(torch.randn(128, 784, device=dev), torch.randint(0, 10, (128,), device=dev))
               for _ in range(468)]
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                          nn.Linear(128, 10)).to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    steps, per_step = args.steps or len(batches), 128
    def step(i):
        xb, yb = batches[i % len(batches)]
        opt.zero_grad(set_to_none=True)
        loss = lossf(model(xb), yb)
        loss.backward()
        opt.step()
        return loss
else:
    B, T, D = 32, 128, 256
    x = torch.randn(B, T, D, device=dev)
    y = torch.randint(0, 10, (B * T,), device=dev)
    layer = nn.TransformerEncoderLayer(D, 4, dim_feedforward=1024, dropout=0.0,
                                       batch_first=True).to(dev)
    head = nn.Linear(D, 10).to(dev)
    opt = torch.optim.SGD(list(layer.parameters()) + list(head.parameters()), lr=0.01)
    steps, per_step = args.steps or 20, B
    def step(i):
        opt.zero_grad(set_to_none=True)
        loss = lossf(head(layer(x)).reshape(B * T, 10), y)
        loss.backward()
        opt.step()
        return loss

print(f"torch {torch.__version__} on {torch.cuda.get_device_name(0)}", flush=True)
rates = []
for epoch in range(args.epochs + 1):
    t = time.perf_counter()
    for i in range(steps):
        loss = step(i)
    value = loss.item()
    dt = time.perf_counter() - t
    rate = steps * per_step / dt
    label = "warm-up" if epoch == 0 else f"epoch {epoch}"
    print(f"{args.model} {label}: {dt:.3f} s, {rate:.0f} samples/s, loss {value:.3f}", flush=True)
    if epoch > 0:
        rates.append(rate)
print(f"torch-gpu {args.model} samples/s median {statistics.median(rates):.0f} "
      f"(min {min(rates):.0f} - max {max(rates):.0f}, {len(rates)} epochs)")
