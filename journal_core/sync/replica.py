"""A replica's files, kept beside its journal in ``<journal>.sync/``.

- ``replica-id``: the random id the replica publishes under, made once.
- ``state.json``: how far the journal was scanned for our own lines, the outbox's
  committed sizes, what was pushed, and how far each other replica's segments were
  read; replaced whole (write, fsync, rename), so a kill leaves the old or the new.
- ``imported``: the ids of the events received from others, one a line, made
  durable *before* those events are appended: a line of the journal whose id is
  here is never published as ours, even after a kill between the two.
- ``out/seg-NNNNNN.jsonl``: the outbox, our own lines as published, in segments that
  only grow at their end (a push then sends the new bytes as a delta). Bytes past the
  sizes ``state.json`` records were written by a sync killed before it recorded
  them: cut back at the next start, and written again.
- ``git/``: the private bare repository that fetches and pushes the refs.
- ``lock``: held by the sync under way (two syncs of one journal take turns).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import msgspec

from journal_core.errors import SyncFailed
from journal_core.journal_file import make_private_dirs

# A segment is closed and a new one started once it would pass this size: the blob a
# push deltifies, and a fetch reads back, stays small whatever the history.
SEGMENT_BYTES: Final = 4 * 1024 * 1024
SEGMENT_NAME: Final = re.compile(r"seg-[0-9]{6}\.jsonl")
REPLICA_ID: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class Read(msgspec.Struct, frozen=True):
    """How much of another replica's segment was taken in: its blob then, and bytes."""

    blob: str
    size: int


class Theirs(msgspec.Struct, kw_only=True):
    commit: str
    segments: dict[str, Read] = {}


class State(msgspec.Struct, kw_only=True):
    journal: tuple[int, int] | None = None  # the journal scanned (device, inode)
    scanned: int = 0  # our own lines below this offset are in the outbox (or not ours)
    outbox: dict[str, int] = {}  # segment -> committed size
    blobs: dict[str, Read] = {}  # segment -> blob of it as pushed
    published: str | None = None  # the commit last pushed
    private: list[str] = []  # tasks opened private: never sent
    theirs: dict[str, Theirs] = {}
    remote: str | None = None
    last_sync: str | None = None


_state_decoder: Final = msgspec.json.Decoder(State)


class Replica:
    """The sync files of one journal."""

    def __init__(self, journal_path: Path) -> None:
        self.journal_path = journal_path
        self.folder = Path(f"{journal_path}.sync")
        self.outbox = self.folder / "out"
        self.git_dir = self.folder / "git"

    # --- identity and state ------------------------------------------------------------

    def exists(self) -> bool:
        return (self.folder / "replica-id").exists()

    def replica_id(self) -> str:
        """This replica's id, made (random, 16 characters) at first use."""
        path = self.folder / "replica-id"
        with contextlib.suppress(FileNotFoundError):
            return path.read_text().strip()
        make_private_dirs(self.folder)
        new = secrets.token_hex(8)
        _write_atomic(path, (new + "\n").encode(), exclusive=True)
        return path.read_text().strip()

    def load(self) -> State:
        try:
            return _state_decoder.decode((self.folder / "state.json").read_bytes())
        except FileNotFoundError:
            return State()
        except msgspec.DecodeError:
            # Only a foreign hand writes a bad one (ours is replaced whole): start over,
            # which reads everything again and publishes nothing twice (by event id).
            return State()

    def save(self, state: State) -> None:
        _write_atomic(self.folder / "state.json", msgspec.json.encode(state))

    # --- the imported ids -------------------------------------------------------------

    def imported(self) -> set[str]:
        try:
            data = (self.folder / "imported").read_bytes()
        except FileNotFoundError:
            return set()
        # A last line without its end was being written when a sync was killed: the
        # events it names were not appended yet.
        return {line.decode() for line in data.split(b"\n")[:-1] if line}

    def note_imported(self, event_ids: list[str]) -> None:
        """Record ``event_ids`` durably, before their events are appended."""
        if not event_ids:
            return
        path = self.folder / "imported"
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            size = os.fstat(fd).st_size
            torn = size and os.pread(fd, 1, size - 1) != b"\n"
            payload = ("\n" if torn else "") + "".join(f"{i}\n" for i in event_ids)
            os.write(fd, payload.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    # --- the outbox -------------------------------------------------------------------

    def segments(self, state: State) -> list[str]:
        return sorted(state.outbox)

    def restore_outbox(self, state: State) -> None:
        """Cut the outbox back to the sizes ``state`` committed."""
        make_private_dirs(self.outbox)
        for path in self.outbox.iterdir():
            size = state.outbox.get(path.name)
            if size is None:
                path.unlink()
            elif path.stat().st_size != size:
                os.truncate(path, size)

    def add_to_outbox(self, state: State, lines: list[bytes]) -> None:
        """Append ``lines`` to the outbox's segments (new ones as they fill), durably;
        ``state.outbox`` gets the new sizes (to be saved by the caller)."""
        names = self.segments(state)
        name = names[-1] if names else _segment_name(1)
        size = state.outbox.get(name, 0)
        pending: list[bytes] = []
        for line in lines:
            if size and size + len(line) > SEGMENT_BYTES:
                self._append(name, pending)
                state.outbox[name] = size
                name, size, pending = _segment_name(int(name[4:10]) + 1), 0, []
            pending.append(line)
            size += len(line)
        if pending:
            self._append(name, pending)
            state.outbox[name] = size

    def _append(self, name: str, lines: list[bytes]) -> None:
        if not lines:
            return
        fd = os.open(
            self.outbox / name, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600
        )
        try:
            os.write(fd, b"".join(lines))
            os.fsync(fd)
        finally:
            os.close(fd)

    # --- the lock ---------------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self, deadline: float) -> Iterator[None]:
        """Hold the replica's lock; ``SyncFailed`` if another sync holds it past ``deadline``."""
        make_private_dirs(self.folder)
        fd = os.open(self.folder / "lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise SyncFailed(
                            "another sync of this journal is running; try again when it ends"
                        ) from None
                    time.sleep(0.05)
            yield
        finally:
            os.close(fd)


def _segment_name(number: int) -> str:
    return f"seg-{number:06d}.jsonl"


def _write_atomic(path: Path, data: bytes, *, exclusive: bool = False) -> None:
    """Write ``path`` whole or not at all (a temporary file, fsync, rename, fsync the
    folder); with ``exclusive``, keep a file already there."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    if exclusive:
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
        os.unlink(temporary)
    else:
        os.replace(temporary, path)
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
