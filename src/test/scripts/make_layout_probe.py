#!/usr/bin/python3
"""Builds src/test/resources/trunks/layout-probe.pt (run with Debian's python3-torch).

A "trunk" that reports, from inside the engine, the memory layout of the tensor it was given:
N x 3 x H x W -> N x 2 x 1 x 1, channel 0 = 1 if the input is channels-last (and not contiguous
N, C, H, W), else 0; channel 1 = the mean of the slice's values, to check that they arrived unchanged.
LayoutProbeTest runs it through ClassifierModel, the path every MedCNN entry point uses.
"""
import os
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "resources", "trunks", "layout-probe.pt")


class LayoutProbe(torch.nn.Module):
    def forward(self, x):
        n = x.size(0)
        last = x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()
        flag = torch.full([n, 1, 1, 1], 1.0 if last else 0.0)
        mean = x.mean(dim=[1, 2, 3]).reshape(n, 1, 1, 1)
        return torch.cat([flag, mean], dim=1)


def main():
    m = torch.jit.script(LayoutProbe().eval())
    x = torch.rand(2, 3, 8, 8)
    assert m(x)[:, 0].sum().item() == 0
    assert m(x.contiguous(memory_format=torch.channels_last))[:, 0].sum().item() == 2
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    m.save(OUT)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
