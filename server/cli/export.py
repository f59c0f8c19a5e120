"""``export`` and ``events list``: the journal's events as a document, and the latest ones.

``export`` streams: it reads a page of events, writes it and forgets it, so its memory
stays the same whether the journal holds a hundred events or a million. That is why the
whole-journal Markdown is in journal order (grouping by task would hold every event),
and the JSON is an array written one event per line.
"""

import argparse
import itertools
import sys
from collections.abc import Iterator
from typing import Any, TextIO

import msgspec

from journal_core import Journal, ReadFilter, fold_lines, inline, text_lines
from server.cli.arguments import at_least
from server.cli.command import (
    EXIT_OK,
    PROG,
    AddCommand,
    add_journal_options,
    add_json,
    emit,
    event_pages,
    open_journal,
    say_if_no_journal,
    settings_of,
)
from server.cli.ids import TASK_HELP, resolve_task
from server.cli.render import event_lines, json_text, visible_document

_encode = msgspec.json.Encoder().encode
_Pages = Iterator[list[dict[str, Any]]]


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
    export.add_argument("--task", metavar="TASK", help=f"only this task's events: {TASK_HELP}")

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
    listing.add_argument(
        "--limit", type=at_least(1, "events"), default=20, help="this many events (default 20)"
    )
    add_json(listing)


def _events(journal: Journal, **query: Any) -> _Pages:
    """The events of a query, a page at a time, to the end."""
    return (page.events for page in event_pages(journal, ReadFilter.of(**query)))


def _events_list(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    if say_if_no_journal(args, settings):
        return EXIT_OK
    with open_journal(settings) as journal:
        pages = _events(journal, order="newest")
        events = list(itertools.islice(itertools.chain.from_iterable(pages), args.limit))
    if args.json:
        emit(json_text({"events": events}))
    else:
        for line in event_lines(events):
            emit(line)
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    out = sys.stdout
    settings = settings_of(args)
    if say_if_no_journal(args, settings):
        if args.format == "json":
            out.write("[]\n")  # still one JSON document for the script reading it
        return EXIT_OK
    with open_journal(settings) as journal:
        task_id = None if args.task is None else resolve_task(journal, args.task)
        pages = _events(journal, task_id=task_id, order="oldest")
        if args.format == "json":
            _write_json(out, pages)
        elif task_id is None:
            _write_journal_md(_Escaped(out), journal, pages)
        else:
            _write_task_md(_Escaped(out), task_id, pages)
    return EXIT_OK


class _Escaped:
    """A stream that writes Markdown with its control characters shown, not obeyed: the
    file may well be read with ``cat`` on a terminal."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def write(self, text: str) -> None:
        self._out.write(visible_document(text))


def _write_json(out: TextIO, pages: _Pages) -> None:
    """One JSON array, an event per line, so it streams and still reads as one document."""
    separator = "[\n"
    for page in pages:
        for event in page:
            out.write(separator)
            out.write(_encode(event).decode())
            separator = ",\n"
    out.write("[]\n" if separator == "[\n" else "\n]\n")


def _write_journal_md(out: _Escaped, journal: Journal, pages: _Pages) -> None:
    out.write(f"# Task journal\n\n`{journal.path}`, oldest first.\n\n")
    empty = True
    for page in pages:
        for event in page:
            out.write(_md_item(event, with_task=True))
            empty = False
    if empty:
        out.write("No events yet.\n")


def _write_task_md(out: _Escaped, task_id: str, pages: _Pages) -> None:
    # The events in canonical order, each once, and the state the fold makes of them.
    events, fold = fold_lines(task_id, (event for page in pages for event in page))
    state = fold.state
    title = _flat(state.title) if state.titled else "(untitled)"
    out.write(f"# {task_id}: {title}\n\n")
    for event in events:
        out.write(_md_item(event, with_task=False))
    out.write(f"\nStatus: {state.status}\n")


def _md_item(event: dict[str, Any], *, with_task: bool) -> str:
    """One list item: time, task, type (with its title, goal or outcome), then the text.

    Continuation lines are indented, so a text of several lines stays in its item, and
    no line of a text can start a Markdown structure of its own.
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
    text = "\n  ".join(text_lines(str(event.get("text", ""))))
    item = f"{head}: {text}\n"
    if meta.get("goal"):
        item += f"  Goal: {_flat(str(meta['goal']))}\n"
    return item


def _flat(text: str) -> str:
    return inline(text)
