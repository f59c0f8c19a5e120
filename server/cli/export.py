"""``export`` and ``events list``: the journal's events as a document, and the latest ones.

``export`` streams: it reads a page of events, writes it and forgets it, so its memory
stays the same whether the journal holds a hundred events or a million. That is why the
whole-journal Markdown is in journal order (grouping by task would hold every event),
and the JSON is an array written one event per line.
"""

import argparse
import sys
from collections.abc import Iterator
from typing import Any, TextIO

import msgspec

from journal_core import Journal
from server.cli.command import (
    EXIT_OK,
    PROG,
    AddCommand,
    add_journal_options,
    add_json,
    emit,
    open_journal,
    settings_of,
)
from server.cli.render import event_lines, json_text

_PAGE = 500  # the most read_events gives at once
_encode = msgspec.json.Encoder().encode


def register(add: AddCommand) -> None:
    export = add(
        "export",
        "Write the whole journal, or one task, as Markdown or JSON on stdout.",
        f"""\
  {PROG} export > journal.md
  {PROG} export --task tj-8f3k2m9q1z
  {PROG} export --format json | jq 'map(select(.type == "decision")) | length'

Markdown lists the events oldest first (with --task, under the task's title, its
status last); JSON is an array of the events as the journal holds them. Both are
written as they are read, so a journal of any size exports in the same memory.""",
        _export,
    )
    export.add_argument(
        "--format", choices=("md", "json"), default="md", help="md (default) or json"
    )
    export.add_argument("--task", metavar="TASK_ID", help="only this task's events")

    events = add(
        "events",
        "Inspect the journal's events: 'events list' shows the newest ones.",
        f"""\
  {PROG} events list
  {PROG} events list --limit 200 --json | jq -r '.events[].text'""",
        _events_list,
    )
    actions = events.add_subparsers(title="actions", metavar="ACTION", required=True)
    listing = actions.add_parser(
        "list",
        help="the newest events, one line each (timestamp, task, type, text)",
        description="The newest events, one line each (timestamp, task, type, text).",
        epilog=f"examples:\n  {PROG} events list\n  {PROG} events list --limit 200 --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_journal_options(listing, default=argparse.SUPPRESS)
    listing.add_argument("--limit", type=_count, default=20, help="this many events (default 20)")
    add_json(listing)


def _count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"{count} is not a positive number of events")
    return count


def _pages(
    journal: Journal, *, task_id: str | None, order: str, limit: int | None = None
) -> Iterator[list[dict[str, Any]]]:
    """Events a page at a time, following the cursor; at most ``limit`` of them."""
    cursor: str | None = None
    left = limit
    while left is None or left > 0:
        size = _PAGE if left is None else min(_PAGE, left)
        page = journal.read_events(task_id=task_id, limit=size, cursor=cursor, order=order)
        if page.events:
            yield page.events
        if left is not None:
            left -= len(page.events)
        cursor = page.next_cursor
        if cursor is None:
            return


def _events_list(args: argparse.Namespace) -> int:
    with open_journal(settings_of(args)) as journal:
        pages = _pages(journal, task_id=None, order="newest", limit=args.limit)
        if args.json:
            events = [event for page in pages for event in page]
            emit(json_text({"events": events}))
            return EXIT_OK
        for page in pages:
            for line in event_lines(page):
                emit(line)
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    out = sys.stdout
    with open_journal(settings_of(args)) as journal:
        pages = _pages(journal, task_id=args.task, order="oldest")
        if args.format == "json":
            _write_json(out, pages)
        elif args.task is None:
            _write_journal_md(out, journal, pages)
        else:
            _write_task_md(out, args.task, pages)
    return EXIT_OK


def _write_json(out: TextIO, pages: Iterator[list[dict[str, Any]]]) -> None:
    """One JSON array, an event per line, so it streams and still reads as one document."""
    separator = "[\n"
    for page in pages:
        for event in page:
            out.write(separator)
            out.write(_encode(event).decode())
            separator = ",\n"
    out.write("[]\n" if separator == "[\n" else "\n]\n")


def _write_journal_md(out: TextIO, journal: Journal, pages: Iterator[list[dict[str, Any]]]) -> None:
    out.write(f"# Task journal\n\n`{journal.path}`, oldest first.\n\n")
    empty = True
    for page in pages:
        for event in page:
            out.write(_md_item(event, with_task=True))
            empty = False
    if empty:
        out.write("No events yet.\n")


def _write_task_md(out: TextIO, task_id: str, pages: Iterator[list[dict[str, Any]]]) -> None:
    status = "open"
    for number, page in enumerate(pages):
        if number == 0:
            out.write(f"# {task_id}: {_title(page)}\n\n")
        for event in page:
            out.write(_md_item(event, with_task=False))
            kind = event.get("type")
            if kind in ("open", "reopen"):
                status = "open"
            elif kind == "close":
                status = "closed"
    out.write(f"\nStatus: {status}\n")


def _title(events: list[dict[str, Any]]) -> str:
    for event in events:
        if event.get("type") == "open":
            meta = event.get("meta")
            title = meta.get("title") if isinstance(meta, dict) else None
            return _flat(str(title if title else event.get("text", "")))
    return "(untitled)"


def _md_item(event: dict[str, Any], *, with_task: bool) -> str:
    """One list item: time, task, type (with its title, goal or outcome), then the text.

    Continuation lines are indented, so a text of several lines stays in its item.
    """
    meta = event.get("meta")
    meta = meta if isinstance(meta, dict) else {}
    kind = str(event.get("type", "?"))
    head = f"- `{event.get('timestamp', '?')}` "
    if with_task:
        head += f"`{event.get('task_id', '?')}` "
    head += f"**{kind}**"
    if kind == "open" and meta.get("title"):
        head += f" *{_flat(str(meta['title']))}*"
    if meta.get("outcome_tag"):
        head += f" ({_flat(str(meta['outcome_tag']))})"
    if event.get("status") == "suggested":
        head += " ?"
    text = str(event.get("text", "")).strip().replace("\n", "\n  ")
    item = f"{head}: {text}\n"
    if meta.get("goal"):
        item += f"  Goal: {_flat(str(meta['goal']))}\n"
    return item


def _flat(text: str) -> str:
    return " ".join(text.split())
