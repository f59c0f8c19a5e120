"""The one way bytes get into a journal: lock, repair, whole write, cut back, fsync.

Several processes share a journal (one server per editor session, the CLI, hooks),
and the Rust ``task-journal`` tool may append beside them, so every append
holds two locks: ``filelock``'s sidecar ``<journal>.lock`` (what our own
writers agree on) and an exclusive ``flock`` on the journal itself (what the
Rust writers take).

Within one process appends are group-committed. Callers queue their events and
wait; one committer thread takes whatever is queued as a batch and writes it
under one lock hold and one ``fsync``. A filelock acquire costs about as much
as an fsync here, so while batches keep coming (several threads appending) the
committer keeps the locks for the next batch, for at most ``_MAX_HOLD_S``.
A committer that finds the sidecar held waits in the kernel's flock queue
rather than polling (see ``_acquire_sidecar``).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

import filelock
import msgspec

from journal_core.errors import JournalBusy, JournalError, JournalUnavailable, JournalWriteFailed
from journal_core.events import Event, encode_line

log = logging.getLogger(__name__)

# How often the journal's own flock (held only by a Rust writer) is tried again.
_LOCK_POLL_S: Final = 0.0005
# After a shared batch, how long the committer waits, locks held, for the
# callers it just answered to queue their next appends: a fraction of an fsync.
_GATHER_WINDOW_S: Final = 0.001
# The longest the committer keeps the locks over back-to-back batches, so other
# processes wait for ours at most this long (plus one batch).
_MAX_HOLD_S: Final = 0.01

# What an admission check says of each event of a batch, under the lock:
# None to write it, the earlier event's dict for a duplicate, or an error.
Verdict = JournalError | dict[str, Any] | None
Admit = Callable[[Sequence[Event]], list[Verdict]]


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
    """One queued event; its caller sleeps on ``answered`` until the committer releases it."""

    __slots__ = ("answered", "error", "event", "outcome")

    def __init__(self, event: Event) -> None:
        self.event = event
        self.outcome: Written | None = None
        self.error: BaseException | None = None
        # A lock per caller, not one shared condition: answering a batch wakes
        # exactly its callers, who then do not fight over one mutex to return.
        self.answered = threading.Lock()
        self.answered.acquire()


def _admit_all(events: Sequence[Event]) -> list[Verdict]:
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

    One per process and path; a forked child must make its own (see ``_after_fork``).
    """

    def __init__(
        self,
        path: Path,
        *,
        durability: str = "always",
        lock_timeout: float = 10.0,
        admit: Admit = _admit_all,
    ) -> None:
        self.path = path
        self.durability = durability
        self.lock_timeout = lock_timeout
        self._admit = admit
        self._after_fork()

    def _after_fork(self) -> None:
        """(Re)make the per-process state: locks, descriptors and threads do not cross fork."""
        self._pid = os.getpid()
        self._sidecar = filelock.FileLock(
            f"{self.path}.lock", mode=0o600, thread_local=False, preserve_lock_file=True
        )
        # Set while the sidecar lock is held through a queued wait, not through filelock.
        self._queued_fd: int | None = None
        # A descriptor inherited across fork shares its flock with the parent: drop it.
        self._fd: int | None = None
        self._identity: tuple[int, int] | None = None
        # Guards the queue; only the committer waits on it, for ``_wanted`` requests.
        self._cond = threading.Condition(threading.Lock())
        self._queue: list[_Request] = []
        self._wanted = 1
        self._committer: threading.Thread | None = None
        self._closing = False
        self._appends = self._batches = self._fsyncs = 0

    # --- the public face --------------------------------------------------------

    def open(self) -> None:
        """Create the folder (0700) and file (0600) if needed, and prove both usable."""
        try:
            os.close(self._open_path())
        except OSError as error:
            raise JournalUnavailable(self.path, _describe(error)) from None
        try:
            self._acquire_sidecar(time.monotonic() + self.lock_timeout)
        except JournalWriteFailed as error:
            raise JournalUnavailable(self.path, error.reason) from None
        self._release_sidecar()

    def append(self, event: Event) -> Written:
        """Write ``event`` as one whole line; return once it is written (and synced in
        ``always`` mode). Raises what the admission check refuses, ``JournalBusy`` or
        ``JournalWriteFailed``; in every error case nothing of the event is on disk.
        """
        if self._pid != os.getpid():
            self._after_fork()
        request = _Request(event)
        with self._cond:
            if self._committer is None:
                self._closing = False
                self._committer = threading.Thread(
                    target=self._run, name=f"journal-committer:{self.path.name}", daemon=True
                )
                self._committer.start()
            self._queue.append(request)
            if len(self._queue) >= self._wanted:
                self._cond.notify()
        request.answered.acquire()
        if request.error is not None:
            raise request.error
        assert request.outcome is not None
        return request.outcome

    def flush(self) -> int:
        """fsync the journal, covering bytes any process wrote; return its size."""
        try:
            # A descriptor of its own: the committer's may be swapped meanwhile.
            fd = self._open_path()
            try:
                os.fsync(fd)
                size = os.fstat(fd).st_size
            finally:
                os.close(fd)
        except OSError as error:
            raise JournalWriteFailed(self.path, f"fsync failed: {_describe(error)}") from None
        with self._cond:
            self._fsyncs += 1
        return size

    def stats(self) -> WriterStats:
        with self._cond:
            return WriterStats(appends=self._appends, batches=self._batches, fsyncs=self._fsyncs)

    def close(self) -> None:
        """Stop the committer (after it answers what is queued) and release the file."""
        with self._cond:
            committer, self._committer = self._committer, None
            self._closing = True
            self._cond.notify_all()
        if committer is not None and self._pid == os.getpid():
            committer.join()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = self._identity = None

    # --- the committer thread ---------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    self._cond.wait()
                if not self._queue:
                    return
            self._hold_and_commit()

    def _hold_and_commit(self) -> None:
        """Take the locks, write batches while they keep coming, let go, answer the last.

        Every request taken from the queue is answered whatever fails here: a
        caller left waiting would hang forever.
        """
        try:
            fd = self._lock()
        except Exception as error:
            self._settle(self._take(1, 0.0), error)
            return
        held_since = time.monotonic()
        # Taking the locks took a while: whatever queued meanwhile joins this batch.
        batch = self._take(1, 0.0)
        written = 0
        failure: Exception | None = None
        try:
            while True:
                written = self._write(fd, batch)
                if len(batch) < 2 or time.monotonic() - held_since > _MAX_HOLD_S:
                    break
                # A shared batch means busy callers: answer it with the locks still
                # held, and give its callers a moment to queue their next appends.
                self._finish(fd, batch, written)
                batch = self._take(len(batch), _GATHER_WINDOW_S)
        except Exception as error:
            failure = error
        finally:
            self._unlock(fd)
        if failure is not None:
            self._settle(batch, failure)
            return
        # The last batch is synced and answered after letting go: other processes
        # write meanwhile, and an fsync of the inode covers their bytes too.
        self._finish(fd, batch, written)

    def _take(self, target: int, window: float) -> list[_Request]:
        """Everything queued, waiting up to ``window`` for ``target`` requests."""
        deadline = time.monotonic() + window
        with self._cond:
            self._wanted = target
            while len(self._queue) < target and not self._closing:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            self._wanted = 1
            batch, self._queue = self._queue, []
            return batch

    def _settle(self, batch: list[_Request], error: BaseException | None = None) -> None:
        for request in batch:
            if error is not None and request.outcome is None and request.error is None:
                request.error = error
            request.answered.release()

    def _write(self, fd: int, batch: list[_Request]) -> int:
        """Admit one batch and write its admitted lines, locks held; return their count.

        Refused events get their error and duplicates their earlier event now;
        ``_finish`` answers the rest once they are durable as the mode requires.
        """
        verdicts = self._admit([request.event for request in batch])
        lines = []
        for request, verdict in zip(batch, verdicts, strict=True):
            if verdict is None:
                lines.append(encode_line(request.event))
            elif isinstance(verdict, JournalError):
                request.error = verdict
            else:
                durable = self.durability == "always"
                request.outcome = Written(durable=durable, duplicate_of=verdict)
        if lines:
            self._append_bytes(fd, b"".join(lines))
            with self._cond:
                self._appends += len(lines)
                self._batches += 1
        return len(lines)

    def _finish(self, fd: int, batch: list[_Request], written: int) -> None:
        """fsync what was written (``always`` mode), then answer every caller of the batch."""
        durable = self.durability == "always"
        if written and durable:
            try:
                self._sync(fd)
            except JournalWriteFailed as error:
                self._settle(batch, error)
                return
        for request in batch:
            if request.error is None and request.outcome is None:
                request.outcome = Written(durable=durable)
        self._settle(batch)

    def _unlock(self, fd: int) -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
            self._release_sidecar()
        except OSError as error:
            # Nothing to answer a caller with: the write is done. Closing the
            # descriptors drops their locks, so the next commit starts clean.
            log.warning("could not unlock %s: %s", self.path, _describe(error))
            self._drop_descriptors()

    def _drop_descriptors(self) -> None:
        for fd in (self._fd, self._queued_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._fd = self._identity = self._queued_fd = None

    def _release_sidecar(self) -> None:
        if self._queued_fd is None:
            self._sidecar.release()
        else:
            os.close(self._queued_fd)  # closing drops its flock
            self._queued_fd = None

    def _lock(self) -> int:
        """Hold the sidecar lock, then the journal's own flock; return the journal's fd."""
        deadline = time.monotonic() + self.lock_timeout
        self._acquire_sidecar(deadline)
        try:
            fd = self._current_fd_or_fail()
            # The Rust writer blocks in flock(LOCK_EX); we poll so the timeout still holds.
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return fd
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise JournalBusy(self.path, self.lock_timeout) from None
                    time.sleep(_LOCK_POLL_S)
                except OSError as error:
                    raise JournalWriteFailed(
                        self.path, f"cannot lock: {_describe(error)}"
                    ) from None
        except BaseException:
            self._release_sidecar()
            raise

    def _acquire_sidecar(self, deadline: float) -> None:
        """Take the sidecar lock by ``deadline``: filelock first, else a place in the flock queue.

        filelock waits by polling, and each of its tries costs about as much as an
        append (~0.25 ms of system calls), so pollers both slow the holder and come
        late: under contention the writer that just let go mostly wins again, and
        waits pile up. When filelock's one try finds the lock held, we block in
        ``flock`` on the same lock file instead (filelock's lock on Unix is that
        flock, so all writers still exclude each other), and the kernel hands the
        lock over the moment its holder lets go.
        """
        try:
            self._sidecar.acquire(blocking=False)
            return
        except filelock.Timeout:
            pass
        except OSError as error:
            raise JournalWriteFailed(self.path, f"cannot lock: {_describe(error)}") from None
        try:
            self._queued_fd = _queue_for_flock(
                Path(f"{self.path}.lock"), deadline - time.monotonic()
            )
        except OSError as error:
            raise JournalWriteFailed(self.path, f"cannot lock: {_describe(error)}") from None
        if self._queued_fd is None:
            raise JournalBusy(self.path, self.lock_timeout)

    def _sync(self, fd: int) -> None:
        try:
            os.fsync(fd)
        except OSError as error:
            raise JournalWriteFailed(
                self.path,
                f"fsync failed ({_describe(error)}); the event was written but may not be "
                "on stable storage",
            ) from None
        with self._cond:
            self._fsyncs += 1

    # --- the file ---------------------------------------------------------------

    def _append_bytes(self, fd: int, payload: bytes) -> None:
        """End a torn last line, then write ``payload`` whole or not at all."""
        size = os.fstat(fd).st_size
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
            # A short or failed write must leave no partial line: cut back to where we began.
            try:
                os.ftruncate(fd, size)
            except OSError as cut_error:
                raise JournalWriteFailed(
                    self.path,
                    f"{_describe(error)}, and cutting the partial line back failed too "
                    f"({_describe(cut_error)}); the next append will end it",
                ) from None
            raise JournalWriteFailed(
                self.path, f"{_describe(error)}; the file was left as it was"
            ) from None

    def _current_fd_or_fail(self) -> int:
        try:
            return self._current_fd()
        except OSError as error:
            raise JournalWriteFailed(self.path, f"cannot open: {_describe(error)}") from None

    def _current_fd(self) -> int:
        """The open journal, reopened if the file at the path was deleted or replaced.

        Only the committer calls this, so the descriptor is never swapped mid-commit.
        """
        try:
            stat = os.stat(self.path)
            identity: tuple[int, int] | None = (stat.st_dev, stat.st_ino)
        except FileNotFoundError:
            identity = None
        if self._fd is not None and identity == self._identity:
            return self._fd
        if self._fd is not None:
            os.close(self._fd)
            self._fd = self._identity = None
        fd = self._open_path()
        fstat = os.fstat(fd)
        self._fd, self._identity = fd, (fstat.st_dev, fstat.st_ino)
        return fd

    def _open_path(self) -> int:
        """Open the journal for appending, creating it (and its folders) privately."""
        make_private_dirs(self.path.parent)
        flags = os.O_RDWR | os.O_APPEND | os.O_CLOEXEC
        try:
            fd = os.open(self.path, flags | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return os.open(self.path, flags)
        try:
            # A new name is durable only once its folder is synced.
            _fsync_dir(self.path.parent)
        except OSError:
            os.close(fd)
            raise
        return fd


def _queue_for_flock(lock_path: Path, timeout: float) -> int | None:
    """Block in ``flock(LOCK_EX)`` on ``lock_path`` for up to ``timeout`` seconds.

    Returns a descriptor holding the lock, or None on timeout. A blocking flock
    cannot be timed out, so a thread makes the call while we wait on an event; a
    thread whose caller gave up drops the lock as soon as it gets it.
    """
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    guard = threading.Lock()
    got = threading.Event()
    state: dict[str, object] = {}

    def wait_in_queue() -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as error:
            state["error"] = error
        with guard:
            if "abandoned" in state:
                os.close(fd)
                return
            state["done"] = True
        got.set()

    threading.Thread(target=wait_in_queue, name="journal-lock-queue", daemon=True).start()
    got.wait(max(timeout, 0.0))
    with guard:
        if "done" not in state:
            state["abandoned"] = True
            return None
    if isinstance(error := state.get("error"), OSError):
        os.close(fd)
        raise error
    return fd


def _describe(error: OSError) -> str:
    name = errno.errorcode.get(error.errno or 0, "")
    text = error.strerror or str(error)
    return f"{text} ({name})" if name else text
