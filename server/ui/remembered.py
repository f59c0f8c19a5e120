"""What the pages derive from a task's whole history, remembered until the task changes.

A task's standing and pack take all its events to build (a 10,000-event task is read
whole), and the pages ask for them again at every visit and every live refresh. The
journal only grows, so both are kept with the id of the task's newest event: while it
is the same, so are they. When the task has grown, its standing folds in only the new
events (unless one sorts before those already folded in); its pack is built again.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from journal_core import InvalidQuery, Journal, Pack, TaskNotFound
from server.ui.standing import TaskStanding, task_standing

__all__ = ["TaskMemory"]

_V = TypeVar("_V")
# How many new events are folded into a remembered standing at most; past that the
# task is read whole, which costs about the same.
_CATCH_UP_EVENTS = 1000
_PAGE = 100


class _Recent(Generic[_V]):
    """The ``size`` values put most recently, safe across threads."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._values: OrderedDict[object, _V] = OrderedDict()
        self._lock = threading.Lock()

    def peek(self, key: object) -> _V | None:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            return None

    def put(self, key: object, value: _V) -> None:
        with self._lock:
            self._values[key] = value
            while len(self._values) > self._size:
                self._values.popitem(last=False)

    def get(self, key: object, make: Callable[[], _V]) -> _V:
        found = self.peek(key)
        if found is None:
            found = make()  # two threads may both make it, and agree
            self.put(key, found)
        return found


class TaskMemory:
    """The standing and the pack of each task of ``journal``, remembered."""

    def __init__(self, journal: Journal, *, tasks: int = 1024, packs: int = 32) -> None:
        self.journal = journal
        self._standing: _Recent[tuple[tuple[int, str] | None, TaskStanding]] = _Recent(tasks)
        self._packs: _Recent[tuple[Pack | None]] = _Recent(packs)

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
        known = self._standing.peek(task_id)
        if known is not None and known[0] == version:
            return known[1]
        standing = None
        if known is not None and known[0] is not None and version is not None:
            standing = self._caught_up(task_id, known[0], version[0], known[1])
        if standing is None:
            standing = task_standing(self.journal.task_events(task_id))
        self._standing.put(task_id, (version, standing))
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

        def make() -> tuple[Pack | None]:
            try:
                return (self.journal.task_pack(task_id, mode="full"),)
            except (InvalidQuery, TaskNotFound):
                return (None,)

        return self._packs.get((task_id, self._version(task_id)), make)[0]
