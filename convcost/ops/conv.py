"""Convolutions: ``conv``, ``depthwise``, ``pointwise`` and the transposed ``deconv``.

``mults = Ho * Wo * N * (C/G) * KH * KW`` (a transposed convolution: ``H * W * C * (N/G) * KH * KW``,
one multiply-accumulate per weight use); params are the weights, a bias per output channel
with ``bias``, and 2 per output channel with ``bn`` (batch-norm scale and shift).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import prod
from typing import Any

from convcost.core.cost import Cost, conv_cost
from convcost.core.shapes import (
    AXIS_NAMES,
    Conv,
    Padding,
    Shape,
    check_groups,
    explicit_padding,
    make_conv,
    parse_bool,
    parse_int,
    parse_padding,
    parse_sizes,
    parse_sizes0,
    per_axis,
    same_padding,
    shown,
    window_sizes,
)
from convcost.errors import ConvcostError
from convcost.factorize.solve import RANK_SCHEMA, parse_rank
from convcost.ops.onnx_node import UNKNOWN, WINDOW, Dims, Lowered, OnnxHandler, OnnxNode, all_at_least, at_least, shown_attr
from convcost.ops.parsers import (
    BOOL_SCHEMA,
    COUNT_SCHEMA,
    EXPLICIT_PADDING_SCHEMA,
    PADDING_SCHEMA,
    SIZES0_SCHEMA,
    SIZES_SCHEMA,
    method_schema,
    parse_explicit_padding,
    parse_method,
)
from convcost.ops.registry import Evaluated, Key, OpDef, kernel_text, register, window_kernel

KEYS = {
    "k": Key(parse_sizes, SIZES_SCHEMA, "kernel size: K, or one per axis (KHxKW, KTxKHxKW)"),
    "out": Key(parse_int, COUNT_SCHEMA, "output channels"),
    "stride": Key(parse_sizes, SIZES_SCHEMA, "stride: S, or one per axis (SHxSW)"),
    "padding": Key(parse_padding, PADDING_SCHEMA, "padding: P, one per axis (PHxPW), same or valid"),
    "dilation": Key(parse_sizes, SIZES_SCHEMA, "dilation: D, or one per axis (DHxDW)"),
    "groups": Key(parse_int, COUNT_SCHEMA, "groups (C and N must divide by it)"),
    "bias": Key(parse_bool, BOOL_SCHEMA, "one bias per output channel"),
    "rank": Key(parse_rank, RANK_SCHEMA, "rank for low-rank, tucker2 (R3xR4) and cp; a fraction in (0, 1) of each full rank"),
    "mid": Key(parse_int, COUNT_SCHEMA, "middle channels for the spatial-separable and 2plus1d what-ifs"),
    "bn": Key(parse_bool, BOOL_SCHEMA, "batch norm after it: 2 params per output channel"),
    "as": Key(parse_method, method_schema(), "build it as this factorization"),
    "multiplier": Key(parse_int, COUNT_SCHEMA, "depthwise channel multiplier"),
    "output_padding": Key(parse_sizes0, SIZES0_SCHEMA, "extra rows/columns on one side of a transposed conv's output, one or one per axis"),
}


def _conv(shape: Shape, n: int, k: tuple[int, ...], v: Mapping[str, Any], groups: int) -> Conv:
    return make_conv(
        shape,
        n,
        k,
        v.get("stride", (1,)),
        v.get("padding", (0,)),
        v.get("dilation", (1,)),
        groups,
        bool(v.get("bias", False)),
    )


def evaluate(kind: str, v: Mapping[str, Any], inputs: Sequence[Shape]) -> Evaluated:
    """``conv``, ``depthwise`` or ``pointwise`` on one input."""
    (shape,) = inputs
    if kind == "depthwise":
        conv = _conv(shape, shape.c * v.get("multiplier", 1), v["k"], v, groups=shape.c)
    elif kind == "pointwise":
        conv = _conv(shape, v["out"], (1,), v, groups=v.get("groups", 1))
    else:
        conv = _conv(shape, v["out"], v["k"], v, groups=v.get("groups", 1))
    return Evaluated(conv.out, conv_cost(conv, 2 * conv.out.c if v.get("bn") else 0), kernel_text(conv.k, conv.stride), conv)


# --- ONNX: Conv and ConvTranspose -------------------------------------------------------


def onnx_pads(node: OnnxNode, spatial: Sequence[int], k: Sequence[int], stride: Sequence[int],
              dilation: Sequence[int]) -> tuple[tuple[int, ...], tuple[int, ...]] | None:  # fmt: skip
    """An ONNX window's padding of any rank, (before each axis, after each axis), ``auto_pad`` resolved;
    None when ``pads`` does not give two values per axis."""
    rank = len(spatial)
    auto = node.attrs.get("auto_pad", "NOTSET")
    if auto == "VALID":
        return (0,) * rank, (0,) * rank
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        return same_padding(spatial, k, stride, dilation, auto == "SAME_UPPER")
    pads = tuple(node.attrs.get("pads", (0,) * (2 * rank)))
    if len(pads) != 2 * rank:
        return None
    return pads[:rank], pads[rank:]


def onnx_pads_axes(node: OnnxNode, dims: Dims, k: Sequence[int], stride: Sequence[int],
                   dilation: Sequence[int]) -> Padding | None:  # fmt: skip
    """Explicit (begin, end) padding per axis, axis by axis, of an ONNX window on N x C x spatial ``dims``
    (2-D: top, bottom, left, right); None where none applies."""
    rank = len(dims) - 2
    if len(stride) != rank or len(dilation) != rank:
        return None
    found = onnx_pads(node, dims[2:], k, stride, dilation)
    if found is None or min(found[0] + found[1]) < 0:
        return None
    return tuple(p for pair in zip(*found, strict=True) for p in pair)


def check_onnx_conv(node: OnnxNode, x: Dims, weight: Dims) -> None:
    """A Conv's or ConvTranspose's weight fits its input's channels and its group, else the error naming the node.

    Conv: weight N x C/group x KH x KW, N divisible by group; ConvTranspose: weight
    C x N/group x KH x KW (C: the input's channels, dimension 1).
    """
    group = node.attrs.get("group", 1)
    where = node.where
    shown_weight = "x".join(map(str, weight))
    if not isinstance(group, int) or group < 1:
        raise ConvcostError(f"{where}: group {group}; expected a whole number >= 1")
    if len(x) < 2 or len(weight) < 2:  # ONNX shape inference refuses these (and checks ConvTranspose's C against the group)
        return
    channels = x[1]
    if node.op_type == "Conv":
        if weight[1] * group != channels:
            raise ConvcostError(
                f"{where}: weight {shown(node.inputs[1])} is {shown_weight}, which takes {weight[1]} x group {group} = "
                f"{weight[1] * group} input channels, but input {shown(node.inputs[0])} has {channels}; not a valid convolution"
            )
        if weight[0] % group:
            raise ConvcostError(
                f"{where}: weight {shown(node.inputs[1])} is {shown_weight}: its {weight[0]} output channels do not split "
                f"into group {group}; not a valid convolution"
            )
        return
    if weight[0] != channels:
        raise ConvcostError(
            f"{where}: weight {shown(node.inputs[1])} is {shown_weight}, which takes {weight[0]} input channels, but input "
            f"{shown(node.inputs[0])} has {channels}; not a valid transposed convolution"
        )


def check_onnx_window(node: OnnxNode) -> None:
    """A Conv or ConvTranspose: its weight fits its input and group, its kernel_shape is its weight's,
    and the rule of the model file's ``conv`` / ``deconv`` (groups, output channels, a kernel that fits)."""
    attrs, ins = node.attrs, node.inputs
    x, weight = node.need(0), node.need(1)
    check_onnx_conv(node, x, weight)
    where = node.where
    rank = len(x) - 2
    if rank < 1 or len(weight) != len(x):
        return  # shape inference refuses these
    k = weight[2:]
    if "kernel_shape" in attrs and tuple(attrs["kernel_shape"]) != k:
        raise ConvcostError(
            f"{where}: attribute kernel_shape {shown_attr(attrs['kernel_shape'])} disagrees with weight {shown(ins[1])}, "
            f"which is {'x'.join(map(str, weight))} (kernel {'x'.join(map(str, k))}); expected the weight's kernel"
        )
    values = {}
    for key, default in (("strides", 1), ("dilations", 1), ("output_padding", 0)):
        values[key] = tuple(attrs.get(key, (default,) * rank))
        if len(values[key]) != rank:
            raise ConvcostError(f"{where}: attribute {key} {shown_attr(values[key])}; expected {rank} values, one per spatial axis")
    stride, dilation = values["strides"], values["dilations"]
    auto = attrs.get("auto_pad", "NOTSET")
    group = attrs.get("group", 1)
    spatial = x[2:]
    try:
        if node.op_type == "Conv":
            check_groups(x[1], weight[0], group)
            begin, end = _window_pads(node, spatial, k, stride, dilation)
            window_sizes(spatial, k, stride, begin, end, dilation)
        elif "output_shape" in attrs or auto in ("SAME_UPPER", "SAME_LOWER"):
            check_groups(x[1], weight[1] * group, group)  # the output's size is the attribute's (checked >= 1 with it)
        else:
            begin, end = _window_pads(node, spatial, k, stride, dilation)
            deconv_sizes(spatial, x[1], weight[1] * group, group, k, stride, begin, end, dilation, values["output_padding"])
    except ConvcostError as exc:
        raise ConvcostError(f"{where}: {exc}") from None
    if node.op_type == "ConvTranspose" and "output_shape" in attrs:
        _check_transposed_target(node, spatial, k, stride, dilation, values["output_padding"])
    _check_bias(node, weight[0] if node.op_type == "Conv" else weight[1] * group)


def _check_bias(node: OnnxNode, channels: int) -> None:
    """A Conv's or ConvTranspose's bias (input 2) holds one value per output channel."""
    if len(node.inputs) < 3 or not node.inputs[2]:
        return
    bias = node.dims[2]
    if bias is not None and UNKNOWN not in bias and tuple(bias) != (channels,):
        raise ConvcostError(
            f"{node.where}: bias {shown(node.inputs[2])} is {'x'.join(map(str, bias)) or 'a scalar'}; "
            f"expected {channels} values, one per output channel"
        )


def _check_transposed_target(node: OnnxNode, spatial: Sequence[int], k: Sequence[int], stride: Sequence[int],
                             dilation: Sequence[int], extra: Sequence[int]) -> None:  # fmt: skip
    """A ConvTranspose's ``output_shape`` is at most its full output
    (``stride x (in - 1) + output_padding + dilation x (k - 1) + 1``): the implied padding is never negative."""
    rank = len(spatial)
    wanted = tuple(node.attrs["output_shape"])
    if len(wanted) != rank:
        raise ConvcostError(
            f"{node.where}: attribute output_shape {shown_attr(node.attrs['output_shape'])}; expected {rank} values, one per spatial axis"
        )
    full = tuple(s * (size - 1) + e + d * (kk - 1) + 1 for size, kk, s, d, e in zip(spatial, k, stride, dilation, extra, strict=True))
    if any(w > f for w, f in zip(wanted, full, strict=True)):
        shown_full, shown_wanted = "x".join(map(str, full)), "x".join(map(str, wanted))
        raise ConvcostError(
            f"{node.where}: its output {shown_wanted} is larger than the full transposed output {shown_full} "
            f"(input {'x'.join(map(str, spatial))}); the implied padding would be negative, expected an output of at most {shown_full}"
        )


def _window_pads(node: OnnxNode, spatial: Sequence[int], k: Sequence[int], stride: Sequence[int],
                 dilation: Sequence[int]) -> tuple[tuple[int, ...], tuple[int, ...]]:  # fmt: skip
    """:func:`onnx_pads`, or the error that ``pads`` has not two values per axis."""
    found = onnx_pads(node, spatial, k, stride, dilation)
    if found is None:
        pads = tuple(node.attrs.get("pads", ()))
        raise ConvcostError(f"{node.where}: attribute pads {shown_attr(pads)}; expected {2 * len(spatial)} values (begins, then ends)")
    return found


def onnx_conv_mults(node: OnnxNode) -> int:
    """Conv: output elements x (C_in / group) x KH x KW; ConvTranspose: input elements x (C_out / group) x KH x KW."""
    x = node.need(0)  # an unknown input is the cause to name
    weight = node.need(1)
    check_onnx_conv(node, x, weight)
    if node.op_type == "Conv":
        return prod(node.need(0, output=True)) * prod(weight[1:])
    return prod(x) * prod(weight[1:])


def onnx_weight_kernel(node: OnnxNode) -> str:
    """``3x3/2``: the kernel of the weight (input 1) and the strides."""
    weight = node.dims[1] if len(node.dims) > 1 else None
    if weight is None or len(weight) <= 2:
        return ""
    k = weight[2:]
    return window_kernel(k, node.attrs.get("strides", (1,) * len(k)))


FEATURE_MAP_RANKS = (3, 4, 5)
"""ONNX ranks of the feature maps the model-file types take: N x C x L, N x C x H x W, N x C x T x H x W."""


def lower_onnx_conv(node: OnnxNode) -> Lowered | None:
    """A 1-D, 2-D or 3-D Conv as ``conv``: kernel from the weight, ``auto_pad`` resolved to explicit padding."""
    attrs, ins = node.attrs, node.inputs
    dims, weight = node.known(0), node.known(1)
    if dims is None or len(dims) not in FEATURE_MAP_RANKS or len(node.activations) != 1 or weight is None or len(weight) != len(dims):
        return None
    rank = len(dims) - 2
    k = tuple(weight[2:])
    stride = tuple(attrs.get("strides", (1,) * rank))
    dilation = tuple(attrs.get("dilations", (1,) * rank))
    pads = onnx_pads_axes(node, dims, k, stride, dilation)
    if pads is None:
        return None
    bias = len(ins) > 2 and bool(ins[2])
    values = {"k": k, "out": weight[0], "stride": stride, "padding": pads, "dilation": dilation, "groups": attrs.get("group", 1)}
    values["bias"] = bias
    return ("conv", values, (ins[0],))


def lower_onnx_deconv(node: OnnxNode) -> Lowered | None:
    """A 1-D, 2-D or 3-D ConvTranspose as ``deconv``: SAME and ``output_shape`` resolved to the padding that gives inference's output."""
    attrs, ins = node.attrs, node.inputs
    dims, weight = node.known(0), node.known(1)
    if dims is None or len(dims) not in FEATURE_MAP_RANKS or len(node.activations) != 1 or weight is None or len(weight) != len(dims):
        return None
    rank = len(dims) - 2
    groups = attrs.get("group", 1)
    k = tuple(weight[2:])
    stride = tuple(attrs.get("strides", (1,) * rank))
    dilation = tuple(attrs.get("dilations", (1,) * rank))
    extra = tuple(attrs.get("output_padding", (0,) * rank))
    auto = attrs.get("auto_pad", "NOTSET")
    if len(stride) != rank or len(dilation) != rank or len(extra) != rank:
        return None
    if "output_shape" in attrs or auto in ("SAME_UPPER", "SAME_LOWER"):
        out = node.out_dims[0] if node.out_dims else None
        if out is None or len(out) != len(dims) or UNKNOWN in out:
            return None
        # the size shape inference gave, which is what the padding must produce
        before, after = same_padding(dims[2:], k, stride, dilation, auto == "SAME_UPPER", out[2:], extra)
        padding = tuple(p for pair in zip(before, after, strict=True) for p in pair)
    elif auto == "VALID":
        padding = (0,) * (2 * rank)
    else:
        raw = tuple(attrs.get("pads", (0,) * (2 * rank)))
        if len(raw) != 2 * rank:
            return None
        padding = tuple(p for pair in zip(raw[:rank], raw[rank:], strict=True) for p in pair)
    if min(padding) < 0:
        return None
    values = {"k": k, "out": weight[1] * groups, "stride": stride, "padding": padding, "output_padding": extra}
    values.update({"dilation": dilation, "groups": groups, "bias": len(ins) > 2 and bool(ins[2])})
    return ("deconv", values, (ins[0],))


_CONV_ATTRIBUTES = {**WINDOW, "group": at_least(1)}

register(
    OpDef(
        ("conv", "depthwise", "pointwise"),
        evaluate,
        KEYS,
        type_keys={
            "conv": ("k", "out", "stride", "padding", "dilation", "groups", "bias", "rank", "mid", "bn", "as"),
            "depthwise": ("k", "stride", "padding", "dilation", "bias", "bn", "multiplier"),
            "pointwise": ("out", "stride", "padding", "groups", "bias", "rank", "bn", "as"),
        },
        required_of={"conv": ("k", "out"), "depthwise": ("k",), "pointwise": ("out",)},
        auto_names={"conv": "conv", "depthwise": "dw", "pointwise": "pw"},
        factorizable=True,
        summary="convolution (1-D, 2-D or 3-D): Ho*Wo*N*(C/G)*KH*KW mults; KH*KW*(C/G)*N params (+N bias, +2N bn)",
        onnx={
            "Conv": OnnxHandler(
                lower_onnx_conv, _CONV_ATTRIBUTES, onnx_conv_mults, check_onnx_window, onnx_weight_kernel, weights=(1, 2), layout="window"
            )
        },
    )
)


def deconv_size(size: int, k: int, stride: int, pad_total: int, dilation: int, output_padding: int) -> int:
    """PyTorch's ConvTranspose2d: ``(H - 1)*s - pad_total + d*(k - 1) + output_padding + 1``."""
    return (size - 1) * stride - pad_total + dilation * (k - 1) + output_padding + 1


def deconv_sizes(
    sizes: Sequence[int], channels: int, n: int, groups: int, k: Sequence[int], stride: Sequence[int],
    begin: Sequence[int], end: Sequence[int], dilation: Sequence[int], output_padding: Sequence[int],
) -> tuple[int, ...]:  # fmt: skip
    """A transposed convolution's rule, for any rank and every front end: ``groups`` divides both channel
    counts, ``output_padding`` is below the stride or the dilation, the output has every size >= 1."""
    if n < 1:
        raise ConvcostError(f"a transposed convolution needs 1 or more output channels, got {n}")
    if channels % groups or n % groups:
        raise ConvcostError(f"groups {groups} must divide both the {channels} input and the {n} output channels")
    axes = AXIS_NAMES.get(len(sizes)) or tuple(f"axis {i}" for i in range(len(sizes)))
    for axis, extra, s, d in zip(axes, output_padding, stride, dilation, strict=True):
        if extra >= max(s, d):
            raise ConvcostError(f"output_padding {extra} ({axis}) must be smaller than the stride or the dilation ({s}, {d})")
    totals = [b + e for b, e in zip(begin, end, strict=True)]
    out = tuple(deconv_size(*axis) for axis in zip(sizes, k, stride, totals, dilation, output_padding, strict=True))
    if min(out, default=1) < 1:
        padding = ",".join(f"{b},{e}" for b, e in zip(begin, end, strict=True))
        raise ConvcostError(f"the padding {padding} leaves no output ({'x'.join(map(str, out))}) for input {'x'.join(map(str, sizes))}")
    return out


def evaluate_deconv(kind: str, v: Mapping[str, Any], inputs: Sequence[Shape]) -> Evaluated:
    """A transposed convolution of any rank: every input element times ``(N/G) * KH * KW`` weights."""
    (shape,) = inputs
    rank, n = shape.rank, v["out"]
    k = per_axis(v["k"], rank, "kernel", shape)
    stride = per_axis(v.get("stride", (1,)), rank, "stride", shape)
    dilation = per_axis(v.get("dilation", (1,)), rank, "dilation", shape)
    out_pad = per_axis(v.get("output_padding", (0,)), rank, "output_padding", shape)
    groups = v.get("groups", 1)
    padding = explicit_padding(v.get("padding", (0,)), rank, shape)
    sizes = deconv_sizes(shape.spatial, shape.c, n, groups, k, stride, padding[0::2], padding[1::2], dilation, out_pad)
    out = Shape(*sizes, n)
    taps = prod(k)
    weights = taps * (shape.c // groups) * n
    params = weights + (n if v.get("bias") else 0) + (2 * n if v.get("bn") else 0)
    elems = shape.elements
    mults = elems * (n // groups) * taps
    return Evaluated(out, Cost(mults, params, elems, out.elements, params), kernel_text(k, stride))


register(
    OpDef(
        ("deconv",),
        evaluate_deconv,
        {
            "k": KEYS["k"],
            "out": KEYS["out"],
            "stride": KEYS["stride"],
            "padding": Key(parse_explicit_padding, EXPLICIT_PADDING_SCHEMA, "padding: P, or one per axis (PHxPW)"),
            "output_padding": KEYS["output_padding"],
            "dilation": KEYS["dilation"],
            "groups": KEYS["groups"],
            "bias": KEYS["bias"],
            "bn": KEYS["bn"],
        },
        required=("k", "out"),
        auto_name="deconv",
        summary="transposed convolution: H*W*C*(N/G)*KH*KW mults; KH*KW*(C/G)*N params",
        onnx={
            "ConvTranspose": OnnxHandler(
                lower_onnx_deconv,
                {**_CONV_ATTRIBUTES, "output_padding": all_at_least(0), "output_shape": all_at_least(1)},
                onnx_conv_mults,
                check_onnx_window,
                onnx_weight_kernel,
                weights=(1, 2),
                layout="window",
            )
        },
    )
)


def not_factorized_reason(kind: str) -> str | None:
    """Why a layer of this type is left as it is in the what-if (None for a candidate type)."""
    if kind == "deconv":
        return "a transposed convolution is not factorized"
    return None


__all__ = ["deconv_size", "deconv_sizes", "not_factorized_reason", "shown"]
