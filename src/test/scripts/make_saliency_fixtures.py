#!/usr/bin/python3
"""Builds the TorchScript fixtures of the saliency tests (run with Debian's python3-torch).

Writes src/test/resources/trunks/square-trunk.pt, a full-resolution trunk with known weights:

    A0 = (mean_c x_c)^2          A1 = (1 - mean_c x_c)^2          (N x 2 x H x W, any H and W)

i.e. Conv2d(3, 2, 1) with weights 1/3 and -1/3, biases 0 and 1, then a square. Its feature map has
the input's resolution and its input gradient is proportional to the input, so the tests can plant a
saliency peak at a pixel and compute Grad-CAM and gradients by hand. The tests write the head and the
card (input size, resize mode) themselves.

Also writes src/test/resources/trunks/bn-trunk.pt, three blocks with batch normalisation (non-trivial
running statistics) and dropout: features.0 Conv2d(3,4,3,s2,p1), features.1 BatchNorm2d(4), ReLU,
Dropout(0.5), features.4 Conv2d(4,4,3,s2,p1), ReLU: N x 3 x H x W -> N x 4 x H/4 x W/4. Explanations
must run it in evaluation mode, like inference does.
"""
import os
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "resources", "trunks")


class Square(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 2, 1)

    def forward(self, x):
        y = self.conv(x)
        return y * y


class Bn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(3, 4, 3, stride=2, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
            torch.nn.Dropout(0.5), torch.nn.Conv2d(4, 4, 3, stride=2, padding=1), torch.nn.ReLU())

    def forward(self, x):
        return self.features(x)


def main():
    trunk = Square().eval()
    with torch.no_grad():
        trunk.conv.weight.copy_(torch.tensor([1 / 3.0, -1 / 3.0]).view(2, 1, 1, 1).expand(2, 3, 1, 1))
        trunk.conv.bias.copy_(torch.tensor([0.0, 1.0]))
    os.makedirs(OUT, exist_ok=True)
    torch.jit.script(trunk).save(os.path.join(OUT, "square-trunk.pt"))
    x = torch.full((1, 3, 4, 6), 0.25)
    print(trunk(x)[0, :, 0, 0])  # tensor([0.0625, 0.5625])

    torch.manual_seed(11)
    bn = Bn()
    with torch.no_grad():
        norm = bn.features[1]
        norm.running_mean.copy_(torch.tensor([0.1, -0.2, 0.3, 0.0]))
        norm.running_var.copy_(torch.tensor([0.5, 2.0, 1.5, 0.8]))
        norm.weight.copy_(torch.tensor([1.2, 0.8, 1.0, 1.5]))
        norm.bias.copy_(torch.tensor([0.1, 0.2, -0.1, 0.05]))
    bn.eval()
    torch.jit.script(bn).save(os.path.join(OUT, "bn-trunk.pt"))


if __name__ == "__main__":
    main()
