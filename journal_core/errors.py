"""The errors journal_core raises: one base, a few precise subclasses.

Each subclass keeps its facts as attributes and builds its own message, so a
front end can show ``str(error)`` as it is (the MCP server as a tool error, the
CLI on stderr) and a program can still branch on the attributes.
"""

from __future__ import annotations

from pathlib import Path


class JournalError(Exception):
    """Base of every error the journal library raises on purpose."""


class InvalidEvent(JournalError):
    """An event field was refused; nothing was written."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"invalid event field '{field}': {reason}")


class InvalidQuery(JournalError):
    """A read argument (or a cursor) was refused."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"invalid argument '{field}': {reason}")


class TaskNotFound(JournalError):
    """An event names a task that has no ``open`` event in the journal."""

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        super().__init__(
            f"task not found: '{task_id}' has no 'open' event in this journal; "
            "open it first (type='open' without task_id starts a new task)"
        )


class TaskAlreadyOpen(JournalError):
    """An ``open`` event names a task that was opened before."""

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        super().__init__(
            f"task '{task_id}' was already opened; use type='reopen' to resume a closed task"
        )


class JournalBusy(JournalError):
    """The journal's lock was not had within the timeout; nothing was written."""

    def __init__(self, path: Path, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        super().__init__(
            f"journal busy: another process has held the lock on {path} for over "
            f"{timeout:g} s; nothing was written, try again"
        )


class JournalWriteFailed(JournalError):
    """Writing or syncing failed; ``reason`` says what failed and what was left on disk."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"could not write to the journal {path}: {reason}")


class JournalDurabilityUnknown(JournalError):
    """The event was written whole, but its fsync failed: it may not survive a machine crash.

    Unlike ``JournalWriteFailed``, the line is in the file (readers see it); a retry
    with the same idempotency key answers it as a duplicate, not durable.
    """

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(
            f"written to the journal {path}, but whether it reached stable storage is "
            f"unknown: {reason}"
        )


class JournalUnavailable(JournalError):
    """The journal file cannot be opened or created."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot use the journal {path}: {reason}")


class InvalidSetting(JournalError):
    """A configuration value (a flag or an environment variable) was refused."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"invalid setting {name}: {reason}")


class TaskStateConflict(JournalError):
    """A ``close`` of a closed task, or a ``reopen`` of an open one."""

    def __init__(self, task_id: str, event_type: str, status: str) -> None:
        self.task_id = task_id
        self.event_type = event_type
        self.status = status
        if event_type == "close":
            advice = "it needs no second close (append type='reopen' first to resume it)"
        else:
            advice = "reopen is only for a closed task; append the next event directly"
        super().__init__(f"task '{task_id}' is {status}: {advice}")


class UnknownEvent(JournalError):
    """``corrects``, ``supersedes`` or ``refs.events`` names an event the journal lacks."""

    def __init__(self, field: str, event_id: str) -> None:
        self.field = field
        self.event_id = event_id
        super().__init__(
            f"{field} names the event '{event_id}', which is not in this journal; "
            "pass the event_id of an existing event (read_events shows them)"
        )


class IdempotencyKeyReused(JournalError):
    """An idempotency key came back with another task or type than its first event's."""

    def __init__(self, key: str, task_id: str, event_type: str) -> None:
        self.key = key
        self.task_id = task_id
        self.event_type = event_type
        super().__init__(
            f"idempotency_key '{key}' was already used for a '{event_type}' event of task "
            f"'{task_id}'; use a new key for a different append"
        )


class SyncFailed(JournalError):
    """A sync could not be done (SPEC §10): nothing acknowledged was lost, and the next
    sync takes up where this one stopped."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"sync failed: {reason}")


class NoRemote(SyncFailed):
    """The project's repository has no remote of the name given (or is no repository)."""

    def __init__(self, project: Path, remote: str) -> None:
        self.project = project
        self.remote = remote
        super().__init__(
            f"no git remote named '{remote}' in {project}; "
            "add one (git remote add origin URL) or give --remote URL"
        )
