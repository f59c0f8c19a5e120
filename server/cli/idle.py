"""The open tasks and how long each has gone without an event, for ``stale`` and the status line."""

import datetime as dt
from collections.abc import Iterator

import msgspec

from journal_core import Journal, TaskSummary

_PAGE = 500  # the most list_tasks gives at once

STALE_DAYS = 7
"""A task idle this many days or more counts as stale (the Rust tool's default)."""


class IdleTask(msgspec.Struct, frozen=True, kw_only=True):
    """An open task and the whole days since its last event."""

    task_id: str
    title: str
    last_event_at: str
    days_idle: int


def open_tasks(journal: Journal) -> Iterator[TaskSummary]:
    """Every open task, the most recently active first, a page at a time."""
    cursor: str | None = None
    while True:
        page = journal.list_tasks(status="open", limit=_PAGE, cursor=cursor)
        yield from page.tasks
        cursor = page.next_cursor
        if cursor is None:
            return


def days_idle(last_event_at: str, now: dt.datetime) -> int:
    """Whole days from ``last_event_at`` (RFC 3339) to ``now``; 0 for a time in the future
    or one that is not RFC 3339 (a foreign writer's), which never makes a task stale."""
    try:
        last = dt.datetime.fromisoformat(last_event_at)
    except ValueError:
        return 0
    if last.tzinfo is None:
        return 0
    return max((now - last).days, 0)


def idle_tasks(journal: Journal, now: dt.datetime) -> list[IdleTask]:
    """Every open task with its idle days, the most recently active first."""
    return [
        IdleTask(
            task_id=task.task_id,
            title=task.title,
            last_event_at=task.last_event_at,
            days_idle=days_idle(task.last_event_at, now),
        )
        for task in open_tasks(journal)
    ]
