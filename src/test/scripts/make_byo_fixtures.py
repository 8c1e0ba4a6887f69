#!/usr/bin/python3
"""Builds the bring-your-own and bioimage.io fixtures of the test suite (run with Debian's python3-torch
and python3-numpy; CI needs neither: the files are committed).

Writes into src/test/resources/byo/:
  classifier.pt       a whole TorchScript classifier: N x 3 x 32 x 32 -> N x 2 logits (dark, bright), with an
                      exported method features(x) -> N x 4 (the pooled convolution features)
  probabilities.pt    N x 1 x 32 x 32 -> N x 2 probabilities (softmax inside the model)
  segmentation.pt     N x 1 x 32 x 32 -> N x 2 x 32 x 32 (a segmentation model, to be refused)
  state_dict.pt       torch.save of the classifier's state dict (weights without a program, to be refused)
  expected.csv        PyTorch's outputs of classifier.pt and probabilities.pt for two inputs the Java tests rebuild
  bioimageio-0.5/     a bioimage.io model package (rdf.yaml format 0.5.4) of a one-channel classifier:
                      scale_range preprocessing, logits with softmax postprocessing, test tensors written by numpy
  bioimageio-0.4/     the same model described in format 0.4.10 (axes as letters, test_inputs/test_outputs)
"""
import hashlib
import os
import shutil
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "resources", "byo")


class Classifier(torch.nn.Module):
    """Brighter input -> larger pooled features -> larger 'bright' logit."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv = torch.nn.Conv2d(channels, 4, 3, stride=4, padding=1)
        self.fc = torch.nn.Linear(4, 2)

    @torch.jit.export
    def features(self, x):
        return torch.relu(self.conv(x)).mean(dim=(2, 3))

    def forward(self, x):
        # flatten with view(): needs contiguous activations, as many user models do
        f = torch.relu(self.conv(x))
        f = f.mean(dim=3).mean(dim=2).view(x.size(0), -1)
        return self.fc(f)


class Probabilities(torch.nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return torch.softmax(self.inner(x), dim=1)


class Segmentation(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 2, 3, padding=1)

    def forward(self, x):
        return self.conv(x)


def set_weights(model, channels):
    torch.manual_seed(11)
    with torch.no_grad():
        model.conv.weight.copy_(torch.rand_like(model.conv.weight) * 0.3 / channels)
        model.conv.bias.zero_()
        t = model.features(torch.full((1, channels, 32, 32), 0.5)).mean().item()
        # logit_bright - logit_dark = 8 (mean feature - t): 0 at grey 0.5
        model.fc.weight.copy_(torch.tensor([[-1.0] * 4, [1.0] * 4]))
        model.fc.bias.copy_(torch.tensor([4 * t, -4 * t]))


def pattern():
    """value(y, x) = (7x + 3y) mod 256, as the 8-bit test slice of make_tiny_model.py, scaled to [0, 1]."""
    img = torch.zeros(32, 32)
    for y in range(32):
        for x in range(32):
            img[y, x] = ((7 * x + 3 * y) % 256) / 255.0
    return img


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def main():
    os.makedirs(OUT, exist_ok=True)
    three = Classifier(3).eval()
    set_weights(three, 3)
    torch.jit.script(three).save(os.path.join(OUT, "classifier.pt"))
    one = Classifier(1).eval()
    set_weights(one, 1)
    prob = Probabilities(one).eval()
    torch.jit.script(prob).save(os.path.join(OUT, "probabilities.pt"))
    seg = Segmentation().eval()
    torch.jit.script(seg).save(os.path.join(OUT, "segmentation.pt"))
    torch.save(three.state_dict(), os.path.join(OUT, "state_dict.pt"))

    rows = []
    inputs = {"pattern": pattern(), "grey25": torch.full((32, 32), 64 / 255.0)}
    with torch.no_grad():
        for name, img in inputs.items():
            z = three(img.expand(1, 3, 32, 32))
            f = three.features(img.expand(1, 3, 32, 32))
            p = prob(img.expand(1, 1, 32, 32))
            rows.append("%s,%.7f,%.7f,%.7f,%.7f,%s" % (name, z[0, 0].item(), z[0, 1].item(), p[0, 0].item(), p[0, 1].item(),
                                                    " ".join("%.7f" % v for v in f[0].tolist())))
    with open(os.path.join(OUT, "expected.csv"), "w") as fh:
        fh.write("input,logit_dark,logit_bright,p_dark,p_bright,features\n")
        fh.write("\n".join(rows) + "\n")

    # bioimage.io: the one-channel classifier with logits out, softmax as postprocessing, scale_range in
    rng = np.random.default_rng(3)
    raw = (rng.integers(0, 4096, size=(1, 1, 32, 32)) * np.linspace(0.2, 1.0, 32)[None, None, None, :]).astype("float32")
    lo, hi = np.percentile(raw, 1.0), np.percentile(raw, 99.0)
    x = (raw - lo) / (hi - lo + 1e-6)
    with torch.no_grad():
        logits = one(torch.from_numpy(x.astype("float32")))
        out = torch.softmax(logits, dim=1).numpy().astype("float32")
    for version in ("0.5", "0.4"):
        d = os.path.join(OUT, "bioimageio-" + version)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        torch.jit.script(one).save(os.path.join(d, "weights.pt"))
        np.save(os.path.join(d, "test_input.npy"), raw)
        np.save(os.path.join(d, "test_output.npy"), out)
        with open(os.path.join(d, "README.md"), "w") as fh:
            fh.write("# Tiny brightness classifier\n\nA test fixture of MedCNN.\n\n## Validation\n\nNone: hand-set weights.\n")
        w = sha256(os.path.join(d, "weights.pt"))
        ti = sha256(os.path.join(d, "test_input.npy"))
        to = sha256(os.path.join(d, "test_output.npy"))
        if version == "0.5":
            rdf = RDF_05.format(w=w, ti=ti, to=to, torch=torch.__version__.split("a")[0])
        else:
            rdf = RDF_04.format(w=w, torch=torch.__version__.split("a")[0])
        with open(os.path.join(d, "rdf.yaml"), "w") as fh:
            fh.write(rdf)


RDF_05 = """# a bioimage.io model description, written by src/test/scripts/make_byo_fixtures.py
type: model
format_version: 0.5.4
name: Tiny brightness classifier
description: 'Tells dark slices from bright ones: a test fixture, not a medical model.'
authors:
  - name: MedCNN tests   # the fixture's author
    affiliation: none
