"""``read``, ``tasks`` and ``show``: events and tasks for people, JSON for scripts."""

import argparse
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from journal_core import MAX_LIMIT, Journal, ReadFilter
from server.cli.command import (
    EXIT_OK,
    PROG,
    AddCommand,
    add_json,
    emit,
    event_pages,
    note_rest,
    open_journal,
    say_if_no_journal,
    settings_of,
    task_pages,
)
from server.cli.ids import TASK_HELP, resolve_task
from server.cli.render import (
    Look,
    event_block,
    event_lines,
    json_text,
    story_header,
    task_lines,
)
from server.cli.story import TaskStory, story_of, text_of
from server.cli.when import time_argument
from server.first_use import task_lister, task_source


def register(add: AddCommand) -> None:
    show = add(
        "show",
        "Tell one task's whole story, oldest first: title, goal, status and outcome, "
        "then every event in full.",
        f"""\
  {PROG} show tj-8f3k2m9q1z
  {PROG} show tj-8f3k                  # any unambiguous start of the id
  {PROG} show tj-8f3k --json | jq '.events[] | select(.type == "decision")'

Each event shows its short id, type, author, local time (and how long ago), text,
refs and meta; an event that was corrected or superseded names the event that did it,
and that event shows the text it changes. --json prints the task's state and all its
events as one JSON document.""",
        _show,
    )
    show.add_argument("task", metavar="TASK", help=TASK_HELP)
    add_json(show)

    read = add(
        "read",
        "Read events, newest first: one line each (short id, local time, task, type, text).",
        f"""\
  {PROG} read --task tj-8f3k --oldest
  {PROG} read --type decision --type rejection --since 3d --long
  {PROG} read --since yesterday --until today
  {PROG} read --all --json | jq -r '.events[].text'
  {PROG} read --event 01KMZ3T4 --event 01KMZ9 --long   # the events behind search hits

TIME is a date (2026-12-02, local midnight), a local time (2026-12-02T10:00), a span
back from now (30m, 12h, 3d, 2w), today, yesterday, or an RFC 3339 time
(2026-12-02T10:00:00Z).
When there is more, the next page's --cursor is printed on stderr (next_cursor with
--json); --all reads to the end instead.""",
        _read,
    )
    read.add_argument("--task", metavar="TASK", help=f"only this task's events: {TASK_HELP}")
    read.add_argument(
        "--event",
        dest="event_ids",
        metavar="ID",
        action="append",
        help="this event, by its id or a unique start of it (repeatable, up to 50; "
        "no other filter)",
    )
    read.add_argument(
        "--type",
        dest="types",
        metavar="TYPE",
        action="append",
        help="only events of this type (repeatable)",
    )
    read.add_argument(
        "--since", metavar="TIME", type=time_argument, help="from this time on (inclusive)"
    )
    read.add_argument(
        "--until", metavar="TIME", type=time_argument, help="before this time (exclusive)"
    )
    _add_amount_options(read)
    read.add_argument(
        "--oldest",
        dest="order",
        action="store_const",
        const="oldest",
        default="newest",
        help="oldest first",
    )
    read.add_argument(
        "--long",
        action="store_true",
        help="each event in full: author, local time, text, refs and meta, as show prints them",
    )
    add_json(read)

    tasks = add(
        "tasks",
        "List tasks, latest activity first: id, status, event count, last event time, title.",
        f"""\
  {PROG} tasks
  {PROG} tasks --status any --query importer
  {PROG} tasks --all --json | jq -r '.tasks[].task_id'""",
        _tasks,
    )
    tasks.add_argument("--status", default="open", help="open (default), closed or any")
    tasks.add_argument("--query", help="only tasks whose title holds this (any case)")
    _add_amount_options(tasks)
    add_json(tasks)


def _add_amount_options(parser: argparse.ArgumentParser) -> None:
    amount = parser.add_mutually_exclusive_group()
    amount.add_argument(
        "--limit", type=int, default=50, help=f"at most this many (default 50, at most {MAX_LIMIT})"
    )
    amount.add_argument("--all", action="store_true", help="all of them, page after page")
    parser.add_argument("--cursor", help="go on from where a previous page stopped")


def _stream_json(key: str, items: Iterable[Any]) -> None:
    """A page's JSON document (``{key: [...], "next_cursor": null, ...}``) written item by
    item, so that --all --json holds one page at a time, not the whole journal."""
    write = sys.stdout.write
    write(f'{{"{key}":[')
    for number, item in enumerate(items):
        write(("," if number else "") + json_text(item))
    write('],"next_cursor":null,"truncated":false,"note":null}\n')


