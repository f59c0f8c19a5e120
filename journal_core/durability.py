"""Locks and syncs of a journal: the two locks every append holds, and what this
process knows synced, with the fsyncs that make it so.

Locking. The sidecar lock is a flock of ``<journal>.lock``, the lock filelock takes
on Unix, on a descriptor kept open and waited for in the kernel's queue (see
``sidecar.py``). The journal's own flock, held only by a Rust writer, is tried again
after a growing pause, so that the lock timeout still holds.

Durability (``always`` mode). A batch is synced after the locks are let go, so
other processes write while it syncs, and one fsync covers what every writer, in
any process, wrote before it began. The writer keeps its role through the sync:
callers that come meanwhile queue, and the next writer takes them all as one
batch (after a shared batch, waiting a moment for its callers to queue again, so
that batches do not alternate between one caller and the rest). Syncs are
serialized (a mutex in the process, an OFD lock on the sidecar's first bytes
across processes, waited for at most ``_SYNC_WAIT_S``), and a "synced up to"
offset is kept for the journal's inode: in the process, and in a record at the
start of the sidecar file, written only under that OFD lock (and read under it, or
while waiting for it: a torn read fails the record's CRC). A batch whose bytes lie
below a synced offset is answered without an fsync of its own; otherwise the
syncer notes the file's size X, fsyncs, and records X. A syncer that had to wait
for another process's sync waits a moment more before its fsync, for the lines the
writers just answered are writing next: its fsync then covers them too.

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

import fcntl
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

from journal_core.errors import JournalBusy, JournalDurabilityUnknown, JournalWriteFailed
from journal_core.journal_file import describe, make_private_dirs
from journal_core.sidecar import FIRST_PAUSE_S, LAST_PAUSE_S, Sidecar

# After waiting for another process's sync, how long a sync waits before its own
# fsync: a writer's time to append its next line, a fraction of an fsync's.
_SIBLING_DELAY_S: Final = 0.0003
# The longest a sync waits for another process's to end before it fsyncs alone: long
# enough for most fsyncs, short enough that a hung process costs each append little.
_SYNC_WAIT_S: Final = 0.25


def lock_journal(
    path: Path,
    sidecar: Sidecar,
    deadline: float | None,
    lock_timeout: float,
    writable_fd: Callable[[], int],
) -> int | None:
    """Hold the sidecar lock, then the journal's own flock on ``writable_fd()``; return
    that fd.

    Without a deadline, only one try: None if either lock is held elsewhere.
    """
    try:
        if not _try_sidecar(path, sidecar):
            if deadline is None:
                return None
            if not sidecar.acquire(deadline):
                raise JournalBusy(path, lock_timeout)
    except OSError as error:
        raise JournalWriteFailed(path, f"cannot lock: {describe(error)}") from None
    try:
        fd = writable_fd()
        # The Rust writer blocks in flock(LOCK_EX); we try, so our timeout still holds.
        pause = FIRST_PAUSE_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                pass
            except OSError as error:
                raise JournalWriteFailed(path, f"cannot lock: {describe(error)}") from None
            if deadline is None:
                sidecar.release()
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                raise JournalBusy(path, lock_timeout)
            time.sleep(min(pause, left))
            pause = min(pause * 2, LAST_PAUSE_S)
    except BaseException:
        sidecar.release()
        raise


def _try_sidecar(path: Path, sidecar: Sidecar) -> bool:
    try:
        return sidecar.try_acquire()
    except FileNotFoundError:
        # No folder yet: an append without open() makes it as open() would.
        make_private_dirs(path.parent)
        return sidecar.try_acquire()


class Syncs:
    """How far one journal is known synced in this process, and the fsyncs that make it
    so; one at a time in the process (``mutex``), shared with other processes through
    the sidecar's record."""

    def __init__(self, path: Path, sidecar: Sidecar, counted: Callable[[], None]) -> None:
        self.path = path
        self._sidecar = sidecar
        self._counted = counted  # told of each fsync that succeeded
        self.mutex = threading.Lock()
        self._synced_identity: tuple[int, int] | None = None
        self._synced_to = 0
        self._suspect: list[tuple[int, int]] = []

    def make_durable(self, fd: int, identity: tuple[int, int], end: int, patient: bool) -> None:
        """See that the journal's bytes up to ``end`` are synced, by anyone; fsync if not.

        Not ``patient`` (on an event loop), it does not wait for another process's sync.
        """
        with self.mutex:
            if self._synced_identity == identity and self._synced_to >= end:
                return

            def covered() -> bool:
                recorded = self._sidecar.read_record(identity, os.fstat(fd).st_size)
                self._note_synced(identity, recorded)
                return self._synced_to >= end

            # Waiting for another process's sync, the record is read meanwhile:
            # the wait ends as soon as that sync is seen to cover these bytes.
            waited = self._sidecar.lock_record(_SYNC_WAIT_S if patient else 0.0, covered)
            shared = waited is not None
            try:
                if waited and patient:
                    # Others are syncing too: those just answered are writing again,
                    # and waiting a moment lets this fsync cover their lines as well.
                    time.sleep(_SIBLING_DELAY_S)
                if shared:
                    covered()
                if self._synced_identity == identity and self._synced_to >= end:
                    return
                size = os.fstat(fd).st_size
                self.fsync(fd, identity, size)
                if shared:
                    self._sidecar.write_record(identity, size)
            finally:
                if shared:
                    self._sidecar.unlock_record()

    def fsync(self, fd: int, identity: tuple[int, int], size: int) -> None:
        """fsync ``fd`` and note everything below ``size`` synced; sync mutex held."""
        try:
            os.fsync(fd)
        except OSError as error:
            # What was not known synced may now be lost for good (Linux marks it clean).
            known = self._synced_to if self._synced_identity == identity else 0
            self._note_synced(identity, known)
            self._suspect.append((known, size))
            raise JournalDurabilityUnknown(self.path, f"fsync failed: {describe(error)}") from None
        self._counted()
        self._note_synced(identity, size)

    def _note_synced(self, identity: tuple[int, int], offset: int) -> None:
        if self._synced_identity != identity:
            self._synced_identity, self._synced_to, self._suspect = identity, 0, []
        self._synced_to = max(self._synced_to, offset)

    def covered(self, identity: tuple[int, int], start: int, end: int) -> bool:
        """Whether bytes ``start`` to ``end`` are known on stable storage; sync mutex held."""
        if start >= end:
            return True
        if self._synced_identity != identity or self._synced_to < end:
            return False
        return all(stop <= start or end <= lo for lo, stop in self._suspect)
