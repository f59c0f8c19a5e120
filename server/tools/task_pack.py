"""The task_pack tool: one task as a briefing to resume from."""

from __future__ import annotations

from typing import Annotated, Final

import msgspec
from mcp_types import CallToolResult, TextContent
from pydantic import Field, WithJsonSchema
from typing_extensions import TypedDict

from journal_core import Journal, resolve_task_id
from server.tools.shared import (
    READER_HINTS,
    PackMode,
    in_worker,
)


class TaskPackOutput(TypedDict):
    """A task as a briefing to resume from."""

    task_id: str
    title: str
    status: str
    goal: str | None
    outcome: str | None
    event_count: int
    markdown: str
    truncated: bool


TITLE: Final = "Brief on a task"
ANNOTATIONS: Final = READER_HINTS


async def task_pack(
    journal: Journal,
    task_id: Annotated[str, Field(description="The task to brief on.")],
    mode: Annotated[
        PackMode,
        Field(description="compact: about 600 tokens."),
    ] = "compact",
    budget_tokens: Annotated[
        int | None,
        # An integer in the schema, not "integer or null", as confidence's.
        WithJsonSchema({"type": "integer", "minimum": 100, "maximum": 20_000}),
        Field(ge=100, le=20_000, description="An exact budget instead of the mode's."),
    ] = None,
) -> Annotated[CallToolResult, TaskPackOutput]:
    """One task as a short Markdown briefing, each item with its short id.

    Call it before resuming a task; if truncated, ask mode="full".

    Returns {task_id, title, status, goal, outcome, markdown, truncated, ...}.

    Example: {"task_id": "tj-8f3k2m9q1z"}
    """
    # The briefing goes to a model: journal text, marked as data (SPEC 9).
    pack = await in_worker(
        lambda: journal.task_pack(
            resolve_task_id(journal, task_id),
            mode=mode,
            budget_tokens=budget_tokens,
            as_data=True,
        )
    )
    # The briefing itself as the text, for clients that read only the text.
    return CallToolResult(
        content=[TextContent(type="text", text=pack.markdown)],
        structured_content=msgspec.to_builtins(pack),
    )
