"""The search_events tool: a page of matches, best first."""

from __future__ import annotations

from typing import Annotated, Final, NotRequired

from mcp_types import CallToolResult
from pydantic import Field
from typing_extensions import TypedDict

from journal_core import Journal, SearchFilter, SearchPage, clip_page
from server.tools.shared import (
    READER_HINTS,
    CursorArgument,
    EventObject,
    SinceFilter,
    TaskFilter,
    TypesFilter,
    UntilFilter,
    events_wanted,
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
    standing: str
    standing_by: Annotated[str | None, Field(description="the event that changed it")]
    correction: NotRequired[Annotated[str, Field(description="the text that now stands")]]
    event: NotRequired[EventObject]
    journal: NotRequired[str]


class SearchEventsOutput(TypedDict):
    """One page of matches, best first (or newest first: see order)."""

    hits: list[SearchHitObject]
    order: str
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
    all_projects: Annotated[bool, Field(description="Every project's journal.")] = False,
    limit: Annotated[int, Field(ge=1, le=100, description="Most hits to return.")] = 20,
    cursor: CursorArgument = None,
    full: Annotated[
        bool,
        Field(description="Whole events too."),
    ] = False,
    current_only: Annotated[
        bool,
        Field(description="Only active hits."),
    ] = False,
) -> Annotated[CallToolResult, SearchEventsOutput]:
    """Find events by their words: what was tried, found, decided or rejected.

    Call it before retrying an approach: was it rejected (types=["rejection"])?

    Words match inflections (retry finds retried). Returns {hits, order,
    next_cursor}: compact hits, best first (order "newest" when too many match),
    each with its standing: never act on a superseded one; a corrected one carries
    its correction. read_events(event_ids=[...]) gives whole events.

    Example: {"query": "token refresh -flaky"}
    """

    def find() -> SearchPage:
        search = SearchFilter.of(
            query,
            # types=["rejection"] asks what was turned down: `task-journal rejected`.
            rejected=types == ["rejection"],
            current_only=current_only,
            all_projects=all_projects,
            limit=limit,
            cursor=cursor,
            full=full,
            **events_wanted(journal, task_id, types, since, until),
        )
        return journal.find(search)

    page = await in_worker(lambda: clip_page(find()))
    return tool_result(page)
