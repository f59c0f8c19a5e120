"""What the journal's MCP tools share: the argument types several take, the output
types several give, the reading tools' hints, running a core call off the event loop,
and shaping a result.

The enums are built from journal_core's closed sets and the ranges repeat the core's
rules, so that clients see them in the input schema (pydantic applies them before the
core does).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal, NotRequired, TypeVar

import anyio.to_thread
import msgspec
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict

from journal_core import (
    AUTHORS,
    EVENT_TYPES,
    EVIDENCE_STRENGTHS,
    ORDERS,
    PACK_MODES,
    SOURCES,
    STATUSES,
    TASK_STATUS_FILTERS,
    EventArguments,
    Journal,
    JournalError,
    resolve_task_id,
)
from server.tools.errors import error_text

# Each enum is the core's closed set, so that a value the core gains reaches the input
# schema. mypy sees plain text: a Literal built at run time is beyond it.
if TYPE_CHECKING:
    EventType = str
    Author = str
    Source = str
    Status = str
    EvidenceStrength = str
    Order = str
    TaskStatus = str
    PackMode = str
else:
    EventType = Literal[EVENT_TYPES]
    Author = Literal[AUTHORS]
    Source = Literal[SOURCES]
    Status = Literal[STATUSES]
    EvidenceStrength = Literal[EVIDENCE_STRENGTHS]
    Order = Literal[ORDERS]
    TaskStatus = Literal[TASK_STATUS_FILTERS]
    PackMode = Literal[PACK_MODES]

# The arguments several tools share, described once: read_events and search_events
# filter alike, and every paging tool takes a cursor.
TaskFilter = Annotated[str | None, Field(description="This task only.")]
TypesFilter = Annotated[list[EventType] | None, Field(description="Only these types.")]
SinceFilter = Annotated[str | None, Field(description="From this time (RFC 3339).")]
UntilFilter = Annotated[str | None, Field(description="Before this time (RFC 3339).")]
CursorArgument = Annotated[str | None, Field(description="Previous next_cursor.")]


@with_config(ConfigDict(extra="allow"))  # keeps the extra keys, in output and in its schema
class EventObject(TypedDict):
    """One journal line as written; fields that newer writers add are kept."""

    # Reading never refuses a line for its content, so only the four fields every event
    # must have are typed: the others pass on as the line holds them.

    event_id: str
    task_id: str
    type: str
    timestamp: str
    schema_version: NotRequired[Annotated[Any, Field(description='"1.0"')]]
    author: NotRequired[Annotated[Any, Field(description="user, agent, classifier or hook")]]
    source: NotRequired[Annotated[Any, Field(description="chat, hook, manual, cli or dream")]]
    confidence: NotRequired[Annotated[Any, Field(description="0.0 to 1.0")]]
    evidence_strength: NotRequired[Annotated[Any, Field(description="weak, medium or strong")]]
    text: NotRequired[Annotated[Any, Field(description="the event's text")]]
    refs: NotRequired[Annotated[Any, Field(description="{commits, files, events}: lists")]]
    corrects: NotRequired[Annotated[Any, Field(description="event_id this corrects")]]
    supersedes: NotRequired[Annotated[Any, Field(description="event_id this replaces")]]
    status: NotRequired[Annotated[Any, Field(description="confirmed or suggested")]]
    meta: NotRequired[Annotated[Any, Field(description="free object: title, outcome, ...")]]


# The hints of the reading tools, all four set: they change nothing, and a repeat
# answers the same (given the same journal).
READER_HINTS = ToolAnnotations(
    read_only_hint=True,
    destructive_hint=False,
    idempotent_hint=True,
    open_world_hint=False,
)

_T = TypeVar("_T")
_encoder = msgspec.json.Encoder()


async def in_worker(call: Callable[[], _T]) -> _T:
    """Run one journal call off the event loop and turn a refusal into a tool error.

    Only JournalError is translated: its message is written for the user. Anything
    else is a bug, which the SDK reports without leaking its details to the client.
    """
    try:
        return await anyio.to_thread.run_sync(call)
    except JournalError as err:
        raise ToolError(error_text(err)) from err


def events_wanted(
    journal: Journal,
    task_id: str | None,
    types: list[str] | None,
    since: str | None,
    until: str | None,
) -> EventArguments:
    """The events a tool's filters ask for, the task named by its id or a unique start
    of it (for ``ReadFilter.of`` and ``SearchFilter.of``)."""
    resolved = None if task_id is None else resolve_task_id(journal, task_id)
    return {"task_id": resolved, "types": types, "since": since, "until": until}


def tool_result(value: msgspec.Struct) -> CallToolResult:
    """The structured content, and the same JSON as text for clients that read only text.

    The text is compact, not the SDK's indented dump: the core sizes a page to stay under
    about 20,000 tokens, and the model reads the text.
    """
    return CallToolResult(
        content=[TextContent(type="text", text=_encoder.encode(value).decode())],
        structured_content=msgspec.to_builtins(value),
    )
