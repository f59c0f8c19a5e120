"""``Journal``: the one object a front end holds: the writer, the index, the settings."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import msgspec

from journal_core.errors import JournalUnavailable, TaskAlreadyOpen, TaskNotFound
from journal_core.events import Event, event_to_dict, validate_event
from journal_core.index import EventPage, JournalIndex, TaskPage
from journal_core.reader import VerifyReport, verify
from journal_core.settings import Settings
from journal_core.writer import JournalWriter, Tip, Verdict, WriterStats, Written


class AppendResult(msgspec.Struct, frozen=True, kw_only=True):
    """The answer to an append; ``duplicate`` means an earlier event had the same key."""

    event_id: str
    task_id: str
    type: str
    timestamp: str
    durable: bool
    duplicate: bool


class FlushResult(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    size_bytes: int
    durable: bool = True


class Journal:
    """A journal file with its writer and index; thread-safe, one per process is the norm."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path: Path = settings.journal_path
        self._index = JournalIndex(self.path)
        self._writer = JournalWriter(
            self.path,
            durability=settings.durability,
            lock_timeout=settings.lock_timeout,
            admit=self._admit,
            on_written=self._index.note_written,
        )

    def open(self) -> None:
        """Create the journal if needed and prove it can be appended to.

        Raises ``JournalUnavailable`` with the reason when it cannot.
        """
        self._writer.open()

    def build_index(self) -> None:
        """Index the whole file now, so the first query or append does not pay for it."""
        self._index.build()

    def append(self, event: Event) -> AppendResult:
        """Append ``event`` (validated again here: nothing unchecked reaches the file)."""
        validate_event(event, self.settings.limits)
        if not self._index.built:
            # Build outside the write lock: under it (in _admit) only the lines
            # appended since are left to read, never a whole journal.
            self.build_index()
        return _answer(event, self._writer.append(event))

    def try_append(self, event: Event) -> AppendResult | None:
        """``append`` if it has nothing to wait for (no index to build, no lock held
        elsewhere, no other append under way), else ``None`` with nothing done: an
        event loop appends in place this way, and hands the other cases to a thread.
        """
        validate_event(event, self.settings.limits)
        if not self._index.built:
            return None
        written = self._writer.try_append(event)
        return None if written is None else _answer(event, written)

    def flush(self) -> FlushResult:
        """Make everything written so far durable, by any process."""
        size = self._writer.flush()
        return FlushResult(path=str(self.path), size_bytes=size)

    def read_events(
        self,
        *,
        task_id: str | None = None,
        types: Sequence[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
        order: str = "newest",
    ) -> EventPage:
        with self._reading():
            return self._index.read_events(
                task_id=task_id,
                types=types,
                since=since,
                until=until,
                limit=limit,
                cursor=cursor,
                order=order,
            )

    def list_tasks(
        self,
        *,
        status: str = "open",
        query: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> TaskPage:
        with self._reading():
            return self._index.list_tasks(status=status, query=query, limit=limit, cursor=cursor)

    def verify(self, progress: Callable[[int, int], None] | None = None) -> VerifyReport:
        with self._reading():
            return verify(self.path, progress)

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """Report a file that cannot be read (a folder in its place, no permission) as
        ``JournalUnavailable``, so callers meet only the library's errors."""
        try:
            yield
        except OSError as error:
            raise JournalUnavailable(self.path, error.strerror or str(error)) from error

    def stats(self) -> WriterStats:
        return self._writer.stats()

    def close(self) -> None:
        self._writer.close()

    def _admit(self, events: Sequence[Event], tip: Tip) -> list[Verdict]:
        """Under the write lock: refuse orphans and second opens, answer repeated keys.

                The index is first brought up to the file's end, so what other processes
                appended a moment ago counts (unless the index already ends at ``tip``, the file's
        end: then there is nothing to read); ``batch_*`` covers events earlier in this batch.
        """
        self._index.refresh(tip)
        batch_opened: set[str] = set()
        batch_keys: dict[str, dict[str, Any]] = {}
        verdicts: list[Verdict] = []
        for event in events:
            key = event.idempotency_key
            if key is not None:
                earlier = batch_keys.get(key) or self._index.find_key(key)
                if earlier is not None:
                    verdicts.append(earlier)
                    continue
            opened = event.task_id in batch_opened or self._index.has_open(event.task_id)
            if event.type == "open" and opened:
                verdicts.append(TaskAlreadyOpen(event.task_id))
                continue
            if event.type != "open" and not opened:
                verdicts.append(TaskNotFound(event.task_id))
                continue
            if event.type == "open":
                batch_opened.add(event.task_id)
            if key is not None:
                batch_keys[key] = event_to_dict(event)
            verdicts.append(None)
        return verdicts


def _answer(event: Event, written: Written) -> AppendResult:
    original = written.duplicate_of
    if original is not None:
        return AppendResult(
            event_id=original["event_id"],
            task_id=original["task_id"],
            type=original["type"],
            timestamp=original["timestamp"],
            durable=written.durable,
            duplicate=True,
        )
    return AppendResult(
        event_id=event.event_id,
        task_id=event.task_id,
        type=event.type,
        timestamp=event.timestamp,
        durable=written.durable,
        duplicate=False,
    )
