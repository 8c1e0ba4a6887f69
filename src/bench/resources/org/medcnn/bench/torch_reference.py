"""PyTorch-Python reference for `medcnn bench`: slices/s of a TorchScript model, plain and
optimized (torch.jit.freeze + optimize_for_inference), at the batch sizes given, with PyTorch's
default number of threads; when that is fewer than the CPU cores (Debian's python3-torch defaults to
one), the optimized path again with one thread per core ("optimized_all_cores"), PyTorch's best CPU
path on the machine.

Then the job MedCNN runs, like for like: the trunk followed by global average pooling, optimized as one
graph, with one thread per core ("pooled_all_cores"), and, for batches of 2 or more, as two halves run at
once on two Python threads with one thread each ("pooled_two_streams", what MedCNN's two engine lanes do).

Usage: python3 torch_reference.py MODEL.pt SIZE SECONDS BATCH [BATCH ...]
Prints one JSON object on the last line.
"""
import json
import os
import sys
import threading
import time

import torch


class Pooled(torch.nn.Module):
    """The trunk, then global average pooling to one feature vector per slice."""

    def __init__(self, trunk):
        super().__init__()
        self.trunk = trunk

    def forward(self, x):
        return torch.nn.functional.adaptive_avg_pool2d(self.trunk(x), 1).flatten(1)


def two_streams(module, batch, size, seconds):
    """Two threads, each running half of the batch, for the same time; their slices/s added."""
    rates = [0.0, 0.0]
    halves = [(batch + 1) // 2, batch // 2]

    def run(i):
        rates[i] = throughput(module, halves[i], size, seconds)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return rates[0] + rates[1]


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
    torch.set_num_threads(cores)
    pooled = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.script(Pooled(torch.jit.load(path)).eval())))
    out["pooled_threads"] = torch.get_num_threads()
    out["pooled_all_cores"] = {}
    for b in batches:
        out["pooled_all_cores"][str(b)] = throughput(pooled, b, size, seconds)
    if cores >= 2:
        # New threads take the process-wide count: one each.
        torch.set_num_threads(max(1, cores // 2))
        out["pooled_two_streams"] = {}
        for b in batches:
            if b >= 2:
                out["pooled_two_streams"][str(b)] = two_streams(pooled, b, size, seconds)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
