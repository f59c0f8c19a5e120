"""``Journal``: the one object a front end holds: the writer, the index, the settings."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import msgspec

from journal_core.errors import InvalidQuery, JournalUnavailable, TaskAlreadyOpen, TaskNotFound
from journal_core.events import Event, event_to_dict, validate_event
from journal_core.index import EventPage, JournalIndex, TaskPage, TaskSummary
from journal_core.pack import (
    RESUME_TOKENS,
    Pack,
    Resume,
    build_pack,
    build_resume,
    check_budget,
    check_mode,
    export_pr,
)
from journal_core.query import MAX_LIMIT
from journal_core.reader import VerifyReport, verify
from journal_core.settings import Settings
from journal_core.writer import JournalWriter, Verdict, WriterStats


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
        written = self._writer.append(event)
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

    def task_events(self, task_id: str) -> Iterator[dict[str, Any]]:
        """Every event of the task, oldest first, as the plain objects of their lines;
        nothing for a task the journal does not hold."""
        with self._reading():
            events = self._index.task_events(task_id)
        yield from events

    def task_pack(
        self, task_id: str, *, mode: str = "compact", budget_tokens: int | None = None
    ) -> Pack:
        """The task as a briefing to resume from, within a budget (see ``journal_core.pack``).

        Raises ``InvalidQuery`` for a bad mode or budget, or a task with no events.
        """
        check_mode(mode)
        if budget_tokens is not None:
            check_budget(budget_tokens)
        events = self._events_of(task_id)
        return build_pack(
            task_id, events, self.subtasks(task_id), mode=mode, budget_tokens=budget_tokens
        )

    def resume(self, *, budget_tokens: int = RESUME_TOKENS) -> Resume:
        """The briefing of the open tasks, most recently active first: the newest as a
        compact pack, the others one line each, within ``budget_tokens``."""
        check_budget(budget_tokens)
        with self._reading():
            # Only as many as one page can be shown; the rest are counted.
            page = self._index.list_tasks(status="open", limit=MAX_LIMIT)
            if not page.tasks:
                return build_resume([], [], budget_tokens=budget_tokens)
            count = self._index.count_tasks("open")
            newest = page.tasks[0].task_id
            subtasks = self._index.subtasks(newest)
        events = self._events_of(newest)
        return build_resume(
            page.tasks, events, subtasks, budget_tokens=budget_tokens, task_count=count
        )

    def export_pr(self, task_id: str) -> str:
        """A pull request description in Markdown from the task's goal, decisions,
        rejections, evidence, files and commits."""
        return export_pr(task_id, self._events_of(task_id), self.subtasks(task_id))

    def subtasks(self, task_id: str) -> list[TaskSummary]:
        """The tasks whose ``open`` event names ``task_id`` in ``meta.parent_id``."""
        with self._reading():
            return self._index.subtasks(task_id)

    def _events_of(self, task_id: str) -> list[dict[str, Any]]:
        events = list(self.task_events(task_id))
        if not events:
            raise InvalidQuery(
                "task_id", f"no task '{task_id}' in this journal; list_tasks shows the tasks"
            )
        return events

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

    def _admit(self, events: Sequence[Event]) -> list[Verdict]:
        """Under the write lock: refuse orphans and second opens, answer repeated keys.

        The index is first brought up to the file's end, so what other processes
        appended a moment ago counts; ``batch_*`` covers events earlier in this batch.
        """
        self._index.refresh()
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
