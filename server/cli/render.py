"""How the command line shows results to people: event and task lines, a task's story, JSON.

Human output is laid out for whoever reads it. On a terminal it has colour (unless
``NO_COLOR`` is set) and long lines are cut to its width (``COLUMNS`` wins). Through a
pipe it is plain text whose lines are never cut, so scripts see every word and the same
layout every time. ``--json`` output is one compact JSON document, the core's result as
it is.

Whatever an event holds is shown harmlessly: control characters (a terminal escape
that would set the window title, a carriage return that would overwrite the line) are
printed as visible escapes like ``\\x1b``, in every human path.

Colour and layout are written here by hand rather than with ``rich``: the little needed
(a few SGR codes, padding, cutting) is a few lines, and importing ``rich`` would add about
45 ms to every start of ``task-journal``, which hooks and the status line pay each time.
"""

import datetime as dt
import json
import os
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any, Final, TextIO, TypeGuard

import msgspec

from journal_core import BadLine, TaskSummary, VerifyReport, visible, visible_document
from server.cli.story import Change, TaskStory, meta_of, text_of
from server.cli.when import ago_text, local_text

__all__ = [
    "SHORT_ID",
    "Look",
    "ProgressBar",
    "count_text",
    "event_block",
    "event_lines",
    "json_text",
    "short_id",
    "size_text",
    "story_header",
    "task_lines",
    "verify_lines",
    "visible",
    "visible_document",
]

SHORT_ID: Final = 12  # ULID characters shown: the millisecond and two random characters
_WHITESPACE = re.compile(r"\s+")
_MARK = re.compile(r"\*\*(.+?)\*\*")  # a matched word in a search snippet
_ELLIPSIS = "…"
_MIN_TEXT_WIDTH = 20  # below this a cut text says nothing: let the terminal wrap instead
_TYPE_WIDTH = len("hypothesis")  # the longest event type, so texts start in one column
_TASK_WIDTH = len("tj-") + 10  # a new task id; longer foreign ids widen their page only
_INDENT = "    "
_MIB = 1024 * 1024

# SGR codes, as git colours its log: ids yellow, labels and times dim.
_STYLES: Final = {
    "id": "33",
    "task": "36",
    "type": "1",
    "dim": "2",
    "open": "32",
    "closed": "34",
    "title": "1",
    "match": "1",
}


def now() -> dt.datetime:
    """The local time now, that "3 hours ago" counts from (tests set it)."""
    return dt.datetime.now().astimezone()


class Look(msgspec.Struct, frozen=True):
    """How human output looks on one stream: colour or not, the width to cut lines to
    (``None``: never cut), and the time "3 hours ago" is counted from."""

    colour: bool
    width: int | None
    now: dt.datetime

    @classmethod
    def of(cls, stream: TextIO) -> "Look":
        terminal = stream.isatty()
        colour = terminal and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
        width = None
        columns = os.environ.get("COLUMNS", "")
        if columns.isdigit() and int(columns) > 0:
            width = int(columns)
        elif terminal:
            # os, not shutil: shutil imports the compression modules, 8 ms of start-up.
            try:
                width = os.get_terminal_size(stream.fileno()).columns or None
            except OSError:
                width = None
        return cls(colour=colour, width=width, now=now())

    def paint(self, text: str, style: str) -> str:
        if not self.colour or not text:
            return text
        return f"\x1b[{_STYLES[style]}m{text}\x1b[m"

    def cut(self, text: str, used: int) -> str:
        """``text`` cut so that it fits in the rest of the line after ``used`` columns.

        Columns, not characters: a CJK character or an emoji takes two, a combining
        accent none.
        """
        if self.width is None:
            return text
        room = max(self.width - used, _MIN_TEXT_WIDTH)
        fitted = _fit(text, room)
        if len(fitted) == len(text):
            return text
        return _fit(fitted, room - 1) + _ELLIPSIS


def _columns(character: str) -> int:
    if unicodedata.combining(character):
        return 0
    return 2 if unicodedata.east_asian_width(character) in "WF" else 1


def _fit(text: str, room: int) -> str:
    """The longest start of ``text`` that takes at most ``room`` columns."""
    columns = 0
    for index, character in enumerate(text):
        columns += _columns(character)
        if columns > room:
            return text[:index]
    return text


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


def count_text(count: int, thing: str) -> str:
    """``1 event``, ``2 events``."""
    return f"{count} {thing}" if count == 1 else f"{count} {thing}s"


def short_id(event_id: object) -> str:
    return visible(text_of(event_id)[:SHORT_ID]) or "?"


def _one_line(text: str) -> str:
    """``text`` with its line breaks and runs of spaces folded, its controls made visible."""
    return visible(_WHITESPACE.sub(" ", text).strip())


