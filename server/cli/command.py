"""What every ``task-journal`` command shares: exit statuses, the parser, the journal, output.

A command module has a ``register(add)`` function that calls ``add(name, summary,
epilog, run)`` for each of its commands and adds their own flags to the parser it
gets back; ``run(args)`` returns the exit status. Errors are raised, not printed:
``main`` turns a ``JournalError`` into one line on stderr and its status.
"""

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, Protocol

from journal_core import (
    DURABILITY_MODES,
    Journal,
    JournalBusy,
    JournalUnavailable,
    JournalWriteFailed,
    Settings,
)

PROG = "task-journal"
EXIT_OK = 0
EXIT_BAD_LINES = 1
EXIT_REFUSED = 2
EXIT_JOURNAL = 3
EXIT_DURABILITY_UNKNOWN = 4  # the event was written, but its fsync failed
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as for any program whose reader went away

# Errors of the journal itself (as opposed to the request): exit 3, nothing written;
# JournalDurabilityUnknown: exit 4, written. Any other JournalError refused the input
# or the configuration: exit 2, like a usage error.
JOURNAL_FAILURES = (JournalBusy, JournalUnavailable, JournalWriteFailed)

Run = Callable[[argparse.Namespace], int]


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line, like every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_REFUSED, f"{PROG}: error: {message} (see '{self.prog} --help')\n")


class AddCommand(Protocol):
    """``add(name, summary, epilog, run)``: a new subcommand's parser, its ``run`` set."""

    def __call__(
        self, name: str, summary: str, epilog: str, run: Run, **kwargs: Any
    ) -> argparse.ArgumentParser: ...


def add_journal_options(parser: argparse.ArgumentParser, default: Any) -> None:
    parser.add_argument(
        "--journal", metavar="PATH", default=default, help="the journal file (overrides all else)"
    )
    parser.add_argument(
        "--project-dir",
        metavar="DIR",
        default=default,
        help="find the per-project journal from DIR instead of the working directory",
    )
    parser.add_argument(
        "--durability",
        metavar="MODE",
        default=default,
        help=f"{' or '.join(DURABILITY_MODES)} (default: always: fsync before answering)",
    )


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def settings_of(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        journal=args.journal, project_dir=args.project_dir, durability=args.durability
    )


@contextmanager
def open_journal(settings: Settings, *, create: bool = False) -> Iterator[Journal]:
    """The journal for one command, closed after it.

    Only writing commands create the file: reading a journal that does not exist yet
    finds nothing, and verify reports it missing.
    """
    journal = Journal(settings)
    try:
        if create:
            journal.open()
        yield journal
    finally:
        journal.close()


def emit(text: str) -> None:
    """One result line on stdout."""
    sys.stdout.write(text + "\n")


def note(text: str) -> None:
    """One line for the person on stderr, prefixed with the program's name."""
    sys.stderr.write(f"{PROG}: {text}\n")


def note_rest(page_note: str | None, next_cursor: str | None, items: str) -> None:
    """Say on stderr why a page stopped early and how to go on, keeping stdout to the items."""
    if page_note:
        note(page_note)
    if next_cursor:
        note(f"more {items}: add --cursor {next_cursor}")
