#!/usr/bin/python3
"""Builds src/test/resources/trunks/unfreezable-trunk.pt (run with Debian's python3-torch).

A working trunk (N x 3 x H x W -> N x 4 x h x w) that libtorch cannot freeze: its forward picks a
submodule from a ModuleDict by an attribute's value through an interface type, which compiles to
prim::ModuleContainerIndex, and torch::jit::freeze throws "Freezing modules containing
prim::ModuleContainerIndex is not supported". Called through JNA, that C++ exception ends the JVM;
InferenceGraphTest checks that MedCNN finds this out in a child process and keeps the plain graph.
"""
import os
import torch
from torch import Tensor

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "resources", "trunks", "unfreezable-trunk.pt")


@torch.jit.interface
class Op(torch.nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        pass


class Twice(torch.nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return x * 2.0


class Halve(torch.nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return x * 0.5


class Unfreezable(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(7)
        self.conv = torch.nn.Conv2d(3, 4, 3, stride=8)
        self.ops = torch.nn.ModuleDict({"twice": Twice(), "halve": Halve()})
        self.which = "twice"

    def forward(self, x: Tensor) -> Tensor:
        op: Op = self.ops[self.which]
        return op.forward(self.conv(x))


def main():
    m = torch.jit.script(Unfreezable().eval())
    assert m(torch.zeros(1, 3, 32, 32)).shape == (1, 4, 4, 4)
    try:
        torch.jit.freeze(m)
        raise SystemExit("expected freezing to fail")
    except RuntimeError as e:
        print("freezing fails as intended:", str(e).splitlines()[0])
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    m.save(OUT)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
