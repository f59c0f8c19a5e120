"""A progress bar for a long index build, drawn on stderr only when it is a terminal.

A build of a large journal takes tens of seconds in the foreground of whatever command
came first; a person at a terminal sees how far it is and about how long is left. In a
pipe, a log or an MCP server's stderr nothing is written: the bar is for eyes only.
"""

from __future__ import annotations

import sys
import time
from typing import Final, TextIO

_WIDTH: Final = 24  # cells of the bar itself


class BuildProgress:
    """Draws ``indexing [####....] 41% 120,000 events, about 9 s left`` over itself."""

    def __init__(self, start: int, target: int, stream: TextIO, what: str = "indexing") -> None:
        self._what = what  # what is being built: "indexing", "indexing text"
        self._start = start  # the bytes already indexed when the clock started
        self._target = target
        self._stream = stream
        self._began = time.monotonic()
        self._drawn = False

    @classmethod
    def on_terminal(cls, start: int, target: int, what: str = "indexing") -> BuildProgress | None:
        """A bar for a build that is at ``start`` of ``target`` bytes, if stderr is a
        terminal; the estimate comes from the pace from here on."""
        stream = sys.stderr
        try:
            if stream is None or not stream.isatty():
                return None
        except (AttributeError, ValueError):  # replaced by an object without isatty, or closed
            return None
        return cls(start, target, stream, what)

    def update(self, end: int, events: int) -> None:
        """Redraw the bar: the index reaches ``end`` bytes and holds ``events`` events."""
        share = min(1.0, max(0.0, end / max(1, self._target)))
        filled = round(share * _WIDTH)
        elapsed = time.monotonic() - self._began
        left = ""
        if end > self._start and share < 1:
            pace = (end - self._start) / max(elapsed, 1e-6)  # bytes a second
            left = f", about {(self._target - end) / pace:.0f} s left"
        bar = "#" * filled + "." * (_WIDTH - filled)
        self._write(f"\r{self._what} [{bar}] {share:4.0%} {events:,} events{left}\x1b[K")

    def close(self) -> None:
        """End the bar's line, so that what follows starts on a line of its own."""
        if self._drawn:
            self._write("\n")

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):  # the terminal went away: the build goes on
            return
        self._drawn = True
