"""What is made of a task, remembered while the task is unchanged.

A pack, a briefing and a pull request description are each made of all of a task's
events (a task of 10,000 events is read and folded whole), and an agent asks for them
again of a task that has not changed since. A journal only grows, and every line of a
task but a repeated one changes the task's version (``JournalStore.task_version``: its
count of events and its newest): what was made of the task at one version holds for as
long as the version is the same, a line written late (older than the newest) included.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["Remembered"]

_Version = TypeVar("_Version", bound=Hashable)
_V = TypeVar("_V")


class Remembered(Generic[_Version, _V]):
    """What was made of each of the ``size`` tasks asked for most recently, with the
    version of the task it was made of; safe across threads."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._made: OrderedDict[str, tuple[_Version, _V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, task_id: str, version: _Version | None, make: Callable[[], _V]) -> _V:
        """What ``make`` makes of the task at ``version``: remembered if the task was at
        that version when it was last made, else made now (and remembered, unless the
        version is ``None``: a task the journal did not hold).

        Read the version before what ``make`` reads: then what is remembered is never
        older than its version (at worst newer, and made again when next asked).
        """
        found = self.recall(task_id, version)
        if found is not None:
            return found[0]
        made = make()  # two threads may both make it, and agree
        self.keep(task_id, version, made)
        return made

    def recall(self, task_id: str, version: _Version | None) -> tuple[_V] | None:
        """What was made of the task at ``version`` (in a tuple: it may be ``None``
        itself), ``None`` if nothing was."""
        with self._lock:
            found = self._made.get(task_id)
            if found is None or version is None or found[0] != version:
                return None
            self._made.move_to_end(task_id)
            return (found[1],)

    def latest(self, task_id: str) -> tuple[_Version, _V] | None:
        """What was made of the task last and the version it was made of, whatever the
        version now (to bring it up to date rather than make it again)."""
        with self._lock:
            found = self._made.get(task_id)
            if found is not None:
                self._made.move_to_end(task_id)
            return found

    def keep(self, task_id: str, version: _Version | None, made: _V) -> None:
        """Remember ``made`` as made of the task at ``version`` (``None``: nothing is)."""
        if version is None:
            return
        with self._lock:
            self._made[task_id] = (version, made)
            self._made.move_to_end(task_id)
            while len(self._made) > self._size:
                self._made.popitem(last=False)

    def forget(self) -> None:
        """Forget everything made so far."""
        with self._lock:
            self._made.clear()
