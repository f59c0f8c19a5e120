"""Catching up: the one path from new journal lines to the index's rows.

Each complete line after the index's end becomes a row of ``events`` (where the line
is, its type code, time, task and id, its standing and its timestamp's text), an
idempotency key and a change to its task's row. That is the structural part, all
that reads by task, type and time need. Each event's full-text document goes
in with it (``index_lines``) or, on a first build, after it (``index_texts``), so that
reads answer sooner. What a line changes in its task and in the standing of earlier
events is the fold's to say (``journal_core.fold``): this module only stores it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final, Protocol, TypeVar

import msgspec

from journal_core.fold import (
    MARKS,
    FoldEvent,
    Known,
    Standing,
    TaskState,
    decode_fold_event,
    effects,
    fold_task,
    names_nothing,
    rejections_with,
    words_of,
)
from journal_core.index import sql
from journal_core.index.state import IndexState, made_from, tail_digest
from journal_core.reader import (
    decode_line,
    decode_spans,
    forward_chunks,
    gc_paused,
    is_utf8,
    longest_fast_line,
    read_float,
    suspect,
    too_deep,
)
from journal_core.rules import EVENT_TYPES

TITLE_CHARS: Final = 200
TYPE_CODES: Final = {name: code for code, name in enumerate(EVENT_TYPES)}
_UNKNOWN_TYPE: Final = 255  # a newer writer's type: kept, never matched by a filter
# Every code a line may have, for a read of every type.
ALL_TYPE_CODES: Final = (*TYPE_CODES.values(), _UNKNOWN_TYPE)
MARK_CODES: Final = {mark: code for code, mark in enumerate(MARKS)}


class _Line(FoldEvent, gc=False):
    """What the index reads of a line: the fold's fields and the task. Decoding into it
    skips the rest, which ``event_of`` checks as ``decode_line`` would."""

    task_id: Any = None


line_decoder: Final = msgspec.json.Decoder(_Line, float_hook=read_float)


class TaskRow:
    """A task's row: the fold's state of the task (``journal_core.fold.TaskState``), its
    number and the offset of its last line, loaded and changed while catching up."""

    __slots__ = ("base", "last_offset", "number", "rows", "state", "step")

    def __init__(self, number: int, state: TaskState) -> None:
        self.number = number
        self.state = state
        self.last_offset = 0
        # Within a step (``step``): the task's rows so far, and the canonical key of its
        # last event before the step (``None``: it had none), for ``_Step.take_late``.
        self.step = -1
        self.rows: list[int] = []
        self.base: tuple[str, str] | None = None

    def enter(self, step: int) -> None:
        """Begin ``step`` for this task: no rows in it yet."""
        state = self.state
        self.step = step
        self.rows = []
        self.base = (state.last_event_at, state.last_event_id) if state.event_count else None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> TaskRow:
        state = TaskState(
            task_id=row[1],
            title=row[2],
            status=row[4],
            opened=bool(row[5]),
            created_at=row[7],
            last_event_at=row[8],
            event_count=row[9],
            parent_id=row[10],
            goal=row[11],
            titled=bool(row[12]),
            outcome=row[13],
            outcome_tag=row[14],
            opened_at=row[15],
            opened_by=row[16],
            last_event_id=row[17],
            first_event_id=row[18],
        )
        task = cls(row[0], state)
        task.last_offset = row[6]
        return task

    def row(self) -> tuple[Any, ...]:
        state = self.state
        title = _clip_title(state.title)
        return (
            self.number,
            state.task_id,
            title,
            title.casefold(),
            state.status,
            int(state.opened),
            self.last_offset,
            state.created_at,
            state.last_event_at,
            state.event_count,
            state.parent_id,
            state.goal,
            int(state.titled),
            state.outcome,
            state.outcome_tag,
            state.opened_at,
            state.opened_by,
            state.last_event_id,
            state.first_event_id,
        )


def _clip_title(title: str) -> str:
    title = title.strip()
    return title[: TITLE_CHARS - 1] + "…" if len(title) > TITLE_CHARS else title


# A late line before more than this many of its task's events (indexed, or of the step)
# folds its task again whole.
_LATER: Final = 64
_steps: Final = itertools.count()  # a number for each step, for ``TaskRow.enter``


class _Step:
    """The lines of one catch-up step: rows to insert, standings to change, and the tasks
    whose events came out of order (folded again, whole, at the end of the step)."""

    def __init__(self, conn: sqlite3.Connection, fd: int) -> None:
        self.conn = conn
        self.fd = fd
        # INSERT_EVENT's parameters: the standing columns keep their defaults (binding
        # three more values per row costs a third of the insert); a line whose standing
        # changes within the step has it in ``updates``, written after the insert.
        self.rows: list[tuple[int, int, int, float | None, int, str, str]] = []
        self.pending: dict[tuple[int, str], int] = {}  # (task, event id) -> index in rows
        self.texts: dict[int, str] = {}  # index in rows -> text, for rejections
        self.updates: dict[int, Standing] = {}  # offset of a line -> its new standing
        self.refold: dict[str, TaskRow] = {}
        self.late: set[int] = set()  # rows taken by ``take_late``, out of canonical order
        # Per task, its rejections by word (loaded when a decision first asks).
        self.rejection_words: dict[int, dict[str, list[tuple[str, str]]]] = {}
        self.askers_made: dict[
            int, tuple[Callable[[str], Known | None], Callable[[Sequence[str]], list[Known]]]
        ] = {}

    def known(self, task: int, event_id: str) -> tuple[Known, int] | None:
        """An earlier event of ``task``, and its offset."""
        at = self.pending.get((task, event_id))
        if at is not None:
            row = self.rows[at]
            standing = self.updates.get(row[0], _ACTIVE)
            known = Known(event_id=event_id, type=_type_name(row[2]), standing=standing)
            return known, row[0]
        found = self.earlier(task, event_id)
        if found is None:
            return None
        offset, _, code, mark, standing_by, amended_by, _ = found
        standing = self.updates.get(offset) or Standing(
            mark=MARKS[mark], standing_by=standing_by, amended_by=amended_by
        )
        return Known(event_id=event_id, type=_type_name(code), standing=standing), offset

    def earlier(self, task: int, event_id: str) -> Any:
        """FOLD_EVENT's row for an event of ``task`` indexed before the step, if any."""
        return self.conn.execute(sql.FOLD_EVENT, {"event_id": event_id, "task": task}).fetchone()

    def askers(
        self, task: int
    ) -> tuple[Callable[[str], Known | None], Callable[[Sequence[str]], list[Known]]]:
        """What ``fold.effects`` asks of ``task``'s earlier events, made once per task."""
        found = self.askers_made.get(task)
        if found is None:

            def find(event_id: str) -> Known | None:
                known = self.known(task, event_id)
                return None if known is None else known[0]

            found = self.askers_made[task] = (find, lambda words: self.rejections(task, words))
        return found

    def rejections(self, task: int, words: Sequence[str]) -> list[Known]:
        """The rejections of ``task`` so far whose text holds each of ``words``."""
        index = self.rejection_words.get(task)
        if index is None:
            index = self.rejection_words[task] = {}
            add_indexes(self.conn)
            arguments = {"type": TYPE_CODES["rejection"], "task": task}
            rows = self.conn.execute(sql.FOLD_EVENTS_OF_TYPE, arguments).fetchall()
            spans = [(offset, length) for offset, length, *_ in rows]
            events = decode_spans(self.fd, spans, decode_fold_event)
            for (_, _, event_id, *_), event in zip(rows, events, strict=True):
                if event is not None:
                    _index_words(index, event_id, _text(event.text))
            for (number, event_id), at in self.pending.items():
                if number == task and at in self.texts:
                    _index_words(index, event_id, self.texts[at])
        found: list[Known] = []
        for event_id, text in rejections_with(index, words):
            known = self.known(task, event_id)
            if known is not None:
                found.append(msgspec.structs.replace(known[0], text=text))
        return found

    def add_rejection(self, task: int, event_id: str, text: str) -> None:
        self.texts[len(self.rows)] = text
        index = self.rejection_words.get(task)
        if index is not None:
            _index_words(index, event_id, text)

    def apply(self, task: int, changed: dict[str, Standing]) -> None:
        for event_id, standing in changed.items():
            known = self.known(task, event_id)
            if known is not None:
                self.updates[known[1]] = standing

    def take_late(self, task: TaskRow, event: FoldEvent, key: tuple[str, str]) -> bool:
        """Whether the fold takes ``event``, which does not follow its task's last event,
        as it is (``TaskState.take_late``), given the task's events after it: those of
        this step, and those indexed before it (a few at most, else it is not asked)."""
        later: list[FoldEvent] = []
        if task.base is not None and key <= task.base:
            add_indexes(self.conn)
            arguments = {"task": task.number, "ts": key[0], "event_id": key[1], "most": _LATER}
            found = self.conn.execute(sql.TASK_LINES_AFTER, arguments).fetchall()
            if len(found) == _LATER:
                return False
            for other in decode_spans(self.fd, found, decode_fold_event):
                if other is None:
                    return False
                later.append(other)
        rows = self.rows
        # The task's rows taken in order have growing keys: walking back, the first of
        # them with a smaller key ends the search (a row taken late is smaller still
        # than the one in order before it). A long run of late rows would make each
        # walk longer than the last: past ``_LATER`` rows, the task is folded whole.
        for walked, at in enumerate(reversed(task.rows)):
            if walked == _LATER:
                return False
            row = rows[at]
            if (row[6], row[5]) > key:
                other = decode_fold_event(os.pread(self.fd, row[1], row[0]))
                if other is None:
                    return False
                later.append(other)
            elif at not in self.late:
                break
        if not task.state.take_late(event, key, later):
            return False
        self.late.add(len(rows))
        return True

    def time_of(self, task: int, event_id: str) -> str | None:
        """The timestamp text of an earlier line of ``task`` with ``event_id``, in the step
        or indexed before it; ``None`` if there is none."""
        at = self.pending.get((task, event_id))
        if at is not None:
            return self.rows[at][6]
        found = self.earlier(task, event_id)
        return None if found is None else str(found[6])


