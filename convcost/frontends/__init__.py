"""Front ends: files and flags lowered into specs and the operator graph.

:func:`load_graph` is the one entry point for a network file: it picks the front end by the
file's extension (``.onnx``: the ONNX reader; anything else, ``-`` included: a YAML model file)
and returns the graph every analysis folds over.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from convcost.core.shapes import shown
from convcost.errors import ConvcostError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from convcost.core.graph import Graph


def is_onnx(path: str) -> bool:
    """True for a path the ONNX reader takes (by its extension, any case)."""
    return path.lower().endswith(".onnx")


def load_graph(path: str, input_dims: str | Sequence[str] | None = None, all_ops: bool = False) -> Graph:
    """The operator graph of a model file, YAML or ONNX.

    ONNX only: ``input_dims`` (``NxCxHxW`` or ``HxWxC``, or ``name=NxCxHxW``; one text or one per input) fixes
    the inputs' dynamic dimensions;
    ``all_ops`` keeps every node as a row (else nodes with neither mults nor params are summed
    in one line). A YAML model's layers are all rows already.
    """
    if is_onnx(path):
        # lazy: each front end only for its kind of file
        from convcost.frontends.onnx import load_onnx

        return load_onnx(path, input_dims, all_ops)
    if input_dims is not None:
        text = input_dims if isinstance(input_dims, str) else next(iter(input_dims), "")
        raise ConvcostError(f"--input {shown(text)}: only an .onnx model takes --input; a model file states its input: {path}")
    # lazy: each front end only for its kind of file
    from convcost.frontends.yaml import load_mapping

    data = load_mapping(path, "model")  # read and parsed first: a hostile file is refused before the grammar loads
    # lazy: each front end only for its kind of file
    from convcost.frontends.lower import lower
    from convcost.frontends.model_file import parse_model

    return lower(parse_model(data))
