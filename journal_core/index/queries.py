"""Reading the index: point questions, and pages of tasks and events.

Events come in canonical order (SPEC §6), ``(timestamp, event_id)``, whatever the
order of their lines: two journals holding the same events give the same pages. A
page walks an index in that order from the key where the page before ended. A time
window becomes a range of timestamp texts too (``text_bounds``), so that only its
part of the index is walked.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import heapq
import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NoReturn, TypeVar

import msgspec

from journal_core.cursor import (
    CURSOR_VERSION,
    CursorState,
    decode_cursor,
    decode_cursor_key,
    decode_event_cursor,
    encode_cursor,
    event_key_text,
    filters_digest,
)
from journal_core.errors import InvalidQuery, JournalUnavailable, TaskNotFound
from journal_core.filters import EventFilter, ReadFilter
from journal_core.fold import (
    MARKS,
    FoldEvent,
    Standing,
    TaskState,
    correction_of,
    decode_fold_event,
)
from journal_core.index import sql
from journal_core.index.catch_up import ALL_TYPE_CODES, TYPE_CODES, TaskRow
from journal_core.index.results import (
    PAGE_BYTES,
    TRUNCATED_NOTE,
    EventPage,
    TaskPage,
    TaskSummary,
    summary,
)
from journal_core.index.state import IndexState
from journal_core.journal_file import open_journal_file
from journal_core.query import check_limit, check_task_status, check_text_query
from journal_core.reader import decode_indexed, decode_spans, gc_paused

if TYPE_CHECKING:
    from journal_core.index.store import JournalStore

_E = TypeVar("_E")  # an event, as a decoder of indexed lines reads it
_page_encoder: Final = msgspec.json.Encoder()
# An indexed event as a page reads it: (offset, length, timestamp text, event id).
Row = tuple[int, int, str, str]
# The bounds of a walk in canonical order, as keys (ts, event_id, offset) that SQLite
# compares with each event's: numbers sort before text, text before blobs.
_Key = tuple[object, object, int]
_BELOW_ALL: Final[_Key] = (0, 0, 0)
_ABOVE_ALL: Final[_Key] = (b"", 0, 0)


class IndexView:
    """The index in one read transaction, caught up with the open journal ``fd``."""

    def __init__(
        self,
        store: JournalStore,
        conn: sqlite3.Connection,
        fd: int | None,
        state: IndexState,
        *,
        own_connection: bool = False,
    ) -> None:
        self.store = store
        self.conn = conn
        self.fd = fd
        self.state = state
        self.fts = store._use_fts
        self._own_connection = own_connection

    def release(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.conn.execute("COMMIT")
        if self._own_connection:
            self.conn.close()

    def line(self, offset: int, length: int) -> dict[str, Any]:
        """The event on the indexed line ``(offset, length)``."""
        assert self.fd is not None
        event = decode_indexed(os.pread(self.fd, length, offset))
        if event is None:
            self._changed(offset)
        return event

    def lines(
        self, rows: Sequence[tuple[int, int]], decode: Callable[[bytes], _E | None]
    ) -> list[_E]:
        """The events on the indexed lines ``(offset, length)``, in the order given."""
        assert self.fd is not None
        fd = self.fd
        with gc_paused():
            events = decode_spans(fd, rows, decode)
        for (offset, _), event in zip(rows, events, strict=True):
            if event is None:
                self._changed(offset)
        return events  # type: ignore[return-value]  # no None left, checked above

    def _changed(self, offset: int) -> NoReturn:
        # Cannot be: only events are indexed, and the file only grows.
        raise JournalUnavailable(self.store.path, f"the line at byte {offset} changed")

    # --- point queries ------------------------------------------------------------------

    def task_state(self, task_id: str) -> TaskState | None:
        """The fold's state of the task as indexed, ``None`` for a task with no events."""
        row = self.conn.execute(sql.READ_TASK, (task_id,)).fetchone()
        return None if row is None else TaskRow.from_row(row).state

    def has_open(self, task_id: str) -> bool:
        state = self.task_state(task_id)
        return state is not None and state.opened

    def find_key(self, key: str) -> dict[str, Any] | None:
        row = self.conn.execute(sql.KEY_EVENT, (key,)).fetchone()
        return None if row is None else self.line(row[0], row[1])

    def has_event(self, event_id: str) -> bool:
        return self.conn.execute(sql.HAS_EVENT, (event_id,)).fetchone() is not None

    def event_line(self, event_id: str) -> bytes | None:
        row = self.conn.execute(sql.EVENT_LINE, (event_id,)).fetchone()
        if row is None or self.fd is None:
            return None
        return os.pread(self.fd, row[1], row[0])

    def event_by_id(self, given: str) -> dict[str, Any]:
        """The event whose id is ``given``, or the only one whose id starts with it."""
        for prefix in dict.fromkeys((given, given.upper())):
            after = prefix[:-1] + chr(ord(prefix[-1]) + 1)
            rows = self.conn.execute(
                sql.EVENTS_WITH_ID_PREFIX, {"prefix": prefix, "after": after}
            ).fetchall()
            ids = list(dict.fromkeys(row[2] for row in rows))
            if prefix in ids:  # a whole id, even where it starts a longer one
                ids = [prefix]
            if len(ids) > 1:
                raise InvalidQuery(
                    "event_ids",
                    f"'{given}' starts several event ids ({', '.join(ids[:3])}, ...); "
                    "give more of it",
                )
            if ids:
                # An id on lines of several times (a broken journal): the first in
                # canonical order, wherever the lines are.
                offset, length, _, _ = min(
                    (row for row in rows if row[2] == ids[0]), key=lambda row: (row[3], row[0])
                )
                return self.line(offset, length)
        raise unknown_event(given)

    def task_ids_with_prefix(self, prefix: str) -> list[str]:
        rows = self.conn.execute(sql.TASK_IDS_WITH_PREFIX, {"prefix": prefix}).fetchall()
        return [row[0] for row in rows]

    def event_ids_with_prefix(self, prefix: str, limit: int) -> list[tuple[str, str]]:
        found = self.conn.execute(sql.EVENT_IDS_WITH_PREFIX, {"prefix": prefix, "limit": limit})
        return [(row[0], row[1]) for row in found]

    def count_tasks(self, status: str) -> int:
        return int(self.conn.execute(sql.COUNT_TASKS, {"status": status}).fetchone()[0])

    def subtasks(self, task_id: str) -> list[TaskSummary]:
        return [summary(row) for row in self.conn.execute(sql.SUBTASKS, (task_id,))]

    def newest_of_tasks(
        self, task_ids: Sequence[str], types: frozenset[str], each: int
    ) -> dict[str, list[FoldEvent]]:
        """Up to ``each`` newest events of ``types`` of each of the tasks, newest first in
        canonical order, in one query."""
        arguments = {"tasks": json.dumps(list(task_ids)), "mask": type_mask(types), "each": each}
        rows = self.conn.execute(sql.NEWEST_OF_TASKS, arguments).fetchall()
        events = self.lines([(offset, length) for _, offset, length in rows], decode_fold_event)
        found: dict[str, list[FoldEvent]] = {}
        for (task_id, _, _), event in zip(rows, events, strict=True):
            found.setdefault(task_id, []).append(event)
        return found

    def open_questions(self, task_id: str) -> int:
        arguments = {"task_id": task_id, "type": TYPE_CODES["hypothesis"]}
        return int(self.conn.execute(sql.COUNT_ACTIVE, arguments).fetchone()[0])

    def task_events(self, task_id: str, decode: Callable[[bytes], _E | None]) -> list[_E]:
        row = self.conn.execute(sql.TASK_STATE, (task_id,)).fetchone()
        if row is None:
            return []
        return self.lines(self.conn.execute(sql.ALL_TASK_EVENTS, (row[0],)).fetchall(), decode)

    def task_events_standing(
        self, task_id: str, decode: Callable[[bytes], _E | None]
    ) -> tuple[tuple[int, str] | None, list[_E], dict[str, Standing]]:
        """The task's version (``JournalStore.task_version``), its events (``task_events``),
        and where those of them that are not active stand, by id, as the fold said when it
        indexed them (``TaskFold.standings``): a fold of the task takes them as they are
        (``fold_task``). ``(None, [], {})`` for a task with no events."""
        row = self.conn.execute(sql.TASK_VERSION, (task_id,)).fetchone()
        if row is None:
            return None, [], {}
        number, count, newest = row
        events = self.lines(self.conn.execute(sql.ALL_TASK_EVENTS, (number,)).fetchall(), decode)
        standings = {
            event_id: Standing(mark=MARKS[mark], standing_by=standing_by, amended_by=amended_by)
            for event_id, mark, standing_by, amended_by in self.conn.execute(
                sql.TASK_STANDINGS, (number,)
            )
        }
        return (count, newest), events, standings

    def standings(self, offsets: Sequence[int]) -> list[Standing]:
        """Where the events on the indexed lines at ``offsets`` stand now, as the fold
        said when it indexed them (``journal_core.fold``), ``correction`` included: the
        standing of every search hit. An offset that is not an indexed line is active."""
        found: list[Standing] = []
        for offset in offsets:
            row = self.conn.execute(sql.STANDING_AT, (offset,)).fetchone()
            if row is None:
                found.append(Standing())
                continue
            task, mark, standing_by, amended_by = row
            standing = Standing(mark=MARKS[mark], standing_by=standing_by, amended_by=amended_by)
            correction = correction_of(standing, functools.partial(self._text_and_standing, task))
            if correction is not None:
                standing = msgspec.structs.replace(standing, correction=correction)
            found.append(standing)
        return found

    def _text_and_standing(self, task: int, event_id: str) -> tuple[str, Standing] | None:
        row = self.conn.execute(sql.FOLD_EVENT, {"event_id": event_id, "task": task}).fetchone()
        if row is None:
            return None
        offset, length, _, mark, standing_by, amended_by, _ = row
        text = self.line(offset, length).get("text")
        standing = Standing(mark=MARKS[mark], standing_by=standing_by, amended_by=amended_by)
        return (text if isinstance(text, str) else ""), standing

    # --- pages --------------------------------------------------------------------------

    def event_key(
        self, cursor: str | None, order: str, digest: bytes
    ) -> tuple[str, str, int] | None:
        """Where a page of events starts: after this key (``None`` for the first page)."""
        if cursor is None:
            return None
        assert self.fd is not None  # a read of events needs the file
        return decode_event_cursor(
            cursor,
            order=order,
            filters=digest,
            identity=(self.state.device, self.state.inode),
            size=self.state.end,
            fd=self.fd,
        )

    def event_cursor(self, order: str, digest: bytes) -> Callable[[Row], str]:
        """What makes the cursor of a page of events that ends at a row."""

        def after(row: Row) -> str:
            state = CursorState(
                CURSOR_VERSION,
                "events",
                order,
                row[0],
                digest,
                self.state.device,
                self.state.inode,
                key=event_key_text(row[2], row[3]),
            )
            return encode_cursor(state)

        return after

    def select(
        self, events: EventFilter, after: tuple[str, str, int] | None, order: str, count: int
    ) -> list[Row]:
        """Up to ``count`` of the ``events`` in canonical order (``newest``: reversed),
        from after the key ``after``."""
        task_id, wanted = events.task_id, events.types
        newest = order == "newest"
        lo, hi = _BELOW_ALL, _ABOVE_ALL
        if events.since is not None or events.until is not None:
            utc = self.conn.execute(sql.ANY_ZONED).fetchone() is None
            lo, hi = text_bounds(events.since, events.until, utc=utc)
        if after is not None:
            if newest:
                hi = after
            else:
                lo = after
        bounds = {
            "lo_ts": lo[0],
            "lo_id": lo[1],
            "lo_at": lo[2],
            "hi_ts": hi[0],
            "hi_id": hi[1],
            "hi_at": hi[2],
            "since": events.since,
            "until": events.until,
            "limit": count,
        }
        if task_id is not None:
            row = self.conn.execute(sql.TASK_STATE, (task_id,)).fetchone()
            if row is None:
                raise TaskNotFound(task_id)
            statement = sql.TASK_EVENTS_NEWEST if newest else sql.TASK_EVENTS_OLDEST
            return self.conn.execute(
                statement, {**bounds, "task": row[0], "mask": type_mask(wanted)}
            ).fetchall()
        # One walk of the type index per type (every type's, with no filter), merged: a
        # rare type costs little, and a type no line has a look in the index.
        codes = ALL_TYPE_CODES if wanted is None else [TYPE_CODES[name] for name in wanted]
        statement = sql.TYPE_EVENTS_NEWEST if newest else sql.TYPE_EVENTS_OLDEST
        runs = [self.conn.execute(statement, {**bounds, "type": code}).fetchall() for code in codes]
        merged = heapq.merge(*runs, key=_canonical, reverse=newest)
        return [row for _, row in zip(range(count), merged, strict=False)]

    def task_key(self, cursor: str | None, digest: bytes) -> str | None:
        """Where a page of tasks starts (``CursorState.key``), ``None`` for the first."""
        if cursor is None:
            return None
        return decode_cursor_key(
            cursor,
            kind="tasks",
            order="newest",
            filters=digest,
            identity=(self.state.device, self.state.inode),
        )

    def tasks(
        self, status: str, needle: str | None, after: str | None, count: int
    ) -> list[tuple[Any, ...]]:
        at, _, event_id = (after or "").partition("\x00")
        arguments = {
            "at": None if after is None else at,
            "id": event_id,
            "needle": needle,
            "limit": count,
        }
        if status == "any":
            return self.conn.execute(sql.TASKS_ANY, arguments).fetchall()
        return self.conn.execute(sql.TASKS_WITH_STATUS, {**arguments, "status": status}).fetchall()


