#!/usr/bin/python3
"""Builds src/test/resources/trunks/residual-bn-trunk.pt (run with Debian's python3-torch).

A MobileNetV2-like trunk as torchvision writes one, not frozen: convolutions without bias, each
followed by batch norm (with running statistics away from 0 and 1) and ReLU6, depthwise
convolutions, and two inverted-residual blocks whose projection is added to their input.
N x 3 x 32 x 32 -> N x 16 x 16 x 16. The fused graph (FusedGraph) folds each batch norm into its
convolution and takes in the ReLU6 or the addition after it; the tests compare with the plain graph.
"""
import io
import os
import zipfile
import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "trunks", "residual-bn-trunk.pt")


def conv_bn_relu6(cin, cout, stride=1, groups=1):
    k = 3 if groups > 1 or cin == 3 else 1
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout), nn.ReLU6(inplace=True))


class InvertedResidual(nn.Module):
    def __init__(self, c, expand):
        super().__init__()
        h = c * expand
        self.conv = nn.Sequential(conv_bn_relu6(c, h), conv_bn_relu6(h, h, 1, h), nn.Conv2d(h, c, 1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        return x + self.conv(x)


class Trunk(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(conv_bn_relu6(3, 8, 2), InvertedResidual(8, 2), InvertedResidual(8, 2), conv_bn_relu6(8, 16))

    def forward(self, x):
        return self.features(x)


def main():
    torch.manual_seed(20261126)
    m = Trunk().eval()
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.5, 0.5)
            mod.running_var.uniform_(0.5, 2.0)
            mod.weight.data.uniform_(0.5, 1.5)
            mod.bias.data.uniform_(-0.2, 0.2)
    buf = io.BytesIO()
    torch.jit.save(torch.jit.script(m), buf)
    # Without the source-position tables (*.debug_pkl), which libtorch does not need: a smaller fixture.
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(OUT, "w") as dst:
        for item in src.infolist():
            if not item.filename.endswith(".debug_pkl"):
                dst.writestr(item, src.read(item.filename))
    print("wrote", OUT)


if __name__ == "__main__":
    main()
