"""The full-text part of a build from scratch, made beside the rest (SPEC §6, first use).

A first build of a big journal spends about as long on its full-text documents as on
the rest, each mostly the work of one core. Where the index has none of its full text
and much is to index, ``TextBeside`` starts a process of its own that puts the
documents of the journal's event lines into an FTS5 table of the index's shape, in a
temporary file, while this process indexes the structure. ``merge`` then copies that
table into the index in one transaction, where it fits exactly: the same file and
bytes, and one document for each indexed event, none for another line (a repeated
line has no row). Otherwise it is dropped and the documents go in the usual way
(``catch_up.index_texts``); either way the index ends the same.

The table is copied as FTS5 stores it, its shadow tables: both were made by this
SQLite with the same definition, so their formats agree. The copy is made on a
connection of its own, closed after: FTS5 keeps what it read of its table for each
connection, and the others learn of the change from the commit.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Final

from journal_core.index import sql
from journal_core.index.catch_up import committed, event_lines, line_decoder, write_state
from journal_core.index.state import read_state, tail_digest
from journal_core.journal_file import complete_end
from journal_core.reader import gc_paused

# Documents inserted at a time by the side process, which looks for its parent between.
_BATCH: Final = 20_000
# A side's folder in the temporary one: this, the pid of the process it works for, "-".
_PREFIX: Final = "task-journal-text-"
# What the side says when its table is made; it then waits for its input to close.
_MADE: Final = b"made\n"
# How long a side may take to remove its folder and end once told to.
_CLOSING_S: Final = 5.0


class TextBeside:
    """A side process building the full text of the journal open on ``fd``, as far as its
    complete lines reached when it started, into ``folder``; ``close`` ends it and removes
    what it made."""

    def __init__(self, process: subprocess.Popen[bytes], fd: int, folder: Path) -> None:
        self.process = process
        self.fd = fd
        self.folder = folder

    @property
    def side(self) -> Path:
        return self.folder / "text.sqlite"

    @classmethod
    def start(cls, journal: Path) -> TextBeside | None:
        """The side process for ``journal``, ``None`` where it cannot start (the build
        then goes the usual way)."""
        try:
            fd = os.open(journal, os.O_RDONLY | os.O_CLOEXEC)
            # Where the side stops is fixed here, before the build looks: the build then
            # reaches at least as far, however many lines come meanwhile.
            stop = complete_end(fd, os.fstat(fd).st_size)
        except OSError:
            return None
        _sweep()
        try:
            folder = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-"))
        except OSError:
            os.close(fd)
            return None
        # The side runs this module from the same code, wherever it was imported from.
        code_root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            filter(None, (code_root, os.environ.get("PYTHONPATH")))
        )}  # fmt: skip
        argv = [sys.executable, "-m", __name__, str(fd), str(stop), str(folder / "text.sqlite")]
        try:
            process = subprocess.Popen(
                [*argv, str(os.getpid())],
                pass_fds=(fd,),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
            )
        except OSError:
            os.close(fd)
            shutil.rmtree(folder, ignore_errors=True)
            return None
        return cls(process, fd, folder)

    def finished(self) -> bool:
        """Wait for the side process to make its table; whether it did."""
        assert self.process.stdout is not None
        return self.process.stdout.readline() == _MADE

    def close(self) -> None:
        """End the side process: it removes its folder when its input closes (as it
        does when this process ends, however)."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=_CLOSING_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()
        os.close(self.fd)
        shutil.rmtree(self.folder, ignore_errors=True)  # if it was killed first


def merge(conn: sqlite3.Connection, beside: TextBeside) -> bool:
    """Copy the side's full-text table into the index on ``conn`` (a connection of its own,
    used for nothing else) if it fits (see the module docstring); whether it did."""
    if not beside.finished():
        return False
    conn.execute(sql.ATTACH_SIDE, (str(beside.side),))
    try:
        conn.execute("BEGIN IMMEDIATE")
        with committed(conn):
            stop = _fitting_end(conn, beside.fd)
            if stop is not None:
                for statement in sql.COPY_SIDE_TEXT:
                    conn.execute(statement)
                state = read_state(conn)
                assert state is not None  # _fitting_end read it
                state.text_end = stop
                write_state(conn, state)
    finally:
        conn.execute(sql.DETACH_SIDE)
    return stop is not None


