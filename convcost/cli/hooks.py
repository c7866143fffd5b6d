"""The records between a command and its device flags: the flags as given, and what the
roofline hands back to the command (lazy figures, budgets, the picture). Kept light: defining
them costs next to nothing, so ``convcost layer`` without device flags starts as fast as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple


class DeviceFlags(NamedTuple):
    """The device flags as given, before any is parsed."""

    device: str | None = None
    devices_file: str | None = None
    batch: str | None = None
    dtype: str | None = None
    weight_dtype: str | None = None
    max_time: str | None = None
    max_bytes: str | None = None
    plot: str | None = None

    @classmethod
    def pop(cls, flags: dict[str, Any]) -> DeviceFlags:
        """Take the device flags out of a command's keyword arguments."""
        return cls(*(flags.pop(name) for name in cls._fields))

    @property
    def inputs(self) -> tuple[str, ...]:
        """The files the flags read (``--devices``): inputs no ``--export`` or ``--plot`` may overwrite."""
        return () if self.devices_file is None else (self.devices_file,)


class Hooks:
    """What a command needs of its device flags beyond the run: the picture an HTML export embeds
    (a plain class: defining it costs next to nothing)."""

    __slots__ = ("figure",)

    def __init__(self, figure: Callable[[], str] | None = None) -> None:
        self.figure = figure


NO_HOOKS = Hooks()
