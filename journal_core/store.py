"""The derived index (SPEC §6): a SQLite database beside the journal, never the truth.

``<journal>.index.sqlite`` holds where each event's line is (offset, length, type,
time, task, id), each task's state, the idempotency keys and the full-text index,
and records how far into which file it has read: device, inode, end offset and a
digest of the bytes just before that end, with its schema version. Before any
answer the record is checked against the file; a deleted, stale, foreign,
truncated or older-schema index is dropped and built again, and a corrupt one is
deleted and built again: it is never believed.

Any process brings the index up to date by reading only the lines appended since
its end, whoever wrote them (``_catch_up``, the one piece of code that turns lines
into derived state). Catching up is a series of write transactions of at most
``_STEP_BYTES`` each, so a process killed midway leaves an index that is correct
as far as it goes, and processes catching up at once take turns instead of
repeating each other's work. Results are read back from the journal by offset.

An index that cannot be written (read-only folder, full disk, a lock held too
long) is replaced, for the rest of the process, by one in memory built the same
way, with one warning: reading and appending never fail because of the index.
Where SQLite has no FTS5, search scans the journal instead, with one warning.

File order is nearly, not strictly, time order (several processes append, and
their clocks differ a little), so times cannot be bisected. Two bounds per block
of ``_BLOCK`` events can: the greatest time up to the block's end, and the least
from its start on. Both never decrease, so ``since`` and ``until`` find a range of
offsets outside which no event matches, and only that range is looked at.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import heapq
import logging
import math
import os
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NoReturn, TypeVar

import msgspec

from journal_core import sql
from journal_core.cursor import (
    CURSOR_VERSION,
    CursorState,
    decode_cursor,
    encode_cursor,
    filters_digest,
)
from journal_core.errors import InvalidQuery, JournalUnavailable
from journal_core.events import EVENT_TYPES
from journal_core.index_state import (
    NO_END,
    IndexState,
    holds,
    index_path_of,
    made_from,
    read_state,
    tail_digest,
)
from journal_core.journal_file import complete_end, open_journal_file
from journal_core.query import (
    DEFAULT_LIMIT,
    check_event_ids,
    check_limit,
    check_order,
    check_task_id,
    check_task_status,
    check_text_query,
    check_types,
    parse_instant,
)
from journal_core.reader import (
    backward_lines,
    decode_indexed,
    decode_line,
    forward_chunks,
    gc_paused,
)

if TYPE_CHECKING:
    from journal_core.search import Query

log = logging.getLogger(__name__)

# About 20,000 tokens of JSON, at roughly 4 bytes a token.
PAGE_BYTES: Final = 80_000
TRUNCATED_NOTE: Final = (
    "This page was cut short to stay under about 20,000 tokens; "
    "call again with cursor=next_cursor for the rest."
)
TITLE_CHARS: Final = 200
_page_encoder: Final = msgspec.json.Encoder()
_BLOCK = 64  # events per pair of time bounds (tests make it smaller)
# The most journal bytes one catch-up transaction takes in.
_STEP_BYTES: Final = 16 * 1024 * 1024
# How long to wait for another process's catch-up transaction before giving up on
# the file (then the index lives in memory for this process).
_BUSY_TIMEOUT_S: Final = 30.0

_TYPE_CODES: Final = {name: code for code, name in enumerate(EVENT_TYPES)}
_UNKNOWN_TYPE: Final = 255  # a newer writer's type: kept, never matched by a filter
_STATE_TYPES: Final = frozenset({"open", "reopen", "close", "rename", "redirect"})
# SQLite's primary result codes for a file that is not a sound database.
_CORRUPT_CODES: Final = frozenset({11, 26})  # SQLITE_CORRUPT, SQLITE_NOTADB
_SQLITE_ERROR: Final = 1  # what a malformed MATCH expression gives
# Past this many matches a query is broad: ranking them all by BM25 would cost in
# proportion to the matches, not to the page, so its hits come newest first.
BROAD_MATCHES: Final = 1000

_T = TypeVar("_T")
_E = TypeVar("_E")  # an event, as a decoder of indexed lines reads it


class TaskSummary(msgspec.Struct, frozen=True, kw_only=True):
    """One task as ``list_tasks`` shows it."""

    task_id: str
    title: str
    status: str  # "open" or "closed"
    created_at: str
    last_event_at: str
    event_count: int


class TaskPage(msgspec.Struct, frozen=True, kw_only=True):
    tasks: list[TaskSummary]
    next_cursor: str | None
    truncated: bool = False
    note: str | None = None


class EventPage(msgspec.Struct, frozen=True, kw_only=True):
    """Events as the plain objects of their lines; ``next_cursor`` is ``None`` at the end."""

    events: list[dict[str, Any]]
    next_cursor: str | None
    truncated: bool = False
    note: str | None = None


class TaskState(msgspec.Struct, frozen=True, kw_only=True):
    """What admission needs of a task: whether it was opened, and its status now."""

    opened: bool
    status: str


class IndexStatus(msgspec.Struct, frozen=True, kw_only=True):
    """How the index of one journal stands, for ``doctor`` and ``rebuild-state``."""

    path: str
    ok: bool
    problem: str | None
    fts5: bool
    events_indexed: int
    bytes_indexed: int
    journal_bytes: int


class Hit(msgspec.Struct, frozen=True, kw_only=True):
    """One search match: higher ``score`` is better; ``offset`` breaks ties (later wins)."""

    score: float
    offset: int
    event: dict[str, Any]
    title: str


class Found(msgspec.Struct, frozen=True, kw_only=True):
    """A page of search matches: best first, or newest first when ``broad`` (the query
    matched more than ``BROAD_MATCHES`` events, too many to rank; their score is 0)."""

    hits: list[Hit]
    broad: bool


class _Task:
    """A task's row, loaded and changed while catching up."""

    __slots__ = (
        "created_at",
        "event_count",
        "folded_title",
        "goal",
        "last_event_at",
        "last_offset",
        "number",
        "opened",
        "parent_id",
        "status",
        "task_id",
        "title",
    )

    def __init__(self, number: int, task_id: str) -> None:
        self.number = number
        self.task_id = task_id
        self.title = ""
        self.folded_title = ""
        self.status = "open"
        self.opened = False
        self.last_offset = 0
        self.created_at = ""
        self.last_event_at = ""
        self.event_count = 0
        self.parent_id: str | None = None
        self.goal: str | None = None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> _Task:
        task = cls(row[0], row[1])
        (
            task.title,
            task.folded_title,
            task.status,
            opened,
            task.last_offset,
            task.created_at,
            task.last_event_at,
            task.event_count,
            task.parent_id,
            task.goal,
        ) = row[2:]
        task.opened = bool(opened)
        return task

    def row(self) -> tuple[Any, ...]:
        return (
            self.number,
            self.task_id,
            self.title,
            self.folded_title,
            self.status,
            int(self.opened),
            self.last_offset,
            self.created_at,
            self.last_event_at,
            self.event_count,
            self.parent_id,
            self.goal,
        )

    def set_title(self, title: object) -> None:
        if isinstance(title, str) and title.strip():
            title = title.strip()
            if len(title) > TITLE_CHARS:
                title = title[: TITLE_CHARS - 1] + "…"
            self.title = title
            self.folded_title = title.casefold()


