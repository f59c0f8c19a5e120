"""The errors journal_core raises: one base, two kinds, a few precise subclasses.

``JournalError > Refused | Failed``, msgspec-style: a caller catches the broad class or
the precise one. ``Refused``: the request is wrong and the caller fixes the input (an
invalid event or query, an unknown task or event, a closed task, a reused key).
``Failed``: the journal could not do it (busy, unavailable, a write that failed or
whose durability is unknown); the same request may work later.

Each subclass keeps its facts as attributes and builds its own message from them,
naming fields and values only: how to fix it in a front end's words (a tool's
arguments, a command's flags) is the front end's to say, by the error's type and
attributes (``server/tools/errors.py``, ``server/cli/words.py``), never by its text.
"""

from __future__ import annotations

from pathlib import Path


class JournalError(Exception):
    """Base of every error the journal library raises on purpose."""


class Refused(JournalError):
    """The request is wrong: nothing was done, and the same request will be refused again."""


class Failed(JournalError):
    """The journal could not do what was asked (busy, unavailable, a failed write)."""


class InvalidEvent(Refused):
    """An event field was refused; nothing was written."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"invalid event field '{field}': {reason}")


class InvalidQuery(Refused):
    """A read argument (or a cursor) was refused."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"invalid argument '{field}': {reason}")


class TaskNotFound(Refused):
    """The journal holds no such task: an append names a task no ``open`` event opened,
    or a read names a task with no events. The one "no such task" error."""

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        super().__init__(f"no task '{task_id}' in this journal (no 'open' event names it)")


class TaskAlreadyOpen(Refused):
    """An ``open`` event names a task that was opened before."""

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        super().__init__(f"task '{task_id}' was already opened")


class JournalBusy(Failed):
    """The journal's lock was not had within the timeout; nothing was written."""

    def __init__(self, path: Path, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        super().__init__(
            f"journal busy: another process has held the lock on {path} for over "
            f"{timeout:g} s; nothing was written, try again"
        )


class JournalWriteFailed(Failed):
    """Writing or syncing failed; ``reason`` says what failed and what was left on disk."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"could not write to the journal {path}: {reason}")


class JournalDurabilityUnknown(Failed):
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


class JournalUnavailable(Failed):
    """The journal file cannot be opened or created."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot use the journal {path}: {reason}")


class InvalidSetting(Refused):
    """A configuration value (a flag or an environment variable) was refused."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"invalid setting {name}: {reason}")


class TaskStateConflict(Refused):
    """A ``close`` of a closed task, or a ``reopen`` of an open one."""

    def __init__(self, task_id: str, event_type: str, status: str) -> None:
        self.task_id = task_id
        self.event_type = event_type
        self.status = status
        super().__init__(f"task '{task_id}' is {status}: a '{event_type}' changes nothing")


class UnknownEvent(Refused):
    """``corrects``, ``supersedes`` or ``refs.events`` names an event the journal lacks."""

    def __init__(self, field: str, event_id: str) -> None:
        self.field = field
        self.event_id = event_id
        super().__init__(f"{field} names the event '{event_id}', which is not in this journal")


class IdempotencyKeyReused(Refused):
    """An idempotency key came back with another task or type than its first event's."""

    def __init__(self, key: str, task_id: str, event_type: str) -> None:
        self.key = key
        self.task_id = task_id
        self.event_type = event_type
        super().__init__(
            f"idempotency_key '{key}' was already used for a '{event_type}' event of task "
            f"'{task_id}'; use a new key for a different append"
        )


class SyncFailed(Failed):
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


class AmbiguousId(Refused):
    """A prefix given for a task or event id starts more than one of them."""

    def __init__(self, field: str, given: str, candidates: list[str], shown: int = 4) -> None:
        self.field = field
        self.given = given
        self.candidates = candidates
        listed = ", ".join(f"'{candidate}'" for candidate in candidates[:shown])
        if len(candidates) > shown:
            listed += ", ..."
        super().__init__(
            f"{field} '{given}' is the start of more than one id ({listed}); "
            "give more characters or the whole id"
        )


class IdPrefixTooShort(Refused):
    """A prefix given for a task or event id is shorter than the shortest taken."""

    def __init__(self, field: str, given: str, shortest: int) -> None:
        self.field = field
        self.given = given
        self.shortest = shortest
        super().__init__(
            f"{field} '{given}' is too short to name an id: give at least {shortest} "
            "characters of it, or the whole id"
        )