def _index_words(index: dict[str, list[tuple[str, str]]], event_id: str, text: str) -> None:
    for word in set(words_of(text)):
        index.setdefault(word, []).append((event_id, text))


def _type_name(code: int) -> str:
    return EVENT_TYPES[code] if code < len(EVENT_TYPES) else ""


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


_ACTIVE: Final = Standing(mark="active", standing_by=None, amended_by=None)


def _standing_row(standing: Standing) -> tuple[int, str | None, str | None]:
    return MARK_CODES[standing.mark], standing.standing_by, standing.amended_by


# A step's rows and structs form no cycles (see gc_paused); a collection while they are
# alive walks them all, and more than once in a big step.
@gc_paused()
def index_lines(
    conn: sqlite3.Connection,
    fd: int,
    state: IndexState,
    stop: int,
    tasks: dict[str, TaskRow],
    texts: bool,
) -> None:
    """Add the complete lines between ``state.end`` and ``stop``; advance ``state``.
    With ``texts`` (only where the full-text part is as far as the rest), their
    full-text documents too.

    Each task's state and its events' standing come from the fold, event by event while
    a task's events come in canonical order; a task that gets a line out of order (an
    older time appended later) is folded again whole at the end of the step. A line
    that repeats an event of its task (same id and time) gets no row: counted once.
    """
    from journal_core.search import document_fields

    step = _Step(conn, fd)
    serial = next(_steps)
    rows = step.rows
    documents: list[tuple[Any, ...]] = []
    keys: list[tuple[str, int]] = []
    touched: dict[str, TaskRow] = {}
    next_number = conn.execute(sql.LAST_TASK_NUMBER).fetchone()[0] + 1
    any_task = next_number > 1  # else no task has a row to look up
    type_code = TYPE_CODES.get
    refold = step.refold
    pending = step.pending
    # The hot loop of a first build (a million lines): names looked up once, and the
    # fold asked only for what it may change.
    for offset, length, _, event in event_lines(fd, state.end, stop, line_decoder.decode):
        task_id, kind, event_id = event.task_id, event.type, event.event_id
        task = tasks.get(task_id)
        if task is None:
            row = conn.execute(sql.READ_TASK, (task_id,)).fetchone() if any_task else None
            if row is None:
                task = TaskRow(next_number, TaskState(task_id=task_id))
                next_number += 1
            else:
                task = TaskRow.from_row(row)
            tasks[task_id] = task
        number = task.number
        if task.step != serial:
            task.enter(serial)
        key = (event.timestamp, event_id)
        if task.state.take(event, key):
            if task_id not in refold and not names_nothing(event, kind):
                changed = effects(event, *step.askers(number))
                if changed:
                    step.apply(number, changed)
        else:
            # A line out of order: the same event again (its id and time seen before in
            # its task) gets no row; another with its id, or one the fold cannot take as
            # it is, has its task folded again whole at the end of the step.
            seen = step.time_of(number, event_id)
            if seen == event.timestamp:
                continue
            if seen is not None or task_id in refold or not step.take_late(task, event, key):
                refold[task_id] = task
        task.rows.append(len(rows))
        touched[task_id] = task
        task.last_offset = offset
        pending[(number, event_id)] = len(rows)
        if kind == "rejection":
            step.add_rejection(number, event_id, _text(event.text))
        rows.append(
            (
                offset,
                length,
                type_code(kind, _UNKNOWN_TYPE),
                _seconds(event.timestamp),
                number,
                event_id,
                event.timestamp,
            )
        )
        meta = event.meta
        if texts:
            documents.append((offset, *document_fields(kind, event.text, meta, event.refs)))
        if meta:
            given = meta.get("idempotency_key") if isinstance(meta, dict) else None
            if isinstance(given, str):
                keys.append((given, offset))
    conn.executemany(sql.INSERT_EVENT, rows)
    conn.executemany(
        sql.SET_STANDING,
        [(*_standing_row(standing), offset) for offset, standing in step.updates.items()],
    )
    if documents:
        conn.executemany(sql.INSERT_FTS, documents)
    conn.executemany(sql.INSERT_KEY, keys)
    if refold:
        add_indexes(conn)
    for task in refold.values():
        _refold(conn, fd, task)
    conn.executemany(sql.WRITE_TASK, [task.row() for task in touched.values()])
    step.askers_made.clear()  # they refer to the step: freed now, not by the collector
    state.events += len(rows)
    if texts:
        state.text_end = stop
    state.end = stop
    state.tail = tail_digest(fd, stop)


