"""What the pages derive from a task's whole history, remembered until the task changes.

A task's standing and pack take all its events to build (a 10,000-event task is read
whole), and the pages ask for them again at every visit and every live refresh. The
journal only grows, so they are kept, keyed by the task and its newest event: any
event added to the task gives a new key.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from journal_core import Journal, Pack
from journal_core.errors import InvalidQuery
from server.ui.standing import TaskStanding, task_standing

__all__ = ["TaskMemory"]

_V = TypeVar("_V")


class _Recent(Generic[_V]):
    """The ``size`` values asked for most recently, safe across threads."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._values: OrderedDict[object, _V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: object, make: Callable[[], _V]) -> _V:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = make()  # outside the lock: two threads may both make it, and agree
        with self._lock:
            self._values[key] = value
            while len(self._values) > self._size:
                self._values.popitem(last=False)
        return value


class TaskMemory:
    """The standing and the pack of each task of ``journal``, remembered."""

    def __init__(self, journal: Journal, *, tasks: int = 1024, packs: int = 32) -> None:
        self.journal = journal
        self._standing: _Recent[TaskStanding] = _Recent(tasks)
        self._packs: _Recent[Pack | None] = _Recent(packs)

    def _version(self, task_id: str) -> tuple[str, object]:
        newest = self.journal.read_events(task_id=task_id, limit=1).events
        return task_id, newest[0].get("event_id") if newest else None

    def standing(self, task_id: str) -> TaskStanding:
        return self._standing.get(
            self._version(task_id), lambda: task_standing(self.journal.task_events(task_id))
        )

    def pack(self, task_id: str) -> Pack | None:
        """The task's full pack; None for a task the journal does not hold."""

        def make() -> Pack | None:
            try:
                return self.journal.task_pack(task_id, mode="full")
            except InvalidQuery:
                return None

        return self._packs.get(self._version(task_id), make)
