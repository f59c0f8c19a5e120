"""The journal a command works on: its settings as the options and environment give
them, and the journal opened for the command and closed after it.

Apart from ``server.cli.command`` so that the hooks open the journal without argparse.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from journal_core import Journal, Settings


def settings_of(args: argparse.Namespace) -> Settings:
    from journal_core import Settings

    return Settings.from_env(
        journal=args.journal, project_dir=args.project_dir, durability=args.durability
    )


@contextmanager
def open_journal(settings: Settings, *, create: bool = False) -> Iterator[Journal]:
    """The journal for one command, closed after it.

    Only writing commands create the file: reading a journal that does not exist yet
    finds nothing, and verify reports it missing.
    """
    from journal_core import Journal

    journal = Journal(settings)
    try:
        if create:
            journal.open()
        yield journal
    finally:
        journal.close()
