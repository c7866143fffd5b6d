"""``python -m convcost``: the same as the ``convcost`` command."""

from convcost._entry import main

main()
