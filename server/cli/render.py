"""How the command line shows results: one line per event or task, the verify report, JSON.

Human output is for a terminal: one line per item, long text cut to the terminal's width
(``COLUMNS`` when set, else the terminal, else 120), so a page never wraps into a wall.
``--json`` output is one compact JSON document, the core's result as it is.
"""

import re
import shutil
from typing import Any, TextIO

import msgspec

from journal_core import BadLine, TaskSummary, VerifyReport

__all__ = [
    "ProgressBar",
    "event_lines",
    "json_text",
    "size_text",
    "task_lines",
    "verify_lines",
]

_WHITESPACE = re.compile(r"\s+")
_ELLIPSIS = "…"
_MIN_TEXT_WIDTH = 20  # below this a cut text says nothing: let the terminal wrap instead
_TYPE_WIDTH = len("hypothesis")  # the longest event type, so texts start in one column
_MIB = 1024 * 1024


def json_text(value: object) -> str:
    """One compact JSON document for stdout: a result struct, a page, a report."""
    return msgspec.json.encode(value).decode()


def size_text(size_bytes: int) -> str:
    """A byte count as people read it: 512 bytes, 3.4 KiB, 12.0 MiB."""
    if size_bytes < 1024:
        return f"{size_bytes} bytes"
    if size_bytes < _MIB:
        return f"{size_bytes / 1024:.1f} KiB"
    return f"{size_bytes / _MIB:.1f} MiB"


def _one_line(text: str, width: int) -> str:
    """`text` with its line breaks and runs of spaces folded, cut to `width` characters."""
    flat = _WHITESPACE.sub(" ", text).strip()
    if len(flat) <= width:
        return flat
    return flat[: width - 1] + _ELLIPSIS


def _terminal_width() -> int:
    return shutil.get_terminal_size(fallback=(120, 24)).columns


def _event_line(event: dict[str, Any], task_width: int, columns: int) -> str:
    """`timestamp  task  type  text`, the text cut so the line fits in `columns`."""
    prefix = (
        f"{event.get('timestamp', '?')}  {event.get('task_id', '?')!s:<{task_width}}  "
        f"{event.get('type', '?')!s:<{_TYPE_WIDTH}}  "
    )
    width = max(columns - len(prefix), _MIN_TEXT_WIDTH)
    return prefix + _one_line(str(event.get("text", "")), width)


def event_lines(events: list[dict[str, Any]]) -> list[str]:
    """One line per event, task ids padded to the widest on the page."""
    task_width = max((len(str(e.get("task_id", "?"))) for e in events), default=0)
    columns = _terminal_width()
    return [_event_line(event, task_width, columns) for event in events]


def task_lines(tasks: list[TaskSummary]) -> list[str]:
    """`task  status  N events  last event at  title`, one line per task."""
    task_width = max((len(t.task_id) for t in tasks), default=0)
    count_width = max((len(str(t.event_count)) for t in tasks), default=0)
    columns = _terminal_width()
    lines = []
    for task in tasks:
        prefix = (
            f"{task.task_id:<{task_width}}  {task.status:<6}  "
            f"{task.event_count:>{count_width}} events  {task.last_event_at}  "
        )
        width = max(columns - len(prefix), _MIN_TEXT_WIDTH)
        lines.append(prefix + _one_line(task.title or "(untitled)", width))
    return lines


def _bad_line_text(bad: BadLine) -> str:
    where = f"byte {bad.offset}" if bad.line is None else f"line {bad.line} (byte {bad.offset})"
    return f"{where}: {bad.reason}"


def verify_lines(report: VerifyReport) -> list[str]:
    """Every bad line with its number, offset and reason, then a one-line summary."""
    count = len(report.bad_lines)
    verdict = "no bad lines" if count == 0 else f"{count} bad line{'s' if count > 1 else ''}"
    summary = (
        f"{report.path}: {size_text(report.size_bytes)}, {report.lines} lines, "
        f"{report.events} events, {verdict}"
    )
    return [*(_bad_line_text(bad) for bad in report.bad_lines), summary]


class ProgressBar:
    """A progress callback that draws a bar in place on a terminal, for long scans only.

    It draws nothing when the total is under `min_total` bytes (a short scan would only
    flicker) and redraws only when the whole percent changes, so a caller may report as
    often as it likes.
    """

    def __init__(self, stream: TextIO, label: str, min_total: int, width: int = 30) -> None:
        self._stream = stream
        self._label = label
        self._min_total = min_total
        self._width = width
        self._percent = -1
        self._drawn = 0  # length of the bar on screen, to wipe it at the end

    def __call__(self, done: int, total: int) -> None:
        if total < self._min_total:
            return
        percent = min(done * 100 // total, 100)
        if percent == self._percent:
            return
        self._percent = percent
        filled = self._width * percent // 100
        bar = (
            f"{self._label} [{'#' * filled}{'.' * (self._width - filled)}] {percent:3d}% "
            f"{done / _MIB:.1f}/{total / _MIB:.1f} MiB"
        )
        self._stream.write("\r" + bar)
        self._stream.flush()
        self._drawn = len(bar)

    def close(self) -> None:
        """Wipe the bar so what follows starts on a clean line."""
        if self._drawn:
            self._stream.write("\r" + " " * self._drawn + "\r")
            self._stream.flush()
            self._drawn = 0
