"""The journal's MCP tools: their schemas, descriptions (for the model) and translation.

Each tool takes its arguments, calls the core in a worker thread (lock waits and
fsync block; an append with nothing to wait for runs in place) and shapes the
result. The tools' docstrings are their descriptions: they are written for the
model. The enums and ranges in the signatures repeat the core's rules so that
clients see them in the input schema (pydantic applies them before the core does);
a test keeps the enums equal to journal_core's closed sets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, NotRequired, TypeVar, cast

import anyio.to_thread
import msgspec
from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import ConfigDict, Field, with_config
from typing_extensions import TypedDict

from journal_core import (
    AppendResult,
    Event,
    Journal,
    JournalError,
    SearchPage,
    clip_page,
    new_event,
)

__all__ = ["register_tools"]

EventType = Literal[
    "open",
    "hypothesis",
    "finding",
    "evidence",
    "decision",
    "rejection",
    "constraint",
    "correction",
    "reopen",
    "supersede",
    "close",
    "redirect",
    "rename",
]
# The arguments several tools share, described once: read_events and search_events
# filter alike, and every paging tool takes a cursor.
TaskFilter = Annotated[
    str | None, Field(description="Only this task's events. Omit for all tasks.")
]
TypesFilter = Annotated[list[EventType] | None, Field(description="Only events of these types.")]
SinceFilter = Annotated[
    str | None, Field(description="RFC 3339 timestamp; events at or after it (inclusive).")
]
UntilFilter = Annotated[
    str | None, Field(description="RFC 3339 timestamp; events before it (exclusive).")
]
CursorArgument = Annotated[
    str | None, Field(description="next_cursor from the previous page, to go on.")
]
Author = Literal["user", "agent", "classifier", "hook"]
Source = Literal["chat", "hook", "manual", "cli", "dream"]
Status = Literal["confirmed", "suggested"]
EvidenceStrength = Literal["weak", "medium", "strong"]
Order = Literal["newest", "oldest"]
TaskStatus = Literal["open", "closed", "any"]
PackMode = Literal["compact", "full"]


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


class FlushOutput(TypedDict):
    """The journal as made durable by a flush."""

    path: str
    size_bytes: int
    durable: bool


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


class ReadEventsOutput(TypedDict):
    """One page of events."""

    events: list[EventObject]
    next_cursor: str | None
    truncated: bool
    note: str | None


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


class SearchHitObject(TypedDict):
    """One match: the event's id, type, task and time, its task's title, a snippet with the
    matches in **bold**; the whole event only when full is true."""

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


# The hints of the reading tools, all four set: they change nothing, and a repeat
# answers the same (given the same journal).
_READER_HINTS = ToolAnnotations(
    read_only_hint=True,
    destructive_hint=False,
    idempotent_hint=True,
    open_world_hint=False,
)

_T = TypeVar("_T")
_encoder = msgspec.json.Encoder()


async def _in_worker(call: Callable[[], _T]) -> _T:
    """Run one journal call off the event loop and turn a refusal into a tool error.

    Only JournalError is translated: its message is written for the user. Anything
    else is a bug, which the SDK reports without leaking its details to the client.
    """
    try:
        return await anyio.to_thread.run_sync(call)
    except JournalError as err:
        raise ToolError(str(err)) from err


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
        result = await _in_worker(lambda: journal.append(event))
    return result


def _result(value: msgspec.Struct) -> CallToolResult:
    """The structured content, and the same JSON as text for clients that read only text.

    The text is compact, not the SDK's indented dump: the core sizes a page to stay under
    about 20,000 tokens, and the model reads the text.
    """
    return CallToolResult(
        content=[TextContent(type="text", text=_encoder.encode(value).decode())],
        structured_content=msgspec.to_builtins(value),
    )


def register_tools(server: MCPServer, journal: Journal) -> None:
    """Add the journal's tools to ``server``, each working on ``journal``."""

    @server.tool(
        title="Append an event to the task journal",
        annotations=ToolAnnotations(
            read_only_hint=False,
            destructive_hint=False,
            # A repeat writes a second event unless it carries an idempotency_key.
            idempotent_hint=False,
            open_world_hint=False,
        ),
    )
    async def append_event(
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
            # strict: true and "0.5" are refused, not read as 1.0 and 0.5.
            Field(
                strict=True,
                ge=0.0,
                le=1.0,
                allow_inf_nan=False,
                description="How sure, 0.0 to 1.0.",
            ),
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
        return _result(result)

    @server.tool(
        title="Make the task journal durable",
        annotations=ToolAnnotations(
            read_only_hint=False,
            destructive_hint=False,
            idempotent_hint=True,
            open_world_hint=False,
        ),
    )
    async def flush() -> Annotated[CallToolResult, FlushOutput]:
        """Make every event appended so far, by any process, durable on stable storage.

        Call it after important events when the server runs with durability "flush"
        (appends answer before fsync); in the default mode "always" each append is already
        durable and flush is a cheap no-op. Takes no arguments.

        Returns {path, size_bytes, durable: true}: the journal file and its size once synced.

        Example: {}
        """
        result = await _in_worker(journal.flush)
        return _result(result)

    @server.tool(
        title="Read events from the task journal",
        annotations=_READER_HINTS,
    )
    async def read_events(
        task_id: TaskFilter = None,
        types: TypesFilter = None,
        since: SinceFilter = None,
        until: UntilFilter = None,
        limit: Annotated[int, Field(ge=1, le=500, description="Most events to return.")] = 50,
        cursor: CursorArgument = None,
        order: Annotated[
            Order, Field(description="'newest' first (default) or 'oldest' first.")
        ] = "newest",
        event_ids: Annotated[
            list[str] | None,
            Field(
                description=(
                    "Fetch these events whole, in this order: up to 50 event ids or unique "
                    "starts of ids (from search hits). Use alone, without other filters."
                )
            ),
        ] = None,
    ) -> Annotated[CallToolResult, ReadEventsOutput]:
        """Read journal events back, newest first by default, filtered by task, type and time.

        Call it before resuming a task (after a restart or a context reset) to recall what
        was tried, found and decided, or to find an event_id to correct.

        Returns {events, next_cursor, truncated, note}: events are the journal's objects
        (event_id, task_id, type, timestamp, author, source, text, refs, status, meta, ...).
        When next_cursor is not null there is more: call again with cursor=next_cursor and
        the same filters. A page too large for one answer is cut at an event boundary,
        with truncated=true and a note; an event too large alone comes cut where marked
        "[cut: ...]", with "cut": true.

        Example: {"task_id": "tj-8f3k2m9q1z", "types": ["decision", "finding"], "limit": 20}
        or, for the whole events behind search hits: {"event_ids": ["01KMZ3T4", "01KMZ9"]}
        """
        page = await _in_worker(
            lambda: clip_page(
                journal.read_events(
                    task_id=task_id,
                    types=types,
                    since=since,
                    until=until,
                    limit=limit,
                    cursor=cursor,
                    order=order,
                    event_ids=event_ids,
                )
            )
        )
        return _result(page)

    @server.tool(
        title="List tasks in the task journal",
        annotations=_READER_HINTS,
    )
    async def list_tasks(
        status: Annotated[
            TaskStatus, Field(description="'open' (default), 'closed' or 'any'.")
        ] = "open",
        query: Annotated[
            str | None, Field(description="Only tasks whose title contains this (any case).")
        ] = None,
        limit: Annotated[int, Field(ge=1, le=500, description="Most tasks to return.")] = 50,
        cursor: CursorArgument = None,
    ) -> Annotated[CallToolResult, ListTasksOutput]:
        """List the journal's tasks, most recently active first, with their titles and counts.

        Call it at the start of a session to find work in progress to resume, or to find a
        task's id by its title before reading or appending to it.

        Returns {tasks, next_cursor, truncated, note}: each task is {task_id, title, status,
        created_at, last_event_at, event_count}. When next_cursor is not null, call again
        with cursor=next_cursor for more.

        Example: {"status": "open", "query": "flaky test"}
        """
        page = await _in_worker(
            lambda: clip_page(
                journal.list_tasks(status=status, query=query, limit=limit, cursor=cursor)
            )
        )
        return _result(page)

    @server.tool(
        title="Get a task back as a briefing to resume from",
        annotations=_READER_HINTS,
    )
    async def task_pack(
        task_id: Annotated[str, Field(description="The task to brief on.")],
        mode: Annotated[
            PackMode,
            Field(
                description="'compact' (default, about 600 tokens) or 'full' (every text whole)."
            ),
        ] = "compact",
        budget_tokens: Annotated[
            int | None,
            Field(ge=100, le=20_000, description="An exact budget instead of the mode's."),
        ] = None,
    ) -> Annotated[CallToolResult, TaskPackOutput]:
        """Get one task back as a short Markdown briefing: its goal, active decisions (with
        the alternatives considered), constraints, what was rejected and why, open
        hypotheses, findings and evidence (newest first), files and commits, subtasks,
        lifecycle and recent events. Corrected events show their correction; superseded
        ones are left out; suggested ones are marked "?".

        Call it before resuming a task (a new session, after a context reset, when picking
        up someone else's work) instead of paging through read_events. When truncated is
        true the briefing was cut to fit, least important first: ask for mode="full" or a
        larger budget_tokens, or read_events for everything.

        Returns {task_id, title, status, goal, outcome, event_count, markdown, truncated}.

        Example: {"task_id": "tj-8f3k2m9q1z"}
        """
        pack = await _in_worker(
            lambda: journal.task_pack(task_id, mode=mode, budget_tokens=budget_tokens)
        )
        # The briefing itself as the text, for clients that read only the text.
        return CallToolResult(
            content=[TextContent(type="text", text=pack.markdown)],
            structured_content=msgspec.to_builtins(pack),
        )

    @server.tool(
        title="Search the task journal",
        annotations=_READER_HINTS,
    )
    async def search_events(
        query: Annotated[
            str,
            Field(
                description=(
                    'Words that must all match; "a phrase", prefix*, a OR b, -word to '
                    "exclude. Paths and identifiers match by their parts (refresh.rs)."
                )
            ),
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
        """Find journal events by their words: what was tried, found, decided or rejected
        before, in this task, another task, or (all_projects) another project.

        Call it before starting on something that may have been worked on already, and
        before retrying an approach, to see whether it was rejected (types=["rejection"]).
        Matches the text, the task title, the goal and refs (files, commits).

        Words match their inflections (retry finds retrying, retried); exact words rank
        first. Returns {hits, order, next_cursor, truncated, note}, best match first
        (order "newest" when the words match too many events to rank: newest first). A
        hit is compact, {event_id, type, task_id, timestamp, title, snippet, score,
        standing, standing_by, correction}; the snippet is up to 200 characters around
        the matches, marked **like this**; journal names the file when all_projects is
        true. standing says whether the event still holds: do not act on a superseded
        one, and read correction for a corrected one; current_only=true keeps only active
        hits. types=["rejection"] also finds decisions' rejected alternatives, and with
        current_only=true only what still stands (not overturned by a later decision).
        Read the whole events with read_events(event_ids=[...]), or pass full=true.

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

        page = await _in_worker(lambda: clip_page(find()))
        return _result(page)
