"""The one way bytes get into a journal: lock, repair, whole write, cut back, fsync.

Several processes share a journal (one server per editor session, the CLI, hooks),
and the Rust ``task-journal`` tool may append beside them, so every append holds
two locks: the sidecar ``<journal>.lock`` (what our own writers agree on) and an
exclusive ``flock`` on the journal itself (what the Rust writers take).

Locking. On Unix filelock's lock *is* a ``flock`` of the sidecar file, so the hot
path takes that same flock itself, on a descriptor it keeps open: about a
microsecond, against some 130 µs of filelock's bookkeeping per acquire. Every
filelock user still excludes us and we them. filelock's users may delete and
re-create the file, so after each flock the writer checks that the path still
names the inode it locked, and reopens if not. filelock stays where it serves:
it creates the lock file the first time (``open``), with its own checks, and it
takes over on a filesystem without ``flock``, where it falls back to its own
locking. A held sidecar lock is waited for in the kernel's flock queue, which
serves waiters in turn, by one thread per writer that is reused by every wait
(``_FlockQueue``): a caller that times out leaves no thread or descriptor behind.
The journal's own flock, held only by a Rust writer, is tried again after a
growing pause.

Commits. There is no committer thread. An append encodes its line first (an event
that cannot be encoded fails alone), queues it and, when no other thread of the
process is writing, writes the queue itself: lock, admit, write, unlock. Threads
that come meanwhile wait; the writer hands its role to the first of them, who
writes everything queued by then as one batch (group commit).

Durability (``always`` mode). A batch is synced after the locks and the writer's
role are let go, so the next batch is written while this one syncs, and one fsync
covers what every writer, in any process, wrote before it began. Syncs are
serialized (a mutex in the process, an OFD lock on the sidecar's first bytes
across processes, waited for at most ``_SYNC_WAIT_S``), and a "synced up to"
offset is kept for the journal's inode: in the process, and in a record at the
start of the sidecar file, written only under that OFD lock (and read under it, or
while waiting for it: a torn read fails the record's CRC). A batch whose bytes lie
below a synced offset is answered without an fsync of its own; otherwise the
syncer notes the file's size X, fsyncs, and records X. Before it fsyncs, a syncer
waits a moment for a batch another thread is writing, so that its fsync covers it.

Why this never answers ``durable`` too early: a recorded X was measured before an
fsync that then succeeded, so every byte below X had been written before that
fsync began, and an fsync makes durable all of the file's data written before it,
whichever process wrote it. The record names the inode (a replaced journal starts
from nothing), nothing truncates a journal below a recorded offset (a cut-back
removes only the failed write's own bytes, which lie above the size at its
start), and a record that does not check out (torn, foreign, for a file shorter
than it claims) counts as nothing synced. A failed fsync may have dropped bytes
written before it, and Linux then marks them clean, so a later fsync succeeds
without them: the writer remembers the range it could not sync and never again
calls bytes there durable (a retried key whose event lies there is answered
``durable: false``). That memory is the process's own; another process cannot
know of the failure (Linux reports it to the descriptors open at the time).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import struct
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final, NamedTuple

import filelock
import msgspec

from journal_core.errors import (
    InvalidEvent,
    JournalBusy,
    JournalDurabilityUnknown,
    JournalError,
    JournalUnavailable,
    JournalWriteFailed,
)
from journal_core.events import Event, encode_line
from journal_core.reader import open_journal_file

log = logging.getLogger(__name__)

# A held lock is tried again after a pause that doubles from the first to the last.
_FIRST_PAUSE_S: Final = 0.00002
_LAST_PAUSE_S: Final = 0.0005
# The longest a sync waits for a batch another thread is writing, which its fsync
# then covers too: a few batches' writing time, a fraction of an fsync's.
_GATHER_S: Final = 0.001
# The longest a sync waits for another process's to end before it fsyncs alone: long
# enough for most fsyncs, short enough that a hung process costs each append little.
_SYNC_WAIT_S: Final = 0.25
# Errors of a filesystem that has no flock: filelock's own fallback takes over.
_NO_FLOCK: Final = frozenset({errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOLCK})

# The sync record at the start of the sidecar: magic, device, inode, synced-up-to
# offset, and a CRC of those, so that a torn or foreign record counts as nothing.
_RECORD: Final = struct.Struct("<8sQQQI")
_MAGIC: Final = b"tjsync1\0"
# OFD locks (Linux) lock byte ranges per open file, apart from flock; struct flock
# on the LP64 Linux ABIs: l_type, l_whence, l_start, l_len, l_pid, padding.
_OFD: Final = sys.platform == "linux" and hasattr(fcntl, "F_OFD_SETLK")
_FLOCK_STRUCT: Final = struct.Struct("hhqqi4x")


class Tip(NamedTuple):
    """Where a journal file ends: its inode (device, inode number) and its size."""

    identity: tuple[int, int]
    size: int


# What an admission check says of each event of a batch, under the lock (the file
# ending at the tip given): None to write it, the earlier event's dict for a
# duplicate, or an error.
Verdict = JournalError | dict[str, Any] | None
Admit = Callable[[Sequence[Event], Tip], list[Verdict]]
# Told, under the lock, of the bytes just written at a tip: an index can take them in
# without reading them back.
OnWritten = Callable[[Tip, bytes], None]


class WriterStats(msgspec.Struct, frozen=True, kw_only=True):
    """Counts since the writer was made: events written, lock holds that wrote, fsyncs."""

    appends: int
    batches: int
    fsyncs: int


class Written(msgspec.Struct, frozen=True, kw_only=True):
    """What became of one appended event."""

    durable: bool
    duplicate_of: dict[str, Any] | None = None


class _Request:
    """One queued event; its caller sleeps on ``wake`` until answered or made the writer."""

    __slots__ = ("duplicate_of", "error", "event", "line", "outcome", "promoted", "wake")

    def __init__(self, event: Event, line: bytes) -> None:
        self.event = event
        self.line = line
        self.outcome: Written | None = None
        self.error: BaseException | None = None
        self.duplicate_of: dict[str, Any] | None = None
        self.promoted = False
        # A lock per caller, not one shared condition: answering a batch wakes
        # exactly its callers, who then do not fight over one mutex to return.
        self.wake = threading.Lock()
        self.wake.acquire()

    def result(self) -> Written:
        if self.error is not None:
            raise self.error
        assert self.outcome is not None
        return self.outcome


class _Batch(msgspec.Struct, kw_only=True):
    """What one lock hold wrote: the journal's bytes from ``start`` to ``end``."""

    requests: list[_Request]
    identity: tuple[int, int]
    start: int  # the file's size when the lock was taken
    end: int
    written: int  # lines
    sync_fd: int | None = None  # a duplicate of the journal's descriptor, for the fsync
    patient: bool = True  # False in place on an event loop: the sync waits for no one


