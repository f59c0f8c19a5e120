"""The flush tool: every event appended so far made durable."""

from __future__ import annotations

from typing import Annotated, Final

from mcp_types import CallToolResult, ToolAnnotations
from typing_extensions import TypedDict

from journal_core import Journal
from server.tools.shared import (
    in_worker,
    tool_result,
)


class FlushOutput(TypedDict):
    """The journal as made durable by a flush."""

    path: str
    size_bytes: int
    durable: bool


TITLE: Final = "Flush the journal"
ANNOTATIONS: Final = ToolAnnotations(
    read_only_hint=False,
    destructive_hint=False,
    idempotent_hint=True,
    open_world_hint=False,
)


async def flush(journal: Journal) -> Annotated[CallToolResult, FlushOutput]:
    """Make every event appended so far durable.

    Call it after important events when the server runs with durability "flush".

    Returns {path, size_bytes, durable}.

    Example: {}
    """
    result = await in_worker(journal.flush)
    return tool_result(result)
