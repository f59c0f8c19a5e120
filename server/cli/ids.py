"""Task and event ids as people type them: whole, or by a unique prefix, as git takes
commit ids. Human output shows events by a short id; these turn it back into the whole."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from journal_core import EventPage, Journal, Refused, TaskNotFound
from server.cli.command import event_pages

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
_NEW_TASK_PREFIX: Final = "tj-"
_ULID_CHARS: Final = 26
_CROCKFORD: Final = re.compile(r"[0-9A-HJKMNP-TV-Z]+")


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
    id starts with it.

    Raises ``UnknownTaskId`` or ``AmbiguousTaskId``.
    """
    if not given:
        raise UnknownTaskId(given, journal.path)
    start = given
    candidates = journal.task_ids_with_prefix(start)
    if not candidates and not given.startswith(_NEW_TASK_PREFIX):
        # The id typed without its "tj-" (``show cvk`` for tj-cvk...).
        start = _NEW_TASK_PREFIX + given
        candidates = journal.task_ids_with_prefix(start)
    if start in candidates:
        return start
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise UnknownTaskId(given, journal.path)
    raise AmbiguousTaskId(given, candidates)


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
    is, for the event checks to judge; else the only event whose id starts with it.

    The task's own events are looked through first (a correction is nearly always of
    its own task), then, when none matches there, the whole journal. ``flag`` names the
    option in errors.
    """
    wanted = given.upper()
    if len(wanted) >= _ULID_CHARS or not _CROCKFORD.fullmatch(wanted):
        return given
    found: list[str] = []
    if task_id is not None:
        found = _starting_with(wanted, event_pages(journal, task_id=task_id, order="oldest"))
    if not found:
        found = _starting_with(wanted, event_pages(journal, order="oldest"))
    if not found:
        raise UnknownEventId(flag, given)
    if len(found) > 1:
        raise AmbiguousEventId(flag, given, found)
    return found[0]


def _starting_with(prefix: str, pages: Iterator[EventPage]) -> list[str]:
    """The ids starting with ``prefix``, stopping once it is clear there are several."""
    found: list[str] = []
    for page in pages:
        for event in page.events:
            event_id = event.get("event_id")
            if isinstance(event_id, str) and event_id.startswith(prefix):
                found.append(event_id)
                if len(found) > _SHOWN_CANDIDATES:
                    return found
    return found
