"""What each page shows, read from the journal: plain values for the templates.

Everything here is synchronous and runs in a worker thread; the templates only lay it
out. Journal text passes through untouched: the templates escape it, and show control
characters as escapes (see ``pages``).
"""

import datetime as dt
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from journal_core import Pack, Standing, TaskSummary
from server.cli.status import STALE_DAYS, days_idle
from server.ui.remembered import TaskMemory
from server.ui.standing import Link

__all__ = [
    "PAGE_EVENTS",
    "PAGE_HITS",
    "PAGE_TASKS",
    "EventRow",
    "Hit",
    "PackSection",
    "TaskOverview",
    "TaskRow",
    "Timeline",
    "hits_page",
    "journal_size",
    "snippet_parts",
    "task_overview",
    "task_timeline",
    "tasks_page",
]

PAGE_TASKS = 50
PAGE_EVENTS = 100
PAGE_HITS = 20
STATUSES = ("open", "closed", "any")


@dataclass(frozen=True, slots=True)
class TaskRow:
    task: TaskSummary
    stale_days: int | None  # days idle, for an open task idle STALE_DAYS or more
    open_questions: int


@dataclass(frozen=True, slots=True)
class EventRow:
    event: Mapping[str, Any]
    standing: Standing
    links: list[Link]  # from this event to earlier ones

    def field(self, name: str) -> str:
        """A text field of the event, "" when it is missing or not text."""
        value = self.event.get(name)
        return value if isinstance(value, str) else ""

    def refs(self, kind: str) -> list[str]:
        refs = self.event.get("refs")
        items = refs.get(kind) if isinstance(refs, dict) else None
        return [item for item in items if isinstance(item, str)] if isinstance(items, list) else []

    def meta(self) -> list[tuple[str, str]]:
        """The meta fields as (key, value as compact JSON) pairs, title and goal left out."""
        meta = self.event.get("meta")
        if not isinstance(meta, dict):
            return []
        return [
            (str(key), value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
            for key, value in meta.items()
            if key != "idempotency_key"
        ]


@dataclass(frozen=True, slots=True)
class PackSection:
    heading: str
    items: list[str]


@dataclass(frozen=True, slots=True)
class TaskOverview:
    """What a task page says of the task as a whole: built from all its events."""

    pack: Pack  # the header's fields: title, status, goal, outcome, event count
    sections: list[PackSection]


@dataclass(frozen=True, slots=True)
class Timeline:
    """One page of a task's timeline: read from that page's events and the task's
    remembered standing, so it costs the same whatever the task's length."""

    task_id: str
    events: list[EventRow]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Hit:
    event: Mapping[str, Any]
    title: str
    snippet: list[tuple[str, bool]]  # (text, whether it matched)
    standing: str  # SPEC 7's word, as search read it from the index
    standing_by: str | None
    journal: str | None  # the file name of another project's journal


def journal_size(path: Path) -> int:
    """The journal's size in bytes, 0 while it does not exist: what the live page watches."""
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def tasks_page(
    memory: TaskMemory, status: str, query: str | None, cursor: str | None, now: dt.datetime
) -> tuple[list[TaskRow], str | None]:
    journal = memory.journal
    page = journal.list_tasks(status=status, query=query, limit=PAGE_TASKS, cursor=cursor)
    rows = []
    for task in page.tasks:
        idle = days_idle(task.last_event_at, now) if task.status == "open" else 0
        rows.append(
            TaskRow(
                task=task,
                stale_days=idle if idle >= STALE_DAYS else None,
                open_questions=(
                    journal.open_questions(task.task_id) if task.status == "open" else 0
                ),
            )
        )
    return rows, page.next_cursor


def task_overview(memory: TaskMemory, task_id: str) -> TaskOverview | None:
    """The task's header and pack; None for a task the journal does not hold."""
    pack = memory.pack(task_id)
    if pack is None:
        return None
    return TaskOverview(pack=pack, sections=pack_sections(pack.markdown))


def task_timeline(memory: TaskMemory, task_id: str, cursor: str | None) -> Timeline | None:
    """One page of the task's timeline, newest first, each event with its standing and
    links; None for a task the journal does not hold."""
    if not memory.holds(task_id):
        return None
    standing = memory.standing(task_id)
    page = memory.journal.read_events(task_id=task_id, limit=PAGE_EVENTS, cursor=cursor)
    by_source: dict[str, list[Link]] = {}
    for link in standing.links:
        by_source.setdefault(link.source, []).append(link)
    rows = [
        EventRow(
            event=event,
            standing=standing.of(event.get("event_id")),
            links=by_source.get(str(event.get("event_id")), []),
        )
        for event in page.events
    ]
    return Timeline(task_id=task_id, events=rows, next_cursor=page.next_cursor)


def pack_sections(markdown: str) -> list[PackSection]:
    """The ``## `` sections of a pack's Markdown, each item (``- ``) with the lines that
    continue it; the header above the first section is shown from the pack's fields."""
    sections: list[PackSection] = []
    for line in markdown.splitlines():
        if line.startswith("## "):
            sections.append(PackSection(line[3:].strip(), []))
        elif not sections or not line.strip():
            continue
        elif line.startswith("- ") or not sections[-1].items:
            sections[-1].items.append(line.removeprefix("- "))
        else:
            sections[-1].items[-1] += "\n" + line.strip()
    return [section for section in sections if section.items]


def hits_page(
    memory: TaskMemory,
    query: str,
    *,
    rejected: bool,
    all_projects: bool,
    cursor: str | None,
) -> tuple[list[Hit], str | None]:
    journal = memory.journal
    find = journal.rejected if rejected else journal.search
    page = find(query, all_projects=all_projects, limit=PAGE_HITS, cursor=cursor, full=True)
    hits = [
        Hit(
            event=hit.event,
            title=hit.title,
            snippet=snippet_parts(hit.snippet),
            standing=hit.standing,
            standing_by=hit.standing_by,
            journal=Path(hit.journal).name
            if hit.journal and Path(hit.journal) != journal.path
            else None,
        )
        for hit in page.hits
        if hit.event is not None
    ]
    return hits, page.next_cursor


def snippet_parts(snippet: str) -> list[tuple[str, bool]]:
    """A search snippet split at its ``**`` marks: (text, whether it is a match)."""
    return [(part, index % 2 == 1) for index, part in enumerate(snippet.split("**")) if part]
