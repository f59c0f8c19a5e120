"""What every command prints, and how it exits: results on stdout, notes on stderr.

Kept apart from ``server.cli.command`` (argparse, the journal's names) so that a hook
that runs after every tool call can say what went wrong without loading either.
"""

import sys

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
