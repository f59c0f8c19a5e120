"""The incremental index: where each event's line is, each task's state, the idempotency keys.

Built once by scanning the file, then kept current by reading only the bytes
appended since, by this process or any other. A file that was replaced
(another inode) or truncated (shorter, or its last indexed bytes changed) is
indexed again from the start.

Memory grows with the number of events, not with their text: per event the
index keeps an offset, a length, a type code and a time in flat arrays
(21 bytes), and per task its title and the ordinals of its events (4 bytes
each). Results are read back from the file by offset.

File order is nearly, not strictly, time order (several processes append, and
their clocks differ a little), so times cannot be bisected. Two bounds per
block of 64 events can: the greatest time up to the block's end, and the
least from the block's start on. Both never decrease, so ``since`` and
``until`` bisect them to a range outside which no event matches, and only
that range is looked at.

Unfiltered reads need no index: they scan from the end (or from the cursor),
so the newest events of a huge journal come back at once in a fresh process.
Everything else builds the index on first use; ``build()`` does it up front.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import os
import threading
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from operator import attrgetter
from pathlib import Path
from typing import Annotated, Any, Final

import msgspec

from journal_core.cursor import (
    CURSOR_VERSION,
    CursorState,
    decode_cursor,
    encode_cursor,
    filters_digest,
)
from journal_core.errors import InvalidQuery, JournalUnavailable
from journal_core.events import EVENT_TYPES
from journal_core.query import (
    DEFAULT_LIMIT,
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
    complete_end,
    decode_line,
    forward_chunks,
    is_blank,
    open_journal_file,
    read_line,
)
from journal_core.writer import Tip

# About 20,000 tokens of JSON, at roughly 4 bytes a token.
PAGE_BYTES: Final = 80_000
TRUNCATED_NOTE: Final = (
    "This page was cut short to stay under about 20,000 tokens; "
    "call again with cursor=next_cursor for the rest."
)
TITLE_CHARS: Final = 200
# A task summary's JSON, less its title.
_SUMMARY_BYTES: Final = 200
_TAIL_BYTES: Final = 32
_BLOCK: Final = 64  # events per pair of time bounds

_TYPE_CODES: Final = {name: code for code, name in enumerate(EVENT_TYPES)}
_UNKNOWN_TYPE: Final = 255  # a newer writer's type: kept, never matched by a filter
_STATE_TYPES: Final = frozenset({"open", "reopen", "close", "rename"})


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


# gc=False: these are made and dropped a million times in a build, never in a cycle.
class _IndexedMeta(msgspec.Struct, gc=False):
    title: Any = None
    idempotency_key: Any = None


class _IndexedLine(msgspec.Struct, gc=False):
    """What the index takes from a line; msgspec skips the other fields without building them."""

    task_id: str
    type: str
    timestamp: Annotated[dt.datetime, msgspec.Meta(tz=True)]
    event_id: str
    meta: _IndexedMeta | None = None


class _LenientLine(msgspec.Struct, gc=False):
    """The same facts from a line with an odd field (say, meta not an object)."""

    task_id: str
    type: str
    time: float
    title: Any
    idempotency_key: Any


_line_decoder: Final = msgspec.json.Decoder(_IndexedLine)


class _Task:
    """A task's state as its events so far make it."""

    __slots__ = ("folded_title", "last", "opened", "ordinals", "status", "task_id", "title")

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        self.ordinals = array("I")  # positions in the event arrays, in file order
        self.last = 0  # the last of them, kept apart because list_tasks sorts on it
        self.title = ""
        self.folded_title = ""
        self.status = "open"
        self.opened = False

    def set_title(self, title: object) -> None:
        if isinstance(title, str) and title.strip():
            title = title.strip()
            if len(title) > TITLE_CHARS:
                title = title[: TITLE_CHARS - 1] + "…"
            self.title = title
            self.folded_title = title.casefold()