def _admit_all(events: Sequence[Event], tip: Tip) -> list[Verdict]:
    return [None] * len(events)


def make_private_dirs(folder: Path) -> None:
    """Create ``folder`` and any missing parents with mode 0700 (journals are private)."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it first
            path.mkdir(mode=0o700)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class JournalWriter:
    """Appends events to one journal file; safe across threads and processes.

    One per process and path; a forked child makes its own state (``_after_fork``).
    """

    def __init__(
        self,
        path: Path,
        *,
        durability: str = "always",
        lock_timeout: float = 10.0,
        admit: Admit = _admit_all,
        on_written: OnWritten | None = None,
    ) -> None:
        self.path = path
        self.durability = durability
        self.lock_timeout = lock_timeout
        self._admit = admit
        self._on_written = on_written
        self._lock_path = Path(f"{path}.lock")
        self._pid = -1
        self._after_fork()

    def _after_fork(self) -> None:
        """(Re)make the per-process state: locks, descriptors and threads do not cross fork."""
        if self._pid != -1:
            # Inherited descriptors share their locks with the parent: close ours of them.
            inherited = ("_fd", "_lock_fd", "_queued_fd")
            for fd in (self.__dict__.get(name) for name in inherited):
                if fd is not None:
                    with contextlib.suppress(OSError):
                        os.close(fd)
        self._pid = os.getpid()
        self._fd: int | None = None
        self._identity: tuple[int, int] | None = None
        self._lock_fd: int | None = None
        self._lock_identity: tuple[int, int] | None = None
        # Set on a filesystem without flock: filelock then takes the sidecar lock.
        self._filelock: filelock.FileLock | None = None
        # A held sidecar lock is waited for in the kernel's queue, fairly; the
        # descriptor that got it is held here until the commit lets go.
        self._flock_queue = _FlockQueue(self._lock_path)
        self._queued_fd: int | None = None
        # Guards the queue and the writer's role; told when a writer lets go of it.
        self._mutex = threading.Lock()
        self._let_go_of = threading.Condition(self._mutex)
        self._queue: list[_Request] = []
        self._writing = False
        # One sync at a time in the process; what is known synced, and what may be lost.
        self._sync_mutex = threading.Lock()
        self._synced_identity: tuple[int, int] | None = None
        self._synced_to = 0
        self._suspect: list[tuple[int, int]] = []
        self._appends = self._batches = self._fsyncs = 0

    # --- the public face --------------------------------------------------------

    def open(self) -> None:
        """Create the folder (0700), file (0600) and lock file if needed; prove them usable."""
        self._check_fork()
        try:
            os.close(self._open_path())
        except OSError as error:
            raise JournalUnavailable(self.path, _describe(error)) from None
        # filelock makes the lock file the first time, with its own safety checks
        # (it is the library every Python writer of this journal agrees on).
        creator = filelock.FileLock(self._lock_path, mode=0o600, preserve_lock_file=True)
        try:
            creator.acquire(blocking=False)
            creator.release()
        except filelock.Timeout:
            pass  # held by another writer: it exists, and the wait below proves it usable
        except OSError as error:
            raise JournalUnavailable(self.path, f"cannot lock: {_describe(error)}") from None
        with self._role():
            try:
                fd = self._lock(time.monotonic() + self.lock_timeout)
            except JournalWriteFailed as error:
                raise JournalUnavailable(self.path, error.reason) from None
            assert fd is not None
            self._unlock(fd)

    def append(self, event: Event) -> Written:
        """Write ``event`` as one whole line; return once it is written (and synced in
        ``always`` mode). Raises what the admission check refuses, ``JournalBusy`` or
        ``JournalWriteFailed`` (nothing of the event is on disk), or
        ``JournalDurabilityUnknown`` (it was written, but its fsync failed).
        """
        self._check_fork()
        request = _Request(event, self._encode(event))
        with self._mutex:
            self._queue.append(request)
            lead = not self._writing
            self._writing = True
        if not lead:
            request.wake.acquire()
            if not request.promoted:
                return request.result()
        self._lead(time.monotonic() + self.lock_timeout, request)
        return request.result()

    def try_append(self, event: Event) -> Written | None:
        """``append`` if it needs to wait for nothing: no other thread writing or
        syncing, the locks free at once. Else ``None`` and nothing done, so that an
        event loop can append in place and hand the waiting cases to a thread.
        """
        self._check_fork()
        line = self._encode(event)
        with self._mutex:
            if self._writing or self._queue or self._sync_mutex.locked():
                return None
            self._writing = True
            request = _Request(event, line)
            self._queue.append(request)
        if not self._lead(None, request):
            return None
        return request.result()

    def flush(self) -> int:
        """fsync the journal, covering bytes any process wrote; return the size synced."""
        self._check_fork()
        try:
            # A descriptor of its own: a writer's may be swapped meanwhile.
            fd = self._open_path()
        except OSError as error:
            raise JournalWriteFailed(self.path, f"cannot open: {_describe(error)}") from None
        try:
            with self._sync_mutex:
                stat = os.fstat(fd)
                identity = (stat.st_dev, stat.st_ino)
                self._fsync(fd, identity, stat.st_size)
                return stat.st_size
        except JournalDurabilityUnknown as error:
            raise JournalWriteFailed(self.path, error.reason) from None
        finally:
            os.close(fd)

    def stats(self) -> WriterStats:
        with self._mutex:
            return WriterStats(appends=self._appends, batches=self._batches, fsyncs=self._fsyncs)

    def close(self) -> None:
        """Release the files, once the appends under way in other threads are done."""
        if self._pid != os.getpid():
            return
        with self._role(), self._sync_mutex:
            for fd in (self._fd, self._lock_fd):
                if fd is not None:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            self._fd = self._identity = self._lock_fd = self._lock_identity = None

    @contextlib.contextmanager
    def _role(self) -> Iterator[None]:
        """Hold the writer's role outside an append: appends that come meanwhile wait."""
        while True:
            with self._mutex:
                if not self._writing:
                    self._writing = True
                    break
            time.sleep(_LAST_PAUSE_S)
        try:
            yield
        finally:
            self._let_go()

    # --- one commit ---------------------------------------------------------------

    def _encode(self, event: Event) -> bytes:
        # Here, before queueing: an event that cannot be encoded fails its own append only.
        try:
            return encode_line(event)
        except (msgspec.EncodeError, UnicodeEncodeError, OverflowError, TypeError) as error:
            raise InvalidEvent("event", f"cannot be written as JSON: {error}") from None

    def _lead(self, deadline: float | None, own: _Request) -> bool:
        """Holding the writer's role: lock, write the queue, let go, sync, answer.

        With no ``deadline`` the locks are only tried: if either is held, ``own`` is
        taken back from the queue, the role let go, and False returned. Every request
        taken from the queue is answered whatever fails here: a caller left waiting
        would hang.
        """
        try:
            fd = self._lock(deadline)
        except Exception as error:
            with self._mutex:
                requests, self._queue = self._queue, []
            self._let_go()
            self._settle(requests, error)
            return True
        if fd is None:
            with self._mutex:
                self._queue.remove(own)
            self._let_go()
            return False
        with self._mutex:
            requests, self._queue = self._queue, []
        try:
            batch = self._write(fd, requests)
        except Exception as error:
            self._unlock(fd)
            self._let_go()
            self._settle(requests, error)
            return True
        batch.patient = deadline is not None
        self._unlock(fd)
        self._let_go()
        self._finish(batch)
        return True

    def _let_go(self) -> None:
        """Hand the writer's role to the first caller queued meanwhile, if any."""
        with self._mutex:
            self._let_go_of.notify_all()
            if not self._queue:
                self._writing = False
                return
            first = self._queue[0]
        first.promoted = True
        first.wake.release()

    def _settle(self, requests: list[_Request], error: BaseException | None = None) -> None:
        for request in requests:
            if error is not None and request.outcome is None and request.error is None:
                request.error = error
            request.wake.release()

    def _write(self, fd: int, requests: list[_Request]) -> _Batch:
        """Admit the requests and write the admitted lines, locks held.

        Refused events get their error now; ``_finish`` answers the rest.
        """
        assert self._identity is not None
        start = end = os.fstat(fd).st_size
        tip = Tip(self._identity, start)
        verdicts = self._admit([request.event for request in requests], tip)
        lines = []
        for request, verdict in zip(requests, verdicts, strict=True):
            if verdict is None:
                lines.append(request.line)
            elif isinstance(verdict, JournalError):
                request.error = verdict
            else:
                request.duplicate_of = verdict
        sync_fd = None
        duplicates = any(request.duplicate_of is not None for request in requests)
        if self.durability == "always" and (lines or duplicates):
            try:
                # The writer's own descriptor may be swapped before the sync: keep one.
                sync_fd = os.dup(fd)
            except OSError as error:
                raise JournalWriteFailed(
                    self.path, f"{_describe(error)}; nothing was written"
                ) from None
        if lines:
            try:
                written = self._append_bytes(fd, start, b"".join(lines))
            except BaseException:
                if sync_fd is not None:
                    os.close(sync_fd)
                raise
            end = start + len(written)
            self._tell_written(tip, written)
            with self._mutex:
                self._appends += len(lines)
                self._batches += 1
        return _Batch(
            requests=requests,
            identity=self._identity,
            start=start,
            end=end,
            written=len(lines),
            sync_fd=sync_fd,
        )

    def _tell_written(self, tip: Tip, written: bytes) -> None:
        if self._on_written is None:
            return
        try:
            self._on_written(tip, written)
        except Exception:
            # The bytes are written: the callers must hear so. The index reads them
            # from the file at its next refresh instead.
            log.exception("the on_written hook failed for %s", self.path)

    def _finish(self, batch: _Batch) -> None:
        """Sync the batch (``always`` mode), then answer every caller of it.

        A duplicate is durable only when everything before this batch is known
        synced; its own event lies somewhere there. Every caller is answered,
        whatever fails.
        """
        try:
            self._answer(batch)
        except Exception as error:
            self._settle(batch.requests, error)

    def _answer(self, batch: _Batch) -> None:
        failure: JournalDurabilityUnknown | None = None
        if batch.sync_fd is not None:
            try:
                self._make_durable(batch.sync_fd, batch.identity, batch.end, batch.patient)
            except JournalDurabilityUnknown as error:
                failure = error
            except OSError as error:
                failure = JournalDurabilityUnknown(
                    self.path, f"it could not be synced: {_describe(error)}"
                )
            finally:
                os.close(batch.sync_fd)
        always = self.durability == "always"
        with self._sync_mutex:
            old_durable = self._covered(batch.identity, 0, batch.start)
            new_durable = always and self._covered(batch.identity, batch.start, batch.end)
        if always and batch.written and failure is None and not new_durable:
            # Synced since, but written before an fsync that failed: maybe lost.
            failure = JournalDurabilityUnknown(
                self.path, "an fsync failed after it was written, and it may be lost"
            )
        for request in batch.requests:
            if request.error is not None:
                continue
            if request.duplicate_of is not None:
                request.outcome = Written(durable=old_durable, duplicate_of=request.duplicate_of)
            elif failure is not None:
                request.error = failure
            else:
                request.outcome = Written(durable=always)
        self._settle(batch.requests)

    # --- durability -----------------------------------------------------------------

    def _make_durable(
        self, fd: int, identity: tuple[int, int], end: int, patient: bool = True
    ) -> None:
        """See that the journal's bytes up to ``end`` are synced, by anyone; fsync if not.

        Not ``patient``, it waits neither for another process's sync nor for a batch
        another thread is writing.
        """
        with self._sync_mutex:
            if self._synced_identity == identity and self._synced_to >= end:
                return
            shared = self._take_sync_lock(identity, fd, end, patient)
            try:
                if shared:
                    self._note_synced(identity, self._read_record(identity, fd))
                if self._synced_identity == identity and self._synced_to >= end:
                    return
                with self._mutex:
                    if self._writing and patient:  # a batch being written: cover it too
                        self._let_go_of.wait(_GATHER_S)
                size = os.fstat(fd).st_size
                self._fsync(fd, identity, size)
                if shared:
                    self._write_record(identity, size)
            finally:
                if shared:
                    self._release_sync_lock()

    def _fsync(self, fd: int, identity: tuple[int, int], size: int) -> None:
        """fsync ``fd`` and note everything below ``size`` synced; sync mutex held."""
        try:
            os.fsync(fd)
        except OSError as error:
            # What was not known synced may now be lost for good (Linux marks it clean).
            known = self._synced_to if self._synced_identity == identity else 0
            self._note_synced(identity, known)
            self._suspect.append((known, size))
            raise JournalDurabilityUnknown(self.path, f"fsync failed: {_describe(error)}") from None
        with self._mutex:
            self._fsyncs += 1
        self._note_synced(identity, size)

    def _note_synced(self, identity: tuple[int, int], offset: int) -> None:
        if self._synced_identity != identity:
            self._synced_identity, self._synced_to, self._suspect = identity, 0, []
        self._synced_to = max(self._synced_to, offset)

    def _covered(self, identity: tuple[int, int], start: int, end: int) -> bool:
        """Whether bytes ``start`` to ``end`` are known on stable storage; sync mutex held."""
        if start >= end:
            return True
        if self._synced_identity != identity or self._synced_to < end:
            return False
        return all(stop <= start or end <= lo for lo, stop in self._suspect)

    def _take_sync_lock(self, identity: tuple[int, int], fd: int, end: int, patient: bool) -> bool:
        """The OFD lock on the sync record, waited for up to ``_SYNC_WAIT_S`` (only
        tried once if not ``patient``).

        While it waits, the record is read without the lock (a torn read fails its
        CRC), and the wait ends as soon as it says ``end`` is synced (False). False also
        where there are no OFD locks or no sidecar descriptor (the sync is then this
        process's alone), or when the wait ran out: an fsync of our own is always
        correct, only sharing needs the lock.
        """
        if not _OFD or self._lock_fd is None:
            return False
        deadline = time.monotonic() + _SYNC_WAIT_S
        pause = _FIRST_PAUSE_S
        request = _FLOCK_STRUCT.pack(fcntl.F_WRLCK, os.SEEK_SET, 0, _RECORD.size, 0)
        while True:
            try:
                fcntl.fcntl(self._lock_fd, fcntl.F_OFD_SETLK, request)
                return True
            except BlockingIOError:
                pass
            except OSError as error:
                if error.errno not in (errno.EACCES, errno.EAGAIN):
                    return False
            self._note_synced(identity, self._read_record(identity, fd))
            if self._synced_to >= end or not patient or time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, _LAST_PAUSE_S)

    def _release_sync_lock(self) -> None:
        assert self._lock_fd is not None
        request = _FLOCK_STRUCT.pack(fcntl.F_UNLCK, os.SEEK_SET, 0, _RECORD.size, 0)
        with contextlib.suppress(OSError):
            fcntl.fcntl(self._lock_fd, fcntl.F_OFD_SETLK, request)

    def _read_record(self, identity: tuple[int, int], journal_fd: int) -> int:
        """The synced offset another writer recorded for this inode; 0 if none holds."""
        assert self._lock_fd is not None
        try:
            raw = os.pread(self._lock_fd, _RECORD.size, 0)
            if len(raw) != _RECORD.size:
                return 0
            magic, dev, ino, synced, check = _RECORD.unpack(raw)
            if magic != _MAGIC or (dev, ino) != identity or check != zlib.crc32(raw[:-4]):
                return 0
            if synced > os.fstat(journal_fd).st_size:
                return 0  # a file shorter than the record: not the bytes it speaks of
        except OSError:
            return 0
        return int(synced)

    def _write_record(self, identity: tuple[int, int], synced: int) -> None:
        assert self._lock_fd is not None
        body = _RECORD.pack(_MAGIC, *identity, synced, 0)[:-4]
        with contextlib.suppress(OSError):  # sharing fsyncs is a saving, never a need
            os.pwrite(self._lock_fd, body + struct.pack("<I", zlib.crc32(body)), 0)

    # --- the locks --------------------------------------------------------------------

    def _lock(self, deadline: float | None) -> int | None:
        """Hold the sidecar lock, then the journal's own flock; return the journal's fd.

        Without a deadline, only one try: None if either lock is held elsewhere.
        """
        if not self._try_sidecar():
            if deadline is None:
                return None
            self._wait_for_sidecar(deadline)
        try:
            fd = self._current_fd()
            self._check_writable()
            # The Rust writer blocks in flock(LOCK_EX); we try, so our timeout still holds.
            pause = _FIRST_PAUSE_S
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return fd
                except BlockingIOError:
                    pass
                except OSError as error:
                    raise JournalWriteFailed(
                        self.path, f"cannot lock: {_describe(error)}"
                    ) from None
                if deadline is None:
                    self._release_sidecar()
                    return None
                left = deadline - time.monotonic()
                if left <= 0:
                    raise JournalBusy(self.path, self.lock_timeout)
                time.sleep(min(pause, left))
                pause = min(pause * 2, _LAST_PAUSE_S)
        except BaseException:
            self._release_sidecar()
            raise

    def _wait_for_sidecar(self, deadline: float) -> None:
        """Wait for the sidecar lock: in the kernel's flock queue, or polling filelock."""
        if self._filelock is None:
            try:
                self._queued_fd = self._flock_queue.wait(deadline)
            except OSError as error:
                raise JournalWriteFailed(self.path, f"cannot lock: {_describe(error)}") from None
            if self._queued_fd is None:
                raise JournalBusy(self.path, self.lock_timeout)
            return
        pause = _FIRST_PAUSE_S
        while not self._try_sidecar():
            left = deadline - time.monotonic()
            if left <= 0:
                raise JournalBusy(self.path, self.lock_timeout)
            time.sleep(min(pause, left))
            pause = min(pause * 2, _LAST_PAUSE_S)

    def _try_sidecar(self) -> bool:
        """One try at the sidecar lock: a flock on the kept descriptor, or filelock's."""
        while self._filelock is None:
            try:
                fd = self._lock_descriptor()
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            except OSError as error:
                if error.errno in _NO_FLOCK:
                    self._filelock = filelock.FileLock(
                        self._lock_path, mode=0o600, thread_local=False
                    )
                    break
                raise JournalWriteFailed(self.path, f"cannot lock: {_describe(error)}") from None
            # A filelock user may have deleted the file and made a new one, whose
            # lock is the one that counts now: lock that one instead.
            try:
                named = os.stat(self._lock_path, follow_symlinks=False)
                if (named.st_dev, named.st_ino) == self._lock_identity:
                    return True
            except FileNotFoundError:
                pass
            except OSError as error:
                raise JournalWriteFailed(self.path, f"cannot lock: {_describe(error)}") from None
            self._drop_lock_descriptor()
        try:
            self._filelock.acquire(blocking=False)
        except filelock.Timeout:
            return False
        except OSError as error:
            raise JournalWriteFailed(self.path, f"cannot lock: {_describe(error)}") from None
        return True

    def _lock_descriptor(self) -> int:
        if self._lock_fd is None:
            fd = os.open(
                self._lock_path,
                os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                0o600,
            )
            stat = os.fstat(fd)
            self._lock_fd, self._lock_identity = fd, (stat.st_dev, stat.st_ino)
        return self._lock_fd

    def _drop_lock_descriptor(self) -> None:
        # A sync in another thread may be using it for the record: wait for it.
        with self._sync_mutex:
            if self._lock_fd is not None:
                with contextlib.suppress(OSError):
                    os.close(self._lock_fd)  # closing drops its locks
            self._lock_fd = self._lock_identity = None

    def _release_sidecar(self) -> None:
        if self._queued_fd is not None:
            fd, self._queued_fd = self._queued_fd, None
            os.close(fd)  # closing drops its flock
        elif self._filelock is not None:
            self._filelock.release()
        elif self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _unlock(self, fd: int) -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
            self._release_sidecar()
        except OSError as error:
            # Nothing to answer a caller with: the write is done. Closing the
            # descriptors drops their locks, so the next commit starts clean.
            log.warning("could not unlock %s: %s", self.path, _describe(error))
            if self._fd is not None:
                with contextlib.suppress(OSError):
                    os.close(self._fd)
            self._fd = self._identity = None
            self._drop_lock_descriptor()

    # --- the file ---------------------------------------------------------------

    def _append_bytes(self, fd: int, size: int, payload: bytes) -> bytes:
        """End a torn last line, then write ``payload`` whole or not at all; return the
        bytes written (``payload``, after a "\n" if a torn line was ended)."""
        # Only a crash mid-append leaves a last line without "\n". Ending it costs
        # that one torn line; not ending it would glue it to our first event.
        if size and os.pread(fd, 1, size - 1) != b"\n":
            log.warning("ended a torn last line at byte %d of %s", size, self.path)
            payload = b"\n" + payload
        view = memoryview(payload)
        try:
            while view:
                count = os.write(fd, view)
                if count == 0:
                    raise OSError(errno.EIO, "the write made no progress")
                view = view[count:]
        except OSError as error:
            self._cut_back(fd, size, error)
        return payload

    def _cut_back(self, fd: int, size: int, error: OSError) -> None:
        """After a failed write: leave no partial line, and say what is on disk."""
        try:
            if os.fstat(fd).st_size == size:
                raise JournalWriteFailed(
                    self.path, f"{_describe(error)}; nothing was written"
                ) from None
            os.ftruncate(fd, size)
        except JournalWriteFailed:
            raise
        except OSError as cut_error:
            raise JournalWriteFailed(
                self.path,
                f"{_describe(error)}, and cutting the partial line back failed too "
                f"({_describe(cut_error)}); the next append will end it",
            ) from None
        raise JournalWriteFailed(
            self.path, f"{_describe(error)}; the partial line was cut back, nothing was written"
        ) from None

    def _current_fd(self) -> int:
        """The open journal, reopened if the file at the path was deleted or replaced.

        Only the writer (with the sidecar lock) calls this, so the descriptor is
        never swapped mid-commit. ``lstat``: a symlink swapped in for the file is
        another file, and its open is refused.
        """
        try:
            named = os.stat(self.path, follow_symlinks=False)
            identity: tuple[int, int] | None = (named.st_dev, named.st_ino)
        except FileNotFoundError:
            identity = None
        except OSError as error:
            raise JournalWriteFailed(
                self.path, f"cannot open it for writing: {_describe(error)}; nothing was written"
            ) from None
        if self._fd is not None and identity == self._identity:
            return self._fd
        if self._fd is not None:
            os.close(self._fd)
            self._fd = self._identity = None
        try:
            fd = self._open_path()
        except OSError as error:
            raise JournalWriteFailed(
                self.path, f"cannot open it for writing: {_describe(error)}; nothing was written"
            ) from None
        stat = os.fstat(fd)
        self._fd, self._identity = fd, (stat.st_dev, stat.st_ino)
        return fd

    def _check_writable(self) -> None:
        """Refuse to append to a journal that may no longer be opened for writing.

        Our descriptors stay open and would still write, but a journal made read-only
        (its mode, or a read-only mount over its folder) means appends must stop.
        """
        if os.access(self.path, os.W_OK, effective_ids=True, follow_symlinks=False):
            return
        try:
            os.close(open_journal_file(self.path, os.O_WRONLY | os.O_APPEND))
        except OSError as error:
            raise JournalWriteFailed(
                self.path, f"cannot open it for writing: {_describe(error)}; nothing was written"
            ) from None

    def _open_path(self) -> int:
        """Open the journal for appending, creating it (and its folders) privately.

        Only a regular file is opened, never through a symlink (``open_journal_file``).
        """
        make_private_dirs(self.path.parent)
        flags = os.O_RDWR | os.O_APPEND
        try:
            fd = open_journal_file(self.path, flags | os.O_CREAT | os.O_EXCL)
        except FileExistsError:
            return open_journal_file(self.path, flags)
        try:
            # A new name is durable only once its folder is synced.
            _fsync_dir(self.path.parent)
        except OSError:
            os.close(fd)
            raise
        return fd

    def _check_fork(self) -> None:
        if self._pid != os.getpid():
            self._after_fork()


