"""The core's errors said in the command line's words: flags, not tool arguments.

The core words its messages for the MCP tools (``task_id``, ``list_tasks``), and those
messages stay as they are; the errors also carry their facts (field, task id), and
this module builds the command line's sentence from those.
"""

from collections.abc import Mapping
from typing import Final

from journal_core import (
    MAX_LIMIT,
    IdempotencyKeyReused,
    InvalidEvent,
    InvalidQuery,
    JournalError,
    TaskAlreadyOpen,
    TaskNotFound,
    TaskStateConflict,
    UnknownEvent,
)

__all__ = ["FIELD_FLAGS", "error_text", "flag_of"]

FIELD_FLAGS: Final = {
    # append's event fields
    "type": "TYPE",
    "text": "TEXT",
    "task_id": "--task",
    "title": "--title",
    "meta.title": "--title",
    "goal": "--goal",
    "meta.goal": "--goal",
    "author": "--author",
    "source": "--source",
    "status": "--status",
    "confidence": "--confidence",
    "evidence_strength": "--evidence-strength",
    "corrects": "--corrects",
    "supersedes": "--supersedes",
    "refs": "--ref-file",
    "refs.files": "--ref-file",
    "refs.commits": "--ref-commit",
    "refs.events": "--ref-event",
    "meta": "--meta",
    "meta.idempotency_key": "--idempotency-key",
    "idempotency_key": "--idempotency-key",
    # read's and tasks' query arguments
    "types": "--type",
    "since": "--since",
    "until": "--until",
    "limit": "--limit",
    "cursor": "--cursor",
    "order": "--oldest",
    "query": "--query",
    # pack's and resume's
    "mode": "--mode",
    "budget_tokens": "--budget",
}

_CURSOR_TEXT: Final = (
    "--cursor is not one this query gave out: pass the --cursor a previous page printed, "
    "with the same filters, or leave it out to start from the beginning"
)


def flag_of(field: str, flags: Mapping[str, str] | None = None) -> str:
    """The flag or argument a person types for a core field: ``refs.files`` is --ref-file.

    ``flags`` are the command's own, where it names a field otherwise than ``append``
    does (``event --type``, ``close --outcome``).
    """
    if flags and field in flags:
        return flags[field]
    if field in FIELD_FLAGS:
        return FIELD_FLAGS[field]
    if field.startswith("meta."):
        return f"--meta key {field.removeprefix('meta.')!r}"
    return field


def error_text(error: JournalError, flags: Mapping[str, str] | None = None) -> str:
    """One sentence for stderr: what was wrong, in the flags a person typed, and the fix.

    ``flags``: the command's own names for fields, over ``FIELD_FLAGS``.
    """
    if isinstance(error, TaskNotFound):
        return (
            f"task {error.task_id!r} has no 'open' event in this journal; start a task with "
            "`task-journal append open TEXT`, or find yours with `task-journal tasks --status any`"
        )
    if isinstance(error, TaskAlreadyOpen):
        return (
            f"task {error.task_id!r} was opened before; add events to it with "
            f"--task {error.task_id}, or leave out --task to start a new task"
        )
    if isinstance(error, InvalidQuery):
        if error.field == "cursor":
            return _CURSOR_TEXT
        if error.field == "task_id" and error.reason.startswith("no task "):
            # The core's sentence ends on the tool that lists tasks; say the command.
            missing = error.reason.partition(";")[0]
            return f"{missing}; `task-journal tasks --status any` lists its tasks"
        text = f"{flag_of(error.field, flags)} {error.reason}"
        if error.field == "limit":
            text += f" (--all reads past {MAX_LIMIT})"
        return text
    if isinstance(error, InvalidEvent):
        return f"{flag_of(error.field, flags)} {error.reason}"
    if isinstance(error, TaskStateConflict):
        if error.event_type == "close":
            return (
                f"task {error.task_id!r} is closed already; to go on with it, "
                f"`task-journal reopen {error.task_id}` first"
            )
        return (
            f"task {error.task_id!r} is {error.status}: only a closed task can be reopened; "
            f"append the next event with --task {error.task_id}"
        )
    if isinstance(error, UnknownEvent):
        return (
            f"{flag_of(error.field, flags)} names the event {error.event_id!r}, which is not "
            "in this journal; `task-journal read --long` shows the events' ids"
        )
    if isinstance(error, IdempotencyKeyReused):
        return (
            f"--idempotency-key {error.key!r} was used before for a {error.event_type} event "
            f"of task {error.task_id!r}; give this append a key of its own"
        )
    return str(error)
