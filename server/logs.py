"""The server's log on stderr: one line for an error that repeats, not one per repeat.

A failure that recurs in a loop (asyncio's accept() failing with EMFILE can log a
traceback a thousand times a second) would fill the client's log and the disk while
saying nothing new. RepeatFilter lets the first record of a kind through, drops the
same kind for a while, and then says how many it dropped.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["RepeatFilter"]

_Kind = tuple[str, int, str, type[BaseException] | None]


class RepeatFilter(logging.Filter):
    """Pass a record unless one of the same kind passed less than `interval` seconds ago.

    The kind is the logger, the level, the message before formatting and the exception's
    type, so "accept() out of system resource" with EMFILE is one kind, whatever the
    socket. The next record of a kind let through says how many were dropped before it.
    """

    def __init__(
        self,
        interval: float = 60.0,
        *,
        kinds: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._interval = interval
        self._kinds = kinds  # kinds remembered, so that f-string messages cannot grow it
        self._clock = clock
        # kind -> (when one last passed, how many were dropped since)
        self._seen: OrderedDict[_Kind, tuple[float, int]] = OrderedDict()

    def filter(self, record: logging.LogRecord) -> bool:
        kind = (
            record.name,
            record.levelno,
            str(record.msg),
            record.exc_info[0] if record.exc_info else None,
        )
        now = self._clock()
        seen = self._seen.get(kind)
        if seen is not None and now - seen[0] < self._interval:
            self._seen[kind] = (seen[0], seen[1] + 1)
            return False
        if seen is not None and seen[1]:
            record.msg = f"{record.msg} ({seen[1]} more like it not logged since the last one)"
        self._seen[kind] = (now, 0)
        self._seen.move_to_end(kind)
        if len(self._seen) > self._kinds:
            self._seen.popitem(last=False)
        return True