class _FlockQueue:
    """A place in the kernel's flock queue for the sidecar lock, kept by one thread.

    Polling a held lock starves the poller: the holder lets go and takes it again
    between two tries. A blocking ``flock`` is served in order, but cannot be timed
    out; so one thread per writer blocks in it on a descriptor of its own, and hands
    the locked descriptor to a caller who still waits. A caller who gave up leaves
    the thread in the queue, where the next caller finds it (no thread or descriptor
    per wait); if no one wants the lock when it comes, the thread lets go at once.
    """

    def __init__(self, lock_path: Path) -> None:
        self._lock_path = lock_path
        self._cond = threading.Condition(threading.Lock())
        self._wanted = 0  # callers waiting
        self._held: int | None = None  # a locked descriptor not yet taken
        self._error: OSError | None = None
        self._thread: threading.Thread | None = None

    def wait(self, deadline: float) -> int | None:
        """A descriptor holding the lock, or None if ``deadline`` passed first."""
        with self._cond:
            self._wanted += 1
            try:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="journal-lock-queue", daemon=True
                    )
                    self._thread.start()
                self._cond.notify_all()
                while self._held is None and self._error is None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return None
                    self._cond.wait(left)
                if self._error is not None:
                    error, self._error = self._error, None
                    raise error
                fd, self._held = self._held, None
                return fd
            finally:
                self._wanted -= 1

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._wanted:
                    self._cond.wait()
            try:
                fd = self._locked_descriptor()
            except OSError as error:
                with self._cond:
                    if self._wanted:
                        self._error = error
                        self._cond.notify_all()
                    while self._wanted and self._error is not None:
                        self._cond.wait()  # until a caller has it
                continue
            with self._cond:
                if self._wanted and self._held is None:
                    self._held = fd
                    self._cond.notify_all()
                    continue
            os.close(fd)  # nobody wants it any more: let go at once

    def _locked_descriptor(self) -> int:
        """Block until a descriptor of the file now at the path holds its flock."""
        while True:
            fd = os.open(
                self._lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
            )
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                named = os.stat(self._lock_path, follow_symlinks=False)
                locked = os.fstat(fd)
            except FileNotFoundError:
                os.close(fd)
                continue
            except BaseException:
                os.close(fd)
                raise
            if (named.st_dev, named.st_ino) == (locked.st_dev, locked.st_ino):
                return fd
            os.close(fd)  # a filelock user replaced the file meanwhile: queue on the new one


def _describe(error: OSError) -> str:
    name = errno.errorcode.get(error.errno or 0, "")
    text = error.strerror or str(error)
    return f"{text} ({name})" if name else text
