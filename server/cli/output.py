"""What every command prints, and how it exits: results on stdout, notes (the journal
library's warnings among them) on stderr.

Kept apart from ``server.cli.command`` (argparse, the journal's names) so that a hook
that runs after every tool call can say what went wrong without loading either.
"""

from __future__ import annotations

import functools
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import logging

PROG = "task-journal"
EXIT_OK = 0
EXIT_BAD_LINES = 1
EXIT_REFUSED = 2
EXIT_JOURNAL = 3
EXIT_DURABILITY_UNKNOWN = 4  # the event was written, but its fsync failed
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as for any program whose reader went away


def warning_text(err: Exception) -> str:
    """An error as the end of a warning line (``warning: statusline: <this>``)."""
    text = str(err) or type(err).__name__
    return text.removeprefix("error: ")


def emit(text: str) -> None:
    """One result line on stdout."""
    sys.stdout.write(text + "\n")


def note(text: str) -> None:
    """One line for the person on stderr, prefixed with the program's name.

    What it quotes (a task id, a path) may hold control characters: they are shown, not
    obeyed.
    """
    from journal_core import visible

    sys.stderr.write(f"{PROG}: {visible(text)}\n")


def show_library_warnings() -> None:
    """Show journal_core's warnings (an index it cannot write, say) as lines like the
    command's own, on whatever stderr is when they come."""
    import logging

    logging.getLogger("journal_core").addHandler(_library_warnings())  # once: same handler


@functools.cache
def _library_warnings() -> logging.Handler:
    import logging

    class LibraryWarnings(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            note(f"warning: {record.getMessage()}")

    return LibraryWarnings(logging.WARNING)