def events_page(view: IndexView, read: ReadFilter, digest: bytes) -> EventPage:
    """A page of the events that match the filters, cut before ``PAGE_BYTES``.

    One event more than fits is looked at, to know whether to give a cursor.
    """
    order, limit = read.order, read.limit
    rows = view.select(read.events, view.event_key(read.cursor, order, digest), order, limit + 1)
    cursor_after = view.event_cursor(order, digest)
    events: list[dict[str, Any]] = []
    used = 0
    for at, (offset, length, _, _) in enumerate(rows):
        if len(events) == limit:
            return EventPage(events=events, next_cursor=cursor_after(rows[at - 1]))
        if events and used + length > PAGE_BYTES:
            return EventPage(
                events=events,
                next_cursor=cursor_after(rows[at - 1]),
                truncated=True,
                note=TRUNCATED_NOTE,
            )
        events.append(view.line(offset, length))
        used += length
    return EventPage(events=events, next_cursor=None)


def tasks_query(status: str, query: str | None, limit: int) -> tuple[str, str | None, int, bytes]:
    """A ``list_tasks`` query checked: its status, its needle, its limit and the digest
    its cursors carry."""
    status = check_task_status(status)
    needle = check_text_query(query)
    return status, needle, check_limit(limit), filters_digest(status, needle)