class _FileState:
    """Everything indexed from one file; replaced whole when the file is."""

    def __init__(self, identity: tuple[int, int] | None) -> None:
        self.identity = identity
        self.end = 0  # bytes indexed: always just after a "\n"
        self.tail = b""  # the last indexed bytes, to notice a rewritten file
        self.offsets = array("q")
        self.lengths = array("I")  # with the "\n"
        self.types = bytearray()
        self.times = array("d")  # POSIX seconds; NaN when the timestamp is not RFC 3339
        # Per block of _BLOCK events: the greatest time up to its end, and the
        # least from its start on. Both never decrease; NaN times are left out.
        self.max_upto = array("d")
        self.min_from = array("d")
        self.tasks: dict[str, _Task] = {}
        self.keys: dict[str, int] = {}  # idempotency key -> ordinal of its first event


class JournalIndex:
    """The index of one journal path; thread-safe. See the module docstring."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._state = _FileState(None)
        self._built = False

    # --- keeping current ----------------------------------------------------------

    @property
    def built(self) -> bool:
        """Whether the whole file has been indexed once (``refresh`` then keeps it current)."""
        return self._built

    def build(self) -> None:
        """Index the whole file now (a server calls this at start, in a thread)."""
        self.refresh()

    def refresh(self, tip: Tip | None = None) -> None:
        """Catch up with the file's end (whole lines only), re-indexing a replaced file.

        ``tip`` is the file's inode and size as a writer holding the lock sees them:
        when the index already ends there, nothing is read.
        """
        with self._lock:
            state = self._state
            if tip is not None and self._built and (state.identity, state.end) == tip:
                return
            with self._open() as fd:
                self._sync(fd)

    def note_written(self, tip: Tip, data: bytes) -> None:
        """Index the whole lines ``data`` that a writer holding the lock has just appended
        at ``tip``, without reading them back, if the index ends right there (else the
        next ``refresh`` reads them)."""
        with self._lock:
            state = self._state
            if self._built and (state.identity, state.end) == tip and data.endswith(b"\n"):
                _index_blocks(state, [(tip.size, data[:-1])])
                state.tail = (state.tail + data)[-_TAIL_BYTES:]

    def has_open(self, task_id: str) -> bool:
        """Whether the task has an ``open`` event, as of the last ``refresh``."""
        with self._lock:
            self._ensure_built()
            task = self._state.tasks.get(task_id)
            return task is not None and task.opened

    def find_key(self, key: str) -> dict[str, Any] | None:
        """The first event whose ``meta.idempotency_key`` is ``key``, as of the last ``refresh``."""
        with self._lock:
            self._ensure_built()
            state = self._state
            with self._open() as fd:
                if fd is None:
                    return None
                stat = os.fstat(fd)
                if (stat.st_dev, stat.st_ino) != state.identity:
                    self._sync(fd)  # the file was replaced since the last refresh
                    state = self._state
                ordinal = state.keys.get(key)
                if ordinal is None:
                    return None
                return read_line(fd, state.offsets[ordinal], state.lengths[ordinal])

    # --- queries ----------------------------------------------------------------

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
        unfiltered = task_id is None and wanted is None and since_s is None and until_s is None
        # Unfiltered reads touch no index state, so they do not wait for the lock.
        with self._open() as fd, self._lock if not unfiltered else _no_lock():
            if fd is None:
                _refuse_cursor_without_file(cursor, "events", order, digest)
                return EventPage(events=[], next_cursor=None)
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
                )
            if unfiltered:
                found = _scan(fd, stat.st_size, position, order)
            else:
                self._sync(fd)
                found = self._select(fd, task_id, wanted, since_s, until_s, position, order)

            def cursor_at(at: int) -> str:
                return encode_cursor(
                    CursorState(CURSOR_VERSION, "events", order, at, digest, *identity)
                )

            return _event_page(found, limit, order, cursor_at)

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
        with self._open() as fd, self._lock:
            if fd is None:
                _refuse_cursor_without_file(cursor, "tasks", "newest", digest)
                return TaskPage(tasks=[], next_cursor=None)
            self._sync(fd)
            state = self._state
            assert state.identity is not None
            bound = len(state.offsets)
            if cursor is not None:
                position = decode_cursor(
                    cursor,
                    kind="tasks",
                    order="newest",
                    filters=digest,
                    identity=state.identity,
                    size=state.end,
                )
                bound = bisect_left(state.offsets, position)
            # A task's last ordinal is unique to it, so it orders tasks and keys the pages.
            matching: Iterable[_Task] = state.tasks.values()
            if status != "any":
                matching = [task for task in matching if task.status == status]
            if needle is not None:
                matching = [task for task in matching if needle in task.folded_title]
            if bound < len(state.offsets):
                matching = [task for task in matching if task.last < bound]
            top = heapq.nlargest(limit + 1, matching, key=_last_ordinal)
            summaries: list[TaskSummary] = []
            used = 0
            for task in top[:limit]:
                used += len(task.title.encode()) + _SUMMARY_BYTES
                if summaries and used > PAGE_BYTES:
                    break
                summaries.append(_summary(fd, state, task))
            truncated = len(summaries) < len(top[:limit])
            next_cursor = None
            if len(summaries) < len(top):
                last = state.offsets[top[len(summaries) - 1].last]
                next_cursor = encode_cursor(
                    CursorState(CURSOR_VERSION, "tasks", "newest", last, digest, *state.identity)
                )
            return TaskPage(
                tasks=summaries,
                next_cursor=next_cursor,
                truncated=truncated,
                note=TRUNCATED_NOTE if truncated else None,
            )

    # --- inside the lock ------------------------------------------------------------

    @contextmanager
    def _open(self) -> Iterator[int | None]:
        """A read-only descriptor on the journal, ``None`` if there is no file yet."""
        try:
            fd = open_journal_file(self.path)
        except FileNotFoundError:
            yield None
            return
        except OSError as exc:
            raise JournalUnavailable(self.path, exc.strerror or str(exc)) from exc
        try:
            yield fd
        finally:
            os.close(fd)

    def _ensure_built(self) -> None:
        if not self._built:
            with self._open() as fd:
                self._sync(fd)

    def _sync(self, fd: int | None) -> None:
        """Bring the index up to the end of the file ``fd`` is open on."""
        if fd is None:
            self._state = _FileState(None)
            self._built = True
            return
        stat = os.fstat(fd)
        identity = (stat.st_dev, stat.st_ino)
        state = self._state
        if (
            state.identity != identity
            or stat.st_size < state.end
            or os.pread(fd, len(state.tail), state.end - len(state.tail)) != state.tail
        ):
            state = self._state = _FileState(identity)
        if stat.st_size > state.end:
            _index_lines(state, fd, stat.st_size)
        self._built = True

    def _select(
        self,
        fd: int,
        task_id: str | None,
        wanted: frozenset[str] | None,
        since: float | None,
        until: float | None,
        position: int | None,
        order: str,
    ) -> Iterator[tuple[int, int, dict[str, Any]]]:
        """The indexed events that match, in ``order``, from ``position`` on."""
        state = self._state
        # Every event before ``start`` is older than ``since``, every one from
        # ``stop`` on is not older than ``until`` (or has no usable time).
        size = len(state.times)
        start = 0 if since is None else min(size, bisect_left(state.max_upto, since) * _BLOCK)
        stop = size if until is None else min(size, bisect_left(state.min_from, until) * _BLOCK)
        ordinals: Sequence[int]
        if task_id is None:
            ordinals = range(len(state.offsets))
            first, last = start, stop
        else:
            task = state.tasks.get(task_id)
            if task is None:
                raise InvalidQuery(
                    "task_id",
                    f"no task '{task_id}' in this journal; list_tasks shows the tasks there are",
                )
            ordinals = task.ordinals
            first, last = bisect_left(ordinals, start), bisect_left(ordinals, stop)
        # Offsets grow with ordinals, so a byte position splits both sequences.
        if position is not None:
            split = bisect_left(ordinals, bisect_left(state.offsets, position))
            if order == "newest":
                last = min(last, split)
            else:
                first = max(first, split)
        codes = None if wanted is None else {_TYPE_CODES[name] for name in wanted}
        types, times = state.types, state.times
        candidates: Iterable[int]
        if task_id is None and codes is not None:
            candidates = _of_types(types, codes, first, last, order)
        elif order == "newest":
            candidates = (ordinals[step] for step in range(last - 1, first - 1, -1))
        else:
            candidates = (ordinals[step] for step in range(first, last))
        for ordinal in candidates:
            if codes is not None and types[ordinal] not in codes:
                continue
            # Written "not (a >= b)" so that a NaN time matches no time filter.
            if since is not None and not times[ordinal] >= since:
                continue
            if until is not None and not times[ordinal] < until:
                continue
            offset, length = state.offsets[ordinal], state.lengths[ordinal]
            event = read_line(fd, offset, length)
            if event is not None:
                yield offset, length, event


def _of_types(
    types: bytearray, codes: set[int], start: int, stop: int, order: str
) -> Iterator[int]:
    """Ordinals from ``start`` to ``stop`` of the events with these type codes, in
    ``order``, found by the bytearray's own search, not a Python loop: a rare type
    in a million events costs milliseconds, not a full walk."""
    if order == "newest":
        heads = {code: types.rfind(code, start, stop) for code in codes}
        while (ordinal := max(heads.values())) >= 0:
            yield ordinal
            heads[types[ordinal]] = types.rfind(types[ordinal], start, ordinal)
    else:
        heads = {code: _found_or(types.find(code, start, stop), stop) for code in codes}
        while (ordinal := min(heads.values())) < stop:
            yield ordinal
            heads[types[ordinal]] = _found_or(types.find(types[ordinal], ordinal + 1, stop), stop)


def _found_or(found: int, stop: int) -> int:
    return stop if found < 0 else found


@contextmanager
def _no_lock() -> Iterator[None]:
    yield


def _refuse_cursor_without_file(cursor: str | None, kind: str, order: str, digest: bytes) -> None:
    if cursor is not None:
        decode_cursor(cursor, kind=kind, order=order, filters=digest, identity=None, size=0)


_last_ordinal: Final = attrgetter("last")


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
        if not is_blank(raw):
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


def _summary(fd: int, state: _FileState, task: _Task) -> TaskSummary:
    first = read_line(fd, state.offsets[task.ordinals[0]], state.lengths[task.ordinals[0]])
    last = read_line(fd, state.offsets[task.ordinals[-1]], state.lengths[task.ordinals[-1]])
    return TaskSummary(
        task_id=task.task_id,
        title=task.title,
        status=task.status,
        created_at=first["timestamp"] if first else "",
        last_event_at=last["timestamp"] if last else "",
        event_count=len(task.ordinals),
    )


def _index_lines(state: _FileState, fd: int, stop: int) -> None:
    """Add the complete lines between ``state.end`` and ``stop`` to the index."""
    _index_blocks(state, forward_chunks(fd, state.end, stop))
    state.tail = os.pread(fd, min(_TAIL_BYTES, state.end), state.end - min(_TAIL_BYTES, state.end))


def _index_blocks(state: _FileState, blocks: Iterable[tuple[int, bytes]]) -> None:
    """Add blocks of whole lines (as ``forward_chunks`` gives them) from ``state.end`` on.

    The hot loop of a cold build: a million lines should take a few seconds.
    """
    offsets, lengths, types, times = state.offsets, state.lengths, state.types, state.times
    tasks, keys = state.tasks, state.keys
    type_code, unknown, state_types = _TYPE_CODES.get, _UNKNOWN_TYPE, _STATE_TYPES
    ordinal = first = len(offsets)
    decode = _line_decoder.decode
    for base, block in blocks:
        # The struct decoder does not check the UTF-8 of the fields it skips:
        # check the whole block at once, and line by line only if it fails.
        utf8 = block.isascii() or _is_utf8(block)
        offset = base
        for raw in block.split(b"\n"):
            length = len(raw) + 1
            line: _IndexedLine | _LenientLine | None
            try:
                line = decode(raw) if utf8 else _decode_one(raw)
            except msgspec.DecodeError:
                line = _lenient(raw)
            if line is None:
                offset += length
                continue
            if isinstance(line, _IndexedLine):
                when = line.timestamp.timestamp()
                meta = line.meta
                title, key = (None, None) if meta is None else (meta.title, meta.idempotency_key)
            else:
                when, title, key = line.time, line.title, line.idempotency_key
            kind = line.type
            offsets.append(offset)
            lengths.append(length)
            types.append(type_code(kind, unknown))
            times.append(when)
            task = tasks.get(line.task_id)
            if task is None:
                task = tasks[line.task_id] = _Task(line.task_id)
                if kind != "open":
                    task.set_title(_text(raw))  # a stand-in until an open names it
            task.ordinals.append(ordinal)
            task.last = ordinal
            if kind in state_types:
                _apply(task, kind, title, raw)
            if key is not None and isinstance(key, str):
                keys.setdefault(key, ordinal)
            ordinal += 1
            offset += length
        state.end = base + len(block) + 1
    _extend_time_bounds(state, first)


def _extend_time_bounds(state: _FileState, first: int) -> None:
    """Bring the time bounds up to date with the events from ``first`` on.

    The block holding ``first`` and those after it are computed again. Each
    ``max``/``min`` starts from a number, never NaN, and a NaN time compares
    false, so it is skipped.
    """
    times, max_upto, min_from = state.times, state.max_upto, state.min_from
    starts = range(first - first % _BLOCK, len(times), _BLOCK)
    if not starts:
        return
    changed = starts.start // _BLOCK
    del max_upto[changed:], min_from[changed:]
    greatest = max_upto[-1] if max_upto else -math.inf
    for begin in starts:
        greatest = max(chain((greatest,), times[begin : begin + _BLOCK]))
        max_upto.append(greatest)
    least = math.inf
    new_least = array("d")
    for begin in reversed(starts):
        least = min(chain((least,), times[begin : begin + _BLOCK]))
        new_least.append(least)
    new_least.reverse()
    # The earlier blocks' suffixes now reach over the new events too: lower
    # those above the least new time. With times that mostly grow, few or none.
    above = bisect_right(min_from, least)
    if above < len(min_from):
        min_from[above:] = array("d", [least]) * (len(min_from) - above)
    min_from.extend(new_least)


def _decode_one(raw: bytes) -> _IndexedLine | _LenientLine | None:
    """The slow path for a block that is not all valid UTF-8."""
    try:
        raw.decode()
        return _line_decoder.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return _lenient(raw)


def _apply(task: _Task, kind: str, title: object, raw: bytes) -> None:
    """What an open, reopen, close or rename event changes in its task."""
    if kind == "close":
        task.status = "closed"
        return
    if kind == "open":
        task.opened = True
    if kind in ("open", "reopen"):
        task.status = "open"
    if kind in ("open", "rename"):
        # The title is meta.title, else the event's text.
        if isinstance(title, str) and title.strip():
            task.set_title(title)
        else:
            task.set_title(_text(raw))


def _text(raw: bytes) -> object:
    event = decode_line(raw)
    return None if isinstance(event, str) else event.get("text")


def _lenient(raw: bytes) -> _LenientLine | None:
    """The index fields of a line the struct decoder refused, if it is an event at all."""
    if is_blank(raw):
        return None
    event = decode_line(raw)
    if isinstance(event, str):
        return None
    meta = event.get("meta")
    if not isinstance(meta, dict):
        meta = {}
    return _LenientLine(
        task_id=event["task_id"],
        type=event["type"],
        time=_seconds(event["timestamp"]),
        title=meta.get("title"),
        idempotency_key=meta.get("idempotency_key"),
    )


def _seconds(timestamp: str) -> float:
    """POSIX seconds of an RFC 3339 timestamp; NaN when it is not one."""
    try:
        moment = dt.datetime.fromisoformat(timestamp)
    except ValueError:
        return float("nan")
    return float("nan") if moment.tzinfo is None else moment.timestamp()


def _is_utf8(block: bytes) -> bool:
    try:
        block.decode()
    except UnicodeDecodeError:
        return False
    return True
