"""``Journal``: the one object a front end holds: the writer, the index, the settings.

A process that only reads (the status line, a hook) never imports the writer (nor
filelock, which it uses), the packs, search or the credential patterns: each is
imported when first needed.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from journal_core.admission import Admission
from journal_core.errors import (
    InvalidEvent,
    JournalUnavailable,
    TaskNotFound,
)
from journal_core.events import Event, ForeignEvent, validate_event
from journal_core.filters import (
    ReadArguments,
    ReadFilter,
    RejectedArguments,
    SearchArguments,
    SearchFilter,
)
from journal_core.index.results import (
    EventPage,
    IndexStatus,
    TaskPage,
    TaskSummary,
)
from journal_core.index.store import JournalStore
from journal_core.location import anchor_journal
from journal_core.query import (
    MAX_LIMIT,
    RESUME_TOKENS,
)
from journal_core.reader import (
    VerifyReport,
    decode_indexed,
    gc_paused,
    verify,
)
from journal_core.remembered import Remembered
from journal_core.settings import Settings

_A = TypeVar("_A")

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from journal_core.index.scan import TaskScan
    from journal_core.pack import Pack, PackFacts, Resume
    from journal_core.search import SearchPage
    from journal_core.writer import JournalWriter, WriterStats, Written

# The open tasks of a briefing whose index line names their newest decision or question:
# no more fit in its budget.
_NOTED = 40
_NOTE_TYPES = frozenset({"decision", "hypothesis"})
# The newest events of those types read for each task: one without text is passed over.
_NOTE_CANDIDATES = 8
# The tasks whose packs' facts are remembered: the task in hand and a few beside it.
_PACKED_TASKS = 4


class AppendResult(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The answer to an append; ``duplicate`` means an earlier event had the same key;
    ``redacted`` lists the kinds of credential masked in it (left out when none)."""

    event_id: str
    task_id: str
    type: str
    timestamp: str
    durable: bool
    duplicate: bool
    redacted: list[str] = []