def _read(args: argparse.Namespace) -> int:
    from msgspec import structs

    settings = settings_of(args)
    if say_if_no_journal(args, settings):
        if args.json:
            _stream_json("events", ())
        return EXIT_OK
    with open_journal(settings) as journal:
        if args.event_ids is not None:
            page = journal.read_events(
                ReadFilter.of(
                    event_ids=args.event_ids,
                    task_id=args.task,
                    types=args.types,
                    since=args.since,
                    until=args.until,
                    cursor=args.cursor,
                )
            )
            if args.json:
                emit(json_text(page))
            else:
                _print_events([page.events], args.long)
            return EXIT_OK
        with task_source(journal, args.task, args.cursor) as (source, cursor_of):
            read = ReadFilter.of(
                task_id=None if args.task is None else resolve_task(source, args.task),
                types=args.types,
                since=args.since,
                until=args.until,
                order=args.order,
                limit=MAX_LIMIT if args.all else args.limit,
                cursor=args.cursor,
            )
            if args.all:
                pages = event_pages(source, read)
                if args.json:
                    _stream_json("events", (e for page in pages for e in page.events))
                else:
                    _print_events((page.events for page in pages), args.long)
                return EXIT_OK
            page = source.read_events(read)
            page = structs.replace(page, next_cursor=cursor_of(page.next_cursor))
    if args.json:
        emit(json_text(page))
        return EXIT_OK
    _print_events([page.events], args.long)
    note_rest(page.truncated, page.next_cursor, "events")
    return EXIT_OK


def _print_events(pages: Iterable[list[dict[str, Any]]], long: bool) -> None:
    """Events for people, a page at a time: --all prints each page as soon as it is read."""
    look = Look.of(sys.stdout)
    first = True
    for events in pages:
        if not long:
            _emit_lines(event_lines(events, look))
            continue
        for event in events:
            if not first:
                emit("")
            first = False
            _emit_lines(event_block(event, look, with_task=True))


def _emit_lines(lines: Iterable[str]) -> None:
    for line in lines:
        emit(line)


def _tasks(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    if say_if_no_journal(args, settings):
        if args.json:
            _stream_json("tasks", ())
        return EXIT_OK
    query = {"status": args.status, "query": args.query}
    with open_journal(settings) as journal, task_lister(journal) as lister:
        if args.all:
            pages = task_pages(lister, cursor=args.cursor, **query)
            if args.json:
                _stream_json("tasks", (task for page in pages for task in page.tasks))
            else:
                look = Look.of(sys.stdout)
                for page in pages:
                    _emit_lines(task_lines(page.tasks, look))
            return EXIT_OK
        page = lister.list_tasks(limit=args.limit, cursor=args.cursor, **query)
    if args.json:
        emit(json_text(page))
        return EXIT_OK
    _emit_lines(task_lines(page.tasks, Look.of(sys.stdout)))
    note_rest(page.truncated, page.next_cursor, "tasks")
    return EXIT_OK


def _show(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    if say_if_no_journal(args, settings):
        return EXIT_OK
    with open_journal(settings) as journal, task_source(journal, args.task) as (source, _):
        task_id = resolve_task(source, args.task)
        # The events in canonical order, as the fold takes them: the same story whatever
        # the order of the lines.
        story = story_of(task_id, _task_events(source, task_id))
    if args.json:
        _show_json(story)
    else:
        _show_text(story)
    return EXIT_OK


def _task_events(journal: Journal, task_id: str) -> Iterator[dict[str, Any]]:
    for page in event_pages(journal, ReadFilter.of(task_id=task_id, order="oldest")):
        yield from page.events


def _show_text(story: TaskStory) -> None:
    look = Look.of(sys.stdout)
    _emit_lines(story_header(story, look))
    texts: dict[str, str] = {}  # the texts of the events that later ones change
    for event in story.events:
        event_id = text_of(event.get("event_id"))
        emit("")
        _emit_lines(
            event_block(
                event,
                look,
                with_task=False,
                changes=story.changes.get(event_id, []),
                targets=texts,
            )
        )
        if event_id in story.changes:
            texts[event_id] = text_of(event.get("text"))


def _show_json(story: TaskStory) -> None:
    head = {
        "task_id": story.task_id,
        "title": story.title,
        "status": story.status,
        "goal": story.goal or None,
        "outcome": story.outcome or None,
        "outcome_tag": story.outcome_tag or None,
        "event_count": story.event_count,
    }
    write = sys.stdout.write
    write(json_text(head)[:-1] + ',"events":[')
    for number, event in enumerate(story.events):
        write(("," if number else "") + json_text(event))
    write("]}\n")