cite:
  - text: "MedCNN test fixture"
    url: https://example.org/medcnn
license: MIT
documentation: README.md
tags: [classification, test]
inputs:
  - id: raw
    description: a grey slice
    axes:
      - type: batch
      - type: channel
        channel_names: [grey]
      - {{type: space, id: y, size: 32}}
      - {{type: space, id: x, size: 32}}
    test_tensor:
      source: test_input.npy
      sha256: {ti}
    data:
      type: float32
    preprocessing:
      - id: scale_range
        kwargs:
          axes: [channel, y, x]
          min_percentile: 1.0
          max_percentile: 99.0
          eps: 1.0e-06
outputs:
  - id: classes
    axes:
      - type: batch
      - type: channel
        channel_names:
          - dark
          - bright
    test_tensor:
      source: test_output.npy
      sha256: {to}
    postprocessing:
      - id: softmax
        kwargs: {{axis: channel}}
weights:
  torchscript:
    source: weights.pt
    sha256: {w}
    pytorch_version: "{torch}"
config:
  bioimageio:
    reproducibility_tolerance:
      - relative_tolerance: 0.001
        absolute_tolerance: 0.0001
"""

RDF_04 = """type: model
format_version: 0.4.10
name: Tiny brightness classifier
description: >-
  Tells dark slices from
  bright ones.
authors:
  - {{name: MedCNN tests}}
cite:
  - {{text: MedCNN test fixture, url: 'https://example.org/medcnn'}}
license: MIT
documentation: README.md
timestamp: '2026-01-01T00:00:00'
test_inputs: [test_input.npy]
test_outputs: [test_output.npy]
inputs:
  - name: raw
    axes: bcyx
    data_type: float32
    shape: [1, 1, 32, 32]
    preprocessing:
      - name: scale_range
        kwargs: {{mode: per_sample, axes: xy, min_percentile: 1, max_percentile: 99, eps: 0.000001}}
outputs:
  - name: classes
    axes: bc
    data_type: float32
    shape: [1, 2]
    postprocessing:
      - {{name: softmax}}
weights:
  torchscript:
    source: weights.pt
    sha256: {w}
    pytorch_version: {torch}
"""

if __name__ == "__main__":
    main()
