"""``<journal>.lock``: the lock every Python writer of a journal takes, and the
synced-up-to record kept at its start.

The lock. On Unix filelock's lock *is* a ``flock`` of this file, so the writer takes
that same flock itself, on a descriptor it keeps open: about a microsecond, against
some 130 µs of filelock's bookkeeping per acquire, and every filelock user still
excludes us and we them. filelock's users may delete and re-create the file, so
after each flock the path must still name the inode locked, or the new file is
locked instead. filelock stays where it serves: it creates the file the first time
(``create``), with its own checks, and it takes over on a filesystem without
``flock``, where it falls back to its own locking.

A held lock is waited for in the kernel's flock queue (polling starves: the holder
lets go and takes it again between two tries). A blocking ``flock`` cannot be timed
out, so one thread per ``Sidecar`` waits in it (``_FlockQueue``), reused by every
wait: a caller that times out leaves no thread or descriptor behind. A writer that
waits says so with a read lock on byte ``_WAITING`` (OFD locks, where there are),
and a writer that sees one does not take the lock past it but queues too: the one
that just let go would otherwise take it again before the waiter wakes.

The record. Where the system has OFD locks (Linux), the first ``RECORD.size`` bytes
hold how far the journal is known synced: its inode, an offset, and a CRC. It is
written only under an OFD lock on those bytes (apart from the flock), and read
under it or, by a writer waiting for it, without (a torn read fails the CRC). See
``durability``'s docstring for why sharing fsyncs this way is safe.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import signal
import struct
import sys
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Final

import filelock

from journal_core.journal_file import refuse_hard_links

# A held lock is tried again after a pause that doubles from the first to the last.
FIRST_PAUSE_S: Final = 0.00002
LAST_PAUSE_S: Final = 0.0005
# Errors of a filesystem that has no flock: filelock's own fallback takes over.
_NO_FLOCK: Final = frozenset({errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOLCK})

# Magic, device, inode, synced-up-to offset, and a CRC of those.
RECORD: Final = struct.Struct("<8sQQQI")
_MAGIC: Final = b"tjsync1\0"
# OFD locks lock byte ranges per open file, apart from flock; struct flock on the
# LP64 Linux ABIs: l_type, l_whence, l_start, l_len, l_pid, padding.
_OFD: Final = sys.platform == "linux" and hasattr(fcntl, "F_OFD_SETLK")
_FLOCK_STRUCT: Final = struct.Struct("hhqqi4x")
# The byte a waiting writer read-locks, past the record.
_WAITING: Final = 64


class Sidecar:
    """The lock file of one journal, for one writer.

    ``try_acquire``, ``acquire``, ``release`` and ``close`` are called by one thread
    at a time (the writer's role); the record's methods by any, under the writer's
    sync mutex. The descriptor is replaced or closed only under ``_fd_lock``, which
    the record's methods hold, so a record is never read or written through a
    descriptor closed (and perhaps reused) meanwhile. Raises ``OSError``.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._identity: tuple[int, int] | None = None
        self._fd_lock = threading.Lock()
        # Set on a filesystem without flock: filelock then takes the lock.
        self._filelock: filelock.FileLock | None = None
        self._queue = _FlockQueue(path)
        # The descriptor the queue handed over while it holds the lock.
        self._queued_fd: int | None = None

    # --- the lock -----------------------------------------------------------------

    def create(self) -> None:
        """Make the lock file (0600) the way filelock does, if it is missing."""
        creator = filelock.FileLock(self.path, mode=0o600, preserve_lock_file=True)
        try:
            creator.acquire(blocking=False)
            creator.release()
        except filelock.Timeout:
            pass  # held by another writer: it exists

    def try_acquire(self) -> bool:
        """One try at the lock: a flock on the kept descriptor, or filelock's.

        False, without trying, when another writer is waiting for it.
        """
        while self._filelock is None:
            try:
                fd = self._descriptor()
                if self._others_wait(fd):
                    return False
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            except OSError as error:
                if error.errno not in _NO_FLOCK:
                    raise
                self._filelock = filelock.FileLock(self.path, mode=0o600, thread_local=False)
                break
            # A filelock user may have deleted the file and made a new one, whose
            # lock is the one that counts now: lock that one instead.
            with contextlib.suppress(FileNotFoundError):
                named = os.stat(self.path, follow_symlinks=False)
                if (named.st_dev, named.st_ino) == self._identity:
                    return True
            self.close()
        try:
            self._filelock.acquire(blocking=False)
        except filelock.Timeout:
            return False
        return True

    def acquire(self, deadline: float) -> bool:
        """Wait for the lock until ``deadline``; False if it did not come."""
        if self._filelock is None:
            waiting = self._range_lock(fcntl.F_RDLCK, _WAITING, 1)
            try:
                self._queued_fd = self._queue.wait(deadline)
            finally:
                if waiting:
                    self._range_lock(fcntl.F_UNLCK, _WAITING, 1)
            return self._queued_fd is not None
        pause = FIRST_PAUSE_S
        while not self.try_acquire():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(pause, left))
            pause = min(pause * 2, LAST_PAUSE_S)
        return True

    def release(self) -> None:
        if self._queued_fd is not None:
            fd, self._queued_fd = self._queued_fd, None
            os.close(fd)  # closing drops its flock
        elif self._filelock is not None:
            self._filelock.release()
        elif self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Close the kept descriptor (which drops its locks); the next use reopens."""
        with self._fd_lock:
            if self._fd is not None:
                with contextlib.suppress(OSError):
                    os.close(self._fd)
            self._fd = self._identity = None

    def close_inherited(self) -> None:
        """In a forked child: close the parent's descriptors (their locks stay the parent's)."""
        for fd in (self._fd, self._queued_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._fd = self._identity = self._queued_fd = None

    def _descriptor(self) -> int:
        if self._fd is None:
            fd = os.open(
                self.path,
                os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                0o600,
            )
            refuse_hard_links(fd, self.path, "the journal's lock file")
            stat = os.fstat(fd)
            with self._fd_lock:
                self._fd, self._identity = fd, (stat.st_dev, stat.st_ino)
        return self._fd

    # --- the record -----------------------------------------------------------------

    def lock_record(self, patient_s: float, covered: Callable[[], bool]) -> bool | None:
        """Take the OFD lock on the record, waiting up to ``patient_s`` seconds.

        While it waits it asks ``covered()`` (which reads the record without the
        lock) and gives up as soon as that says yes. None when the lock was not
        taken (no OFD locks, no descriptor yet, covered, or out of time), else
        whether it had to wait for it.
        """
        if not _OFD:
            return None
        deadline = time.monotonic() + patient_s
        pause = FIRST_PAUSE_S
        waited = False
        while True:
            if self._range_lock(fcntl.F_WRLCK, 0, RECORD.size):
                return waited
            waited = True
            if covered() or time.monotonic() >= deadline:
                return None
            time.sleep(pause)
            pause = min(pause * 2, LAST_PAUSE_S)

    def unlock_record(self) -> None:
        self._range_lock(fcntl.F_UNLCK, 0, RECORD.size)

    def read_record(self, identity: tuple[int, int], journal_size: int) -> int:
        """The synced offset recorded for this inode; 0 if none holds."""
        with self._fd_lock:
            if self._fd is None:
                return 0
            try:
                raw = os.pread(self._fd, RECORD.size, 0)
            except OSError:
                return 0
        if len(raw) != RECORD.size:
            return 0
        magic, dev, ino, synced, check = RECORD.unpack(raw)
        if magic != _MAGIC or (dev, ino) != identity or check != zlib.crc32(raw[:-4]):
            return 0
        if synced > journal_size:
            return 0  # a file shorter than the record: not the bytes it speaks of
        return int(synced)

    def write_record(self, identity: tuple[int, int], synced: int) -> None:
        """Record ``synced`` for this inode; the record's lock held."""
        body = RECORD.pack(_MAGIC, *identity, synced, 0)[:-4]
        with self._fd_lock, contextlib.suppress(OSError):  # sharing is a saving, never a need
            if self._fd is not None:
                os.pwrite(self._fd, body + struct.pack("<I", zlib.crc32(body)), 0)

    def _range_lock(self, kind: int, start: int, length: int) -> bool:
        """Set (or clear) an OFD lock on bytes of the file without waiting; False if not."""
        if not _OFD:
            return False
        request = _FLOCK_STRUCT.pack(kind, os.SEEK_SET, start, length, 0)
        with self._fd_lock:
            if self._fd is None:
                return False
            try:
                fcntl.fcntl(self._fd, fcntl.F_OFD_SETLK, request)
            except OSError:
                return False  # held elsewhere (EAGAIN, EACCES), or no OFD locks here
        return True

    @staticmethod
    def _others_wait(fd: int) -> bool:
        """Whether another writer has said it waits (our own say-so does not count)."""
        if not _OFD:
            return False
        probe = _FLOCK_STRUCT.pack(fcntl.F_WRLCK, os.SEEK_SET, _WAITING, 1, 0)
        try:
            found = fcntl.fcntl(fd, fcntl.F_OFD_GETLK, probe)
        except OSError:
            return False
        kind: int = _FLOCK_STRUCT.unpack(found)[0]
        return kind != fcntl.F_UNLCK


# The signals a person or another process sends (faults stay with the thread at fault).
_ASYNC_SIGNALS: Final = frozenset(
    {signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGALRM}
    | {signal.SIGUSR1, signal.SIGUSR2, signal.SIGCHLD, signal.SIGWINCH}
)


class _FlockQueue:
    """A place in the kernel's flock queue for the lock, kept by one thread.

    The thread blocks in flock on a descriptor of its own and hands the locked
    descriptor to a caller who still waits. A caller who gave up leaves the thread
    in the queue, where the next caller finds it; if no one wants the lock when it
    comes, the thread lets go at once.
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
        # The process's signals go to the caller's thread, not to this one: a Ctrl-C the
        # kernel handed to a thread blocked in flock would leave the caller waiting out
        # its whole timeout (Python runs signal handlers in the main thread alone).
        signal.pthread_sigmask(signal.SIG_BLOCK, _ASYNC_SIGNALS)
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