class FlushResult(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    size_bytes: int
    durable: bool = True


class Journal:
    """A journal file with its writer and index; thread-safe, one per process is the norm."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path: Path = settings.journal_path
        self._index = JournalStore(self.path)
        self._caught_up = False
        # Task ids the index has said it holds: tasks are never taken out of a journal.
        self._tasks_held: set[str] = set()
        self._admission = Admission(self._index)
        self._packed: Remembered[tuple[int, str], PackFacts] = Remembered(_PACKED_TASKS)
        self._noted: Remembered[tuple[int, str], str | None] = Remembered(2 * _NOTED)
        self._writer_made = threading.Lock()
        self._writer_: JournalWriter | None = None
        # ``secrets.redact_event``, imported at the first append (see ``_redaction``).
        self._redact: Callable[[Event], tuple[Event, list[str]]] | None = None

    @property
    def _writer(self) -> JournalWriter:
        """The writer, made on first use."""
        writer = self._writer_
        if writer is None:
            with self._writer_made:
                if self._writer_ is None:
                    from journal_core.writer import JournalWriter

                    self._writer_ = JournalWriter(
                        self.path,
                        durability=self.settings.durability,
                        lock_timeout=self.settings.lock_timeout,
                        admit=self._admission.admit,
                        on_written=self._admission.note_written,
                    )
                writer = self._writer_
        return writer

    def _redaction(self) -> Callable[[Event], tuple[Event, list[str]]]:
        """The credential masking of appends, its patterns imported once, at the first:
        an import statement in ``append`` itself costs a lookup at every append."""
        from journal_core.secrets import redact_event

        self._redact = redact_event
        return redact_event

    def open(self) -> None:
        """Create the journal if needed and prove it can be appended to.

        Raises ``JournalUnavailable`` with the reason when it cannot.
        """
        self._writer.open()
        if self.settings.project_root is not None:
            anchor_journal(self.settings.project_root, self.path)

    def check(self) -> None:
        """Prove the journal can be appended to, creating nothing when it does not exist
        yet (SPEC 5: nothing is created until the first append): an existing file is
        opened as ``open`` does; for a missing one, its nearest existing folder must be a
        folder this process may write in.

        Raises ``JournalUnavailable`` with the reason when it cannot.
        """
        if self.exists():
            self.open()
            return
        folder = self.path.parent
        while not os.path.lexists(folder) and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir():
            raise JournalUnavailable(self.path, f"{folder} is not a folder")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise JournalUnavailable(self.path, f"Permission denied: cannot create in {folder}")

    def exists(self) -> bool:
        """Whether the journal file is there (a first append creates it)."""
        return os.path.lexists(self.path)

    def build_index(self) -> None:
        """Bring the index up to date now, full text included, so the first query or
        append does not pay for it."""
        self._index.build()
        self._caught_up = True

    @property
    def index_caught_up(self) -> bool:
        """Whether this object brought the index up to date (``build_index``, or before a
        first append): since then it lags only by what others appended."""
        return self._caught_up

    def _catch_up(self) -> None:
        """Catch the index up before a first append: its full-text part need not be."""
        self._index.refresh()
        self._caught_up = True

    def rebuild_index(self) -> None:
        """Drop the derived index and build it again from the journal."""
        with self._reading():
            self._index.rebuild()

    def index_status(self) -> IndexStatus:
        """Where the index is, whether it is usable, and how much of the journal it holds."""
        with self._reading():
            return self._index.status()

    def append(self, event: Event) -> AppendResult:
        """Append ``event`` (validated again here: nothing unchecked reaches the file),
        credentials in it masked first (``journal_core.secrets``)."""
        event, redacted = (self._redact or self._redaction())(event)
        validate_event(event, self.settings.limits)
        if not self._caught_up:
            # Catch up outside the write lock: under it (in _admit) only the lines
            # appended since are left to read, never a whole journal.
            self._catch_up()
        return _answer(event, self._writer.append(event), redacted)

    def import_lines(
        self, items: Sequence[tuple[ForeignEvent, bytes]]
    ) -> list[bool | InvalidEvent]:
        """Append events another replica wrote, each as its line (``\\n`` included),
        byte for byte, through the same locked, durable write as ``append``; each once
        by its id. For each: True if written, False for an id the journal holds, or the
        ``InvalidEvent`` that refused it (a writer's checks; nothing written)."""
        results: list[bool | InvalidEvent] = [False] * len(items)
        valid: list[int] = []
        for index, (event, _) in enumerate(items):
            try:
                validate_event(event, self.settings.limits)
            except InvalidEvent as error:
                results[index] = error
                continue
            valid.append(index)
        if not self._caught_up:
            self._catch_up()
        written = self._writer.append_lines([items[index] for index in valid])
        for index, outcome in zip(valid, written, strict=True):
            results[index] = outcome.duplicate_of is None
        return results

    def event_lines(self, event_ids: Sequence[str]) -> dict[str, bytes]:
        """The journal's first line holding each of ``event_ids`` it has (``\\n``
        included)."""
        with self._reading():
            return self._index.event_lines(event_ids)

    def try_append(self, event: Event) -> AppendResult | None:
        """``append`` if it has nothing to wait for (no index to build, no lock held
        elsewhere, no other append under way), else ``None`` with nothing done: an
        event loop appends in place this way, and hands the other cases to a thread.
        """
        event, redacted = (self._redact or self._redaction())(event)
        validate_event(event, self.settings.limits)
        if not self._caught_up:
            return None
        written = self._writer.try_append(event)
        return None if written is None else _answer(event, written, redacted)

    def flush(self) -> FlushResult:
        """Make everything written so far durable, by any process."""
        if not self.exists():
            # Nothing written yet: all of it is durable, and nothing is created.
            return FlushResult(path=str(self.path), size_bytes=0)
        size = self._writer.flush()
        return FlushResult(path=str(self.path), size_bytes=size)

    def read_events(
        self, read: ReadFilter | None = None, /, **given: Unpack[ReadArguments]
    ) -> EventPage:
        """A page of the events ``read`` asks for (a front end builds it with
        ``ReadFilter.of``), or the events the arguments ``given`` ask for (checked here):
        those matching every filter, or with ``event_ids`` (ids or unique starts of ids,
        at most 50), those events whole, in the order given."""
        read = ReadFilter.of(**given) if read is None else read
        with self._reading():
            return self._index.read_events(read)

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

    @contextlib.contextmanager
    def task_scan(self) -> Iterator[TaskScan]:
        """The journal's tasks folded from one scan of its lines, paged by its
        ``list_tasks`` as this one pages them, without reading or building the index:
        for a first ``tasks`` on a big journal (SPEC §6). The file must exist."""
        from journal_core.index.scan import TaskScan

        with self._reading():
            scan = TaskScan(self._index)
        try:
            yield scan
        finally:
            scan.close()

    def task_events(self, task_id: str) -> Iterator[dict[str, Any]]:
        """Every event of the task, oldest first, as the plain objects of their lines;
        nothing for a task the journal does not hold."""
        with self._reading():
            events = self._index.task_events(task_id, decode_indexed)
        yield from events

    def task_version(self, task_id: str) -> tuple[int, str] | None:
        """What changes whenever a line of the task is added (``JournalStore.task_version``),
        ``None`` for a task the journal does not hold: a key for what is made of it."""
        with self._reading():
            return self._index.task_version(task_id)

    def task_pack(
        self,
        task_id: str,
        *,
        mode: str = "compact",
        budget_tokens: int | None = None,
        as_data: bool = False,
    ) -> Pack:
        """The task as a briefing to resume from, within a budget (see ``journal_core.pack``);
        ``as_data`` for a model (inside a block that says it is data, SPEC 9).

        Raises ``InvalidQuery`` for a bad mode or budget, ``TaskNotFound`` for a task with
        no events.
        """
        from journal_core.pack import build_pack, check_budget, check_mode

        check_mode(mode)
        if budget_tokens is not None:
            check_budget(budget_tokens)
        with gc_paused():  # the events are built on as they are decoded: see gc_paused
            return build_pack(
                task_id,
                self._facts_of(task_id),
                self.subtasks(task_id),
                mode=mode,
                budget_tokens=budget_tokens,
                as_data=as_data,
            )

    def resume(self, *, budget_tokens: int = RESUME_TOKENS, task_id: str | None = None) -> Resume:
        """The briefing of the open tasks, most recently active first, one line each,
        then ``task_id`` (the task in hand; else the newest) as a compact pack, within
        ``budget_tokens``."""
        from journal_core.pack import build_resume, check_budget

        check_budget(budget_tokens)
        with self._reading():
            # Only as many as one page can be shown; the rest are counted.
            page = self._index.list_tasks(status="open", limit=MAX_LIMIT)
            if not page.tasks:
                return build_resume([], [], budget_tokens=budget_tokens)
            count = self._index.count_tasks("open")
            tasks = page.tasks
            in_hand = tasks[0].task_id
            if task_id is not None and any(task.task_id == task_id for task in tasks):
                in_hand = task_id
            subtasks = self._index.subtasks(in_hand)
            notes = self._notes(tasks[:_NOTED])
        with gc_paused():
            return build_resume(
                tasks,
                self._facts_of(in_hand),
                subtasks,
                budget_tokens=budget_tokens,
                task_count=count,
                in_hand=in_hand,
                notes=notes,
            )

    def _notes(self, tasks: Sequence[TaskSummary]) -> dict[str, str]:
        """Each task's newest decision or hypothesis, for its line in a briefing."""
        from journal_core.fold import canonical_key

        # Newest in canonical order, not in line order: merged journals hold their lines
        # in any order (SPEC 6). The index gives each task's newest few by time, in one
        # query; the fold's key settles among them.
        # A task's note is remembered with its count of events and newest time, which
        # every line of it but a repeated one changes (see ``journal_core.remembered``).
        notes: dict[str, str] = {}
        unknown: list[TaskSummary] = []
        for task in tasks:
            remembered = self._noted.recall(task.task_id, (task.event_count, task.last_event_at))
            if remembered is None:
                unknown.append(task)
            elif (note := remembered[0]) is not None:
                notes[task.task_id] = note
        if not unknown:
            return notes
        found = self._index.newest_of_tasks(
            [task.task_id for task in unknown], _NOTE_TYPES, _NOTE_CANDIDATES
        )
        for task in unknown:
            written = [
                e for e in found.get(task.task_id, ()) if isinstance(e.text, str) and e.text.strip()
            ]
            note = None
            if written:
                event = max(written, key=canonical_key)
                note = notes[task.task_id] = f"{event.type}: {event.text}"
            self._noted.keep(task.task_id, (task.event_count, task.last_event_at), note)
        return notes

    def export_pr(self, task_id: str) -> str:
        """A pull request description in Markdown from the task's goal, decisions,
        rejections, evidence, files and commits."""
        from journal_core.pack import export_pr

        with gc_paused():
            return export_pr(task_id, self._facts_of(task_id), self.subtasks(task_id))

    def subtasks(self, task_id: str) -> list[TaskSummary]:
        """The tasks whose ``open`` event names ``task_id`` in ``meta.parent_id``."""
        with self._reading():
            return self._index.subtasks(task_id)

    def open_questions(self, task_id: str) -> int:
        """How many of the task's hypotheses are still open: active, nothing answered,
        amended or withdrew them (SPEC 7); 0 for a task the journal lacks. Read from the
        index, not by folding the task again."""
        with self._reading():
            return self._index.open_questions(task_id)

    def _facts_of(self, task_id: str) -> PackFacts:
        """What the task's packs are made of (``pack_facts``), remembered while the task
        is unchanged: an agent asks for the pack of a task it has not written to since."""
        from journal_core.pack import decode_pack_event, pack_facts

        if self._packed.latest(task_id) is not None:  # made before: of the task as it is?
            found = self._packed.recall(task_id, self.task_version(task_id))
            if found is not None:
                return found[0]
        # The events with the version they are of, and the standings the index keeps of
        # them: the fold need not work those out again.
        with self._reading():
            version, events, standings = self._index.task_events_standing(
                task_id, decode_pack_event
            )
        if not events:
            raise TaskNotFound(task_id)
        facts = pack_facts(task_id, events, standings)
        self._packed.keep(task_id, version, facts)
        return facts

    def holding(self, task_id: str, event_ids: Iterable[str]) -> set[str]:
        """Those of ``event_ids`` that still hold in the task: not superseded, corrected
        away or overturned (see ``journal_core.fold``)."""
        from journal_core.fold import decode_fold_event, fold_task

        with self._reading(), gc_paused():
            fold = fold_task(task_id, self._index.task_events(task_id, decode_fold_event))
        return {event_id for event_id in event_ids if fold.holds(event_id)}

    def holds_task(self, task_id: str) -> bool:
        """Whether a task of that id is known to the index already (no catching up: a
        no may be a task written since, which ``task_ids_with_prefix`` would find)."""
        if task_id in self._tasks_held:
            return True
        with self._reading():
            held = self._index.holds_task(task_id)
        if held:
            self._tasks_held.add(task_id)
        return held

    def task_ids_with_prefix(self, prefix: str) -> list[str]:
        """The ids of the tasks in the journal that start with ``prefix``, sorted."""
        with self._reading():
            return self._index.task_ids_with_prefix(prefix)

    def event_ids_with_prefix(self, prefix: str, limit: int) -> list[tuple[str, str]]:
        """Up to ``limit`` (event id, task id) pairs of the events in the journal whose ids
        start with ``prefix``, by id."""
        with self._reading():
            return self._index.event_ids_with_prefix(prefix, limit)

    def find(self, search: SearchFilter) -> SearchPage:
        """The page of hits ``search`` asks for (SPEC §7), best first; a front end builds
        it with ``SearchFilter.of``. See ``journal_core.search``."""
        from journal_core.search_pages import search_page

        return search_page(self.path, self._index, self._reading, search)

    def search(self, query: str, **given: Unpack[SearchArguments]) -> SearchPage:
        """Events matching ``query`` (SPEC §7), best first; see ``journal_core.search``.

        Hits are compact (id, type, task, time, snippet, standing); ``full`` adds each
        whole event; ``current_only`` leaves out all but the active ones.
        """
        return self.find(SearchFilter.of(query, **given))

    def rejected(
        self, topic: str, *, withdrawn: bool = False, **given: Unpack[RejectedArguments]
    ) -> SearchPage:
        """What was tried and turned down about ``topic``: matching rejections, and
        decisions whose rejected alternatives match, those that still stand only (not
        superseded, corrected away, or overturned by a later decision choosing that
        option) unless ``withdrawn``."""
        return self.find(SearchFilter.of(topic, rejected=True, current_only=not withdrawn, **given))

    def verify(self, progress: Callable[[int, int], None] | None = None) -> VerifyReport:
        """Scan the whole file for bad lines, and compare the index with the scan's
        tasks (``rebuild_index`` mends what differs)."""
        with self._reading():
            report = verify(self.path, progress)
            differences = self._index.differences()
        return msgspec.structs.replace(report, index_differences=differences)

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
        self._packed.forget()
        self._noted.forget()
        if self._writer_ is not None:
            self._writer_.close()
        self._index.close()


def _answer(event: Event, written: Written, redacted: list[str]) -> AppendResult:
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
        redacted=redacted,
    )
