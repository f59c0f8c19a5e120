"""The one way bytes get into a journal: the queue and group commit.

Several processes share a journal (one server per editor session, the CLI, hooks),
and the Rust ``task-journal`` tool may append beside them, so every append holds
two locks: the sidecar ``<journal>.lock`` (what our own writers agree on) and an
exclusive ``flock`` on the journal itself (what the Rust writers take).

Commits. There is no committer thread. An append encodes its line first (an event
that cannot be encoded fails alone), queues it and, when no other thread of the
process is writing, writes the queue itself: lock, admit, write, unlock. Threads
that come meanwhile wait; the writer hands its role to the first of them, who
writes everything queued by then as one batch (group commit).

The locks and the syncs are in ``durability``; opening, repairing, writing whole and
cutting back the file are in ``journal_file``.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final, NamedTuple

import msgspec

from journal_core.durability import Syncs, lock_journal
from journal_core.errors import (
    InvalidEvent,
    JournalDurabilityUnknown,
    JournalError,
    JournalUnavailable,
    JournalWriteFailed,
)
from journal_core.events import Event, encode_line
from journal_core.journal_file import append_whole, check_writable, describe, open_for_append
from journal_core.sidecar import LAST_PAUSE_S, Sidecar

log = logging.getLogger(__name__)

# The longest a writer keeps the locks to write what queues meanwhile: other
# processes wait for ours this long at most (plus one batch).
_MAX_HOLD_S: Final = 0.002
# After a shared batch, the longest the next waits for its callers to queue again
# (they were just answered): a fraction of an fsync, which they then share.
_GATHER_S: Final = 0.001


class Tip(NamedTuple):
    """Where a journal file ends: its inode (device, inode number) and its size."""

    identity: tuple[int, int]
    size: int


# What an admission check says of each event of a batch, under the lock (the file
# ending at the tip given, open on the descriptor given, which it may read): None to
# write it, the earlier event's dict for a duplicate, or an error.
Verdict = JournalError | dict[str, Any] | None
Admit = Callable[[Sequence[Event], Tip, int], list[Verdict]]
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

    def needs_sync(self) -> bool:
        return self.written > 0 or any(r.duplicate_of is not None for r in self.requests)


def _admit_all(events: Sequence[Event], tip: Tip, fd: int) -> list[Verdict]:
    return [None] * len(events)


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
        self._pid = -1
        self._sidecar = Sidecar(Path(f"{path}.lock"))
        self._after_fork()

    def _after_fork(self) -> None:
        """(Re)make the per-process state: locks, descriptors and threads do not cross fork."""
        if self._pid != -1:
            # Inherited descriptors share their locks with the parent: close ours of them.
            if self._fd is not None:
                with contextlib.suppress(OSError):
                    os.close(self._fd)
            self._sidecar.close_inherited()
        self._pid = os.getpid()
        self._fd: int | None = None
        self._identity: tuple[int, int] | None = None
        self._sidecar = Sidecar(Path(f"{self.path}.lock"))
        # Guards the queue and the writer's role; told when a writer lets go of it.
        self._mutex = threading.Lock()
        self._queue_grew = threading.Condition(self._mutex)
        self._gather_for = 0  # how many callers the next writer waits a moment for
        self._gathering = 0  # how many it is waiting for now: told once they are queued
        self._queue: list[_Request] = []
        self._writing = False
        # One sync at a time in the process; what is known synced, and what may be lost.
        self._syncs = Syncs(self.path, self._sidecar, self._count_fsync)
        self._appends = self._batches = self._fsyncs = 0

    def _count_fsync(self) -> None:
        with self._mutex:
            self._fsyncs += 1

    # --- the public face --------------------------------------------------------

    def open(self) -> None:
        """Create the folder (0700), file (0600) and lock file if needed; prove them usable."""
        self._check_fork()
        try:
            os.close(open_for_append(self.path))
        except OSError as error:
            raise JournalUnavailable(self.path, describe(error)) from None
        try:
            self._sidecar.create()
        except OSError as error:
            raise JournalUnavailable(self.path, f"cannot lock: {describe(error)}") from None
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
            if len(self._queue) >= self._gathering:
                self._queue_grew.notify()
        if not lead:
            request.wake.acquire()
            if not request.promoted:
                return request.result()
        self._lead(time.monotonic() + self.lock_timeout, request)
        return request.result()

    def append_lines(self, items: Sequence[tuple[Event, bytes]]) -> list[Written]:
        """Append several events in one lock hold and one fsync, each written as the
        line given with it (sync keeps a teammate's line byte for byte). They are
        queued together, so one writer takes them all in one round. Raises as
        ``append`` does, the first error of any of them.
        """
        self._check_fork()
        if not items:
            return []
        requests = [_Request(event, line) for event, line in items]
        with self._mutex:
            self._queue.extend(requests)
            lead = not self._writing
            self._writing = True
            if len(self._queue) >= self._gathering:
                self._queue_grew.notify()
        first = requests[0]
        if not lead:
            first.wake.acquire()
        if lead or first.promoted:
            self._lead(time.monotonic() + self.lock_timeout, first)
        # Taken from the queue in the same round as the first: answered with it.
        for request in requests[1:]:
            request.wake.acquire()
        return [request.result() for request in requests]

    def try_append(self, event: Event) -> Written | None:
        """``append`` if it needs to wait for nothing: no other thread writing or
        syncing, the locks free at once. Else ``None`` and nothing done, so that an
        event loop can append in place and hand the waiting cases to a thread.
        """
        self._check_fork()
        line = self._encode(event)
        with self._mutex:
            if self._writing or self._queue or self._syncs.mutex.locked():
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
            fd = open_for_append(self.path)
        except OSError as error:
            raise JournalWriteFailed(self.path, f"cannot open: {describe(error)}") from None
        try:
            with self._syncs.mutex:
                stat = os.fstat(fd)
                identity = (stat.st_dev, stat.st_ino)
                self._syncs.fsync(fd, identity, stat.st_size)
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
        with self._role(), self._syncs.mutex:
            if self._fd is not None:
                with contextlib.suppress(OSError):
                    os.close(self._fd)
            self._fd = self._identity = None
            self._sidecar.close()

    @contextlib.contextmanager
    def _role(self) -> Iterator[None]:
        """Hold the writer's role outside an append: appends that come meanwhile wait."""
        while True:
            with self._mutex:
                if not self._writing:
                    self._writing = True
                    break
            time.sleep(LAST_PAUSE_S)
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
        if deadline is not None:
            self._gather()
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
        batch = self._write_queue(fd)
        self._unlock(fd)
        if batch is not None:
            batch.patient = deadline is not None
            self._finish(batch)
        if batch is not None and self.durability == "always":
            # Its other callers append again soon: the next writer waits a moment
            # for them (this one's caller returns now, and may be among them).
            self._gather_for = len(batch.requests) - 1
        self._let_go()
        return True

    def _gather(self) -> None:
        """After a shared batch, wait up to ``_GATHER_S`` for its callers to queue
        again (they were answered a moment ago), so that batches do not alternate
        between the first of them and the rest."""
        if not self._gather_for:  # set and cleared by the writer's role alone
            return
        with self._mutex:
            wanted, self._gather_for = self._gather_for, 0
            deadline = time.monotonic() + _GATHER_S
            # Woken once they are all queued, not by each (a thread switch each).
            self._gathering = wanted
            while len(self._queue) < wanted and (left := deadline - time.monotonic()) > 0:
                self._queue_grew.wait(left)
            self._gathering = 0

    def _let_go(self) -> None:
        """Hand the writer's role to the first caller queued meanwhile, if any."""
        with self._mutex:
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

    def _write_queue(self, fd: int) -> _Batch | None:
        """Write what is queued, and what queues meanwhile, locks held, for up to
        ``_MAX_HOLD_S``: one sync then covers it all, and no caller has to be woken
        to write. A round that fails is answered with its error, and ends it; None
        when nothing was taken or the first round failed.
        """
        batch: _Batch | None = None
        held_since = time.monotonic()
        while True:
            with self._mutex:
                requests, self._queue = self._queue, []
            if not requests:
                break
            try:
                if batch is None:
                    batch = self._new_batch(fd)
                start, end, lines = self._write(fd, requests)
            except Exception as error:
                self._settle(requests, error)
                break
            if not batch.requests:
                batch.start = start
            batch.requests.extend(requests)
            batch.end, batch.written = end, batch.written + lines
            if time.monotonic() - held_since > _MAX_HOLD_S:
                break
        if batch is None:
            return None
        if batch.sync_fd is not None and not batch.needs_sync():
            os.close(batch.sync_fd)
            batch.sync_fd = None
        return batch if batch.requests else None

    def _new_batch(self, fd: int) -> _Batch:
        assert self._identity is not None
        # Its first round sets its start and end: one fstat a round.
        batch = _Batch(requests=[], identity=self._identity, start=-1, end=-1, written=0)
        if self.durability == "always":
            try:
                # The writer's own descriptor may be swapped before the sync: keep one.
                batch.sync_fd = os.dup(fd)
            except OSError as error:
                raise JournalWriteFailed(
                    self.path, f"{describe(error)}; nothing was written"
                ) from None
        return batch

    def _write(self, fd: int, requests: list[_Request]) -> tuple[int, int, int]:
        """Admit the requests and write the admitted lines, locks held; return the
        file's size before and after, and the number of lines.

        Refused events get their error now; ``_finish`` answers the rest.
        """
        assert self._identity is not None
        start = end = os.fstat(fd).st_size
        tip = Tip(self._identity, start)
        verdicts = self._admit([request.event for request in requests], tip, fd)
        lines = []
        for request, verdict in zip(requests, verdicts, strict=True):
            if verdict is None:
                lines.append(request.line)
            elif isinstance(verdict, JournalError):
                request.error = verdict
            else:
                request.duplicate_of = verdict
        if lines:
            written = append_whole(self.path, fd, start, b"".join(lines))
            end = start + len(written)
            self._tell_written(tip, written)
            with self._mutex:
                self._appends += len(lines)
                self._batches += 1
        return start, end, len(lines)

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

        Every caller is answered, whatever fails.
        """
        try:
            self._answer(batch)
        except Exception as error:
            self._settle(batch.requests, error)

    def _answer(self, batch: _Batch) -> None:
        failure: JournalDurabilityUnknown | None = None
        if batch.sync_fd is not None:
            try:
                self._syncs.make_durable(batch.sync_fd, batch.identity, batch.end, batch.patient)
            except JournalDurabilityUnknown as error:
                failure = error
            except OSError as error:
                failure = JournalDurabilityUnknown(
                    self.path, f"it could not be synced: {describe(error)}"
                )
            finally:
                os.close(batch.sync_fd)
        always = self.durability == "always"
        with self._syncs.mutex:
            # A duplicate's event lies before the batch, or in it (a key repeated
            # within the batch): durable once everything up to its end is.
            old_durable = self._syncs.covered(batch.identity, 0, batch.end)
            new_durable = always and self._syncs.covered(batch.identity, batch.start, batch.end)
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

    # --- the locks and the file -------------------------------------------------------

    def _lock(self, deadline: float | None) -> int | None:
        return lock_journal(
            self.path, self._sidecar, deadline, self.lock_timeout, self._writable_fd
        )

    def _writable_fd(self) -> int:
        fd = self._current_fd()
        check_writable(self.path)
        return fd

    def _unlock(self, fd: int) -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
            self._sidecar.release()
        except OSError as error:
            # Nothing to answer a caller with: the write is done. Closing the
            # descriptors drops their locks, so the next commit starts clean.
            log.warning("could not unlock %s: %s", self.path, describe(error))
            if self._fd is not None:
                with contextlib.suppress(OSError):
                    os.close(self._fd)
            self._fd = self._identity = None
            self._sidecar.close()

    # --- the file ---------------------------------------------------------------

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
                self.path, f"cannot open it for writing: {describe(error)}; nothing was written"
            ) from None
        if self._fd is not None and identity == self._identity:
            return self._fd
        if self._fd is not None:
            os.close(self._fd)
            self._fd = self._identity = None
        try:
            fd = open_for_append(self.path)
        except OSError as error:
            raise JournalWriteFailed(
                self.path, f"cannot open it for writing: {describe(error)}; nothing was written"
            ) from None
        stat = os.fstat(fd)
        self._fd, self._identity = fd, (stat.st_dev, stat.st_ino)
        return fd

    def _check_fork(self) -> None:
        if self._pid != os.getpid():
            self._after_fork()
