"""PyTorch-Python reference for `medcnn bench`: slices/s of a TorchScript model, plain and
optimized (torch.jit.freeze + optimize_for_inference), at the batch sizes given, with PyTorch's
default number of threads; when that is fewer than the CPU cores (Debian's python3-torch defaults to
one), the optimized path again with one thread per core ("optimized_all_cores"), PyTorch's best CPU
path on the machine.

Usage: python3 torch_reference.py MODEL.pt SIZE SECONDS BATCH [BATCH ...]
Prints one JSON object on the last line.
"""
import json
import os
import sys
import time

import torch


def throughput(module, batch, size, seconds):
    x = torch.rand(batch, 3, size, size)
    with torch.no_grad():
        for _ in range(3):
            module(x)
        n = 0
        t0 = time.perf_counter()
        while True:
            module(x)
            n += batch
            dt = time.perf_counter() - t0
            if dt >= seconds:
                return n / dt


def main():
    path, size, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    batches = [int(b) for b in sys.argv[4:]]
    plain = torch.jit.load(path).eval()
    out = {"torch_version": torch.__version__, "threads": torch.get_num_threads(), "plain": {}, "optimized": {}}
    for b in batches:
        out["plain"][str(b)] = throughput(plain, b, size, seconds)
    optimized = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.load(path).eval()))
    for b in batches:
        out["optimized"][str(b)] = throughput(optimized, b, size, seconds)
    cores = os.cpu_count() or 1
    if torch.get_num_threads() < cores:
        torch.set_num_threads(cores)
        out["all_cores"] = torch.get_num_threads()
        out["optimized_all_cores"] = {}
        for b in batches:
            out["optimized_all_cores"][str(b)] = throughput(optimized, b, size, seconds)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
