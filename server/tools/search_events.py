"""The search_events tool: a page of matches, best first."""

from __future__ import annotations

from typing import Annotated, Final

from mcp_types import CallToolResult
from pydantic import Field
from typing_extensions import TypedDict

from journal_core import Journal, clip_page, resolve_task_id
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
    """One match: the event, its task's title, a snippet with the matches in **bold**."""

    event: EventObject
    title: str
    snippet: str
    score: float
    journal: str | None


class SearchEventsOutput(TypedDict):
    """One page of matches, best first."""

    hits: list[SearchHitObject]
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
) -> Annotated[CallToolResult, SearchEventsOutput]:
    """Find events by their words: what was tried, found, decided or rejected.

    Call it before starting on something, and before retrying an approach, to see
    whether it was rejected (types=["rejection"]).

    Returns {hits: [{event, title, snippet, score, journal}], next_cursor, truncated,
    note}, best first.

    Example: {"query": "token refresh -flaky", "types": ["decision", "rejection"]}
    """
    page = await in_worker(
        lambda: clip_page(
            journal.search(
                query,
                task_id=None if task_id is None else resolve_task_id(journal, task_id),
                types=types,
                since=since,
                until=until,
                all_projects=all_projects,
                limit=limit,
                cursor=cursor,
            )
        )
    )
    return tool_result(page)