def event_lines(
    fd: int, start: int, stop: int, decode: Callable[[bytes], _K]
) -> Iterator[tuple[int, int, bytes, _K]]:
    """``(offset, length, line, event)`` for each complete line in ``[start, stop)`` that
    is an event (``event_of``, with ``decode``), in file order."""
    longest = longest_fast_line()
    for base, block in forward_chunks(fd, start, stop):
        offset = base
        careful = suspect(block)
        checked = not careful and block.isascii()  # every line valid UTF-8, none too deep
        for raw in block.split(b"\n"):
            length = len(raw) + 1
            event = event_of(raw, longest, careful, checked, decode) if raw else None
            if event is not None:
                yield offset, length, raw, event
            offset += length


def add_indexes(conn: sqlite3.Connection) -> None:
    """Make the indexes that a catch-up leaves for its end (``sql.LATE_INDEXES``), where
    they are not made yet."""
    for statement in sql.LATE_INDEXES:
        conn.execute(statement)


class Keyed(Protocol):
    """What every struct a line is decoded into for the index holds."""

    event_id: Any
    task_id: Any
    type: Any
    timestamp: Any


_K = TypeVar("_K", bound=Keyed)


def event_of(
    raw: bytes,
    longest: int,
    careful: bool,
    checked: bool,
    decode: Callable[[bytes], _K],
) -> _K | None:
    """The event on ``raw`` (a line without its ``\\n``, not empty) as ``decode`` reads
    it, ``None`` where ``decode_line`` finds none: the same classification as every
    reader's, faster (the struct decoder skips the fields it does not read; those are
    checked as ``reader._is_event`` does). ``checked``: the line's block is known ASCII
    and not ``suspect`` (so is the line)."""
    if not checked and (not (raw.isascii() or is_utf8(raw)) or (careful and too_deep(raw))):
        return None
    if len(raw) >= longest and isinstance(decode_line(raw), str):
        return None  # an int too long to read, which the struct decoder might skip
    try:
        event = decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return None
    if (
        isinstance(event.event_id, str)
        and isinstance(event.task_id, str)
        and isinstance(event.type, str)
        and isinstance(event.timestamp, str)
    ):
        return event
    return None


