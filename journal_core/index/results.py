"""What the derived index answers with: pages of tasks and events, search hits, its status."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import msgspec

from journal_core.fold import Standing

# About 20,000 tokens of JSON, at roughly 4 bytes a token.
PAGE_BYTES: Final = 80_000
TRUNCATED_NOTE: Final = (
    "This page was cut short to stay under about 20,000 tokens; "
    "call again with cursor=next_cursor for the rest."
)


class TaskSummary(msgspec.Struct, frozen=True, kw_only=True):
    """One task as ``list_tasks`` shows it."""

    task_id: str
    title: str
    status: str  # "open" or "closed"
    created_at: str
    last_event_at: str
    event_count: int


class TaskPage(msgspec.Struct, frozen=True, kw_only=True):
    tasks: list[TaskSummary]
    next_cursor: str | None
    truncated: bool = False
    note: str | None = None


class EventPage(msgspec.Struct, frozen=True, kw_only=True):
    """Events as the plain objects of their lines; ``next_cursor`` is ``None`` at the end."""

    events: list[dict[str, Any]]
    next_cursor: str | None
    truncated: bool = False
    note: str | None = None


class IndexStatus(msgspec.Struct, frozen=True, kw_only=True):
    """How the index of one journal stands, for ``doctor`` and ``rebuild-state``."""

    path: str
    ok: bool
    problem: str | None
    fts5: bool
    events_indexed: int
    bytes_indexed: int
    journal_bytes: int


class Hit(msgspec.Struct, frozen=True, kw_only=True):
    """One search match: higher ``score`` is better; ``offset`` breaks ties (later wins).
    ``standing`` is where the event stands now, from the fold (``None``: not asked yet)."""

    score: float
    offset: int
    event: dict[str, Any]
    title: str
    standing: Standing | None = None


class Found(msgspec.Struct, frozen=True, kw_only=True):
    """A page of search matches: best first, or newest first when ``broad`` (the query
    matched more than ``full_text.BROAD_MATCHES`` events, too many to rank; their score
    is 0)."""

    hits: list[Hit]
    broad: bool


def summary(row: Sequence[Any]) -> TaskSummary:
    return TaskSummary(
        task_id=row[0],
        title=row[1],
        status=row[2],
        created_at=row[3],
        last_event_at=row[4],
        event_count=row[5],
    )