def tasks_page(
    view: IndexView, status: str, needle: str | None, cursor: str | None, limit: int, digest: bytes
) -> TaskPage:
    """A page of tasks, the latest activity first, cut before ``PAGE_BYTES``."""
    rows = view.tasks(status, needle, view.task_key(cursor, digest), limit + 1)
    summaries: list[TaskSummary] = []
    used = 0
    for row in rows[:limit]:
        entry = summary(row)
        # Measured as JSON: a title of control characters encodes to six bytes each.
        used += len(_page_encoder.encode(entry)) + 1
        if summaries and used > PAGE_BYTES:
            break
        summaries.append(entry)
    truncated = len(summaries) < len(rows[:limit])
    next_cursor = None
    if len(summaries) < len(rows):
        last = rows[len(summaries) - 1]
        next_cursor = encode_cursor(
            CursorState(
                CURSOR_VERSION,
                "tasks",
                "newest",
                0,
                digest,
                view.state.device,
                view.state.inode,
                key=f"{last[4]}\x00{last[6]}",
            )
        )
    return TaskPage(
        tasks=summaries,
        next_cursor=next_cursor,
        truncated=truncated,
        note=TRUNCATED_NOTE if truncated else None,
    )


def no_tasks(cursor: str | None, digest: bytes) -> TaskPage:
    """The tasks of a journal with no file: none (a cursor is still checked)."""
    _refuse_cursor_without_file(cursor, "tasks", "newest", digest)
    return TaskPage(tasks=[], next_cursor=None)


