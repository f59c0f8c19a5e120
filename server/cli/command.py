"""What every ``task-journal`` command shares: exit statuses, the parser, the journal, output.

A command module has a ``register(add)`` function that calls ``add(name, summary,
epilog, run)`` for each of its commands and adds their own flags to the parser it
gets back; ``run(args)`` returns the exit status. Errors are raised, not printed:
``main`` turns a ``JournalError`` into one line on stderr and its status.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from journal_core import (
    DURABILITY_MODES,
    JournalBusy,
    JournalUnavailable,
    JournalWriteFailed,
    data_dir,
    find_project_root,
)

# The journal, exit statuses and output, here for every command (the hooks take them
# from their own modules, without argparse).
from server.cli.journal import open_journal as open_journal
from server.cli.journal import settings_of as settings_of
from server.cli.output import EXIT_BAD_LINES as EXIT_BAD_LINES
from server.cli.output import EXIT_BROKEN_PIPE as EXIT_BROKEN_PIPE
from server.cli.output import EXIT_DURABILITY_UNKNOWN as EXIT_DURABILITY_UNKNOWN
from server.cli.output import EXIT_INTERRUPTED as EXIT_INTERRUPTED
from server.cli.output import EXIT_JOURNAL as EXIT_JOURNAL
from server.cli.output import EXIT_OK as EXIT_OK
from server.cli.output import EXIT_REFUSED as EXIT_REFUSED
from server.cli.output import PROG as PROG
from server.cli.output import emit as emit
from server.cli.output import note as note
from server.cli.output import show_library_warnings as show_library_warnings
from server.cli.output import warning_text as warning_text

# The status line imports this module at every redraw: what only other commands use
# (the journal, the renderers) is imported where it is used.
if TYPE_CHECKING:
    import datetime as dt

    from journal_core import EventPage, Journal, ReadFilter, Settings, TaskPage, TaskScan

# Errors of the journal itself (as opposed to the request): exit 3, nothing written;
# JournalDurabilityUnknown: exit 4, written. Any other JournalError refused the input
# or the configuration: exit 2, like a usage error.
JOURNAL_FAILURES = (JournalBusy, JournalUnavailable, JournalWriteFailed)

Run = Callable[[argparse.Namespace], int]


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line, like every other error.

    Long options are never abbreviated: a prefix that argparse would expand (``--all``
    to ``--all-projects``) is refused, so that an option added later cannot change what
    an old script meant.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        # argparse's own check, with the closest choice suggested (a typo'd command).
        if action.choices is not None and value not in action.choices:
            from journal_core import did_you_mean

            choices = ", ".join(map(repr, action.choices))
            raise argparse.ArgumentError(
                action,
                f"invalid choice: {value!r}{did_you_mean(value, map(str, action.choices))}; "
                f"choose from {choices}",
            )

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


# Who writes what is typed at the command line, unless --author says otherwise: a
# person (the Rust tool's choice too; hooks say --author hook). The MCP tools' default
# is agent.
CLI_AUTHOR = "user"
CLI_SOURCE = "cli"


def add_author(parser: argparse.ArgumentParser) -> None:
    """``--author``, the same default for every command that writes."""
    parser.add_argument(
        "--author",
        default=CLI_AUTHOR,
        help="user (default: a person at the command line), agent, classifier or hook",
    )


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def note_rest(
    truncated: bool | str | None, next_cursor: str | None, items: str, *, has_all: bool = True
) -> None:
    """Say on stderr why a page stopped early and how to go on, keeping stdout to the items.

    ``truncated`` is the page's flag (or its note: only whether there is one counts).
    The core's note on a cut page speaks to MCP clients (``cursor=next_cursor``); this
    says the same in the command line's words. ``has_all``: the command has ``--all``.
    """
    if truncated:
        note(f"these {items} stop short of --limit, to keep the page under about 80 KB")
    if next_cursor:
        rest = ", or read them all with --all" if has_all else ""
        note(f"more {items}: add --cursor {next_cursor}{rest}")


def event_pages(journal: Journal, read: ReadFilter) -> Iterator[EventPage]:
    """Every page of ``read`` from its cursor on, ``MAX_LIMIT`` events each, following
    the cursors to the end.

    One page is held at a time, so reading a whole journal takes constant memory.
    """
    import msgspec

    from journal_core import MAX_LIMIT

    read = msgspec.structs.replace(read, limit=MAX_LIMIT)
    while True:
        page = journal.read_events(read)
        yield page
        if page.next_cursor is None:
            return
        read = msgspec.structs.replace(read, cursor=page.next_cursor)


def task_pages(
    journal: Journal | TaskScan, cursor: str | None = None, **query: Any
) -> Iterator[TaskPage]:
    """Every page of a ``list_tasks`` query from ``cursor`` on, following the cursors."""
    from journal_core import MAX_LIMIT

    while True:
        page = journal.list_tasks(limit=MAX_LIMIT, cursor=cursor, **query)
        yield page
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


_JOURNALS_LISTED = 8


def say_if_no_journal(args: argparse.Namespace, settings: Settings) -> bool:
    """Whether the journal is missing; if so, say on stderr which one, and which exist.

    Reading commands call it first: a journal that does not exist yet has nothing to
    read, and a person who sees no output should learn which file was looked at and
    that another project's journal may be the one they meant.
    """
    path = settings.journal_path
    if os.path.lexists(path):
        return False
    if args.journal:
        whence = "named by --journal"
    elif os.environ.get("TASK_JOURNAL_PATH"):
        whence = "named by $TASK_JOURNAL_PATH"
    else:
        root = find_project_root(Path(args.project_dir or Path.cwd()))
        whence = f"the journal of the project at {root}"
    note(f"no journal yet at {path} ({whence}); the first append creates it")
    folder = data_dir(os.environ) / "events"
    others = [p for p in folder.glob("*.jsonl") if p != path] if folder.is_dir() else []
    if others:
        from server.cli.render import now as render_now

        note(f"other journals in {folder}, last written first:")
        now = render_now()
        others.sort(key=_written_at, reverse=True)
        for other in others[:_JOURNALS_LISTED]:
            note(f"  {_journal_summary(other, now)}")
        if len(others) > _JOURNALS_LISTED:
            note(f"  and {len(others) - _JOURNALS_LISTED} more")
        note("read one with --journal PATH, or from inside its project's folder")
    return True


def _written_at(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _journal_summary(path: Path, now: dt.datetime) -> str:
    """A journal's name, size and newest event, for a person choosing among several."""
    from journal_core import JournalError, last_written_event
    from server.cli.render import size_text
    from server.cli.when import ago_text

    # The last line, not the newest event in canonical order: that would need each
    # journal's index, built (for a big one, at length) only to be glanced at.
    try:
        size = path.stat().st_size
        event = last_written_event(path)
    except (JournalError, OSError) as err:
        return f"{path.name}  (cannot be read: {err})"
    if event is None:
        return f"{path.name}  {size_text(size)}, no events"
    text = " ".join(str(event.get("text", "")).split())
    if len(text) > 60:
        text = text[:59] + "…"
    return (
        f"{path.name}  {size_text(size)}, last event {ago_text(str(event.get('timestamp')), now)}"
        f" on {event.get('task_id')}: {text}"
    )
