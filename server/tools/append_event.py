"""The append_event tool: one event into the journal, in place when nothing has to wait."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Final, NotRequired, cast

from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, ToolAnnotations
from pydantic import Field, WithJsonSchema
from typing_extensions import TypedDict

from journal_core import AppendResult, Event, Journal, JournalError, new_event
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
    """What an event points at; unknown keys are refused."""

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


TITLE: Final = "Append an event to the task journal"
ANNOTATIONS: Final = ToolAnnotations(
    read_only_hint=False,
    destructive_hint=False,
    # A repeat writes a second event unless it carries an idempotency_key.
    idempotent_hint=False,
    open_world_hint=False,
)


async def append_event(
    journal: Journal,
    type: Annotated[EventType, Field(description="What kind of event this is.")],
    text: Annotated[
        str,
        Field(description="The event itself, in a sentence or a paragraph; not empty."),
    ],
    task_id: Annotated[
        str | None,
        Field(description="The task this belongs to. Omit with type='open' to start a task."),
    ] = None,
    title: Annotated[
        str | None, Field(description="Short name of the task; for type='open' (or 'rename').")
    ] = None,
    goal: Annotated[
        str | None,
        Field(
            description="What the task is for, in one sentence; for type='open', or "
            "'redirect' when the goal changes. Shown first in every task_pack."
        ),
    ] = None,
    author: Annotated[Author, Field(description="Who says this.")] = "agent",
    source: Annotated[Source, Field(description="Where it came from.")] = "chat",
    refs: Annotated[
        RefsInput | None,
        Field(description="Commits, files and event ids this event points at."),
    ] = None,
    meta: Annotated[
        dict[str, Any] | None,
        Field(
            description=(
                "Free JSON object. Known keys: parent_id, session_id, reason, outcome and "
                "outcome_tag (done|abandoned|superseded) on close, alternatives on decision "
                "(list of {option, chosen, rationale})."
            )
        ),
    ] = None,
    corrects: Annotated[
        str | None, Field(description="event_id of the event this one corrects.")
    ] = None,
    supersedes: Annotated[
        str | None, Field(description="event_id of the event this one replaces.")
    ] = None,
    confidence: Annotated[
        float | None,
        # A number in the schema, not "number or null": clients that convert what is
        # typed by the schema's type (the MCP Inspector) then send a number.
        WithJsonSchema({"type": "number", "minimum": 0.0, "maximum": 1.0}),
        Field(ge=0.0, le=1.0, allow_inf_nan=False, description="How sure, 0.0 to 1.0."),
    ] = None,
    evidence_strength: Annotated[
        EvidenceStrength | None, Field(description="How strong the evidence is.")
    ] = None,
    status: Annotated[
        Status, Field(description="'suggested' for an event a user has yet to confirm.")
    ] = "confirmed",
    idempotency_key: Annotated[
        str | None,
        Field(description="Any string unique to this append; a retry with it writes nothing."),
    ] = None,
) -> Annotated[CallToolResult, AppendEventOutput]:
    """Record one event in a task's journal: open a task, note a hypothesis, finding,
    evidence, decision, rejection or constraint, correct an earlier event, or close it.

    Call it when work on a task starts (type="open", no task_id: a new task_id comes
    back), each time something worth remembering happens, and when the task ends
    (type="close" with meta.outcome_tag). Events are never edited: to fix one, append
    type="correction" with corrects=<event_id>.

    Returns {event_id, task_id, type, timestamp, durable, duplicate}: durable is true
    once the event is on stable storage; duplicate is true when idempotency_key was
    used before, and then the first event's ids come back and nothing is written.

    Example: {"type": "decision", "task_id": "tj-8f3k2m9q1z",
    "text": "Use the sidecar lock, not flock on the data file",
    "refs": {"files": ["journal_core/writer.py"]}, "confidence": 0.8}
    """
    result = await _appended(
        journal,
        lambda: new_event(
            type=type,
            text=text,
            task_id=task_id,
            title=title,
            goal=goal,
            author=author,
            source=source,
            refs=cast("dict[str, Any] | None", refs),
            meta=meta,
            corrects=corrects,
            supersedes=supersedes,
            confidence=confidence,
            evidence_strength=evidence_strength,
            status=status,
            idempotency_key=idempotency_key,
            check=False,  # the journal validates what it appends
        ),
    )
    return tool_result(result)


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
        raise ToolError(str(err)) from err
    if result is None:
        result = await in_worker(lambda: journal.append(event))
    return result