def _field(event: dict[str, Any], name: str) -> str:
    return visible(str(event.get(name, "?")))


def _event_line(event: dict[str, Any], look: Look, task_width: int, *, marked: bool) -> str:
    """``short id  local time  task  type  text``, the text cut to the line's room; with
    ``marked``, the text's ``**word**`` marks (a search snippet's) shown as bold."""
    cells = (
        (short_id(event.get("event_id")), "id", SHORT_ID),
        (local_text(text_of(event.get("timestamp")), seconds=False), "dim", 0),
        (_field(event, "task_id"), "task", task_width),
        (_field(event, "type"), "type", _TYPE_WIDTH),
    )
    prefix = ""
    used = 0
    for value, style, width in cells:
        padded = value.ljust(width)
        prefix += look.paint(value, style) + padded[len(value) :] + "  "
        used += len(padded) + 2
    text = text_of(event.get("text"))
    if not marked:
        return prefix + look.cut(_one_line(text), used)
    # The odd pieces were marked; a snippet's spaces are folded already.
    pieces = [visible(_WHITESPACE.sub(" ", piece)) for piece in _MARK.split(text)]
    shown = look.cut("".join(pieces), used)
    painted, start = "", 0
    for index, piece in enumerate(pieces):
        part = shown[start : start + len(piece)]
        painted += look.paint(part, "match") if index % 2 else part
        start += len(piece)
    return prefix + painted + shown[start:]


def event_lines(
    events: list[dict[str, Any]], look: Look | None = None, *, marked: bool = False
) -> list[str]:
    """One line per event, task ids padded to a common width; ``look`` is stdout's unless
    given. ``marked``: the texts are search snippets, whose ``**`` marks become bold on a
    terminal and vanish elsewhere."""
    look = look or Look.of(sys.stdout)
    task_width = max((len(_field(e, "task_id")) for e in events), default=0)
    return [
        _event_line(event, look, max(task_width, _TASK_WIDTH), marked=marked) for event in events
    ]


def _when(timestamp: str, look: Look) -> str:
    return f"{local_text(timestamp)} ({ago_text(timestamp, look.now)})"


def _value_text(value: object) -> str:
    """A meta value: a string as it is, anything else as compact JSON."""
    if isinstance(value, str):
        return _one_line(value)
    try:
        return _one_line(json.dumps(value, ensure_ascii=False))
    except (TypeError, ValueError, RecursionError):
        return _one_line(repr(value))


def _are_alternatives(value: object) -> TypeGuard[list[dict[str, Any]]]:
    """Whether a decision's ``meta.alternatives`` has the shape SPEC §1 gives it (a
    foreign writer's may not: that is shown as JSON)."""
    return isinstance(value, list) and all(
        isinstance(item, dict) and isinstance(item.get("option"), str) for item in value
    )


def _alternative_detail(alternative: dict[str, Any], look: Look) -> str:
    """``alternative: retry loop (passed over): racy``, one line per option weighed."""
    chosen = "chosen" if alternative.get("chosen") is True else "passed over"
    text = f"{_one_line(alternative['option'])} ({chosen})"
    rationale = alternative.get("rationale")
    if isinstance(rationale, str) and rationale.strip():
        text += f": {_one_line(rationale)}"
    return _detail("alternative", text, look)


def _detail(label: str, value: str, look: Look) -> str:
    label_text = f"{label}:"
    return f"{_INDENT}{look.paint(label_text, 'dim')} {value}"


def _refs_details(event: dict[str, Any], look: Look) -> Iterable[str]:
    refs = event.get("refs")
    if not isinstance(refs, dict):
        return
    for kind, values in refs.items():
        if isinstance(values, list) and values:
            shown = ", ".join(_value_text(value) for value in values)
            yield _detail(visible(str(kind)), shown, look)


def _change_text(change: Change, look: Look) -> str:
    what = f"{change.how} by {short_id(change.event_id)}"
    return (
        f"{_INDENT}{look.paint(what, 'id')} ({visible(change.type)}, "
        f"{ago_text(change.timestamp, look.now)}): {_one_line(change.text)}"
    )