def index_texts(conn: sqlite3.Connection, fd: int, state: IndexState, stop: int) -> None:
    """Add the full-text documents of the indexed lines between ``state.text_end`` and
    ``stop`` (a line's start, at most ``state.end``); advance ``state.text_end``."""
    from journal_core.search import document_fields

    start = state.text_end
    rows = conn.execute(sql.LINES_BETWEEN, (start, stop)).fetchall()
    data = os.pread(fd, stop - start, start)
    decode = _document_decoder.decode
    documents = []
    with gc_paused():
        for offset, length in rows:
            at = offset - start
            line = decode(data[at : at + length - 1])
            fields = document_fields(line.type, line.text, line.meta, line.refs)
            documents.append((offset, *fields))
        conn.executemany(sql.INSERT_FTS, documents)
    state.text_end = stop


class _Document(msgspec.Struct, gc=False):
    """What a full-text document is made of (``journal_core.search.document_fields``)."""

    type: Any = None
    text: Any = None
    meta: Any = None
    refs: Any = None


# Only indexed lines are read with it: each was found an event, so it decodes.
_document_decoder: Final = msgspec.json.Decoder(_Document, float_hook=read_float)


def _refold(conn: sqlite3.Connection, fd: int, task: TaskRow) -> None:
    """Fold the task again from all its indexed lines: its state and every standing."""
    lines = conn.execute(sql.TASK_LINES, (task.number,)).fetchall()
    offsets: dict[str, int] = {}
    events: list[FoldEvent] = []
    decoded = decode_spans(fd, [(offset, length) for offset, length, _ in lines], decode_fold_event)
    for (offset, _, event_id), event in zip(lines, decoded, strict=True):
        if event is not None:
            events.append(event)
            offsets[event_id] = offset
    fold = fold_task(task.state.task_id, events)
    task.state = fold.state
    conn.execute(sql.CLEAR_STANDINGS, (task.number,))
    conn.executemany(
        sql.SET_STANDING,
        [
            (*_standing_row(standing), offsets[event_id])
            for event_id, standing in fold.standings().items()
            if event_id in offsets
        ],
    )