def fts5_available() -> bool:
    """Whether this Python's SQLite was built with FTS5 (most are, not all)."""
    with contextlib.closing(sqlite3.connect(":memory:")) as conn:
        return bool(conn.execute(sql.FTS5_AVAILABLE).fetchone()[0])


class _IndexUnusable(Exception):
    """The index file cannot serve this process (unwritable, full, locked too long)."""


class JournalStore:
    """The derived index of one journal; thread-safe. See the module docstring."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.index_path = index_path_of(self.path)
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._conn_identity: tuple[int, int] | None = None
        self._in_memory = False
        self._problem: str | None = None
        self._fts = fts5_available()
        self._warned_scan = False
        self._force_reset = False

    # --- keeping current ----------------------------------------------------------

    def refresh(self) -> None:
        """Catch up with the file's end (whole lines only), rebuilding what cannot be trusted."""
        self._run(lambda view: None)

    def build(self) -> None:
        """Bring the index up to date now, so that the first query does not pay for it."""
        self.refresh()

    def rebuild(self) -> None:
        """Drop the index and build it again from the journal."""
        with self._lock:
            self._force_reset = True
            self.refresh()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def status(self) -> IndexStatus:
        """Where the index is, whether it is in use, and how much it holds."""
        journal_bytes = 0
        with contextlib.suppress(FileNotFoundError):
            journal_bytes = os.stat(self.path).st_size
        events, end = self._run(lambda view: (view.state.events, view.state.end))
        return IndexStatus(
            path=str(self.index_path),
            ok=self._problem is None,
            problem=self._problem,
            fts5=self._fts,
            events_indexed=events,
            bytes_indexed=end,
            journal_bytes=journal_bytes,
        )

    def query(self, work: Callable[[IndexView], _T], *, up_to: int | None = None) -> _T:
        """``work`` on the index caught up with the file and held still: for several
        checks in a row (admission, under the journal's write lock). ``work`` may be
        run again, on an index built anew, if the first one failed under it.

        With ``up_to``, the index need only reach the last whole line at or before that
        offset: the caller knows the lines after it by other means.
        """
        return self._run(work, up_to=up_to)

    # --- point queries --------------------------------------------------------------

    def has_open(self, task_id: str) -> bool:
        """Whether the task has an ``open`` event."""
        return self._run(lambda view: view.has_open(task_id))

    def find_key(self, key: str) -> dict[str, Any] | None:
        """The first event whose ``meta.idempotency_key`` is ``key``."""
        return self._run(lambda view: view.find_key(key))

    def has_event(self, event_id: str) -> bool:
        return self._run(lambda view: view.has_event(event_id))

    def task_ids_with_prefix(self, prefix: str) -> list[str]:
        """The ids of the tasks that start with ``prefix``, sorted (for ids taken by a
        unique prefix, as git takes commit ids)."""
        return self._run(lambda view: view.task_ids_with_prefix(prefix), empty=list)

    def subtasks(self, task_id: str) -> list[TaskSummary]:
        """The tasks whose ``open`` event's ``meta.parent_id`` is ``task_id``, in the order
        they were opened."""
        return self._run(lambda view: view.subtasks(task_id), empty=list)

    def task_events(self, task_id: str, decode: Callable[[bytes], _E | None]) -> list[_E]:
        """Every event of the task, oldest first, each line read by ``decode``
        (``decode_indexed`` for plain dicts); ``[]`` for a task with none."""
        return self._run(lambda view: view.task_events(task_id, decode), empty=list)

    def count_tasks(self, status: str = "open") -> int:
        """How many tasks have this status (``open``, ``closed`` or ``any``)."""
        status = check_task_status(status)
        return self._run(lambda view: view.count_tasks(status), empty=lambda: 0)

    # --- reading ----------------------------------------------------------------------

    def read_events(
        self,
        *,
        task_id: str | None = None,
        types: Sequence[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
        order: str = "newest",
    ) -> EventPage:
        """A page of events matching every filter given, newest or oldest first.

        Raises ``InvalidQuery`` for a bad argument or cursor, and for a
        ``task_id`` with no events at all.
        """
        task_id = check_task_id(task_id)
        wanted = check_types(types)
        since_s = parse_instant("since", since)
        until_s = parse_instant("until", until)
        limit = check_limit(limit)
        order = check_order(order)
        digest = filters_digest(task_id, sorted(wanted or ()), since_s, until_s)
        if task_id is None and wanted is None and since_s is None and until_s is None:
            # Unfiltered reads need no index: the newest events of a huge journal come
            # back at once, even where the index is not built yet.
            return self._read_unfiltered(limit, cursor, order, digest)

        def page(view: IndexView) -> EventPage:
            position = view.position(cursor, "events", order, digest)
            rows = view.select(task_id, wanted, since_s, until_s, position, order, limit + 1)
            found = ((offset, length, view.line(offset, length)) for offset, length in rows)
            return _event_page(found, limit, order, view.cursor_maker("events", order, digest))

        return self._run(page, empty=lambda: _empty_events(cursor, order, digest))

    def events_by_id(self, event_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The events with these ids or unique id prefixes, in the order given.

        Raises ``InvalidQuery`` naming the first id that no event has, or that starts
        several events' ids.
        """
        wanted = check_event_ids(event_ids)

        def no_journal() -> list[dict[str, Any]]:
            raise _unknown_event(wanted[0])

        return self._run(
            lambda view: [view.event_by_id(given) for given in wanted], empty=no_journal
        )

    def list_tasks(
        self,
        *,
        status: str = "open",
        query: str | None = None,
        limit: int = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> TaskPage:
        """Tasks with the latest activity first; ``query`` matches titles, ignoring case."""
        status = check_task_status(status)
        needle = check_text_query(query)
        limit = check_limit(limit)
        digest = filters_digest(status, needle)

        def page(view: IndexView) -> TaskPage:
            position = view.position(cursor, "tasks", "newest", digest)
            rows = view.tasks(status, needle, position, limit + 1)
            summaries: list[TaskSummary] = []
            used = 0
            for row in rows[:limit]:
                summary = _summary(row)
                # Measured as JSON: a title of control characters encodes to six bytes each.
                used += len(_page_encoder.encode(summary)) + 1
                if summaries and used > PAGE_BYTES:
                    break
                summaries.append(summary)
            truncated = len(summaries) < len(rows[:limit])
            next_cursor = None
            if len(summaries) < len(rows):
                next_cursor = view.cursor_maker("tasks", "newest", digest)(
                    rows[len(summaries) - 1][6]
                )
            return TaskPage(
                tasks=summaries,
                next_cursor=next_cursor,
                truncated=truncated,
                note=TRUNCATED_NOTE if truncated else None,
            )

        def empty() -> TaskPage:
            _refuse_cursor_without_file(cursor, "tasks", "newest", digest)
            return TaskPage(tasks=[], next_cursor=None)

        return self._run(page, empty=empty)

    def search_hits(
        self,
        query: Query,
        *,
        rejected: bool,
        task_id: str | None,
        types: frozenset[str] | None,
        since: float | None,
        until: float | None,
        count: int,
        skip: int = 0,
    ) -> Found:
        """The best ``count`` matches after the first ``skip``, best first (see ``Found``)."""
        return self._run(
            lambda view: view.search(query, rejected, task_id, types, since, until, count, skip),
            empty=lambda: Found(hits=[], broad=False),
        )

    def identity(self) -> tuple[int, int] | None:
        """(device, inode) of the journal file, ``None`` when there is none."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return None
        return stat.st_dev, stat.st_ino

    # --- the file and the connection --------------------------------------------------

    def _read_unfiltered(
        self, limit: int, cursor: str | None, order: str, digest: bytes
    ) -> EventPage:
        with _open_journal(self.path) as fd:
            if fd is None:
                return _empty_events(cursor, order, digest)
            stat = os.fstat(fd)
            identity = (stat.st_dev, stat.st_ino)
            position = None
            if cursor is not None:
                position = decode_cursor(
                    cursor,
                    kind="events",
                    order=order,
                    filters=digest,
                    identity=identity,
                    size=stat.st_size,
                    fd=fd,
                )
            found = _scan(fd, stat.st_size, position, order)
            return _event_page(
                found, limit, order, _cursor_maker(identity, "events", order, digest)
            )

    def _run(
        self,
        work: Callable[[IndexView], _T],
        *,
        empty: Callable[[], _T] | None = None,
        up_to: int | None = None,
    ) -> _T:
        """Run ``work`` on a view of the index caught up with the journal.

        A corrupt index file is deleted and built again; one that cannot be used is
        replaced by an index in memory (``_give_up_file``). With no journal file,
        ``empty()`` answers, else ``work`` gets an empty index.
        """
        with self._lock, _open_journal(self.path) as fd:
            if fd is None:
                if empty is not None:
                    return empty()
                view = _empty_view(self)
                try:
                    return work(view)
                finally:
                    view.release()
            rebuilt = False
            # Ends: a corrupt file is rebuilt once, then the index goes to memory, where
            # a failure is raised (``_give_up_file``).
            while True:
                try:
                    view = self._view(self._connection(), fd, up_to)
                    try:
                        return work(view)
                    finally:
                        view.release()
                except (sqlite3.ProgrammingError, sqlite3.InterfaceError):
                    raise  # a bug here, not a problem with the file
                except sqlite3.DatabaseError as error:
                    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
                    if code in _CORRUPT_CODES and not self._in_memory and not rebuilt:
                        log.warning("the index %s is corrupt; building it again", self.index_path)
                        self._discard()
                        rebuilt = True
                        continue
                    self._give_up_file(error)
                except _IndexUnusable as error:
                    self._give_up_file(error)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is not None and not self._in_memory:
            try:
                stat = os.stat(self.index_path)
                current = (stat.st_dev, stat.st_ino)
            except FileNotFoundError:
                current = None
            if current != self._conn_identity:  # deleted or replaced under us
                self._conn.close()
                self._conn = None
        if self._conn is None:
            if self._in_memory:
                self._conn = _connect(":memory:")
            else:
                self._conn, self._conn_identity = self._connect_file()
            # A store dropped without close() still closes its connection (newer Pythons
            # warn about one left to the garbage collector).
            weakref.finalize(self, self._conn.close)
        return self._conn

    def _connect_file(self) -> tuple[sqlite3.Connection, tuple[int, int]]:
        try:
            # Created here, 0600, so that SQLite (which would use the umask) does not;
            # it gives its -wal and -shm files the database's mode.
            fd = os.open(
                self.index_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
            )
        except OSError as error:
            raise _IndexUnusable(_describe(error)) from None
        try:
            stat = os.fstat(fd)
        finally:
            os.close(fd)
        conn = _connect(str(self.index_path))
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                raise _IndexUnusable(f"SQLite would not use WAL mode (it said {mode!r})")
        except BaseException:
            conn.close()
            raise
        return conn, (stat.st_dev, stat.st_ino)

    def _discard(self) -> None:
        """Delete the index file (and its -wal and -shm): the next use builds a new one."""
        self.close()
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{self.index_path}{suffix}")

    def _give_up_file(self, error: BaseException) -> None:
        """Serve this process from an index in memory, saying so once."""
        if self._in_memory:
            raise error
        reason = (
            _describe(error) if isinstance(error, OSError) else str(error) or type(error).__name__
        )
        self._problem = f"the index {self.index_path} cannot be used ({reason})"
        log.warning(
            "%s; reading the journal directly (kept in memory by this process)", self._problem
        )
        self.close()
        self._in_memory = True

    def _view(self, conn: sqlite3.Connection, fd: int, up_to: int | None = None) -> IndexView:
        """A read transaction on the index, caught up with ``fd``'s file (to ``up_to``
        at most) first if need be."""
        stat = os.fstat(fd)
        identity = (stat.st_dev, stat.st_ino)
        target = complete_end(fd, stat.st_size if up_to is None else min(up_to, stat.st_size))
        for _ in range(5):
            conn.execute("BEGIN")
            state = read_state(conn)
            if (
                not self._force_reset
                and holds(state, fd, identity, target)
                and state.fts == self._use_fts
            ):
                return IndexView(self, conn, fd, state)
            conn.execute("ROLLBACK")
            self._catch_up(conn, fd, identity, target)
        # Caught up five times, and each time another process had rebuilt the index for
        # another file by the time it was read.
        raise _IndexUnusable("other processes keep rebuilding it for another file")

    @property
    def _use_fts(self) -> bool:
        return self._fts and not self._in_memory

    # --- catching up: the one path from lines to derived state ------------------------

    def _catch_up(
        self, conn: sqlite3.Connection, fd: int, identity: tuple[int, int], target: int
    ) -> None:
        """Index the complete lines between the index's end and ``target``, a step per
        transaction, rebuilding first when the index does not match the file."""
        fts = self._use_fts
        tasks: dict[str, _Task] = {}
        ours = -1  # the end our own last step committed: if it is still the end, the
        # task rows in ``tasks`` are still current
        while True:
            _begin_immediate(conn)
            try:
                state = read_state(conn)
                if self._force_reset or state is None or not _trusted(state, fd, identity, fts):
                    _reset(conn, fts)
                    state = _empty_state(identity, fts)
                    _write_state(conn, state)
                    self._force_reset = False
                if state.end >= target:
                    conn.execute("COMMIT")
                    return
                if state.end != ours:
                    tasks = {}
                stop = complete_end(fd, min(target, state.end + _STEP_BYTES))
                if stop <= state.end:  # one line longer than a step
                    stop = target
                _index_lines(conn, fd, state, stop, tasks, fts)
                _write_state(conn, state)
                conn.execute("COMMIT")
                ours = state.end
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise


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
            events = [decode(os.pread(fd, length, offset)) for offset, length in rows]
        for (offset, _), event in zip(rows, events, strict=True):
            if event is None:
                self._changed(offset)
        return events  # type: ignore[return-value]  # no None left, checked above

    def _changed(self, offset: int) -> NoReturn:
        # Cannot be: only events are indexed, and the file only grows.
        raise JournalUnavailable(self.store.path, f"the line at byte {offset} changed")

    # --- point queries ------------------------------------------------------------------

    def task_state(self, task_id: str) -> TaskState | None:
        row = self.conn.execute(sql.TASK_STATE, (task_id,)).fetchone()
        return None if row is None else TaskState(opened=bool(row[1]), status=row[2])

    def has_open(self, task_id: str) -> bool:
        state = self.task_state(task_id)
        return state is not None and state.opened

    def find_key(self, key: str) -> dict[str, Any] | None:
        row = self.conn.execute(sql.KEY_EVENT, (key,)).fetchone()
        return None if row is None else self.line(row[0], row[1])

    def has_event(self, event_id: str) -> bool:
        return self.conn.execute(sql.HAS_EVENT, (event_id,)).fetchone() is not None

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
                offset, length, _ = next(row for row in rows if row[2] == ids[0])
                return self.line(offset, length)
        raise _unknown_event(given)

    def task_ids_with_prefix(self, prefix: str) -> list[str]:
        rows = self.conn.execute(sql.TASK_IDS_WITH_PREFIX, {"prefix": prefix}).fetchall()
        return [row[0] for row in rows]

    def count_tasks(self, status: str) -> int:
        return int(self.conn.execute(sql.COUNT_TASKS, {"status": status}).fetchone()[0])

    def subtasks(self, task_id: str) -> list[TaskSummary]:
        return [_summary(row) for row in self.conn.execute(sql.SUBTASKS, (task_id,))]

    def task_events(self, task_id: str, decode: Callable[[bytes], _E | None]) -> list[_E]:
        row = self.conn.execute(sql.TASK_STATE, (task_id,)).fetchone()
        if row is None:
            return []
        return self.lines(self.conn.execute(sql.ALL_TASK_EVENTS, (row[0],)).fetchall(), decode)

    # --- pages --------------------------------------------------------------------------

    def position(self, cursor: str | None, kind: str, order: str, digest: bytes) -> int | None:
        if cursor is None:
            return None
        return decode_cursor(
            cursor,
            kind=kind,
            order=order,
            filters=digest,
            identity=(self.state.device, self.state.inode),
            size=self.state.end,
            fd=self.fd,
        )

    def cursor_maker(self, kind: str, order: str, digest: bytes) -> Callable[[int], str]:
        return _cursor_maker((self.state.device, self.state.inode), kind, order, digest)

    def select(
        self,
        task_id: str | None,
        wanted: frozenset[str] | None,
        since: float | None,
        until: float | None,
        position: int | None,
        order: str,
        count: int,
    ) -> list[tuple[int, int]]:
        """(offset, length) of up to ``count`` matching events, in ``order``, from ``position``."""
        lo, hi = self._time_range(since, until)
        if position is not None:
            if order == "newest":
                hi = min(hi, position)
            else:
                lo = max(lo, position)
        bounds = {"lo": lo, "hi": hi, "since": since, "until": until, "limit": count}
        newest = order == "newest"
        if task_id is not None:
            row = self.conn.execute(sql.TASK_STATE, (task_id,)).fetchone()
            if row is None:
                raise InvalidQuery(
                    "task_id",
                    f"no task '{task_id}' in this journal; list_tasks shows the tasks there are",
                )
            statement = sql.TASK_EVENTS_NEWEST if newest else sql.TASK_EVENTS_OLDEST
            return self.conn.execute(
                statement, {**bounds, "task": row[0], "mask": _type_mask(wanted)}
            ).fetchall()
        if wanted is None:
            statement = sql.EVENTS_NEWEST if newest else sql.EVENTS_OLDEST
            return self.conn.execute(statement, bounds).fetchall()
        # One walk of the type index per type, merged: a rare type costs little.
        statement = sql.TYPE_EVENTS_NEWEST if newest else sql.TYPE_EVENTS_OLDEST
        runs = [
            self.conn.execute(statement, {**bounds, "type": _TYPE_CODES[name]}).fetchall()
            for name in sorted(wanted)
        ]
        merged = heapq.merge(*runs, key=lambda row: row[0], reverse=newest)
        return [row for _, row in zip(range(count), merged, strict=False)]

    def _time_range(self, since: float | None, until: float | None) -> tuple[int, int]:
        """Offsets outside which no event is in [since, until)."""
        lo, hi = 0, NO_END
        if since is not None:
            row = self.conn.execute(sql.FIRST_BLOCK_REACHING, (since,)).fetchone()
            lo = NO_END if row is None else row[0]
        if until is not None:
            row = self.conn.execute(sql.FIRST_BLOCK_PAST, (until,)).fetchone()
            if row is not None:
                hi = row[0]
        return lo, hi

    def tasks(
        self, status: str, needle: str | None, position: int | None, count: int
    ) -> list[tuple[Any, ...]]:
        arguments = {
            "bound": NO_END if position is None else position,
            "needle": needle,
            "limit": count,
        }
        if status == "any":
            return self.conn.execute(sql.TASKS_ANY, arguments).fetchall()
        return self.conn.execute(sql.TASKS_WITH_STATUS, {**arguments, "status": status}).fetchall()

    # --- search -----------------------------------------------------------------------

    def search(
        self,
        query: Query,
        rejected: bool,
        task_id: str | None,
        types: frozenset[str] | None,
        since: float | None,
        until: float | None,
        count: int,
        skip: int,
    ) -> Found:
        # Search is imported here, not by every reader of the index (a status line).
        from journal_core.search import COLUMNS, EXACT_WINDOW, WEIGHTS, plain_words, to_fts

        task = None
        if task_id is not None:
            row = self.conn.execute(sql.TASK_STATE, (task_id,)).fetchone()
            if row is None:
                return Found(hits=[], broad=False)
            task = row[0]
        if not self.fts:
            return self._scan_search(query, rejected, task_id, types, since, until, count, skip)
        arguments: dict[str, Any] = {
            "task": task,
            "mask": _type_mask(types),
            "since": since,
            "until": until,
            **{f"w_{name}": weight for name, weight in zip(COLUMNS, WEIGHTS, strict=True)},
        }
        if rejected:
            statement = sql.SEARCH_REJECTED
            arguments.update(rejection=_TYPE_CODES["rejection"], decision=_TYPE_CODES["decision"])
        else:
            statement = sql.SEARCH
        # Our expressions are well-formed by construction; should the engine still
        # refuse one, the words are searched plainly, and then nothing is found.
        for attempt in (query, plain_words(query)):
            arguments["match"] = to_fts(attempt)
            arguments["match_rejected"] = to_fts(attempt, "rejected")
            try:
                newest = self._newest(rejected, arguments, BROAD_MATCHES + 1)
                if len(newest) > BROAD_MATCHES:
                    if skip + count > len(newest):
                        newest = self._newest(rejected, arguments, skip + count)
                    return Found(hits=self._hits(newest[skip : skip + count]), broad=True)
                arguments.update(limit=max(EXACT_WINDOW, skip + count), skip=0)
                ranked = self.conn.execute(statement, arguments).fetchall()
                break
            except sqlite3.OperationalError as error:
                if getattr(error, "sqlite_errorcode", 0) != _SQLITE_ERROR:
                    raise  # busy, I/O: the index's trouble, not the query's
                log.warning("the search engine refused %r (%s)", arguments["match"], error)
        else:
            return Found(hits=[], broad=False)
        return Found(hits=self._ranked(query, ranked, count, skip), broad=False)

    def _newest(self, rejected: bool, arguments: dict[str, Any], limit: int) -> list[Any]:
        """(offset, length) of the newest ``limit`` matches, newest first."""
        if not rejected:
            return self.conn.execute(sql.SEARCH_NEWEST, {**arguments, "limit": limit}).fetchall()
        # Rejections that match anywhere, and decisions whose rejected alternatives
        # match: two walks from the end, merged.
        runs = [
            self.conn.execute(
                sql.SEARCH_NEWEST,
                {
                    **arguments,
                    "match": match,
                    "mask": 1 << _TYPE_CODES[kind],
                    "limit": limit,
                },
            ).fetchall()
            for match, kind in (
                (arguments["match"], "rejection"),
                (arguments["match_rejected"], "decision"),
            )
        ]
        merged = heapq.merge(*runs, key=lambda row: row[0], reverse=True)
        return [row for _, row in zip(range(limit), merged, strict=False)]

    def _hits(self, rows: Sequence[tuple[int, int]], score: float = 0.0) -> list[Hit]:
        return [
            Hit(
                score=score,
                offset=offset,
                event=self.line(offset, length),
                title=self._title(offset),
            )
            for offset, length in rows
        ]

    def _ranked(
        self, query: Query, rows: Sequence[tuple[int, int, float]], count: int, skip: int
    ) -> list[Hit]:
        """The page ``[skip, skip + count)`` of BM25-ordered ``rows``, exact matches first."""
        from journal_core.search import document, rank

        hits = [
            Hit(score=-score, offset=offset, event=self.line(offset, length), title="")
            for offset, length, score in rows
        ]
        page = rank(query, hits, lambda hit: document(hit.event))[skip : skip + count]
        return [
            Hit(score=hit.score, offset=hit.offset, event=hit.event, title=self._title(hit.offset))
            for hit in page
        ]

    def _title(self, offset: int) -> str:
        row = self.conn.execute(sql.TASK_TITLES, (offset,)).fetchone()
        return "" if row is None else str(row[0])

    def _scan_search(
        self,
        query: Query,
        rejected: bool,
        task_id: str | None,
        types: frozenset[str] | None,
        since: float | None,
        until: float | None,
        count: int,
        skip: int,
    ) -> Found:
        """Search without FTS5: every event that passes the filters, matched in Python."""
        from journal_core.search import document, matches, rank, scan_score

        if not self.store._warned_scan:
            self.store._warned_scan = True
            log.warning(
                "full-text search is not available here (no FTS5 in SQLite, or the index "
                "is in memory); searching %s by scanning it",
                self.store.path,
            )
        found: list[Hit] = []
        for offset, length in self.select(task_id, types, since, until, None, "newest", NO_END):
            event = self.line(offset, length)
            columns = document(event)
            if rejected:
                kind = event.get("type")
                hit = (kind == "rejection" and matches(query, columns)) or (
                    kind == "decision" and matches(query, columns, only="rejected")
                )
            else:
                hit = matches(query, columns)
            if hit:
                score = scan_score(query, columns)
                found.append(Hit(score=score, offset=offset, event=event, title=""))
        found.sort(key=lambda hit: (-hit.score, -hit.offset))
        page = rank(query, found, lambda hit: document(hit.event))[skip : skip + count]
        return Found(
            hits=[
                Hit(
                    score=hit.score,
                    offset=hit.offset,
                    event=hit.event,
                    title=self._title(hit.offset),
                )
                for hit in page
            ],
            broad=False,
        )


# --- catching up ----------------------------------------------------------------------


def _index_lines(
    conn: sqlite3.Connection,
    fd: int,
    state: IndexState,
    stop: int,
    tasks: dict[str, _Task],
    fts: bool,
) -> None:
    """Add the complete lines between ``state.end`` and ``stop``; advance ``state``."""
    from journal_core.search import document_row

    events: list[tuple[Any, ...]] = []
    documents: list[tuple[Any, ...]] = []
    keys: list[tuple[str, int]] = []
    touched: dict[str, _Task] = {}
    next_number = conn.execute(sql.LAST_TASK_NUMBER).fetchone()[0] + 1
    type_code = _TYPE_CODES.get
    first_new = None
    for base, block in forward_chunks(fd, state.end, stop):
        offset = base
        for raw in block.split(b"\n"):
            length = len(raw) + 1
            # The reader's classification decides what is an event, as for every reader
            # (a blank line is not one either).
            event = decode_line(raw) if raw else None
            if event is None or isinstance(event, str):
                offset += length
                continue
            task_id, kind, stamp = event["task_id"], event["type"], event["timestamp"]
            meta = event.get("meta")
            if not isinstance(meta, dict):
                meta = {}
            task = tasks.get(task_id)
            if task is None:
                row = conn.execute(sql.READ_TASK, (task_id,)).fetchone()
                if row is None:
                    task = _Task(next_number, task_id)
                    next_number += 1
                    task.created_at = stamp
                    if kind != "open":
                        task.set_title(event.get("text"))  # a stand-in until an open names it
                else:
                    task = _Task.from_row(row)
                tasks[task_id] = task
            touched[task_id] = task
            task.event_count += 1
            task.last_offset = offset
            task.last_event_at = stamp
            if kind in _STATE_TYPES:
                _apply(task, kind, meta, event)
            if first_new is None:
                first_new = offset
            events.append(
                (
                    offset,
                    length,
                    type_code(kind, _UNKNOWN_TYPE),
                    _seconds(stamp),
                    task.number,
                    event["event_id"],
                )
            )
            if fts:
                documents.append((offset, *document_row(event)))
            key = meta.get("idempotency_key")
            if isinstance(key, str):
                keys.append((key, offset))
            offset += length
    conn.executemany(sql.INSERT_EVENT, events)
    if documents:
        conn.executemany(sql.INSERT_FTS, documents)
    conn.executemany(sql.INSERT_KEY, keys)
    conn.executemany(sql.WRITE_TASK, [task.row() for task in touched.values()])
    if first_new is not None:
        _extend_blocks(conn, state.events, first_new)
    state.events += len(events)
    state.end = stop
    state.tail = tail_digest(fd, stop)


def _apply(task: _Task, kind: str, meta: dict[str, Any], event: dict[str, Any]) -> None:
    """What an open, reopen, close, rename or redirect event changes in its task."""
    if kind == "close":
        task.status = "closed"
        return
    goal = meta.get("goal")
    if kind in ("open", "redirect") and isinstance(goal, str) and goal.strip():
        task.goal = goal.strip()
    if kind == "redirect":
        return
    if kind == "open":
        parent = meta.get("parent_id")
        if not task.opened and isinstance(parent, str):
            task.parent_id = parent
        task.opened = True
    if kind in ("open", "reopen"):
        task.status = "open"
    if kind in ("open", "rename"):
        # The title is meta.title, else the event's text.
        title = meta.get("title")
        task.set_title(title if isinstance(title, str) and title.strip() else event.get("text"))


def _extend_blocks(conn: sqlite3.Connection, events_before: int, first_new: int) -> None:
    """Bring the time bounds up to date with the events indexed from ``first_new`` on.

    The block that was partly filled and those after it are computed again. A NULL
    time (not RFC 3339) is left out of both bounds.
    """
    block = _BLOCK
    number = events_before // block
    start = first_new
    greatest = -math.inf
    if number > 0:
        greatest = conn.execute(sql.BLOCK, (number - 1,)).fetchone()[1]
    if events_before % block:
        start = conn.execute(sql.BLOCK, (number,)).fetchone()[0]
    rows = conn.execute(sql.TIMES_FROM, (start,)).fetchall()
    groups = [rows[at : at + block] for at in range(0, len(rows), block)]
    new_blocks: list[list[Any]] = []
    for step, group in enumerate(groups):
        greatest = max([greatest, *(time for _, time in group if time is not None)])
        new_blocks.append([number + step, group[0][0], greatest, math.inf])
    least = math.inf
    for entry, group in zip(reversed(new_blocks), reversed(groups), strict=True):
        least = min([least, *(time for _, time in group if time is not None)])
        entry[3] = least
    # The earlier blocks' suffixes now reach over the new events too: lower those
    # above the least new time. With times that mostly grow, few or none.
    conn.execute(sql.LOWER_MIN_FROM, {"least": least, "before": number})
    conn.executemany(sql.WRITE_BLOCK, new_blocks)


def _reset(conn: sqlite3.Connection, fts: bool) -> None:
    for statement in (*sql.DROP, *sql.CREATE):
        conn.execute(statement)
    if fts:
        conn.execute(sql.CREATE_FTS)


def _trusted(state: IndexState, fd: int, identity: tuple[int, int], fts: bool) -> bool:
    """Whether the index was made from this file (``made_from``), with full-text search
    if this process has it."""
    return made_from(state, fd, identity) and state.fts == fts


def _empty_view(store: JournalStore) -> IndexView:
    """An index of no journal at all, for questions asked where there is no file."""
    conn = _connect(":memory:")
    _reset(conn, store._use_fts)
    conn.execute("BEGIN")
    return IndexView(store, conn, None, _empty_state((0, 0), store._use_fts), own_connection=True)


def _write_state(conn: sqlite3.Connection, state: IndexState) -> None:
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
        },
    )


