"""The search_events tool: a page of matches, best first."""

from __future__ import annotations

from typing import Annotated, Final, NotRequired

from mcp_types import CallToolResult
from pydantic import Field
from typing_extensions import TypedDict

from journal_core import Journal, SearchPage, clip_page
from server.tools.shared import (
    READER_HINTS,
    CursorArgument,
    EventObject,
    SinceFilter,
    TaskFilter,
    TypesFilter,
    UntilFilter,
    in_worker,
    tool_result,
)


class SearchHitObject(TypedDict):
    """One match: the event's id, type, task and time, its task's title, a snippet with the
    matches in **bold**, where the event stands; the whole event only when full is true."""

    event_id: str
    type: str
    task_id: str
    timestamp: str
    title: str
    snippet: str
    score: float
    standing: Annotated[
        str,
        Field(description="active, superseded, corrected or answered: act only on active"),
    ]
    standing_by: Annotated[str | None, Field(description="the event that changed it")]
    correction: NotRequired[Annotated[str, Field(description="the text that now stands")]]
    event: NotRequired[EventObject]
    journal: NotRequired[str]


class SearchEventsOutput(TypedDict):
    """One page of matches, best first (or newest first: see order)."""

    hits: list[SearchHitObject]
    order: Annotated[
        str,
        Field(description="best (BM25), or newest for a query matching too many to rank"),
    ]
    next_cursor: str | None
    truncated: bool
    note: str | None


TITLE: Final = "Search the journal"
ANNOTATIONS: Final = READER_HINTS


async def search_events(
    journal: Journal,
    query: Annotated[
        str,
        Field(description='Words, all must match; "a phrase", prefix*, a OR b, -word.'),
    ],
    task_id: TaskFilter = None,
    types: TypesFilter = None,
    since: SinceFilter = None,
    until: UntilFilter = None,
    all_projects: Annotated[
        bool, Field(description="Search every project's journal, not just this one.")
    ] = False,
    limit: Annotated[int, Field(ge=1, le=100, description="Most hits to return.")] = 20,
    cursor: CursorArgument = None,
    full: Annotated[
        bool,
        Field(description="Give each hit's whole event too (default: compact hits)."),
    ] = False,
    current_only: Annotated[
        bool,
        Field(
            description=(
                "Only hits that still stand (active): leave out superseded, corrected "
                "and answered ones."
            )
        ),
    ] = False,
) -> Annotated[CallToolResult, SearchEventsOutput]:
    """Find events by their words: what was tried, found, decided or rejected.

    Call it before starting on something, and before retrying an approach, to see
    whether it was rejected (types=["rejection"]).

    Words match their inflections (retry finds retried); exact words rank first.
    Returns {hits, order, next_cursor, truncated, note}; compact hits {event_id, type,
    task_id, timestamp, title, snippet, score, standing, standing_by, correction}, best
    first (order "newest" when too many match to rank). Never act on a superseded hit;
    a corrected one carries its correction. current_only=true keeps active hits only.
    full=true, or read_events(event_ids=[...]), gives whole events.

    Example: {"query": "token refresh -flaky", "types": ["decision", "rejection"]}
    """

    def find() -> SearchPage:
        if types == ["rejection"]:  # what was turned down: `task-journal rejected`
            return journal.rejected(
                query,
                task_id=task_id,
                since=since,
                until=until,
                all_projects=all_projects,
                limit=limit,
                cursor=cursor,
                full=full,
                withdrawn=not current_only,
            )
        return journal.search(
            query,
            task_id=task_id,
            types=types,
            since=since,
            until=until,
            all_projects=all_projects,
            limit=limit,
            cursor=cursor,
            full=full,
            current_only=current_only,
        )

    page = await in_worker(lambda: clip_page(find()))
    return tool_result(page)
