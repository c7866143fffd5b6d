"""``convcost import``: an ONNX file written as an editable model file."""

from __future__ import annotations

import click

from convcost.core.io import write_atomic
from convcost.errors import ConvcostError
from convcost.frontends import is_onnx
from convcost.frontends.onnx import load_onnx
from convcost.frontends.onnx_import import graph_to_model_file


@click.command("import")
@click.argument("file", metavar="MODEL.onnx")
@click.option("-o", "--output", metavar="SPEC.yaml", help="Write the model file here (default: standard output).")
@click.option(
    "--input",
    "input_dims",
    multiple=True,
    metavar="[NAME=]NxCxHxW",
    help="An input's shape, for an input with dynamic dimensions; NAME= for an input other than the first (repeat the flag).",
)
@click.option(
    "--skip-unknown", is_flag=True, help="Write ops no model-file type expresses as identity layers (the totals may then differ)."
)
def import_(file: str, output: str | None, input_dims: tuple[str, ...], skip_unknown: bool) -> None:
    """Write an ONNX network as a convcost model file with the same totals.

    Layers are named after the ONNX nodes, with from: where the graph branches
    and the keys most layers share in defaults:. Edit it, then compare:
    convcost diff net.onnx proposal.yaml.

    \b
    Example:
      convcost import resnet18.onnx -o resnet18.yaml
    """

    if not is_onnx(file):
        raise ConvcostError(f"{file}: convcost import reads an .onnx file")
    text = graph_to_model_file(load_onnx(file, input_dims or None, all_ops=True), file, skip_unknown)
    if output is None:
        click.echo(text, nl=False)
        return

    write_atomic(output, text, (file,), "--output")