def _empty_state(identity: tuple[int, int], fts: bool) -> IndexState:
    return IndexState(
        fts=fts,
        schema=sql.SCHEMA_VERSION,
        device=identity[0],
        inode=identity[1],
        end=0,
        tail=tail_digest(-1, 0),
        events=0,
    )


def _begin_immediate(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        if getattr(error, "sqlite_errorcode", 0) & 0xFF in (5, 6):  # SQLITE_BUSY, _LOCKED
            raise _IndexUnusable(
                f"another process held it for over {_BUSY_TIMEOUT_S:g} s"
            ) from None
        raise


def _connect(target: str) -> sqlite3.Connection:
    conn = sqlite3.connect(
        target, isolation_level=None, check_same_thread=False, timeout=_BUSY_TIMEOUT_S
    )
    # The index can always be built again, so a commit need not wait for the disk;
    # in WAL mode NORMAL still never leaves a corrupt database.
    conn.execute("PRAGMA synchronous = NORMAL")
    # Room for the pages of the indexes a catch-up touches all over (tasks, types).
    conn.execute("PRAGMA cache_size = -65536")
    return conn


def _seconds(timestamp: str) -> float | None:
    """POSIX seconds of an RFC 3339 timestamp; ``None`` when it is not one."""
    try:
        moment = dt.datetime.fromisoformat(timestamp)
    except ValueError:
        return None
    return None if moment.tzinfo is None else moment.timestamp()


def _unknown_event(given: str) -> InvalidQuery:
    return InvalidQuery(
        "event_ids", f"no event '{given}' in this journal; search_events or read_events show ids"
    )


def _type_mask(types: frozenset[str] | None) -> int | None:
    if types is None:
        return None
    return sum(1 << _TYPE_CODES[name] for name in types)


def _summary(row: Sequence[Any]) -> TaskSummary:
    return TaskSummary(
        task_id=row[0],
        title=row[1],
        status=row[2],
        created_at=row[3],
        last_event_at=row[4],
        event_count=row[5],
    )


def _describe(error: OSError) -> str:
    name = errno.errorcode.get(error.errno or 0, "")
    text = error.strerror or str(error)
    return f"{text} ({name})" if name else text


# --- reading the file directly --------------------------------------------------------


@contextlib.contextmanager
def _open_journal(path: Path) -> Iterator[int | None]:
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


def _empty_events(cursor: str | None, order: str, digest: bytes) -> EventPage:
    _refuse_cursor_without_file(cursor, "events", order, digest)
    return EventPage(events=[], next_cursor=None)


def _refuse_cursor_without_file(cursor: str | None, kind: str, order: str, digest: bytes) -> None:
    if cursor is not None:
        decode_cursor(
            cursor, kind=kind, order=order, filters=digest, identity=None, size=0, fd=None
        )


def _cursor_maker(
    identity: tuple[int, int], kind: str, order: str, digest: bytes
) -> Callable[[int], str]:
    def cursor_at(at: int) -> str:
        return encode_cursor(CursorState(CURSOR_VERSION, kind, order, at, digest, *identity))

    return cursor_at


def _scan(
    fd: int, size: int, position: int | None, order: str
) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """Every event from ``position`` on, straight from the file, in ``order``."""
    lines: Iterator[tuple[int, bytes]]
    if order == "newest":
        lines = backward_lines(fd, complete_end(fd, size) if position is None else position)
    else:
        lines = _forward_lines(fd, 0 if position is None else position, size)
    for offset, raw in lines:
        if raw.strip():
            event = decode_line(raw)
            if not isinstance(event, str):
                yield offset, len(raw) + 1, event


def _forward_lines(fd: int, start: int, stop: int) -> Iterator[tuple[int, bytes]]:
    for base, block in forward_chunks(fd, start, stop):
        offset = base
        for raw in block.split(b"\n"):
            yield offset, raw
            offset += len(raw) + 1


def _event_page(
    found: Iterator[tuple[int, int, dict[str, Any]]],
    limit: int,
    order: str,
    cursor_at: Callable[[int], str],
) -> EventPage:
    """Up to ``limit`` events, cut at an event boundary before ``PAGE_BYTES``.

    One event more than fits is looked at, to know whether to give a cursor.
    """
    events: list[dict[str, Any]] = []
    used = 0
    resume = 0  # where the next page starts: before the last event, or after it
    for offset, length, event in found:
        if len(events) == limit:
            return EventPage(events=events, next_cursor=cursor_at(resume))
        if events and used + length > PAGE_BYTES:
            return EventPage(
                events=events, next_cursor=cursor_at(resume), truncated=True, note=TRUNCATED_NOTE
            )
        events.append(event)
        used += length
        resume = offset if order == "newest" else offset + length
    return EventPage(events=events, next_cursor=None)
