"""``read`` and ``tasks``: events and tasks, one line each for people, JSON for scripts."""

import argparse

from server.cli.command import (
    EXIT_OK,
    PROG,
    AddCommand,
    add_json,
    emit,
    note_rest,
    open_journal,
    settings_of,
)
from server.cli.render import event_lines, json_text, task_lines


def register(add: AddCommand) -> None:
    read = add(
        "read",
        "Read events, newest first: one line each (timestamp, task, type, text).",
        f"""\
  {PROG} read --task tj-8f3k2m9q1z --oldest
  {PROG} read --type decision --type rejection --since 2026-11-01T00:00:00Z
  {PROG} read --limit 500 --json | jq -r '.events[].text'

When there is more, the next page's --cursor is printed on stderr (next_cursor with --json).""",
        _read,
    )
    read.add_argument("--task", metavar="TASK_ID", help="only this task's events")
    read.add_argument(
        "--type",
        dest="types",
        metavar="TYPE",
        action="append",
        help="only events of this type (repeatable)",
    )
    read.add_argument("--since", metavar="TIME", help="from this RFC 3339 time (inclusive)")
    read.add_argument("--until", metavar="TIME", help="before this RFC 3339 time (exclusive)")
    read.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    read.add_argument("--cursor", help="go on from where a previous page stopped")
    read.add_argument(
        "--oldest",
        dest="order",
        action="store_const",
        const="oldest",
        default="newest",
        help="oldest first",
    )
    add_json(read)

    tasks = add(
        "tasks",
        "List tasks: id, status, event count, last event time, title.",
        f"""\
  {PROG} tasks
  {PROG} tasks --status any --query importer
  {PROG} tasks --json | jq -r '.tasks[].task_id'""",
        _tasks,
    )
    tasks.add_argument("--status", default="open", help="open (default), closed or any")
    tasks.add_argument("--query", help="only tasks whose title holds this (any case)")
    tasks.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    tasks.add_argument("--cursor", help="go on from where a previous page stopped")
    add_json(tasks)


def _read(args: argparse.Namespace) -> int:
    with open_journal(settings_of(args)) as journal:
        page = journal.read_events(
            task_id=args.task,
            types=args.types,
            since=args.since,
            until=args.until,
            limit=args.limit,
            cursor=args.cursor,
            order=args.order,
        )
    if args.json:
        emit(json_text(page))
        return EXIT_OK
    for line in event_lines(page.events):
        emit(line)
    note_rest(page.note, page.next_cursor, "events")
    return EXIT_OK


def _tasks(args: argparse.Namespace) -> int:
    with open_journal(settings_of(args)) as journal:
        page = journal.list_tasks(
            status=args.status, query=args.query, limit=args.limit, cursor=args.cursor
        )
    if args.json:
        emit(json_text(page))
        return EXIT_OK
    for line in task_lines(page.tasks):
        emit(line)
    note_rest(page.note, page.next_cursor, "tasks")
    return EXIT_OK
