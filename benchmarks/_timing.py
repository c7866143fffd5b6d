"""Shared timing helper: whole processes, interleaved runs, medians."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""Runs use cached bytecode, as an installed package does (pip writes .pyc files at install)."""


def installed_venv(where: Path) -> Path:
    """A fresh virtual environment with convcost installed as a user installs it (``pip install .``,
    which byte-compiles it), so start-up is measured without an editable-install finder; its bin dir."""
    import venv

    venv.create(where, with_pip=True)
    bin_dir = where / "bin"
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(ROOT)], check=True, env=ENV)
    return bin_dir


def median_seconds(commands: Sequence[Sequence[str]], runs: int, warmup: int = 2) -> list[float]:
    """Run each command ``runs`` times, interleaved so machine noise hits all alike; return medians."""
    for _ in range(warmup):
        for command in commands:
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=ENV)
    samples: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for i, command in enumerate(commands):
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=ENV)
            samples[i].append(time.perf_counter() - start)
    return [statistics.median(s) for s in samples]
