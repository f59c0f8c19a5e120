"""The open tasks and how long each has gone without an event: ``stale``, and the counts
the status line shows."""

import argparse
import datetime as dt

import msgspec

from journal_core import Journal
from server.cli.arguments import at_least
from server.cli.command import (
    EXIT_OK,
    PROG,
    AddCommand,
    add_json,
    emit,
    note,
    open_journal,
    say_if_no_journal,
    settings_of,
    task_pages,
)
from server.cli.render import count_text, json_text, visible
from server.cli.status import STALE_DAYS, days_idle
from server.cli.when import local_text


class IdleTask(msgspec.Struct, frozen=True, kw_only=True):
    """An open task and the whole days since its last event."""

    task_id: str
    title: str
    last_event_at: str
    days_idle: int


def register(add: AddCommand) -> None:
    stale = add(
        "stale",
        "List open tasks with no event for DAYS days or more, longest idle first.",
        f"""\
  {PROG} stale
  {PROG} stale --days 30 --json | jq -r '.tasks[].task_id'

Close the abandoned ones with: {PROG} close TASK --outcome-tag abandoned --reason WHY""",
        _stale,
    )
    stale.add_argument(
        "--days",
        type=at_least(0, "days"),
        default=STALE_DAYS,
        help=f"idle for at least this many days (default {STALE_DAYS})",
    )
    add_json(stale)


def idle_tasks(journal: Journal, now: dt.datetime) -> list[IdleTask]:
    """Every open task with its idle days, the most recently active first."""
    return [
        IdleTask(
            task_id=task.task_id,
            title=task.title,
            last_event_at=task.last_event_at,
            days_idle=days_idle(task.last_event_at, now),
        )
        for page in task_pages(journal, status="open")
        for task in page.tasks
    ]


def _stale(args: argparse.Namespace) -> int:
    now = dt.datetime.now(dt.UTC)
    settings = settings_of(args)
    if say_if_no_journal(args, settings):
        return EXIT_OK
    with open_journal(settings) as journal:
        stale = [task for task in idle_tasks(journal, now) if task.days_idle >= args.days]
    stale.sort(key=lambda task: task.days_idle, reverse=True)
    if args.json:
        emit(json_text({"days": args.days, "tasks": stale}))
        return EXIT_OK
    if not stale:
        note(f"no stale tasks: every open task had an event in the last {args.days} days")
        return EXIT_OK
    for line in _stale_lines(stale):
        emit(line)
    note(f"close the abandoned ones with: {PROG} close TASK --outcome-tag abandoned")
    return EXIT_OK


def _stale_lines(tasks: list[IdleTask]) -> list[str]:
    """``task  N days idle  last event  title``, in columns, the last event in local time
    as ``tasks`` prints it; what a writer put in the id or the title is shown, never
    obeyed."""
    ids = [visible(task.task_id) for task in tasks]
    idle = [count_text(task.days_idle, "day") for task in tasks]
    width = max(len(task_id) for task_id in ids)
    idle_width = max(len(days) for days in idle)
    return [
        f"{task_id:<{width}}  {days:>{idle_width}} idle  "
        f"{visible(local_text(task.last_event_at, seconds=False))}  "
        f"{visible(task.title) or '(untitled)'}"
        for task_id, days, task in zip(ids, idle, tasks, strict=True)
    ]
