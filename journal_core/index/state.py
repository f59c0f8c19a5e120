"""What the derived index says of itself (its ``state`` row), the check that it was made
from the journal file at hand, and a quick look at it that changes nothing.

``journal_core.index.store`` keeps the index and catches it up; it trusts a state only when
``made_from`` says so. ``current_open_tasks`` asks the same question first, and answers
only from an index that is already whole for the file: the status line, run at every
redraw of Claude Code's status bar, reads it without importing msgspec or the store
(40 ms of start-up), and leaves every other case to the store.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from pathlib import Path
from typing import Final, TypeGuard

from journal_core.errors import JournalUnavailable
from journal_core.index import sql
from journal_core.journal_file import complete_end, open_journal_file
from journal_core.rules import RULES

INDEX_SUFFIX: Final = ".index.sqlite"
# How much of the journal before the indexed end is digested to recognise the file.
TAIL_BYTES: Final = 4096
NO_END: Final = 1 << 62  # past any offset


class IndexState:
    """The ``state`` row: which file was indexed (device, inode), how far (``end``), the
    digest of the bytes just before ``end``, the event count, whether full-text search
    is in it and how far its documents are in (``text_end``, at most ``end``), and the
    rules it was built under (``journal_core.rules.RULES``)."""

    __slots__ = (
        "device",
        "end",
        "events",
        "fts",
        "inode",
        "rules",
        "schema",
        "tail",
        "text_end",
    )

    def __init__(
        self,
        *,
        schema: int,
        device: int,
        inode: int,
        end: int,
        tail: bytes,
        events: int,
        fts: bool,
        rules: str = RULES,
        text_end: int = 0,
    ) -> None:
        self.schema = schema
        self.device = device
        self.inode = inode
        self.end = end
        self.tail = tail
        self.events = events
        self.fts = fts
        self.rules = rules
        self.text_end = text_end

    @property
    def text_whole(self) -> bool:
        """Whether search can be answered: every indexed event has its document (or the
        index has no full-text part)."""
        return not self.fts or self.text_end >= self.end


def index_path_of(journal_path: Path) -> Path:
    return Path(f"{journal_path}{INDEX_SUFFIX}")


def read_state(conn: sqlite3.Connection) -> IndexState | None:
    """The state row, ``None`` if there is none or it is of an older shape."""
    try:
        row = conn.execute(sql.READ_STATE).fetchone()
    except sqlite3.OperationalError:  # no state table, or one of an older shape
        return None
    if row is None:
        return None
    return IndexState(
        schema=row[0],
        device=row[1],
        inode=row[2],
        end=row[3],
        tail=bytes(row[4]),
        events=row[5],
        fts=bool(row[6]),
        rules=row[7],
        text_end=row[8],
    )


def made_from(state: IndexState, fd: int, identity: tuple[int, int]) -> bool:
    """Whether the index was made, by this schema and under these rules (the event types
    and the fold's version), from the first ``end`` bytes of the file open on ``fd``
    (whose device and inode are ``identity``)."""
    if (
        state.schema != sql.SCHEMA_VERSION
        or state.rules != RULES
        or (state.device, state.inode) != identity
    ):
        return False
    return state.end <= os.fstat(fd).st_size and tail_digest(fd, state.end) == state.tail


def holds(
    state: IndexState | None, fd: int, identity: tuple[int, int], target: int
) -> TypeGuard[IndexState]:
    """Whether the index (its ``state``) holds the file open on ``fd`` up to ``target``
    at least: made from it (``made_from``), and read that far."""
    return state is not None and state.end >= target and made_from(state, fd, identity)


def tail_digest(fd: int, end: int) -> bytes:
    start = max(0, end - TAIL_BYTES)
    data = os.pread(fd, end - start, start) if end else b""
    return hashlib.blake2b(data, digest_size=16).digest()


SQLITE_HEADER: Final = b"SQLite format 3\x00"


def sound_index(path: Path) -> bool:
    """Whether ``path`` is a regular file that starts as a SQLite database does."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        return (
            stat.S_ISREG(os.fstat(fd).st_mode)
            and os.pread(fd, len(SQLITE_HEADER), 0) == SQLITE_HEADER
        )
    finally:
        os.close(fd)


def current_open_tasks(journal_path: Path) -> list[tuple[str, str]] | None:
    """The open tasks as ``(task id, last event time)``, the most recently active first,
    if the index holds every complete line of the journal; ``None`` when it cannot say
    so (no index, made from another file, behind the journal, busy, unreadable): then
    only ``JournalStore``, which first catches the index up, can answer.

    Opens the index read-only, so it never creates, repairs or changes anything.
    """
    try:
        fd = open_journal_file(journal_path)
    except (OSError, JournalUnavailable):
        return None
    try:
        index = index_path_of(journal_path)
        if not sound_index(index):
            return None  # missing or damaged: SQLite could wait on its locks to find out
        try:
            conn = sqlite3.connect(f"{index.as_uri()}?mode=ro", uri=True, isolation_level=None)
        except sqlite3.Error:
            return None
        try:
            conn.execute("BEGIN")
            state = read_state(conn)
            stat = os.fstat(fd)
            whole = complete_end(fd, stat.st_size)
            if not holds(state, fd, (stat.st_dev, stat.st_ino), whole):
                return None
            arguments = {"status": "open", "at": None, "id": None, "needle": None, "limit": -1}
            rows = conn.execute(sql.TASKS_WITH_STATUS, arguments).fetchall()
            return [(str(row[0]), str(row[4])) for row in rows]
        except sqlite3.Error:
            return None
        finally:
            conn.close()
    finally:
        os.close(fd)


def index_lag(journal_path: Path) -> int:
    """How many bytes of the journal the index does not hold yet: all of them when there is
    no index, or one made from another file or by another schema; 0 with no journal.

    Opens the index read-only, so it never creates, repairs or changes anything: a status
    line asks it to know whether catching up could keep it waiting.
    """
    state, size = indexed_state(journal_path)
    return size if state is None else max(size - state.end, 0)


def indexed_state(journal_path: Path) -> tuple[IndexState | None, int]:
    """The index's state row if the index was made from this journal (``made_from``),
    else ``None``; and the journal's size (0 with no journal). Opens the index read-only:
    nothing is created, repaired or changed."""
    try:
        fd = open_journal_file(journal_path)
    except (OSError, JournalUnavailable):
        return None, 0
    try:
        stat = os.fstat(fd)
        index = index_path_of(journal_path)
        if not index.is_file():
            return None, stat.st_size
        try:
            conn = sqlite3.connect(f"{index.as_uri()}?mode=ro", uri=True, isolation_level=None)
        except sqlite3.Error:
            return None, stat.st_size
        try:
            state = read_state(conn)
        except sqlite3.Error:
            return None, stat.st_size
        finally:
            conn.close()
        if state is None or not made_from(state, fd, (stat.st_dev, stat.st_ino)):
            return None, stat.st_size
        return state, stat.st_size
    finally:
        os.close(fd)
