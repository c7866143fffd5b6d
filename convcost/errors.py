"""The library's exceptions. Imports nothing.

Every user mistake (a bad value, a bad file) is a :class:`ConvcostError`; the CLI
prints it as one ``Error: ...`` line on stderr and exits with status 2.
"""

from __future__ import annotations


class ConvcostError(Exception):
    """A user mistake: the message names the bad value and what was expected."""


class SpecError(ConvcostError):
    """A mistake inside a file: the message starts with ``file:line:column:``."""
