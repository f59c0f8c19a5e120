"""``Journal``: the one object a front end holds: the writer, the index, the settings.

A process that only reads (the status line, a hook) never imports the writer (nor
filelock, which it uses), the packs or search: each is imported when first needed.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from journal_core.cursor import (
    CURSOR_VERSION,
    CursorState,
    decode_cursor,
    encode_cursor,
    filters_digest,
)
from journal_core.errors import (
    IdempotencyKeyReused,
    InvalidQuery,
    JournalError,
    JournalUnavailable,
    TaskAlreadyOpen,
    TaskNotFound,
    TaskStateConflict,
    UnknownEvent,
)
from journal_core.events import Event, event_to_dict, validate_event
from journal_core.journal_file import open_journal_file
from journal_core.location import data_dir
from journal_core.query import (
    DEFAULT_SEARCH_LIMIT,
    MAX_LIMIT,
    RESUME_TOKENS,
    check_task_id,
    check_types,
    parse_instant,
)
from journal_core.reader import (
    VerifyReport,
    decode_indexed,
    decode_line,
    forward_chunks,
    gc_paused,
    verify,
)
from journal_core.settings import Settings
from journal_core.store import (
    PAGE_BYTES,
    TRUNCATED_NOTE,
    EventPage,
    Hit,
    IndexStatus,
    IndexView,
    JournalStore,
    TaskPage,
    TaskState,
    TaskSummary,
)

_A = TypeVar("_A")

if TYPE_CHECKING:
    from journal_core.pack import Pack, PackEvent, Resume
    from journal_core.search import SearchPage
    from journal_core.writer import JournalWriter, Tip, Verdict, WriterStats, Written

# The largest position a search cursor may hold (how many hits were given so far).
_MAX_SKIP = 1 << 31


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
        self._index = JournalStore(self.path)
        self._caught_up = False
        # What this process appended since the index's end (see ``_Recent``), and what
        # the batch being written will add to it once it is on disk.
        self._recent: _Recent | None = None
        self._admitted: tuple[Tip, _Recent, _Batch] | None = None
        self._writer_made = threading.Lock()
        self._writer_: JournalWriter | None = None

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
                        admit=self._admit,
                        on_written=self._note_written,
                    )
                writer = self._writer_
        return writer

    def open(self) -> None:
        """Create the journal if needed and prove it can be appended to.

        Raises ``JournalUnavailable`` with the reason when it cannot.
        """
        self._writer.open()

    def build_index(self) -> None:
        """Bring the index up to date now, so the first query or append does not pay for it."""
        self._index.build()
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
        """Append ``event`` (validated again here: nothing unchecked reaches the file)."""
        validate_event(event, self.settings.limits)
        if not self._caught_up:
            # Catch up outside the write lock: under it (in _admit) only the lines
            # appended since are left to read, never a whole journal.
            self.build_index()
        return _answer(event, self._writer.append(event))

    def try_append(self, event: Event) -> AppendResult | None:
        """``append`` if it has nothing to wait for (no index to build, no lock held
        elsewhere, no other append under way), else ``None`` with nothing done: an
        event loop appends in place this way, and hands the other cases to a thread.
        """
        validate_event(event, self.settings.limits)
        if not self._caught_up:
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
        event_ids: Sequence[str] | None = None,
    ) -> EventPage:
        """A page of events matching every filter given; with ``event_ids`` (ids or unique
        starts of ids, at most 50), those events whole, in the order given."""
        if event_ids is not None:
            if (task_id, types, since, until, cursor) != (None,) * 5:
                raise InvalidQuery(
                    "event_ids",
                    "fetches those events only; leave out task_id, types, since, until and cursor",
                )
            with self._reading():
                return EventPage(events=self._index.events_by_id(event_ids), next_cursor=None)
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
            events = self._index.task_events(task_id, decode_indexed)
        yield from events

    def task_pack(
        self, task_id: str, *, mode: str = "compact", budget_tokens: int | None = None
    ) -> Pack:
        """The task as a briefing to resume from, within a budget (see ``journal_core.pack``).

        Raises ``InvalidQuery`` for a bad mode or budget, or a task with no events.
        """
        from journal_core.pack import build_pack, check_budget, check_mode

        check_mode(mode)
        if budget_tokens is not None:
            check_budget(budget_tokens)
        with gc_paused():  # the events are built on as they are decoded: see gc_paused
            events = self._events_of(task_id)
            return build_pack(
                task_id, events, self.subtasks(task_id), mode=mode, budget_tokens=budget_tokens
            )

    def resume(self, *, budget_tokens: int = RESUME_TOKENS) -> Resume:
        """The briefing of the open tasks, most recently active first: the newest as a
        compact pack, the others one line each, within ``budget_tokens``."""
        from journal_core.pack import build_resume, check_budget

        check_budget(budget_tokens)
        with self._reading():
            # Only as many as one page can be shown; the rest are counted.
            page = self._index.list_tasks(status="open", limit=MAX_LIMIT)
            if not page.tasks:
                return build_resume([], [], budget_tokens=budget_tokens)
            count = self._index.count_tasks("open")
            newest = page.tasks[0].task_id
            subtasks = self._index.subtasks(newest)
        with gc_paused():
            events = self._events_of(newest)
            return build_resume(
                page.tasks, events, subtasks, budget_tokens=budget_tokens, task_count=count
            )

    def export_pr(self, task_id: str) -> str:
        """A pull request description in Markdown from the task's goal, decisions,
        rejections, evidence, files and commits."""
        from journal_core.pack import export_pr

        with gc_paused():
            return export_pr(task_id, self._events_of(task_id), self.subtasks(task_id))

    def subtasks(self, task_id: str) -> list[TaskSummary]:
        """The tasks whose ``open`` event names ``task_id`` in ``meta.parent_id``."""
        with self._reading():
            return self._index.subtasks(task_id)

    def _events_of(self, task_id: str) -> list[PackEvent]:
        """The task's events as a pack reads them (only the fields it uses)."""
        from journal_core.pack import decode_pack_event

        with self._reading():
            events = self._index.task_events(task_id, decode_pack_event)
        if not events:
            raise InvalidQuery(
                "task_id", f"no task '{task_id}' in this journal; list_tasks shows the tasks"
            )
        return events

    def task_ids_with_prefix(self, prefix: str) -> list[str]:
        """The ids of the tasks in the journal that start with ``prefix``, sorted."""
        with self._reading():
            return self._index.task_ids_with_prefix(prefix)

    def search(
        self,
        query: str,
        *,
        task_id: str | None = None,
        types: Sequence[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        all_projects: bool = False,
        limit: int = DEFAULT_SEARCH_LIMIT,
        cursor: str | None = None,
        full: bool = False,
    ) -> SearchPage:
        """Events matching ``query`` (SPEC §7), best first; see ``journal_core.search``.

        Hits are compact (id, type, task, time, snippet); ``full`` adds each whole event.
        """
        return self._search(
            query,
            rejected=False,
            full=full,
            task_id=task_id,
            types=types,
            since=since,
            until=until,
            all_projects=all_projects,
            limit=limit,
            cursor=cursor,
        )

    def rejected(
        self,
        topic: str,
        *,
        task_id: str | None = None,
        since: str | None = None,
        until: str | None = None,
        all_projects: bool = False,
        limit: int = DEFAULT_SEARCH_LIMIT,
        cursor: str | None = None,
        full: bool = False,
    ) -> SearchPage:
        """What was tried and turned down about ``topic``: matching rejections, and
        decisions whose rejected alternatives match."""
        return self._search(
            topic,
            rejected=True,
            full=full,
            task_id=task_id,
            types=None,
            since=since,
            until=until,
            all_projects=all_projects,
            limit=limit,
            cursor=cursor,
        )

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
        if self._writer_ is not None:
            self._writer_.close()
        self._index.close()

    def _admit(self, events: Sequence[Event], tip: Tip) -> list[Verdict]:
        """Under the write lock: refuse what the journal on disk does not allow, answer
        repeated keys.

        The checks must see the whole file as it is under the lock, ending at ``tip``.
        When this process wrote the last lines (the file still ends where our last
        append ended), they are known from ``_recent``, and the index is asked only
        about the lines before them: no catch-up, so no index write, per append; and
        only what it was not asked before (``_Before``), so that most appends open no
        index transaction at all.
        Otherwise the index is first caught up with the file's end, so what other
        processes appended a moment ago counts.
        """
        recent = self._recent
        if recent is not None and recent.tip != tip:
            # Others appended since our last append: take their lines in too, if the
            # file is the same one, only grew, and they are few. On a copy: a read that
            # fails halfway leaves what was known intact.
            recent = recent.copy()
            if not recent.take_in(self.path, tip):
                recent = None
            self._recent = recent
        if recent is None or tip.size - recent.start > _RECENT_BYTES:
            recent, up_to = _Recent(tip), None
        else:
            up_to = recent.start
            try:  # most appends ask only what was asked before: no index transaction
                batch = _Batch()
                verdicts = _verdicts(_Asked(recent.before, None), events, recent, batch)
                self._admitted = (tip, recent, batch)
                return verdicts
            except _NotRemembered:
                pass
        known = recent
        done: list[tuple[_Batch, _Asked]] = []

        def work(view: IndexView) -> list[Verdict]:
            # Afresh each time: a run that failed halfway may be run again.
            batch, asked = _Batch(), _Asked(known.before, view)
            verdicts = _verdicts(asked, events, known, batch)
            done.append((batch, asked))
            return verdicts

        verdicts = self._index.query(work, up_to=up_to)
        batch, asked = done[-1]
        asked.keep()
        self._admitted = (tip, known, batch)
        return verdicts

    def _note_written(self, tip: Tip, written: bytes) -> None:
        """The batch admitted at ``tip`` is on disk: its lines are now recent ones too."""
        admitted, self._admitted = self._admitted, None
        if admitted is None or admitted[0] != tip:
            self._recent = None
            return
        _, known, batch = admitted
        known.take(batch)
        known.tip = tip._replace(size=tip.size + len(written))
        self._recent = known

    def _search(
        self,
        query: str,
        *,
        rejected: bool,
        full: bool,
        task_id: str | None,
        types: Sequence[str] | None,
        since: str | None,
        until: str | None,
        all_projects: bool,
        limit: int,
        cursor: str | None,
    ) -> SearchPage:
        from journal_core.search import (
            SearchHit,
            SearchPage,
            check_search_limit,
            document,
            parse,
            snippet,
        )

        parsed = parse(query)
        task_id = check_task_id(task_id)
        wanted = check_types(types)
        since_s = parse_instant("since", since)
        until_s = parse_instant("until", until)
        limit = check_search_limit(limit)
        # The parsed query, not the text: it holds no lone surrogates, which the digest's
        # encoder refuses, and texts that parse alike search alike.
        digest = filters_digest(
            msgspec.to_builtins(parsed),
            rejected,
            None if task_id is None else task_id.encode("utf-8", "surrogatepass"),
            sorted(wanted or ()),
            since_s,
            until_s,
            all_projects,
        )
        identity = self._index.identity()
        skip = 0
        if cursor is not None:
            # The position of a search cursor is how many hits were given already.
            skip = decode_cursor(
                cursor,
                kind="search",
                order="best",
                filters=digest,
                identity=identity,
                size=_MAX_SKIP,
                fd=None,  # a count of hits given, not a place in the file
            )
        stores = [(self.path, self._index)]
        if all_projects:
            stores += [(path, JournalStore(path)) for path in _other_journals(self.path)]
        found: list[tuple[Hit, Path]] = []
        broad = False
        try:
            with self._reading():
                for path, store in stores:
                    result = store.search_hits(
                        parsed,
                        rejected=rejected,
                        task_id=task_id,
                        types=wanted,
                        since=since_s,
                        until=until_s,
                        count=limit + 1 if not all_projects else skip + limit + 1,
                        skip=skip if not all_projects else 0,
                    )
                    found += [(hit, path) for hit in result.hits]
                    broad = broad or result.broad
        finally:
            for _, store in stores[1:]:
                store.close()
        if all_projects:
            found.sort(key=lambda pair: (-pair[0].score, -pair[0].offset))
            found = found[skip:]
        page: list[SearchHit] = []
        used = 0
        for hit, path in found[:limit]:
            shown = SearchHit(
                event_id=hit.event["event_id"],
                type=hit.event["type"],
                task_id=hit.event["task_id"],
                timestamp=hit.event["timestamp"],
                title=hit.title,
                snippet=snippet(document(hit.event), parsed),
                score=round(hit.score, 6),
                event=hit.event if full else None,
                journal=str(path) if all_projects else None,
            )
            size = len(msgspec.json.encode(shown))
            if page and used + size > PAGE_BYTES:
                break
            used += size
            page.append(shown)
        truncated = len(page) < len(found[:limit])
        next_cursor = None
        if len(page) < len(found) and identity is not None:
            next_cursor = encode_cursor(
                CursorState(CURSOR_VERSION, "search", "best", skip + len(page), digest, *identity)
            )
        return SearchPage(
            hits=page,
            order="newest" if broad else "best",
            next_cursor=next_cursor,
            truncated=truncated,
            note=TRUNCATED_NOTE if truncated else None,
        )


def _other_journals(path: Path) -> list[Path]:
    """The journals in the data folder's ``events/``, other than ``path``."""
    folder = data_dir(os.environ) / "events"
    try:
        found = sorted(folder.glob("*.jsonl"))
    except OSError:
        return []
    return [other for other in found if other.resolve() != path.resolve() and other.is_file()]


class _Recent:
    """What lines of the journal that the index may not hold yet change: those this
    process appended from ``start`` on (the index reaches ``start``), up to ``tip``.

    Only valid while the file still ends at ``tip``: then nobody else appended since,
    and the index up to ``start`` plus these facts is the whole file. Admission adds
    each batch's events to a copy, kept once the batch is written.
    """

    __slots__ = ("before", "ids", "keys", "opened", "start", "status", "tip")

    def __init__(self, tip: Tip) -> None:
        self.start = tip.size
        self.tip = tip
        self.before = _Before()
        self.opened: set[str] = set()
        self.status: dict[str, str] = {}
        self.keys: dict[str, dict[str, Any]] = {}
        self.ids: set[str] = set()

    def take_in(self, path: Path, tip: Tip) -> bool:
        """Add the lines from ``self.tip`` to ``tip`` (another writer's), and move
        ``self.tip`` there; False when that cannot be done (the file was replaced or
        cut, or too much was appended), and then nothing is known."""
        if tip.identity != self.tip.identity or not (
            self.tip.size <= tip.size <= self.start + _RECENT_BYTES
        ):
            return False
        try:
            fd = open_journal_file(path)
        except OSError:
            return False
        try:
            stat = os.fstat(fd)
            if (stat.st_dev, stat.st_ino) != tip.identity:
                return False
            for _, block in forward_chunks(fd, self.tip.size, tip.size):
                for raw in block.split(b"\n"):
                    event = decode_line(raw)
                    if not isinstance(event, str):
                        self.add(event)
        finally:
            os.close(fd)
        self.tip = tip
        return True

    def add(self, event: Mapping[str, Any]) -> None:
        """What one event on disk changes, as the index takes it."""
        task_id, kind = event["task_id"], event["type"]
        if kind == "open":
            self.opened.add(task_id)
        if kind in ("open", "reopen"):
            self.status[task_id] = "open"
        elif kind == "close":
            self.status[task_id] = "closed"
        self.ids.add(event["event_id"])
        meta = event.get("meta")
        key = meta.get("idempotency_key") if isinstance(meta, dict) else None
        if isinstance(key, str):
            self.keys.setdefault(key, dict(event))

    def take(self, batch: _Batch) -> None:
        """Add what a batch, now written, changes."""
        self.opened |= batch.opened
        self.status.update(batch.status)
        for key, event in batch.keys.items():
            self.keys.setdefault(key, event)
        self.ids |= batch.ids

    def copy(self) -> _Recent:
        twin = _Recent(self.tip)
        twin.start = self.start
        twin.before = self.before  # the same lines before ``start``: the same answers
        twin.opened, twin.status = set(self.opened), dict(self.status)
        twin.keys, twin.ids = dict(self.keys), set(self.ids)
        return twin


# How many bytes of our own appends admission keeps in memory before it catches the
# index up again (so that other processes find it nearly current).
_RECENT_BYTES = 1 << 20


class _Batch:
    """What the events of a batch being admitted change, before it is written: kept
    apart, so that a batch refused or never written leaves the ``_Recent`` as it was
    (without copying it, which grows with every append)."""

    __slots__ = ("ids", "keys", "opened", "status")

    def __init__(self) -> None:
        self.opened: set[str] = set()
        self.status: dict[str, str] = {}
        self.keys: dict[str, dict[str, Any]] = {}
        self.ids: set[str] = set()


class _NotRemembered(Exception):
    """Admission asked ``_Before`` what it was never told: the index must answer."""


class _Before:
    """The index's answers about the lines before a ``_Recent``'s ``start``, remembered.

    Those lines never change while the file is the same one, so neither do the answers
    that matter: a task opened stays opened, an event or key found stays found, and
    whatever came after ``start`` (a task's new status, a new event) is in the
    ``_Recent`` itself, which admission asks first. A view may hold lines past ``start``
    (another process caught it up): its answers are then newer, and still agree with
    the ``_Recent`` over them. Answers are kept only once the view that gave them has
    finished its work (``_Asked.keep``): a view that failed may have been of a corrupt
    index.
    """

    __slots__ = ("events", "keys", "states")

    def __init__(self) -> None:
        self.states: dict[str, TaskState | None] = {}
        self.events: dict[str, bool] = {}
        self.keys: dict[str, dict[str, Any] | None] = {}


class _Asked:
    """The three questions admission asks of the index, answered as ``IndexView`` does:
    from ``_Before``, else from ``view`` (``None``: ``_NotRemembered`` instead)."""

    __slots__ = ("_before", "_events", "_keys", "_states", "_view")

    def __init__(self, before: _Before, view: IndexView | None) -> None:
        self._before = before
        self._view = view
        self._states: dict[str, TaskState | None] = {}
        self._events: dict[str, bool] = {}
        self._keys: dict[str, dict[str, Any] | None] = {}

    def task_state(self, task_id: str) -> TaskState | None:
        return self._ask(self._before.states, self._states, task_id, IndexView.task_state)

    def has_event(self, event_id: str) -> bool:
        return self._ask(self._before.events, self._events, event_id, IndexView.has_event)

    def find_key(self, key: str) -> dict[str, Any] | None:
        return self._ask(self._before.keys, self._keys, key, IndexView.find_key)

    def keep(self) -> None:
        """Remember what ``view`` answered."""
        self._before.states.update(self._states)
        self._before.events.update(self._events)
        self._before.keys.update(self._keys)

    def _ask(
        self,
        known: dict[str, _A],
        new: dict[str, _A],
        name: str,
        ask: Callable[[IndexView, str], _A],
    ) -> _A:
        if name in known:
            return known[name]
        if self._view is None:
            raise _NotRemembered
        answer = new[name] = ask(self._view, name)
        return answer


def _verdicts(
    view: _Asked, events: Sequence[Event], known: _Recent, batch: _Batch
) -> list[Verdict]:
    """What admission says of each event of a batch, given the index of the file on disk,
    ``known``, what the lines the index does not hold change, and ``batch``, what the
    events earlier in the batch (admitted, not yet written) change: it gets this one's."""
    verdicts: list[Verdict] = []
    for event in events:
        key = event.idempotency_key
        if key is not None:
            # The index holds the lines before those ``known`` has: its event is first.
            earlier = view.find_key(key) or known.keys.get(key) or batch.keys.get(key)
            if earlier is not None:
                if not _same_append(earlier, event):
                    verdicts.append(
                        IdempotencyKeyReused(
                            key, str(earlier.get("task_id")), str(earlier.get("type"))
                        )
                    )
                else:
                    verdicts.append(earlier)
                continue
        verdict = _refusal(view, event, known, batch)
        verdicts.append(verdict)
        if verdict is not None:
            continue
        if event.type == "open":
            batch.opened.add(event.task_id)
        if event.type in ("open", "reopen"):
            batch.status[event.task_id] = "open"
        elif event.type == "close":
            batch.status[event.task_id] = "closed"
        batch.ids.add(event.event_id)
        if key is not None:
            batch.keys[key] = event_to_dict(event)
    return verdicts


def _refusal(view: _Asked, event: Event, known: _Recent, batch: _Batch) -> JournalError | None:
    task_id = event.task_id
    state = view.task_state(task_id)
    was_opened = (
        task_id in batch.opened or task_id in known.opened or (state is not None and state.opened)
    )
    if event.type == "open":
        return TaskAlreadyOpen(task_id) if was_opened else None
    if not was_opened:
        return TaskNotFound(task_id)
    now = (
        batch.status.get(task_id)
        or known.status.get(task_id)
        or (state.status if state is not None else "open")
    )
    if (event.type == "close" and now == "closed") or (event.type == "reopen" and now == "open"):
        return TaskStateConflict(task_id, event.type, now)
    named = [("corrects", event.corrects), ("supersedes", event.supersedes)]
    named += [("refs.events", event_id) for event_id in event.refs.events]
    for field, event_id in named:
        if (
            isinstance(event_id, str)
            and event_id not in batch.ids
            and event_id not in known.ids
            and not view.has_event(event_id)
        ):
            return UnknownEvent(field, event_id)
    return None


def _same_append(earlier: dict[str, Any], event: Event) -> bool:
    """Whether ``event`` repeats the append that wrote ``earlier`` with the same key.

    A repeated ``open`` carries a task id of its own making (the caller did not know
    the first one's), so an ``open`` repeats an ``open`` whatever its task id; any
    other type repeats only an event of its task and type.
    """
    if event.type == "open":
        return earlier.get("type") == "open"
    return (earlier.get("task_id"), earlier.get("type")) == (event.task_id, event.type)


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
