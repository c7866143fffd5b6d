"""Did-you-mean: the name a user most likely meant, for every error that names a choice.

One rule for options, commands, methods, keys and devices alike, in this order:

1. the same name in another case (``A100`` -> ``a100``);
2. a known synonym that is one of the choices (``kernel`` -> ``k``, ``filters`` -> ``out``);
3. the one choice the word begins (``h100`` -> ``h100-sxm``, ``depthwise`` -> ``depthwise-separable``),
   or the first choice of the word's family, its part before the first ``-`` (``h100-pcie`` -> ``h100-sxm``);
4. the closest spelling (``difflib``, the usual 0.6 cutoff: ``modle`` -> ``model``).

Bounded: a word over 100 characters gets no suggestion, and the work is linear in the choices.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

MAX_WORD = 100
"""The longest word a suggestion is looked for."""

SYNONYMS: Mapping[str, tuple[str, ...]] = {
    "kernel": ("k",),
    "ksize": ("k",),
    "kernel-size": ("k",),
    "kernel_size": ("k",),
    "filters": ("out",),
    "out-channels": ("out",),
    "out_channels": ("out",),
    "output": ("out",),
    "in-channels": ("in",),
    "in_channels": ("in",),
    "input": ("in", "input"),
    "strides": ("stride",),
    "pad": ("padding",),
    "pads": ("padding",),
    "dilations": ("dilation",),
    "dilation-rate": ("dilation",),
    "dilation_rate": ("dilation",),
    "group": ("groups",),
    "use-bias": ("bias",),
    "use_bias": ("bias",),
    "factorization": ("method",),
    "variant": ("method",),
    "model": ("method",),
    "depthwise": ("depthwise-separable", "depthwise"),
    "separable": ("depthwise-separable", "spatial-separable", "separable"),
    "mobilenet": ("depthwise-separable",),
    "svd": ("low-rank",),
    "tucker": ("tucker2",),
    "cpd": ("cp",),
    "parafac": ("cp",),
}
"""Words people type (PyTorch's, Keras's, ONNX's, the papers') -> the convcost names they may mean, in order."""

KEY_ALIASES: Mapping[str, str] = {"kernel_size": "k", "out_channels": "out"}
"""PyTorch's ``Conv2d`` names that mean exactly one convcost key, accepted wherever that key is (model
and layer files, ``defaults:``, the API's mappings; the flags as ``--kernel-size``/``--kernel_size``
and ``--out-channels``/``--out_channels``). ``in_channels`` is not one: convcost's ``in`` is a whole
``HxWxC`` shape, and a model layer reads its channels from its input; it is suggested, never taken."""


def accepted_key(key: object, allowed: Iterable[str]) -> str | None:
    """The key ``key`` stands for among ``allowed``: itself, or the key a PyTorch alias names; None if neither."""
    names = allowed if isinstance(allowed, (set, frozenset, dict)) else set(allowed)
    if not isinstance(key, str):
        return None
    if key in names:
        return key
    target = KEY_ALIASES.get(key)
    return target if target is not None and target in names else None


def alias_clash(key: str, canonical: str) -> str:
    """The message for a mapping that gives a key twice, once by its alias."""
    return f"{key!r} is PyTorch's name for {canonical!r}, which is given too; give one of them"


def _bare(word: str) -> str:
    return word.lstrip("-")


def closest(word: object, choices: Iterable[str]) -> str | None:
    """The choice ``word`` most likely meant (see the module's rules), or None."""
    if not isinstance(word, str) or not word.strip() or len(word) > MAX_WORD:
        return None
    options = [c for c in choices if isinstance(c, str)]
    if word in options:
        return None
    text = word.strip()
    lower = text.lower()
    dashes = text[: len(text) - len(text.lstrip("-"))]  # an option's leading dashes, kept on a synonym
    by_lower = {c.lower(): c for c in options}
    if lower in by_lower:
        return by_lower[lower]
    for synonym in SYNONYMS.get(_bare(lower), ()):
        for candidate in (dashes + synonym, synonym):
            if candidate in options:
                return candidate
    if len(_bare(lower)) >= 2:
        starting = [c for c in options if c.lower().startswith(lower)]
        if len(starting) == 1:
            return starting[0]
        family = lower.split("-", 1)[0] if "-" in _bare(lower) else None
        if family and len(_bare(family)) >= 2:
            related = [c for c in options if c.lower().split("-", 1)[0] == family]
            if related:
                return related[0]
    # lazy: difflib only for a did-you-mean
    import difflib

    close = difflib.get_close_matches(lower, list(by_lower), n=1)
    return by_lower[close[0]] if close else None


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """``; did you mean 'h100-sxm'?`` for the likeliest choice, or nothing."""
    best = closest(word, choices)
    return f"; did you mean {best!r}?" if best is not None else ""