def unknown_event(given: str) -> InvalidQuery:
    return InvalidQuery("event_ids", f"no event '{given}' in this journal")


def type_mask(types: frozenset[str] | None) -> int | None:
    if types is None:
        return None
    return sum(1 << TYPE_CODES[name] for name in types)


@contextlib.contextmanager
def open_journal(path: Path) -> Iterator[int | None]:
    """A read-only descriptor on the journal, ``None`` if there is no file yet.

    Never through a symbolic link, and only a regular file (see ``open_journal_file``).
    """
    try:
        fd = open_journal_file(path)
    except FileNotFoundError:
        yield None
        return
    except OSError as exc:
        raise JournalUnavailable(path, exc.strerror or str(exc)) from exc
    try:
        yield fd
    finally:
        os.close(fd)


def no_events(cursor: str | None, order: str, digest: bytes) -> EventPage:
    _refuse_cursor_without_file(cursor, "events", order, digest)
    return EventPage(events=[], next_cursor=None)


def _refuse_cursor_without_file(cursor: str | None, kind: str, order: str, digest: bytes) -> None:
    if cursor is not None:
        decode_cursor(cursor, kind=kind, order=order, filters=digest, identity=None, size=0)


def text_bounds(since: float | None, until: float | None, *, utc: bool) -> tuple[_Key, _Key]:
    """Keys in canonical order between which every event in [since, until) is.

    An event has a time only if its timestamp starts with its date, ``YYYY-MM-DD``, in
    its own zone (``catch_up._seconds``): less than a day from its date in UTC. With
    ``utc`` (every time is written ``YYYY-MM-DDTHH:MM:SS`` in UTC, ``sql.ANY_ZONED``),
    its first 19 characters are its instant to the second.
    """
    lo, hi = _BELOW_ALL, _ABOVE_ALL
    if since is not None:
        text = _utc_text(since, 0 if utc else -_DAY, 19 if utc else 10)
        if text is not None:
            lo = (text, 0, 0)  # below every event at that text: ids sort above numbers
    if until is not None:
        text = _utc_text(until, 1 if utc else 2 * _DAY, 19 if utc else 10)
        if text is not None:
            hi = (text, 0, 0)
    return lo, hi


_DAY: Final = 86_400


def _utc_text(seconds: float, shift: int, length: int) -> str | None:
    """The first ``length`` characters of the UTC time ``shift`` seconds from the
    instant's whole second, ``None`` past the calendar's ends."""
    try:
        moment = dt.datetime.fromtimestamp(seconds // 1 + shift, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.isoformat()[:length]


def _canonical(row: Row) -> tuple[str, str, int]:
    return row[2], row[3], row[0]
