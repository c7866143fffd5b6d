"""``python -m convcost``: the same as the ``convcost`` command."""

from convcost.cli import run

run()
