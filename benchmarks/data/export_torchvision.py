"""How benchmarks/data/resnet50.onnx and tests/data/resnet18.onnx were made (not run by tests).

Needs torch and torchvision, which convcost never depends on: run it in a separate virtual
environment (``pip install torch torchvision onnx``). Every parameter is first set to a random
value, as a trained network's are, because the exporter merges initializers with equal values
(untrained zeros and ones would look shared). The weights are then saved to an external file,
which is not shipped: convcost never reads weights.

- resnet50.onnx: ``torch.onnx.export`` as most users call it (constant folding on, so each
  batch norm is folded into the convolution before it).
- resnet18.onnx: with ``do_constant_folding=False``, so the batch norms stay nodes.

Run: python benchmarks/data/export_torchvision.py OUT_DIR
"""

from __future__ import annotations

import os
import sys

import onnx
import torch
import torchvision


def randomize(model: torch.nn.Module) -> None:
    torch.manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.02)
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.normal_()
                m.running_var.uniform_(0.5, 1.5)


def export(model: torch.nn.Module, path: str, **options: object) -> None:
    randomize(model)
    model.eval()
    temp = path + ".tmp"
    torch.onnx.export(
        model, torch.zeros(1, 3, 224, 224), temp, dynamo=False, opset_version=17, input_names=["image"], output_names=["logits"], **options
    )
    onnx.save(onnx.load(temp), path, save_as_external_data=True, location=os.path.basename(path) + ".data", size_threshold=0)
    os.remove(temp)


if __name__ == "__main__":
    out = sys.argv[1]
    export(torchvision.models.resnet50(), os.path.join(out, "resnet50.onnx"))
    export(torchvision.models.resnet18(), os.path.join(out, "resnet18.onnx"), do_constant_folding=False)
