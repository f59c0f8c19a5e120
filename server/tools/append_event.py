"""The append_event tool: one event into the journal, in place when nothing has to wait."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Final, NotRequired, cast

from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, ToolAnnotations
from pydantic import Field, WithJsonSchema
from typing_extensions import TypedDict

from journal_core import (
    AppendResult,
    Event,
    Journal,
    JournalError,
    new_event,
    resolve_event_id,
    resolve_task_id,
)
from server.tools.errors import error_text
from server.tools.shared import (
    Author,
    EventType,
    EvidenceStrength,
    Source,
    Status,
    in_worker,
    tool_result,
)


class RefsInput(TypedDict, closed=True):
    """Lists of commits, files and event ids."""

    commits: NotRequired[list[str]]
    files: NotRequired[list[str]]
    events: NotRequired[list[str]]


class AppendEventOutput(TypedDict):
    """The acknowledgement of one append."""

    event_id: str
    task_id: str
    type: str
    timestamp: str
    durable: bool
    duplicate: bool
    redacted: NotRequired[list[str]]


TITLE: Final = "Record a journal event"
ANNOTATIONS: Final = ToolAnnotations(
    read_only_hint=False,
    destructive_hint=False,
    # A repeat writes a second event unless it carries an idempotency_key.
    idempotent_hint=False,
    open_world_hint=False,
)


async def append_event(
    journal: Journal,
    type: Annotated[EventType, Field(description="The kind of event.")],
    text: Annotated[
        str,
        Field(description="A sentence or a paragraph."),
    ],
    task_id: Annotated[
        str | None,
        Field(description="The task; omit with type open. Ids take 8+ char prefixes."),
    ] = None,
    title: Annotated[str | None, Field(description="Task name, for open or rename.")] = None,
    goal: Annotated[
        str | None,
        Field(description="The task's aim, one sentence (open, redirect)."),
    ] = None,
    author: Annotated[Author, Field()] = "agent",
    source: Annotated[Source, Field()] = "chat",
    refs: Annotated[
        RefsInput | None,
        Field(description="What it points at."),
    ] = None,
    meta: Annotated[
        dict[str, Any] | None,
        Field(
            description=(
                "close: outcome, outcome_tag; decision: alternatives [{option, chosen, rationale}]."
            )
        ),
    ] = None,
    corrects: Annotated[str | None, Field(description="Event it corrects.")] = None,
    supersedes: Annotated[str | None, Field(description="Event it replaces.")] = None,
    confidence: Annotated[
        float | None,
        # A number in the schema, not "number or null": clients that convert what is
        # typed by the schema's type (the MCP Inspector) then send a number.
        WithJsonSchema({"type": "number", "minimum": 0.0, "maximum": 1.0}),
        Field(ge=0.0, le=1.0, allow_inf_nan=False, description="How sure, 0.0 to 1.0."),
    ] = None,
    evidence_strength: Annotated[EvidenceStrength | None, Field()] = None,
    status: Annotated[Status, Field()] = "confirmed",
    idempotency_key: Annotated[
        str | None,
        Field(description="Same key again writes nothing."),
    ] = None,
) -> Annotated[CallToolResult, AppendEventOutput]:
    """Record one event in a task's journal.

    Call it when work starts (type="open", no task_id), whenever something is worth
    keeping (finding, decision, rejection...), and at the end (type="close"). Fix an
    event with a correction (corrects=<its id>).

    Returns {event_id, task_id, type, timestamp, durable, duplicate, redacted?}.

    Example: {"type": "decision", "task_id": "tj-8f3k2m9q1z", "text": "Use a sidecar lock"}
    """

    def make() -> Event:
        # Prefixes become whole ids before the event is made: the line never holds one.
        task = None if task_id is None else resolve_task_id(journal, task_id)

        def whole(given: str | None, field: str) -> str | None:
            return None if given is None else resolve_event_id(journal, given, field, task)

        return new_event(
            type=type,
            text=text,
            task_id=task,
            title=title,
            goal=goal,
            author=author,
            source=source,
            refs=_whole_refs(journal, refs, task),
            meta=meta,
            corrects=whole(corrects, "corrects"),
            supersedes=whole(supersedes, "supersedes"),
            confidence=confidence,
            evidence_strength=evidence_strength,
            status=status,
            idempotency_key=idempotency_key,
            check=False,  # the journal validates what it appends
        )

    return tool_result(await _appended(journal, make))


def _whole_refs(
    journal: Journal, refs: RefsInput | None, task: str | None
) -> dict[str, Any] | None:
    """``refs`` with each of its event ids whole (anything else in it as given, for the
    event checks to judge)."""
    whole = cast("dict[str, Any] | None", refs)
    events = None if whole is None else whole.get("events")
    if whole is None or not isinstance(events, list):
        return whole
    resolved = [
        resolve_event_id(journal, given, "refs.events", task) if isinstance(given, str) else given
        for given in events
    ]
    return {**whole, "events": resolved}


async def _appended(journal: Journal, make: Callable[[], Event]) -> AppendResult:
    """Append in place when nothing has to wait, else in a worker thread.

    In place saves two thread hops, most of an append's cost on a stdio server (which
    serves one client); an append that would wait for a lock held elsewhere, or for
    another append, goes to a thread, so that reads are never stalled behind it.
    """
    try:
        event = make()
        result = journal.try_append(event)
    except JournalError as err:
        raise ToolError(error_text(err)) from err
    if result is None:
        result = await in_worker(lambda: journal.append(event))
    return result
