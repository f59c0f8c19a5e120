"""Task and event ids as people type them: whole, or by a unique prefix, as git takes
commit ids. Human output shows events by a short id; these turn it back into the whole."""

from pathlib import Path
from typing import Final

from journal_core import (
    AmbiguousId,
    Journal,
    Refused,
    TaskNotFound,
    UnknownEvent,
    resolve_event_id,
    resolve_task_id,
)

__all__ = [
    "TASK_HELP",
    "AmbiguousEventId",
    "AmbiguousTaskId",
    "UnknownEventId",
    "UnknownTaskId",
    "resolve_event",
    "resolve_task",
]

TASK_HELP: Final = (
    "a task id, or enough of its start to name one task (as git takes commit ids), "
    "with or without tj-"
)

_SHOWN_CANDIDATES: Final = 6


class UnknownTaskId(TaskNotFound):
    """No task in the journal has this id or an id starting with it: the library's "no such
    task", worded for the command line."""

    def __init__(self, given: str, path: Path) -> None:
        super().__init__(given)
        self.given = given
        self.path = path
        self.args = (
            f"no task {given!r} in the journal {path}; "
            "`task-journal tasks --status any` lists its tasks",
        )


class AmbiguousTaskId(Refused):
    """More than one task id starts with what was typed."""

    def __init__(self, given: str, candidates: list[str]) -> None:
        self.given = given
        self.candidates = candidates
        shown = ", ".join(candidates[:_SHOWN_CANDIDATES])
        more = len(candidates) - _SHOWN_CANDIDATES
        if more > 0:
            shown += f" and {more} more"
        super().__init__(
            f"{given!r} is the start of {len(candidates)} task ids ({shown}); "
            "type more of the one you mean"
        )


def resolve_task(journal: Journal, given: str) -> str:
    """The id of the task ``given`` names: the task with that id, else the only one whose
    id starts with it (``journal_core.ids``, taking any start, however short).

    Raises ``UnknownTaskId`` or ``AmbiguousTaskId``.
    """
    try:
        task_id = resolve_task_id(journal, given, shortest=1)
    except AmbiguousId as err:
        raise AmbiguousTaskId(given, err.candidates) from err
    if not task_id or task_id not in journal.task_ids_with_prefix(task_id):
        raise UnknownTaskId(given, journal.path)
    return task_id


class UnknownEventId(Refused):
    """No event in the journal has an id starting with what was typed."""

    def __init__(self, flag: str, given: str) -> None:
        self.flag = flag
        self.given = given
        super().__init__(
            f"{flag} {given!r} is the start of no event id in this journal; "
            "`task-journal show TASK` prints the ids of a task's events"
        )


class AmbiguousEventId(Refused):
    """More than one event id starts with what was typed."""

    def __init__(self, flag: str, given: str, candidates: list[str]) -> None:
        self.flag = flag
        self.given = given
        self.candidates = candidates
        super().__init__(
            f"{flag} {given!r} is the start of more than one event id "
            f"({', '.join(candidates[:_SHOWN_CANDIDATES])}); type more of the one you mean"
        )


def resolve_event(journal: Journal, given: str, flag: str, task_id: str | None = None) -> str:
    """The event id ``given`` names: a whole id (or anything that cannot start one) as it
    is, for the event checks to judge; else the only event whose id starts with it
    (``journal_core.ids``, taking any start, however short). ``flag`` names the option
    in errors.
    """
    try:
        return resolve_event_id(journal, given, flag, task_id, shortest=1)
    except UnknownEvent as err:
        raise UnknownEventId(flag, given) from err
    except AmbiguousId as err:
        raise AmbiguousEventId(flag, given, err.candidates) from err
