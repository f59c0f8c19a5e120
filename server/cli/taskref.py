"""Task ids as people type them: whole, or by a unique prefix, as git takes commit ids."""

from pathlib import Path
from typing import Final

from journal_core import Journal, JournalError

__all__ = ["AmbiguousTaskId", "UnknownTaskId", "resolve_task"]

_SHOWN_CANDIDATES: Final = 6


class UnknownTaskId(JournalError):
    """No task in the journal has this id or an id starting with it."""

    def __init__(self, given: str, path: Path) -> None:
        self.given = given
        self.path = path
        super().__init__(
            f"no task {given!r} in the journal {path}; "
            "`task-journal tasks --status any` lists its tasks"
        )


class AmbiguousTaskId(JournalError):
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
    candidates = journal.task_ids_with_prefix(given)
    if given in candidates:
        return given
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise UnknownTaskId(given, journal.path)
    raise AmbiguousTaskId(given, candidates)
