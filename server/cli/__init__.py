"""The ``task-journal`` command line: the journal of SPEC §5 for people, scripts and hooks.

Importing this package loads nothing, and ``main`` loads only what the command it is
given uses (``server.cli.dispatch`` builds the parser of that command's module alone).
A hook as Claude Code runs it (``task-journal hook NAME``, no option) skips the parser
altogether: ``post-tool-use`` runs after every tool call, and what it loads is its time.
"""

import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit status (see ``task-journal --help``)."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    if len(arguments) == 2 and arguments[0] == "hook":
        from server.cli.hooks import run_bare

        status = run_bare(arguments[1])
        if status is not None:
            return status
    from server.cli.dispatch import run

    return run(arguments)
