"""The list_tasks tool: a page of tasks, most recently active first."""

from __future__ import annotations

from typing import Annotated, Final

from mcp_types import CallToolResult
from pydantic import Field
from typing_extensions import TypedDict

from journal_core import Journal, clip_page
from server.tools.shared import (
    READER_HINTS,
    CursorArgument,
    TaskStatus,
    in_worker,
    tool_result,
)


class TaskObject(TypedDict):
    """One task as the journal tells it."""

    task_id: str
    title: str
    status: str
    created_at: str
    last_event_at: str
    event_count: int


class ListTasksOutput(TypedDict):
    """One page of tasks."""

    tasks: list[TaskObject]
    next_cursor: str | None
    truncated: bool
    note: str | None


TITLE: Final = "List journal tasks"
ANNOTATIONS: Final = READER_HINTS


async def list_tasks(
    journal: Journal,
    status: Annotated[TaskStatus, Field(description="Which tasks.")] = "open",
    query: Annotated[str | None, Field(description="Words of the title (any case).")] = None,
    limit: Annotated[int, Field(ge=1, le=500, description="Most tasks to return.")] = 50,
    cursor: CursorArgument = None,
) -> Annotated[CallToolResult, ListTasksOutput]:
    """List tasks, most recently active first.

    Call it at the start of a session to find work in progress, or a task's id by title.

    Returns {tasks: [{task_id, title, status, last_event_at, ...}], next_cursor}.

    Example: {"status": "open", "query": "flaky test"}
    """
    page = await in_worker(
        lambda: clip_page(
            journal.list_tasks(status=status, query=query, limit=limit, cursor=cursor)
        )
    )
    return tool_result(page)