def _fitting_end(conn: sqlite3.Connection, fd: int) -> int | None:
    """Where the side's documents end, if they are those of the index's events before it
    and the index has none yet; else ``None``."""
    state = read_state(conn)
    made = conn.execute(sql.READ_SIDE).fetchone()
    if state is None or made is None or not state.fts or state.text_end != 0:
        return None
    device, inode, stop, tail, documents = made
    if (device, inode) != (state.device, state.inode) or stop > state.end:
        return None
    # The index vouches for the bytes up to its end: these are the bytes the side read.
    if tail_digest(fd, stop) != tail:
        return None
    # Every document is an event line's; a repeated line has a document but no row.
    if conn.execute(sql.COUNT_EVENTS_BEFORE, (stop,)).fetchone()[0] != documents:
        return None
    return int(stop)


def _sweep() -> None:
    """Remove the folders of sides whose process is gone (killed with its side)."""
    with contextlib.suppress(OSError):
        for folder in Path(tempfile.gettempdir()).glob(f"{_PREFIX}*-*"):
            owner = folder.name[len(_PREFIX) :].split("-")[0]
            if owner.isdigit() and not _alive(int(owner)):
                shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        return True
    return True


def _make(fd: int, stop: int, target: str, parent: int) -> None:
    """The side process's work: the documents of the event lines of the file open on
    ``fd`` before ``stop`` (a line's end) into a new FTS5 table at ``target``, and a row
    saying of which file and bytes."""
    from journal_core.search import document_fields

    stat = os.fstat(fd)
    conn = sqlite3.connect(target, isolation_level=None)
    # A file of this process alone, dropped if anything goes wrong: no journal needed.
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute(sql.CREATE_FTS)
    conn.execute(sql.CREATE_SIDE)
    conn.execute("BEGIN")
    documents: list[tuple[Any, ...]] = []
    count = 0
    with gc_paused():  # lines decoded as the build's own catch-up decodes them
        for offset, _, _, line in event_lines(fd, 0, stop, line_decoder.decode):
            documents.append((offset, *document_fields(line.type, line.text, line.meta, line.refs)))
            if len(documents) == _BATCH:
                _go_on_for(parent, conn)
                conn.executemany(sql.INSERT_FTS, documents)
                count += len(documents)
                documents.clear()
        conn.executemany(sql.INSERT_FTS, documents)
    count += len(documents)
    conn.execute(sql.WRITE_SIDE, (stat.st_dev, stat.st_ino, stop, tail_digest(fd, stop), count))
    _go_on_for(parent, conn)
    conn.execute("COMMIT")
    conn.close()
    # The table is the build's to copy until it closes this process's input: then (or
    # when the build's process ends, killed or not, which closes it too) it goes.
    sys.stdout.buffer.write(_MADE)
    sys.stdout.buffer.flush()
    sys.stdin.buffer.read()


def _go_on_for(parent: int, conn: sqlite3.Connection) -> None:
    """Go on while the build it works for does; else end (``_main`` removes the rest)."""
    if os.getppid() != parent:
        conn.close()
        raise SystemExit(1)


def _main(argv: list[str]) -> int:
    fd, stop, target, parent = int(argv[0]), int(argv[1]), argv[2], int(argv[3])
    # A Ctrl-C on the terminal reaches the whole group: the build it works for ends it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _make(fd, stop, target, parent)
    except (OSError, sqlite3.Error) as error:  # the build makes the full text itself
        if os.getppid() == parent:
            print(f"task-journal: no full text made beside the index: {error}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(Path(target).parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
