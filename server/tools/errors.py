"""How a tool words the journal's errors for the model: the core's sentence (fields and
values), then what to send instead, in the tools' own words.

Chosen by the error's type and attributes, never by its text (SPEC §3: every refusal
says what to do instead). Resources and prompts word them the same way.
"""

from __future__ import annotations

from journal_core import (
    JournalError,
    TaskAlreadyOpen,
    TaskNotFound,
    TaskStateConflict,
    UnknownEvent,
)

__all__ = ["error_text"]


def error_text(error: JournalError) -> str:
    """One message for a tool error result: what was wrong, and what to send instead."""
    if isinstance(error, TaskNotFound):
        return (
            f"{error}; list_tasks shows the tasks there are, and append_event with "
            "type='open' and no task_id starts a new one"
        )
    if isinstance(error, TaskAlreadyOpen):
        return f"{error}; use type='reopen' to resume a closed task"
    if isinstance(error, TaskStateConflict):
        if error.event_type == "close":
            return f"{error}; it needs no second close (append type='reopen' first to resume it)"
        return f"{error}; reopen is only for a closed task: append the next event directly"
    if isinstance(error, UnknownEvent):
        return f"{error}; pass the event_id of an existing event (read_events shows them)"
    return str(error)