def reset(conn: sqlite3.Connection, fts: bool) -> None:
    for statement in (*sql.DROP, *sql.CREATE):
        conn.execute(statement)
    if fts:
        conn.execute(sql.CREATE_FTS)


def trusted(state: IndexState, fd: int, identity: tuple[int, int], fts: bool) -> bool:
    """Whether the index was made from this file (``made_from``), with full-text search
    if this process has it."""
    return made_from(state, fd, identity) and state.fts == fts


@contextlib.contextmanager
def committed(conn: sqlite3.Connection) -> Iterator[None]:
    """Commit the transaction begun on ``conn`` once the block is done (by its end or a
    ``return``); roll it back if the block or the commit raises."""
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise


def write_state(conn: sqlite3.Connection, state: IndexState) -> None:
    conn.execute(
        sql.WRITE_STATE,
        {
            "schema": state.schema,
            "device": state.device,
            "inode": state.inode,
            "end_offset": state.end,
            "tail": state.tail,
            "events": state.events,
            "fts": int(state.fts),
            "rules": state.rules,
            "text_end": state.text_end,
        },
    )


def empty_state(identity: tuple[int, int], fts: bool) -> IndexState:
    return IndexState(
        fts=fts,
        schema=sql.SCHEMA_VERSION,
        device=identity[0],
        inode=identity[1],
        end=0,
        tail=tail_digest(-1, 0),
        events=0,
    )


def _seconds(timestamp: str) -> float | None:
    """POSIX seconds of an RFC 3339 timestamp; ``None`` when it is not one.

    Only a timestamp that starts with its date as ``YYYY-MM-DD`` has a time (ISO 8601's
    other forms, ``20261125T...`` or week dates, are not RFC 3339): the text of such a
    one is within a day of its instant, which bounds the time filters of reads in
    canonical order (``queries.text_bounds``).
    """
    if timestamp[4:5] != "-" or timestamp[7:8] != "-":
        return None
    try:
        moment = dt.datetime.fromisoformat(timestamp)
    except ValueError:
        return None
    return None if moment.tzinfo is None else moment.timestamp()
