"""What the pages derive from a task's whole history, remembered until the task changes.

A task's standing and pack take all its events to build (a 10,000-event task is read
whole), and the pages ask for them again at every visit and every live refresh. The
journal only grows, so both are kept with the task's version, its count of events
and newest (``journal_core.Remembered``): while it is the same, so are they. When the
task has grown, its standing folds in only the new events (unless one sorts before
those already folded in); its pack is built again.
"""

from typing import Any

from journal_core import InvalidQuery, Journal, Pack, Remembered, TaskNotFound
from server.ui.standing import TaskStanding, task_standing

__all__ = ["TaskMemory"]

# How many new events are folded into a remembered standing at most; past that the
# task is read whole, which costs about the same.
_CATCH_UP_EVENTS = 1000
_PAGE = 100


class TaskMemory:
    """The standing and the pack of each task of ``journal``, remembered."""

    def __init__(self, journal: Journal, *, tasks: int = 1024, packs: int = 32) -> None:
        self.journal = journal
        self._standing: Remembered[tuple[int, str], TaskStanding] = Remembered(tasks)
        self._packs: Remembered[tuple[int, str], Pack | None] = Remembered(packs)

    def _newest_event(self, task_id: str) -> dict[str, Any] | None:
        try:
            newest = self.journal.read_events(task_id=task_id, limit=1).events
        except (InvalidQuery, TaskNotFound):  # a task id this journal cannot hold, or lacks
            return None
        return newest[0] if newest else None

    def _version(self, task_id: str) -> tuple[int, str] | None:
        """How many events the task has and its newest (``Journal.task_version``), None
        for a task the journal lacks."""
        try:
            return self.journal.task_version(task_id)
        except InvalidQuery:  # a task id this journal cannot hold
            return None

    def holds(self, task_id: str) -> bool:
        """Whether the journal holds the task (any event of it, with an id or not)."""
        return self._newest_event(task_id) is not None

    def standing(self, task_id: str) -> TaskStanding:
        version = self._version(task_id)
        known = self._standing.latest(task_id)
        if known is not None and known[0] == version:
            return known[1]
        standing = None
        if known is not None and version is not None:
            standing = self._caught_up(task_id, known[0], version[0], known[1])
        if standing is None:
            standing = task_standing(self.journal.task_events(task_id))
        self._standing.keep(task_id, version, standing)
        return standing

    def _caught_up(
        self, task_id: str, then: tuple[int, str], count: int, standing: TaskStanding
    ) -> TaskStanding | None:
        """``standing`` (of the task as it was at ``then``) with the events since folded
        in, the task having ``count`` events now; None when they are too many or one
        sorts before the newest folded in (then the task is read whole)."""
        folded, newest = then
        new: list[dict[str, Any]] = []
        cursor = None
        while len(new) < _CATCH_UP_EVENTS:
            page = self.journal.read_events(task_id=task_id, limit=_PAGE, cursor=cursor)
            for event in page.events:
                if event.get("event_id") == newest:
                    # Pages come newest first, in canonical order: an event older than
                    # ``newest`` is further down, seen only in the count.
                    return standing.extended(new) if folded + len(new) == count else None
                new.append(event)
            cursor = page.next_cursor
            if cursor is None:
                return None
        return None

    def pack(self, task_id: str) -> Pack | None:
        """The task's full pack; None for a task the journal does not hold."""

        def make() -> Pack | None:
            try:
                return self.journal.task_pack(task_id, mode="full")
            except (InvalidQuery, TaskNotFound):
                return None

        return self._packs.get(task_id, self._version(task_id), make)
