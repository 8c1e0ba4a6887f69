"""bf16 against fp32 on this CPU with PyTorch-Python, on a MedCNN TorchScript trunk (a measurement, not a test).

Same process, rounds alternating between the paths, batch 8 (and 1), 224 x 224, channels-last input:
  fp32 optimized  torch.jit.freeze + optimize_for_inference (PyTorch's best fp32 path; MedCNN matches it)
  bf16 autocast   torch.autocast("cpu", dtype=torch.bfloat16) around the frozen fp32 module
  bf16 weights    a copy of the module cast to bfloat16, bf16 channels-last input
Also writes the bf16-cast TorchScript, taking and returning fp32 (--save-bf16 FILE), for the same measurement through DJL/libtorch
(org.medcnn.bench.PrecisionBench). Prints slices/s per round and the medians, and how far the bf16 outputs
are from fp32's (max |difference| of the pooled features).

Usage: /usr/bin/python3 src/bench/python/precision_bf16.py models/brain-tumor-mri/trunk.pt [--rounds 5] [--seconds 3] [--save-bf16 FILE]
"""
import argparse
import os
import statistics
import time

import torch

p = argparse.ArgumentParser()
p.add_argument("trunk")
p.add_argument("--rounds", type=int, default=5)
p.add_argument("--seconds", type=float, default=3.0)
p.add_argument("--batches", default="8,1")
p.add_argument("--save-bf16")
p.add_argument("--threads", type=int, default=os.cpu_count(), help="intra-op threads (default: all cores, as MedCNN)")
a = p.parse_args()
torch.set_num_threads(a.threads)

torch.manual_seed(0)
with open("/proc/cpuinfo") as f:
    info = f.read()
model_name = next((l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith("model name")), "unknown")
flags = next((l.split(":", 1)[1].split() for l in info.splitlines() if l.startswith("flags")), [])
wanted = ["avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16", "amx_int8"]
print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, CPU {model_name}, flags: "
      + " ".join(f if f in flags else "no-" + f for f in wanted))
print(f"mkldnn bf16 supported (torch.ops.mkldnn._is_mkldnn_bf16_supported): "
      f"{getattr(torch.ops.mkldnn, '_is_mkldnn_bf16_supported', lambda: 'n/a')()}")

m = torch.jit.load(a.trunk).eval()
opt = torch.jit.optimize_for_inference(torch.jit.freeze(m.eval()))
bf = torch.jit.load(a.trunk).eval().to(torch.bfloat16)
if a.save_bf16:
    # The cast to bf16 and back happens inside the module: DJL 0.33's NDArray.toType(BFLOAT16) aborts the JVM
    # (libtorch 2.5.1: "terminate called without an active exception"), so Java hands it fp32 tensors.
    class Bf16Trunk(torch.nn.Module):
        def __init__(self, trunk):
            super().__init__()
            self.trunk = trunk

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.trunk(x.to(torch.bfloat16)).float()

    torch.jit.save(torch.jit.script(Bf16Trunk(bf)), a.save_bf16)
    print("wrote", a.save_bf16)
bf_frozen = torch.jit.freeze(bf)


def pooled(y):
    return y.float().mean(dim=(2, 3))


def rate(fn, x, seconds):
    fn(x)
    n, t0 = 0, time.perf_counter()
    while True:
        fn(x)
        n += x.shape[0]
        dt = time.perf_counter() - t0
        if dt >= seconds:
            return n / dt


with torch.inference_mode():
    for b in [int(s) for s in a.batches.split(",")]:
        x = torch.rand(b, 3, 224, 224).contiguous(memory_format=torch.channels_last)
        xb = x.to(torch.bfloat16)
        ref = pooled(opt(x))

        def autocast(t):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                return m(t)

        paths = {"fp32 optimized": (opt, x), "bf16 autocast": (autocast, x), "bf16 weights": (bf_frozen, xb)}
        for name, (fn, inp) in paths.items():
            d = (pooled(fn(inp)) - ref).abs().max().item()
            print(f"batch {b}: {name}: max |pooled feature difference| from fp32 {d:.3g}")
        got = {k: [] for k in paths}
        for r in range(a.rounds):
            order = list(paths) if r % 2 == 0 else list(reversed(paths))
            for name in order:
                fn, inp = paths[name]
                got[name].append(rate(fn, inp, a.seconds))
            print(f"batch {b} round {r + 1}: " + ", ".join(f"{k} {got[k][-1]:.1f}" for k in paths) + " slices/s")
        if not a.rounds:
            continue
        med = {k: statistics.median(v) for k, v in got.items()}
        print(f"batch {b} medians: " + ", ".join(f"{k} {v:.1f} slices/s ({v / med['fp32 optimized']:.2f} x fp32)" for k, v in med.items()))