def event_block(
    event: dict[str, Any],
    look: Look,
    *,
    with_task: bool,
    changes: Sequence[Change] = (),
    targets: dict[str, str] | None = None,
) -> list[str]:
    """An event in full, as ``show`` and ``read --long`` print it.

    A head line (short id, type, task when ``with_task``, author and source, local time
    and how long ago), the text as written, then refs, meta and the other fields, one
    per line. ``changes`` are later events that correct or supersede this one;
    ``targets`` maps the ids of events this one may change to their texts.
    """
    head = [
        look.paint(short_id(event.get("event_id")), "id"),
        look.paint(_field(event, "type"), "type"),
    ]
    if with_task:
        head.append(look.paint(_field(event, "task_id"), "task"))
    head.append(f"by {_field(event, 'author')} via {_field(event, 'source')}")
    head.append(look.paint(_when(text_of(event.get("timestamp")), look), "dim"))
    lines = ["  ".join(head)]
    text = text_of(event.get("text")).expandtabs(4).strip("\r\n")
    lines.extend(_INDENT + visible(line) for line in text.splitlines() or [""])
    for name in ("corrects", "supersedes"):
        changed = event.get(name)
        if changed is None:
            continue
        said = f"{name} {short_id(changed)}"
        line = f"{_INDENT}{look.paint(said, 'id')}"
        if targets and isinstance(changed, str) and changed in targets:
            line += f": {_one_line(targets[changed])}"
        lines.append(line)
    lines.extend(_refs_details(event, look))
    for key, value in meta_of(event).items():
        if key == "alternatives" and _are_alternatives(value):
            lines.extend(_alternative_detail(alternative, look) for alternative in value)
        else:
            lines.append(_detail(visible(str(key)), _value_text(value), look))
    for name in ("confidence", "evidence_strength", "status"):
        value = event.get(name)
        if value is not None and not (name == "status" and value == "confirmed"):
            lines.append(_detail(name.replace("_", " "), _value_text(value), look))
    lines.extend(_change_text(change, look) for change in changes)
    return lines


def story_header(story: TaskStory, look: Look) -> list[str]:
    """The top of ``show``: the task's id and title, status, goal, outcome, when opened."""
    lines = [
        f"{look.paint(visible(story.task_id), 'task')}  "
        f"{look.paint(_one_line(story.title) or '(untitled)', 'title')}"
    ]
    status = look.paint(story.status, "open" if story.status == "open" else "closed")
    if story.status == "closed" and story.outcome_tag:
        status += f" ({visible(story.outcome_tag)})"
    status += f", last event {ago_text(story.last_at, look.now)}"
    lines.append(_detail("status", status, look))
    if story.goal:
        lines.append(_detail("goal", _one_line(story.goal), look))
    if story.status == "closed" and story.outcome:
        lines.append(_detail("outcome", _one_line(story.outcome), look))
    if story.opened_at:
        opened = f"{_when(story.opened_at, look)} by {visible(story.opened_by or '?')}"
        lines.append(_detail("opened", opened, look))
    lines.append(_detail("events", str(story.event_count), look))
    return lines


def task_lines(tasks: list[TaskSummary], look: Look | None = None) -> list[str]:
    """``task  status  N events  last event  title``, one line per task; ``look`` is
    stdout's unless given."""
    look = look or Look.of(sys.stdout)
    task_width = max([_TASK_WIDTH, *(len(visible(t.task_id)) for t in tasks)])
    count_width = max((len(count_text(t.event_count, "event")) for t in tasks), default=0)
    lines = []
    for task in tasks:
        task_id = visible(task.task_id)
        count = count_text(task.event_count, "event")
        when = local_text(task.last_event_at, seconds=False)
        prefix = (
            f"{look.paint(task_id, 'task')}{' ' * (task_width - len(task_id))}  "
            f"{look.paint(task.status, task.status if task.status in _STYLES else 'dim')}"
            f"{' ' * (6 - len(task.status))}  {count:<{count_width}}  {when}  "
        )
        used = task_width + 2 + max(6, len(task.status)) + 2 + count_width + 2 + len(when) + 2
        lines.append(prefix + look.cut(_one_line(task.title) or "(untitled)", used))
    return lines


def _bad_line_text(bad: BadLine) -> str:
    where = f"byte {bad.offset}" if bad.line is None else f"line {bad.line} (byte {bad.offset})"
    return f"{where}: {visible(bad.reason)}"


def verify_lines(report: VerifyReport) -> list[str]:
    """Every bad line with its number, offset and reason, then a one-line summary."""
    verdict = (
        "no bad lines" if not report.bad_lines else count_text(len(report.bad_lines), "bad line")
    )
    summary = (
        f"{visible(report.path)}: {size_text(report.size_bytes)}, "
        f"{count_text(report.lines, 'line')}, {count_text(report.events, 'event')}, {verdict}"
    )
    differs = [f"index: {visible(line)}" for line in report.index_differences]
    if differs:
        differs.append(
            "index: it differs from the journal; run 'task-journal rebuild-state' to build it again"
        )
    return [*(_bad_line_text(bad) for bad in report.bad_lines), *differs, summary]


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
