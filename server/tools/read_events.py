"""The read_events tool: a page of events, filtered by task, type and time."""

from __future__ import annotations

from typing import Annotated, Final

import msgspec
from mcp_types import CallToolResult
from pydantic import Field
from typing_extensions import TypedDict

from journal_core import (
    EventPage,
    Journal,
    ReadFilter,
    clip_page,
)
from server.first_use import task_source
from server.tools.shared import (
    READER_HINTS,
    CursorArgument,
    EventObject,
    Order,
    SinceFilter,
    TaskFilter,
    TypesFilter,
    UntilFilter,
    events_wanted,
    in_worker,
    tool_result,
)


class ReadEventsOutput(TypedDict):
    """One page of events."""

    events: list[EventObject]
    next_cursor: str | None
    truncated: bool
    note: str | None


TITLE: Final = "Read journal events"
ANNOTATIONS: Final = READER_HINTS


async def read_events(
    journal: Journal,
    task_id: TaskFilter = None,
    types: TypesFilter = None,
    since: SinceFilter = None,
    until: UntilFilter = None,
    limit: Annotated[int, Field(ge=1, le=500, description="Most events to return.")] = 50,
    cursor: CursorArgument = None,
    order: Annotated[Order, Field(description="Which first.")] = "newest",
    event_ids: Annotated[
        list[str] | None,
        Field(
            max_length=50,
            description="Ids or unique starts, 50 at most.",
        ),
    ] = None,
) -> Annotated[CallToolResult, ReadEventsOutput]:
    """Read events back, newest first, filtered by task, type and time.

    Call it to page through a task's history.

    Returns {events, next_cursor, truncated, note}; pass next_cursor as cursor for more.

    Example: {"task_id": "tj-8f3k2m9q1z", "types": ["decision"], "limit": 20}
    """

    def read() -> EventPage:
        # A task's first page while the index lags far behind (the server's own build
        # under way on a big journal) comes from an excerpt of the journal: no wait.
        given = task_id if event_ids is None else None
        with task_source(journal, given, cursor, then_build=False) as (source, cursor_of):
            page = source.read_events(
                ReadFilter.of(
                    limit=limit,
                    cursor=cursor,
                    order=order,
                    event_ids=event_ids,
                    **events_wanted(source, task_id, types, since, until),
                )
            )
            return msgspec.structs.replace(page, next_cursor=cursor_of(page.next_cursor))

    return tool_result(clip_page(await in_worker(read)))
