"""The derived index (SPEC §6): a SQLite database beside the journal, never the truth.

``<journal>.index.sqlite`` holds where each event's line is (offset, length, type,
time, task, id), each task's state, the idempotency keys and the full-text index,
and records how far into which file it has read: device, inode, end offset and a
digest of the bytes just before that end, with its schema version. Before any
answer the record is checked against the file; a deleted, stale, foreign,
truncated or older-schema index is dropped and built again, and a corrupt one is
deleted and built again: it is never believed.

Any process brings the index up to date by reading only the lines appended since
its end, whoever wrote them (``_catch_up`` here, with ``catch_up.index_lines``, the
one piece of code that turns lines into derived state). Catching up is a series of
write transactions of at most ``_STEP_BYTES`` each, so a process killed midway leaves
an index that is correct as far as it goes, and processes catching up at once take
turns instead of repeating each other's work. Results are read back from the journal
by offset.

The full-text part may lag behind the rest (SPEC §6: the first use of a large journal
does not wait for it): where more than a step is left to index and no search waits,
the lines go in without their documents, which the first search, or ``build``, adds
afterwards (``catch_up.index_texts``), a step per transaction too. The state row says
how far each part is, so a process killed between the two leaves the rest to the next.

An index that cannot be written (read-only folder, full disk, a lock held too
long) is replaced, for the rest of the process, by one in memory built the same
way, with one warning: reading and appending never fail because of the index.
Where SQLite has no FTS5, search scans the journal instead, with one warning.

Pages and point questions are in ``queries``, search in ``full_text``, what they
answer with in ``results``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

from journal_core.cursor import filters_digest
from journal_core.filters import ReadArguments, ReadFilter, SearchFilter
from journal_core.fold import FoldEvent, Standing
from journal_core.index import catch_up, full_text, queries, sql, text_beside
from journal_core.index.catch_up import empty_state, reset, trusted, write_state
from journal_core.index.progress import BuildProgress
from journal_core.index.queries import IndexView, no_events, no_tasks, open_journal
from journal_core.index.results import EventPage, Found, IndexStatus, TaskPage, TaskSummary
from journal_core.index.state import (
    SQLITE_HEADER,
    holds,
    index_path_of,
    indexed_state,
    read_state,
    sound_index,
)
from journal_core.index.text_beside import TextBeside
from journal_core.journal_file import complete_end, describe
from journal_core.query import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    check_task_status,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

log = logging.getLogger(__name__)

# The most journal bytes one catch-up transaction takes in.
_STEP_BYTES: Final = 16 * 1024 * 1024
# A step without full-text documents holds less per line: it takes four times the
# bytes (each step writes every task it touched and commits: fewer steps, fewer writes;
# a first build of a million events takes a tenth less time than with two).
_STRUCTURE_STEPS: Final = 4
# A build from scratch of a journal bigger than this (whose structure comes first) makes
# its full text beside the rest, in a process of its own (``text_beside``): it then takes
# about as long as the rest alone, on a machine with a core to spare (20 MB: 1.8 s
# against 1.45; 38 MB: 2.9 s against 2.0).
_BESIDE_BYTES: Final = _STEP_BYTES
# How long to wait for another process's catch-up transaction before giving up on
# the file (then the index lives in memory for this process).
_BUSY_TIMEOUT_S: Final = 30.0

# SQLite's primary result codes for a file that is not a sound database.
_CORRUPT_CODES: Final = frozenset({11, 26})  # SQLITE_CORRUPT, SQLITE_NOTADB

_T = TypeVar("_T")
_E = TypeVar("_E")  # an event, as a decoder of indexed lines reads it


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
        self._fallback = True  # an index in memory when the file cannot serve

    # --- keeping current ----------------------------------------------------------

    def refresh(self) -> None:
        """Catch up with the file's end (whole lines only), rebuilding what cannot be trusted;
        the full-text part only if it was as far as the rest and little is new."""
        self._run(lambda view: None)

    def build(self) -> None:
        """Bring the index up to date now, full text included, so that the first query does
        not pay for it. The structural part comes first; the full text follows on a
        connection of its own, so that the reads of other threads meanwhile need not wait
        for it (a search does: it waits for or does the rest). Where the index has none
        of its full text and much is to index, the full text is made meanwhile, in a
        process of its own (``text_beside``)."""
        beside = self._text_beside()
        try:
            self.refresh()
            if self._use_fts:
                if beside is not None:
                    self._merge_texts(beside)
                self._build_text()
        finally:
            if beside is not None:
                beside.close()

    def _build_text(self) -> None:
        """Add the full-text documents the index lacks, on a store of its own."""
        helper = JournalStore(self.path)
        helper._fallback = False
        try:
            helper._run(lambda view: None, text=True)
        except (sqlite3.Error, _IndexUnusable) as error:  # the first search meets it again
            log.debug("the full-text part of %s was left for later: %s", self.index_path, error)
        finally:
            helper.close()

    def _text_beside(self) -> TextBeside | None:
        """A side process making the full text, where it pays: a core to spare, a file
        index with FTS5, more than ``_BESIDE_BYTES`` of journal, and no full text in the
        index to go on. (On one core it would only add its own reading and the copy.)"""
        if _cores() < 2 or not self._use_fts or self._has_text():
            return None
        try:
            if os.stat(self.path).st_size <= _BESIDE_BYTES:
                return None
        except OSError:
            return None
        return TextBeside.start(self.path)

    def _has_text(self) -> bool:
        """Whether the index file holds full text that a catch-up would keep (then the
        side's could not be merged)."""
        if self._force_reset:
            return False
        state, _ = indexed_state(self.path)
        return state is not None and state.fts == self._fts and state.text_end > 0

    def _merge_texts(self, beside: TextBeside) -> None:
        """Take the side's full text into the index where it fits, on a connection used
        for nothing else (see ``text_beside``)."""
        try:
            with contextlib.closing(_connect(str(self.index_path))) as conn:
                if text_beside.merge(conn, beside):
                    return
            log.debug("the full text made beside %s did not fit it", self.index_path)
        except sqlite3.Error as error:  # the usual way follows
            log.debug("the full text made beside %s was not taken: %s", self.index_path, error)

    def rebuild(self) -> None:
        """Drop the index and build it again from the journal, full text included."""
        with self._lock:
            self._force_reset = True
            self.build()

    def differences(self, most: int = 20) -> list[str]:
        """How the index's tasks differ from those of a fresh scan of the journal (an
        index built in memory), at most ``most`` lines; [] when they agree. A cell edited
        in the file is served as it is until then: only a rebuild drops it."""
        scanned = JournalStore(self.path)
        scanned._in_memory = True  # built from the journal's bytes, never from the file
        try:
            indexed, truth = self._all_tasks(), scanned._all_tasks()
        finally:
            scanned.close()
        found = []
        for task_id in sorted(indexed.keys() | truth.keys()):
            said, held = indexed.get(task_id), truth.get(task_id)
            if said == held:
                continue
            if said is None or held is None:
                where = "the journal" if said is None else "the index"
                found.append(f"task {task_id}: only in {where}")
                continue
            fields = [
                f"{name} {getattr(said, name)!r} (the journal says {getattr(held, name)!r})"
                for name in said.__struct_fields__
                if getattr(said, name) != getattr(held, name)
            ]
            found.append(f"task {task_id}: the index has {', '.join(fields)}")
        return found[:most]

    def _all_tasks(self) -> dict[str, TaskSummary]:
        tasks: dict[str, TaskSummary] = {}
        cursor = None
        while True:
            page = self.list_tasks(status="any", limit=MAX_LIMIT, cursor=cursor)
            tasks.update((task.task_id, task) for task in page.tasks)
            if page.next_cursor is None:
                return tasks
            cursor = page.next_cursor

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

    def event_lines(self, event_ids: Sequence[str]) -> dict[str, bytes]:
        """The first line holding each of ``event_ids`` that the journal has, ``\\n``
        included."""

        def lines(view: IndexView) -> dict[str, bytes]:
            found = ((event_id, view.event_line(event_id)) for event_id in event_ids)
            return {event_id: line for event_id, line in found if line is not None}

        return self._run(lines, empty=dict)

    def holds_task(self, task_id: str) -> bool:
        """Whether the index holds a task of that id, however far behind the file it is:
        tasks are never taken out, so a yes needs no catching up (which an append naming
        its task would otherwise pay, a write of the index, at every call)."""
        return self._run(lambda view: view.task_state(task_id) is not None, empty=bool, up_to=0)

    def task_version(self, task_id: str) -> tuple[int, str] | None:
        """How many events the task has and the id of its newest in canonical order:
        changed by every line of the task but a repeated one (an event older than the
        newest adds to the count); ``None`` for a task the journal does not hold."""

        def version(view: IndexView) -> tuple[int, str] | None:
            state = view.task_state(task_id)
            return None if state is None else (state.event_count, state.last_event_id)

        return self._run(version, empty=lambda: None)

    def task_ids_with_prefix(self, prefix: str) -> list[str]:
        """The ids of the tasks that start with ``prefix``, sorted (for ids taken by a
        unique prefix, as git takes commit ids)."""
        return self._run(lambda view: view.task_ids_with_prefix(prefix), empty=list)

    def event_ids_with_prefix(self, prefix: str, limit: int) -> list[tuple[str, str]]:
        """Up to ``limit`` (event id, task id) pairs of the events whose ids start with
        ``prefix``, by id."""
        return self._run(lambda view: view.event_ids_with_prefix(prefix, limit), empty=list)

    def subtasks(self, task_id: str) -> list[TaskSummary]:
        """The tasks whose ``open`` event's ``meta.parent_id`` is ``task_id``, in the order
        they were opened."""
        return self._run(lambda view: view.subtasks(task_id), empty=list)

    def newest_of_tasks(
        self, task_ids: Sequence[str], types: frozenset[str], each: int
    ) -> dict[str, list[FoldEvent]]:
        """Up to ``each`` newest events of ``types`` of each of ``task_ids`` (the fold's
        fields), newest first by time then id; a task with none is left out."""
        return self._run(lambda view: view.newest_of_tasks(task_ids, types, each), empty=dict)

    def open_questions(self, task_id: str) -> int:
        """How many of the task's hypotheses stand as the fold said when it indexed them:
        nothing answered, amended or withdrew them."""
        return self._run(lambda view: view.open_questions(task_id), empty=lambda: 0)

    def task_events(self, task_id: str, decode: Callable[[bytes], _E | None]) -> list[_E]:
        """Every event of the task, oldest first, each line read by ``decode``
        (``decode_indexed`` for plain dicts); ``[]`` for a task with none."""
        return self._run(lambda view: view.task_events(task_id, decode), empty=list)

    def task_events_standing(
        self, task_id: str, decode: Callable[[bytes], _E | None]
    ) -> tuple[tuple[int, str] | None, list[_E], dict[str, Standing]]:
        """The task's version, its events, and the standing of those not active, by id,
        as indexed, read together (``IndexView.task_events_standing``); ``(None, [], {})``
        for a task with no events."""
        return self._run(
            lambda view: view.task_events_standing(task_id, decode), empty=lambda: (None, [], {})
        )

    def standings(self, offsets: Sequence[int]) -> list[Standing]:
        """Where the events on the lines at ``offsets`` (as ``Hit.offset`` gives them)
        stand now: ``journal_core.fold.Standing``, ``correction`` filled in."""
        return self._run(lambda view: view.standings(offsets), empty=list)

    def count_tasks(self, status: str = "open") -> int:
        """How many tasks have this status (``open``, ``closed`` or ``any``)."""
        status = check_task_status(status)
        return self._run(lambda view: view.count_tasks(status), empty=lambda: 0)

    # --- reading ----------------------------------------------------------------------

    def read_events(
        self, read: ReadFilter | None = None, /, **given: Unpack[ReadArguments]
    ) -> EventPage:
        """A page of the events ``read`` asks for (or the arguments to make it of, see
        ``ReadFilter.of``), newest or oldest first; with ``event_ids``, those events
        whole, in the order given.

        Raises ``InvalidQuery`` for a bad argument or cursor, or an event id that no event
        has or that starts several events' ids; ``TaskNotFound`` for a ``task_id`` with no
        events at all.
        """
        read = ReadFilter.of(**given) if read is None else read
        if read.event_ids is not None:
            return EventPage(events=self._events_by_id(read.event_ids), next_cursor=None)
        events = read.events
        digest = filters_digest(
            events.task_id, sorted(events.types or ()), events.since, events.until
        )
        return self._run(
            lambda view: queries.events_page(view, read, digest),
            empty=lambda: no_events(read.cursor, read.order, digest),
        )

    def _events_by_id(self, wanted: Sequence[str]) -> list[dict[str, Any]]:
        """The events with these ids or unique id prefixes (checked), in the order given."""

        def no_journal() -> list[dict[str, Any]]:
            raise queries.unknown_event(wanted[0])

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
        status, needle, limit, digest = queries.tasks_query(status, query, limit)
        return self._run(
            lambda view: queries.tasks_page(view, status, needle, cursor, limit, digest),
            empty=lambda: no_tasks(cursor, digest),
        )

    def search_hits(self, search: SearchFilter, count: int, skip: int = 0) -> Found:
        """The best ``count`` matches of ``search`` after the first ``skip`` of those it
        keeps, best first (see ``Found`` and ``full_text.search``)."""
        return self._run(
            lambda view: full_text.search(view, search, count, skip),
            empty=lambda: Found(hits=[], broad=False),
            text=True,
        )

    def identity(self) -> tuple[int, int] | None:
        """(device, inode) of the journal file, ``None`` when there is none."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return None
        return stat.st_dev, stat.st_ino

    # --- the file and the connection --------------------------------------------------

    def _run(
        self,
        work: Callable[[IndexView], _T],
        *,
        empty: Callable[[], _T] | None = None,
        up_to: int | None = None,
        text: bool = False,
    ) -> _T:
        """Run ``work`` on a view of the index caught up with the journal, its full-text
        part too with ``text``.

        A corrupt index file is deleted and built again; one that cannot be used is
        replaced by an index in memory (``_give_up_file``). With no journal file,
        ``empty()`` answers, else ``work`` gets an empty index.
        """
        with self._lock, open_journal(self.path) as fd:
            if fd is None:
                if empty is not None:
                    return empty()
                view = empty_view(self)
                try:
                    return work(view)
                finally:
                    view.release()
            rebuilt = False
            # Ends: a corrupt file is rebuilt once, then the index goes to memory, where
            # a failure is raised (``_give_up_file``).
            while True:
                try:
                    view = self._view(self._connection(), fd, up_to, text)
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
            stat = self._sound_file()
        except OSError as error:
            raise _IndexUnusable(describe(error)) from None
        conn = _connect(str(self.index_path))
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                raise _IndexUnusable(f"SQLite would not use WAL mode (it said {mode!r})")
        except BaseException:
            conn.close()
            raise
        return conn, (stat.st_dev, stat.st_ino)

    def _sound_file(self) -> os.stat_result:
        """The index file, checked: a SQLite database of one name. One that is missing,
        damaged (truncated, not SQLite) or hard-linked is replaced by a new one renamed
        into place, never waited on: a process still using the old one keeps its own
        -wal and -shm, and sees the new file at its next question."""
        for _ in range(5):
            try:
                fd = os.open(self.index_path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
            except FileNotFoundError:
                _put_in_place(self.index_path, replace=False)
                continue
            try:
                stat = os.fstat(fd)
                header = os.pread(fd, len(SQLITE_HEADER), 0)
            finally:
                os.close(fd)
            if stat.st_nlink > 1:
                # A new index has two names for an instant, as _put_in_place links it.
                time.sleep(_LINKING_S)
                stat = os.stat(self.index_path, follow_symlinks=False)
            if header == SQLITE_HEADER and stat.st_nlink == 1:
                for suffix in ("-wal", "-shm"):  # SQLite opens these itself, by name
                    sidecar = f"{self.index_path}{suffix}"
                    with contextlib.suppress(FileNotFoundError):
                        if os.stat(sidecar, follow_symlinks=False).st_nlink > 1:
                            os.unlink(sidecar)
                return stat
            why = "it has other names (hard links)" if stat.st_nlink > 1 else "it is damaged"
            log.warning("the index %s cannot be trusted (%s); replacing it", self.index_path, why)
            _put_in_place(self.index_path, replace=True)
        raise _IndexUnusable("other processes keep replacing it")

    def _discard(self) -> None:
        """Delete the index file (and its -wal and -shm): the next use builds a new one."""
        self.close()
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{self.index_path}{suffix}")

    def _give_up_file(self, error: BaseException) -> None:
        """Serve this process from an index in memory, saying so once."""
        if self._in_memory or not self._fallback:
            raise error
        reason = (
            describe(error) if isinstance(error, OSError) else str(error) or type(error).__name__
        )
        self._problem = f"the index {self.index_path} cannot be used ({reason})"
        log.warning(
            "%s; reading the journal directly (kept in memory by this process)", self._problem
        )
        self.close()
        self._in_memory = True

    def _view(self, conn: sqlite3.Connection, fd: int, up_to: int | None, text: bool) -> IndexView:
        """A read transaction on the index, caught up with ``fd``'s file (to ``up_to``
        at most; its full-text part too with ``text``) first if need be."""
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
                and (state.text_whole or not text)
            ):
                return IndexView(self, conn, fd, state)
            conn.execute("ROLLBACK")
            self._catch_up(conn, fd, identity, target, text)
        # Caught up five times, and each time another process had rebuilt the index for
        # another file by the time it was read.
        raise _IndexUnusable("other processes keep rebuilding it for another file")

    @property
    def _use_fts(self) -> bool:
        return self._fts and not self._in_memory

    # --- catching up: the one path from lines to derived state ------------------------

    def _catch_up(
        self, conn: sqlite3.Connection, fd: int, identity: tuple[int, int], target: int, text: bool
    ) -> None:
        """Index the complete lines between the index's end and ``target``, a step per
        transaction, rebuilding first when the index does not match the file; then, with
        ``text``, the full-text documents the index lacks. With a bar on a terminal when
        more than a step is left after the first.

        Where more than a step is left and ``text`` is not asked, the lines go in
        without their documents (reads need none); else with them, while the full-text
        part is as far as the rest.
        """
        fts = self._use_fts
        tasks: dict[str, catch_up.TaskRow] = {}
        ours = -1  # the end our own last step committed: if it is still the end, the
        # task rows in ``tasks`` are still current
        structure_first: bool | None = None  # decided at the first step
        bars = _Bars()
        conn.execute(_CATCHING_UP_CACHE)
        try:
            while True:
                _begin_immediate(conn)
                with catch_up.committed(conn):
                    state = read_state(conn)
                    if self._force_reset or state is None or not trusted(state, fd, identity, fts):
                        reset(conn, fts)
                        state = empty_state(identity, fts)
                        write_state(conn, state)
                        self._force_reset = False
                    if structure_first is None:
                        structure_first = not text and target - state.end > _STEP_BYTES
                    if state.end < target:
                        if state.end != ours:
                            tasks = {}
                        with_text = fts and not structure_first and state.text_end == state.end
                        steps = 1 if with_text else _STRUCTURE_STEPS
                        stop = _step_end(fd, state.end, target, steps)
                        catch_up.index_lines(conn, fd, state, stop, tasks, with_text)
                        if state.end >= target:  # before any text step: reads need them
                            catch_up.add_indexes(conn)
                        ours = state.end
                        done, goal, what = state.end, target, "indexing"
                    elif text and not state.text_whole:
                        stop = _step_end(fd, state.text_end, state.end, 1)
                        catch_up.index_texts(conn, fd, state, stop)
                        done, goal, what = state.text_end, state.end, "indexing text"
                    else:
                        # Not on an empty table: a build that follows (a first read asks
                        # whether a task is held, with nothing indexed yet) would then
                        # insert into each index line by line, a fifth slower at a million.
                        if state.events:
                            catch_up.add_indexes(conn)
                        return  # committed on the way out
                    write_state(conn, state)
                bars.update(what, done, goal, state.events)
        finally:
            bars.close()
            with contextlib.suppress(sqlite3.Error):
                conn.execute(_READING_CACHE)


def _cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _step_end(fd: int, start: int, stop: int, steps: int) -> int:
    """Where a step from ``start`` (a line's start) towards ``stop`` ends: a line's end,
    at most ``steps`` times ``_STEP_BYTES`` on, or the end of the one line longer."""
    end = complete_end(fd, min(stop, start + steps * _STEP_BYTES))
    return stop if end <= start else end


class _Bars:
    """The progress bars of a catch-up: one for the lines, one for the full-text part
    after them, each drawn once more than a step is left after its first."""

    def __init__(self) -> None:
        self._what = ""
        self._bar: BuildProgress | None = None

    def update(self, what: str, done: int, goal: int, events: int) -> None:
        if what != self._what:
            self.close()
            self._what = what
            if goal - done > _STEP_BYTES:
                self._bar = BuildProgress.on_terminal(done, goal, what)
        if self._bar is not None:
            self._bar.update(done, events)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def empty_view(store: JournalStore, fd: int | None = None) -> IndexView:
    """An index in memory with nothing in it yet, of the journal open as ``fd`` (its
    identity goes into cursors), or with ``None`` of no journal at all, for questions
    asked where there is no file."""
    conn = _connect(":memory:")
    reset(conn, store._use_fts)
    conn.execute("BEGIN")
    identity = (0, 0)
    if fd is not None:
        stat = os.fstat(fd)
        identity = (stat.st_dev, stat.st_ino)
    return IndexView(store, conn, fd, empty_state(identity, store._use_fts), own_connection=True)


_LINKING_S: Final = 0.01


def _put_in_place(path: Path, *, replace: bool) -> None:
    """Make a new, empty index in WAL mode beside ``path`` and rename it to ``path``:
    over what is there when ``replace`` (its -wal and -shm deleted first, so that they
    are never read as the new file's), else only if nothing is."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.new")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temporary)
    # Created here, 0600, so that SQLite (which would use the umask) does not; it gives
    # its -wal and -shm files the database's mode.
    os.close(os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
    try:
        conn = sqlite3.connect(temporary, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")  # writes the header: a sound file
        finally:
            conn.close()
        if not sound_index(temporary):  # SQLite could not write it (a full disk)
            raise _IndexUnusable("a new index file could not be written beside the journal")
        if replace:
            for suffix in ("-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{path}{suffix}")
            os.replace(temporary, path)
        else:
            with contextlib.suppress(FileExistsError):  # another process made one first
                os.link(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


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
    conn.execute(_READING_CACHE)
    return conn


# SQLite's page cache (negative: KiB). Reading wants little of its own: the pages stay in
# the system's cache, and a server that kept 64 MiB of full-text pages after a few broad
# searches grew by as much. A catch-up touches the indexes all over (tasks, ids): it
# gets room while it runs. More than 32 MiB made a first build no faster (its indexes of
# events are sorted at its end), only bigger.
_READING_CACHE: Final = "PRAGMA cache_size = -8192"
_CATCHING_UP_CACHE: Final = "PRAGMA cache_size = -32768"
