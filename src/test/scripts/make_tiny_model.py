#!/usr/bin/python3
"""Builds the tiny TorchScript fixtures of the test suite (run with Debian's python3-torch).

Writes into src/test/resources/models/tiny-brightness/:
  trunk.pt      Conv2d(3,4,3,stride 4,padding 1) + ReLU: N x 3 x 32 x 32 -> N x 4 x 8 x 8
  head.bin      a medcnn-linear-head/1 head with classes (dark, bright)
  expected.csv  logits computed here by PyTorch for two inputs the Java tests rebuild
and src/test/resources/trunks/flat-trunk.pt, a net whose output is N x 4 (not a feature map).
"""
import os
import struct
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
RES = os.path.join(HERE, "..", "resources")
OUT = os.path.join(RES, "models", "tiny-brightness")


class Trunk(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, stride=4, padding=1)

    def forward(self, x):
        return torch.relu(self.conv(x))


class Flat(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, stride=4, padding=1)

    def forward(self, x):
        return self.conv(x).mean(dim=(2, 3))


def pattern():
    """8-bit test slice: value(y, x) = (7x + 3y) mod 256, scaled to [0, 1] by the card's range policy."""
    img = torch.zeros(32, 32)
    for y in range(32):
        for x in range(32):
            img[y, x] = ((7 * x + 3 * y) % 256) / 255.0
    return img


def main():
    torch.manual_seed(7)
    trunk = Trunk().eval()
    with torch.no_grad():
        # Positive weights: brighter input -> larger features.
        trunk.conv.weight.copy_(torch.rand_like(trunk.conv.weight) * 0.2)
        trunk.conv.bias.zero_()
    os.makedirs(OUT, exist_ok=True)
    torch.jit.script(trunk).save(os.path.join(OUT, "trunk.pt"))

    # Head: logit_bright = mean(pooled) - t, logit_dark = t - mean(pooled) (scaled), t = response to grey 0.5.
    with torch.no_grad():
        t = trunk(torch.full((1, 3, 32, 32), 0.5)).mean().item()
    f = 4
    w_dark = [-2.0 / f] * f
    w_bright = [2.0 / f] * f
    bias = [2.0 * t, -2.0 * t]
    with open(os.path.join(OUT, "head.bin"), "wb") as fh:
        fh.write(b"MCNNHEAD")
        fh.write(struct.pack("<iiif", 1, f, 2, 0.0))
        fh.write(struct.pack("<%df" % (2 * f), *(w_dark + w_bright)))
        fh.write(struct.pack("<2f", *bias))

    weight = torch.tensor([w_dark, w_bright])
    b = torch.tensor(bias)
    rows = []
    inputs = {"pattern": pattern(), "grey25": torch.full((32, 32), 64 / 255.0)}
    for name, img in inputs.items():
        x = img.expand(1, 3, 32, 32)
        with torch.no_grad():
            pooled = trunk(x).mean(dim=(2, 3))
            logits = pooled @ weight.t() + b
        rows.append("%s,%.7f,%.7f" % (name, logits[0, 0].item(), logits[0, 1].item()))
    with open(os.path.join(OUT, "expected.csv"), "w") as fh:
        fh.write("input,logit_dark,logit_bright\n")
        fh.write("\n".join(rows) + "\n")

    os.makedirs(os.path.join(RES, "trunks"), exist_ok=True)
    torch.jit.script(Flat().eval()).save(os.path.join(RES, "trunks", "flat-trunk.pt"))
    print("threshold", t)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
