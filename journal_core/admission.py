"""Admission: the rules checked under the write lock, against the journal as it is
on disk, before a batch is written (SPEC §5): an ``open`` of a task that exists, an
event for a task never opened, a second ``close`` or ``reopen``, a reference to an
unknown event, a repeated idempotency key. ``Admission`` answers them from the index,
and from a memo of this process's own recent appends (``_Recent``) and of the index's
earlier answers (``_Before``), so that most appends open no index transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from journal_core.errors import (
    IdempotencyKeyReused,
    JournalError,
    TaskAlreadyOpen,
    TaskNotFound,
    TaskStateConflict,
    UnknownEvent,
)
from journal_core.events import Event, ForeignEvent, event_to_dict
from journal_core.fold import (
    STATUS_VERBS,
    FoldEvent,
    TaskState,
    as_fold_events,
    decode_fold_event,
    fold_task,
)
from journal_core.index.queries import IndexView
from journal_core.index.store import JournalStore
from journal_core.reader import decode_line, forward_chunks

if TYPE_CHECKING:
    from journal_core.writer import Tip, Verdict

_A = TypeVar("_A")


class Admission:
    """The write-time checks of one journal, with their memo; called by the writer
    under its lock (``admit``), and told of what it wrote (``note_written``)."""

    def __init__(self, index: JournalStore) -> None:
        self._index = index
        # What this process appended since the index's end (see ``_Recent``), and what
        # the batch being written will add to it once it is on disk.
        self._recent: _Recent | None = None
        self._admitted: tuple[Tip, _Recent, _Batch] | None = None

    def admit(self, events: Sequence[Event], tip: Tip, fd: int) -> list[Verdict]:
        """Under the write lock: refuse what the journal on disk does not allow, answer
        repeated keys.

        The checks must see the whole file as it is under the lock, ending at ``tip``
        (open on ``fd``, the writer's descriptor).
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
            # file is the same one, only grew, and they are few. In place, not on a
            # copy (which costs as much as all we appended, at every append another
            # process comes between two of ours): forgotten until the read is done,
            # so that one failing halfway leaves nothing half known.
            self._recent = None
            if not recent.take_in(fd, tip):
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

    def note_written(self, tip: Tip, written: bytes) -> None:
        """The batch admitted at ``tip`` is on disk: its lines are now recent ones too."""
        admitted, self._admitted = self._admitted, None
        if admitted is None or admitted[0] != tip:
            self._recent = None
            return
        _, known, batch = admitted
        known.take(batch)
        known.tip = type(tip)(tip.identity, tip.size + len(written))
        self._recent = known


class _Recent:
    """What lines of the journal that the index may not hold yet change: those this
    process appended from ``start`` on (the index reaches ``start``), up to ``tip``.

    Only valid while the file still ends at ``tip``: then nobody else appended since,
    and the index up to ``start`` plus these lines is the whole file. Admission asks a
    task's state only whether it is opened and its status, which in the fold
    (``journal_core.fold``) only its ``open``, ``reopen`` and ``close`` events decide
    (``STATUS_VERBS``), wherever the others fall in canonical order: so only those are
    kept (``events``, per task, in file order), and a task's state (``states``, once
    known) is the index's with them folded in. Its count and last event then leave out
    the recent lines of other types, which only makes an event seem late more often
    (then the fold of the whole task says). Admission keeps each batch's events apart
    (``_Batch``) and adds them here once the batch is written.
    """

    __slots__ = ("before", "events", "ids", "keys", "start", "states", "tip")

    def __init__(self, tip: Tip) -> None:
        self.start = tip.size
        self.tip = tip
        self.before = _Before()
        self.events: dict[str, list[FoldEvent]] = {}  # per task, in file order
        self.states: dict[str, TaskState] = {}
        self.keys: dict[str, dict[str, Any]] = {}
        self.ids: set[str] = set()

    def take_in(self, fd: int, tip: Tip) -> bool:
        """Add the lines from ``self.tip`` to ``tip`` (another writer's), read from
        ``fd``, the file at ``tip``, and move ``self.tip`` there; False when that cannot
        be done (the file was replaced or cut, or too much was appended), and then
        nothing is known."""
        if tip.identity != self.tip.identity or not (
            self.tip.size <= tip.size <= self.start + _RECENT_BYTES
        ):
            return False
        for _, block in forward_chunks(fd, self.tip.size, tip.size):
            for raw in block.split(b"\n"):
                event = decode_line(raw)
                if not isinstance(event, str):
                    self.add(event)
        self.tip = tip
        return True

    def add(self, event: Mapping[str, Any]) -> None:
        """What one event on disk changes."""
        if event["type"] in STATUS_VERBS:
            task_id = event["task_id"]
            (folded,) = as_fold_events([event])
            self.events.setdefault(task_id, []).append(folded)
            state = self.states.get(task_id)
            if state is not None and not _takes(state, folded):
                del self.states[task_id]  # the fold of the whole task will say
        self.ids.add(event["event_id"])
        meta = event.get("meta")
        key = meta.get("idempotency_key") if isinstance(meta, dict) else None
        if isinstance(key, str):
            self.keys.setdefault(key, dict(event))

    def take(self, batch: _Batch) -> None:
        """Add what a batch, now written, changes."""
        for task_id, events in batch.events.items():
            self.events.setdefault(task_id, []).extend(events)
            self.states.pop(task_id, None)
        self.states.update(batch.states)
        for key, event in batch.keys.items():
            self.keys.setdefault(key, event)
        self.ids |= batch.ids


# How many bytes of our own appends admission keeps in memory before it catches the
# index up again (so that other processes find it nearly current).
_RECENT_BYTES = 1 << 20


class _Batch:
    """What the events of a batch being admitted change, before it is written: kept
    apart, so that a batch refused or never written leaves the ``_Recent`` as it was
    (without copying it, which grows with every append). ``events`` holds its status
    events (as ``_Recent``'s), ``states`` the tasks' states the batch worked out or
    changed, with its events folded in (a state of the ``_Recent``'s is copied before
    its first change)."""

    __slots__ = ("events", "ids", "keys", "states")

    def __init__(self) -> None:
        self.events: dict[str, list[FoldEvent]] = {}
        self.states: dict[str, TaskState] = {}
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

    def task_events(self, task_id: str) -> list[FoldEvent]:
        """The task's events in the index, for the fold of the whole task (never kept)."""
        if self._view is None:
            raise _NotRemembered
        return self._view.task_events(task_id, decode_fold_event)

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
        if isinstance(event, ForeignEvent):
            # Once by its id, whatever its task's state (SPEC §10).
            event_id = event.event_id
            if event_id in batch.ids or event_id in known.ids or view.has_event(event_id):
                verdicts.append({"event_id": event_id})
                continue
            verdicts.append(None)
            _fold_in(event, known, batch)
            batch.ids.add(event_id)
            if key is not None and key not in batch.keys:
                batch.keys[key] = event_to_dict(event)
            continue
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
        _fold_in(event, known, batch)
        batch.ids.add(event.event_id)
        if key is not None:
            batch.keys[key] = event_to_dict(event)
    return verdicts


def _state_now(view: _Asked, task_id: str, known: _Recent, batch: _Batch) -> TaskState:
    """The fold's state of the task with every line on disk and the batch's events so
    far, as far as it is opened and its status (see ``_Recent``): the index's, with the
    recent status events folded in; an empty one (not opened) for a task with none.
    Not to be changed: ``_fold_in`` copies a ``_Recent``'s state before it does."""
    state = batch.states.get(task_id)
    if state is not None:
        return state
    if task_id in batch.events:  # an event of the batch came out of order
        state = batch.states[task_id] = _whole(view, task_id, known, batch)
        return state
    state = known.states.get(task_id)
    if state is not None:
        return state
    base = view.task_state(task_id)
    state = TaskState(task_id=task_id) if base is None else msgspec.structs.replace(base)
    for event in known.events.get(task_id, ()):
        if not _takes(state, event):  # a late line, or one the index holds already
            state = _whole(view, task_id, known, batch)
            break
    batch.states[task_id] = state
    return state


def _takes(state: TaskState, event: FoldEvent) -> bool:
    """Fold ``event`` into ``state`` as far as admission asks of it (opened, status);
    False when only a fold of the whole task can say: a late open, reopen or close."""
    if state.follows(event):
        state.add(event)
        return True
    return event.type not in STATUS_VERBS


def _whole(view: _Asked, task_id: str, known: _Recent, batch: _Batch) -> TaskState:
    """The task's state from the fold of all its events (duplicates counted once; the
    recent ones of types that change neither opened nor status left out)."""
    events = [
        *view.task_events(task_id),
        *known.events.get(task_id, ()),
        *batch.events.get(task_id, ()),
    ]
    return fold_task(task_id, events).state


def _fold_in(event: Event, known: _Recent, batch: _Batch) -> None:
    """Fold an admitted event into the batch's state of its task, if it is a status
    event: no other type changes what admission asks (see ``_Recent``)."""
    if event.type not in STATUS_VERBS:
        return
    task_id = event.task_id
    folded = FoldEvent(
        event_id=event.event_id,
        type=event.type,
        timestamp=event.timestamp,
        text=event.text,
        author=event.author,
        status=event.status,
        meta=event.meta,
    )
    state = batch.states.get(task_id)
    if state is None and task_id not in batch.events:
        shared = known.states.get(task_id)
        if shared is not None:
            state = batch.states[task_id] = msgspec.structs.replace(shared)
    batch.events.setdefault(task_id, []).append(folded)
    # No state known (an event admitted by its id alone): the next to ask folds the
    # task whole, this event included.
    if state is not None and not _takes(state, folded):
        del batch.states[task_id]


def _refusal(view: _Asked, event: Event, known: _Recent, batch: _Batch) -> JournalError | None:
    task_id = event.task_id
    state = _state_now(view, task_id, known, batch)
    if event.type == "open":
        return TaskAlreadyOpen(task_id) if state.opened else None
    if not state.opened:
        return TaskNotFound(task_id)
    now = state.status
    if (event.type == "close" and now == "closed") or (event.type == "reopen" and now == "open"):
        return TaskStateConflict(task_id, event.type, now)
    corrects, supersedes, refs = event.corrects, event.supersedes, event.refs.events
    if not (refs or isinstance(corrects, str) or isinstance(supersedes, str)):
        return None  # most events name none
    named = [("corrects", corrects), ("supersedes", supersedes)]
    named += [("refs.events", event_id) for event_id in refs]
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
