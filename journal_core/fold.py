"""The fold (SPEC §6): a task's state and the standing of its events, from its events.

Derived state is a function of the *set* of events, not of the order of the lines:
events are applied in canonical order, ``(timestamp, event_id)``, and a line whose
``(timestamp, event_id)`` was seen already is the same event again (a duplicate line,
counted once). Everything here is pure: no files, no clock, no index. The index's
catch-up, the write-time checks, packs, search and the command line all ask it; none
keeps a copy of these rules. Change a rule here and bump ``FOLD_VERSION`` (in
``journal_core.rules``), which is part of the index's identity, so that an index built
under the old rules is rebuilt.

**Task state** (``TaskState``), event by event in canonical order:

- ``title``: the first ``open``'s ``meta.title`` (else its text), replaced by each
  ``rename`` (its ``meta.title``, else its text). Until an open or rename names the task,
  the text of its first event stands in (``titled`` is then false). Kept whole (stripped):
  each front end clips it as it shows it.
- ``status``: ``open`` until a ``close``; each ``open`` or ``reopen`` makes it ``open``,
  each ``close`` ``closed``: a second close is simply the later one winning, a reopen of
  an open task changes nothing.
- ``goal``: ``meta.goal`` of an ``open`` (a later open without one keeps the goal),
  replaced by each ``redirect``: its ``meta.goal``, else its text (a redirect *is* a
  change of direction).
- ``outcome`` and ``outcome_tag``: the last ``close``'s ``meta.outcome`` (else its
  text) and ``meta.outcome_tag``; an ``open`` or ``reopen`` clears them.
- ``parent_id``: the first ``open``'s ``meta.parent_id``.
- ``opened``, ``opened_at``, ``opened_by``: whether an ``open`` was seen, and the first
  one's time and author; ``created_at``/``last_event_at``: the first and last event's
  time (``first_event_id``/``last_event_id`` their ids); ``event_count``: the events,
  each counted once.

**Standing** (``Standing``) of an event X, from the events of its own task that come
after X in canonical order and name it (an event names only what came before it: a
reference to a later event, possible only with clocks out of step, changes nothing):

- *superseded*: an event's ``supersedes`` is X;
- *corrected away*: an event of another type than ``correction`` has ``corrects`` X
  (a rejection correcting a decision: the decision was corrected away);
- *overturned*: X is a ``rejection`` and a later ``decision`` chose that option: one of
  its ``meta.alternatives`` with ``chosen: true`` whose ``option``, as words (case
  and punctuation aside), appears in X's text;
- *answered*: X is a ``hypothesis`` and a ``finding``, ``decision`` or ``rejection``
  names it (``refs.events``, ``corrects`` or ``supersedes``);
- *corrected* (amended): a ``correction`` has ``corrects`` X. X keeps its place and shows
  the correction's text; the newest correction wins, and a corrected correction passes
  its own correction's text on (``correction_of``).

The first three *withdraw* X (``Standing.holds`` is false: it leaves every list of what
holds). When several apply, a withdrawal wins over an answer, and an answer over an
amendment; within one of these the latest event wins. SPEC §7 words the result
(``Standing.standing``) as ``active``, ``superseded`` (an overturned rejection too),
``corrected`` (amended or corrected away, ``correction`` the text that now stands) or
``answered``, with ``standing_by`` the event that did it.

A decision's own rejected alternatives (``chosen: false``) are *overturned* the same way
by a later decision that chose the option: ``TaskFold.overturned_options``.

**Incremental use.** ``TaskFold.add`` takes one event that comes after every event
added so far (``TaskFold.follows``) and says which earlier events it changes
(``effects``, also usable over rows of an index through ``Known``). An event that does
not follow (older timestamp appended later, or a duplicate) means folding the task again
from all its events with ``fold_task``, unless ``TaskState.take_late`` can take it as it
is; the other tasks are untouched. ``fold_task``, holding every event at once, asks
``effects`` only of the events that may change another (they name one by ``corrects``
or ``supersedes``, name a hypothesis in ``refs.events``, or chose an option some
rejection holds): a long task's others are only counted and grouped by type
(``TaskFold.of_types``).

Events are ``FoldEvent`` structs (decode a line with ``decode_fold_event``, or convert a
plain dict with ``as_fold_events``); every field may hold anything a foreign writer put
there, so each is checked where it is used.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from typing import Any, Final, TypeVar

import msgspec

from journal_core.reader import read_float
from journal_core.rules import FOLD_VERSION

__all__ = [
    "ACTIVE",
    "ANSWERED",
    "CORRECTED",
    "FOLD_VERSION",
    "MARKS",
    "STANDINGS",
    "STATUS_VERBS",
    "SUPERSEDED",
    "FoldEvent",
    "Known",
    "Standing",
    "TaskFold",
    "TaskState",
    "as_fold_events",
    "canonical",
    "canonical_key",
    "canonical_lines",
    "correction_of",
    "decode_fold_event",
    "effects",
    "fold_lines",
    "fold_task",
    "line_key",
    "names_nothing",
    "rejections_with",
    "standing_of",
    "words_of",
]


# SPEC §7's words for where an event stands.
ACTIVE: Final = "active"
SUPERSEDED: Final = "superseded"
CORRECTED: Final = "corrected"
ANSWERED: Final = "answered"
STANDINGS: Final = (ACTIVE, SUPERSEDED, CORRECTED, ANSWERED)

# The fold's precise marks, each a small code an index can store (append only), and the
# SPEC word each is shown as.
MARKS: Final = ("active", "superseded", "corrected_away", "overturned", "answered", "corrected")
_MARK_STANDING: Final = {
    "active": ACTIVE,
    "superseded": SUPERSEDED,
    "corrected_away": CORRECTED,
    "overturned": SUPERSEDED,
    "answered": ANSWERED,
    "corrected": CORRECTED,
}
_WITHDRAWALS: Final = frozenset({"superseded", "corrected_away", "overturned"})
# Types whose events answer a hypothesis they name (a tuple: a foreign writer's type may
# not hash).
_ANSWERS: Final = ("finding", "decision", "rejection")
_WORD: Final = re.compile(r"\w+")
# Up to this many words of options to look for, a rejection's text is searched for each
# rather than split into words (see ``TaskFold._known_rejections``).
_FEW_WORDS: Final = 16
# The types whose events change a task's state beyond its count and times (a tuple: a
# foreign writer's type may not hash).
_STATE_VERBS: Final = ("open", "rename", "redirect", "reopen", "close")
# Of those, the types that change whether a task is opened and its status: an event of
# any other type leaves both as they are wherever it falls in canonical order, so a check
# that asks only these (admission's) need not fold a task again for a late one.
STATUS_VERBS: Final = ("open", "reopen", "close")


class FoldEvent(msgspec.Struct, gc=False):
    """The fields of an event that the fold reads, each as the line holds it.

    Decoding a line into this skips its other fields. Not tracked by the garbage
    collector: an event refers to no event.
    """

    event_id: Any = None
    type: Any = None
    timestamp: Any = None
    text: Any = None
    author: Any = None
    status: Any = None
    corrects: Any = None
    supersedes: Any = None
    refs: Any = None
    meta: Any = None


_E = TypeVar("_E", bound=FoldEvent)
_L = TypeVar("_L", bound=Mapping[str, Any])
_T = TypeVar("_T")
_fold_event_decoder: Final = msgspec.json.Decoder(FoldEvent, float_hook=read_float)


def decode_fold_event(raw: bytes) -> FoldEvent | None:
    """The fold's fields of the event on ``raw``, ``None`` if it is not a JSON object."""
    try:
        return _fold_event_decoder.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return None


def as_fold_events(events: Iterable[Mapping[str, Any] | FoldEvent]) -> list[FoldEvent]:
    """``events`` as ``FoldEvent`` structs (plain dicts converted, structs kept)."""
    return [
        event if isinstance(event, FoldEvent) else msgspec.convert(event, FoldEvent)
        for event in events
    ]


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""


def _meta(event: FoldEvent) -> Mapping[str, Any]:
    meta = event.meta
    return meta if isinstance(meta, dict) else {}


def _meta_text(event: FoldEvent, key: str) -> str | None:
    value = _meta(event).get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def canonical_key(event: FoldEvent) -> tuple[str, str]:
    """Where the event stands in canonical order: ``(timestamp, event_id)``. RFC 3339 UTC
    times with milliseconds sort as text; a field that is not a string sorts as ""."""
    # ``_string`` inlined: this runs for every event of every fold.
    timestamp, event_id = event.timestamp, event.event_id
    return (
        timestamp if isinstance(timestamp, str) else "",
        event_id if isinstance(event_id, str) else "",
    )


def line_key(event: Mapping[str, Any]) -> tuple[str, str]:
    """``canonical_key`` of an event as the plain object of its line."""
    return _string(event.get("timestamp")), _string(event.get("event_id"))


def canonical(events: Iterable[_E]) -> list[_E]:
    """``events`` in canonical order, each ``(timestamp, event_id)`` once (the first
    given of a duplicate is kept)."""
    given = list(events)
    return _in_order(given, list(map(canonical_key, given)))[0]


def canonical_lines(events: Iterable[_L]) -> list[_L]:
    """``canonical`` for events as the plain objects of their lines."""
    given = list(events)
    return _in_order(given, list(map(line_key, given)))[0]


def _in_order(
    given: list[_T], keys: list[tuple[str, str]]
) -> tuple[list[_T], list[tuple[str, str]]]:
    """``given`` in canonical order, each key once, and the key of each (so a fold need
    not ask again); ``keys`` are those of ``given``."""
    # Lines are mostly written in canonical order: one pass tells, and spares the sort.
    if all(map(operator.lt, keys, itertools.islice(keys, 1, None))):
        return given, keys
    unique: dict[tuple[str, str], _T] = {}
    for at, event in zip(keys, given, strict=True):
        unique.setdefault(at, event)
    keys = sorted(unique)
    return [unique[at] for at in keys], keys


# --- task state -------------------------------------------------------------------------


class TaskState(msgspec.Struct, kw_only=True):
    """What a task's events add up to so far; see the module docstring for each field.

    ``last_event_id`` with ``last_event_at`` is the canonical key of the last event: an
    event with a greater key ``follows``.
    """

    task_id: str
    title: str = ""
    titled: bool = False
    status: str = "open"
    goal: str | None = None
    outcome: str | None = None
    outcome_tag: str | None = None
    parent_id: str | None = None
    opened: bool = False
    opened_at: str | None = None
    opened_by: str | None = None
    created_at: str = ""
    first_event_id: str = ""
    last_event_at: str = ""
    last_event_id: str = ""
    event_count: int = 0

    def follows(self, event: FoldEvent) -> bool:
        """Whether ``event`` comes after every event folded in so far."""
        return self.event_count == 0 or canonical_key(event) > (
            self.last_event_at,
            self.last_event_id,
        )

    def take(self, event: FoldEvent, key: tuple[str, str]) -> bool:
        """``add`` ``event`` (``key`` its ``canonical_key``) if it ``follows``, and say
        whether it did: the two in one call, for a catch-up's every line."""
        taken = self.take_key(event.type, key)
        if taken is None:
            self.add(event, key)
            return True
        return taken

    def take_late(self, event: FoldEvent, key: tuple[str, str], later: Sequence[FoldEvent]) -> bool:
        """Fold in ``event``, which does not ``follow`` (``key`` its ``canonical_key``,
        seen for the first time), where it changes nothing but the count and the first
        event: ``later`` are the task's events after it in canonical order. Say whether it
        did; if not, the task must be folded again whole.

        So it is when ``event`` changes no state (not one of ``_STATE_VERBS``, and not
        the first event of a task whose title is its first event's text), names no
        earlier event (``names_nothing``), and no later event names it, nor (for a
        rejection) is a decision, which might have chosen its option. Then every
        standing stays as it is, ``event``'s own is active, and folding the task whole
        would give this same state: the common case of writers a millisecond apart.
        """
        kind = event.type
        if (
            kind in _STATE_VERBS
            or not names_nothing(event, kind)
            or (not self.titled and key < (self.created_at, self.first_event_id))
        ):
            return False
        event_id = key[1]
        for other in later:
            corrects, supersedes, named = _named(other)
            if event_id in (corrects, supersedes) or event_id in named:
                return False
            if kind == "rejection" and other.type == "decision":
                return False
        self.event_count += 1
        if key < (self.created_at, self.first_event_id):
            self.created_at, self.first_event_id = key
        return True

    def reads_key_only(self, kind: object) -> bool:
        """Whether ``add`` reads nothing of an event of type ``kind`` but its type and key
        (it changes only the count and the last event)."""
        return kind not in _STATE_VERBS and self.titled

    def take_key(self, kind: object, key: tuple[str, str]) -> bool | None:
        """``take`` an event of which only its type and key are read: ``None`` where it
        follows but the fold needs the rest of it (not ``reads_key_only``: then ``add``
        it whole). A scan need not decode most events."""
        if self.event_count and key <= (self.last_event_at, self.last_event_id):
            return False
        if not self.reads_key_only(kind):
            return None
        # ``add``'s hot path (a titled task has had an event: no first one to set).
        self.event_count += 1
        self.last_event_at, self.last_event_id = key
        return True

    def add(self, event: FoldEvent, key: tuple[str, str] | None = None) -> None:
        """Fold in ``event``, which must ``follow`` (else fold the task again); ``key``
        is its ``canonical_key`` when the caller has it already."""
        timestamp, event_id = canonical_key(event) if key is None else key
        if not self.event_count:
            self.created_at, self.first_event_id = timestamp, event_id
        self.event_count += 1
        self.last_event_at, self.last_event_id = timestamp, event_id
        kind = event.type
        # The hot path of a long task: most events change none of what follows.
        if self.reads_key_only(kind):
            return
        text = _string(event.text).strip()
        if kind == "open" or kind == "rename":
            title = _meta_text(event, "title") or text
            if title and (kind == "rename" or not self.opened):
                self.title, self.titled = title, True
        if not self.titled and not self.title:
            self.title = text  # a stand-in until an open or a rename names the task
        if kind == "open":
            self.goal = _meta_text(event, "goal") or self.goal
            if not self.opened:
                self.opened = True
                self.opened_at = timestamp
                author = event.author
                self.opened_by = author if isinstance(author, str) else None
                parent = _meta(event).get("parent_id")
                self.parent_id = parent if isinstance(parent, str) else None
        elif kind == "redirect":
            self.goal = _meta_text(event, "goal") or text or self.goal
        if kind == "open" or kind == "reopen":
            self.status = "open"
            self.outcome = self.outcome_tag = None
        elif kind == "close":
            self.status = "closed"
            self.outcome = _meta_text(event, "outcome") or text or None
            self.outcome_tag = _meta_text(event, "outcome_tag")


# --- standing ---------------------------------------------------------------------------


class Standing(msgspec.Struct, frozen=True, kw_only=True):
    """Where one event stands now (see the module docstring).

    ``mark`` is the fold's precise reason (one of ``MARKS``); ``standing`` its SPEC §7
    word; ``standing_by`` the event that did it (``None`` when active); ``correction``
    the text that now stands for a ``corrected`` event (filled by ``TaskFold``; an index
    that stores only marks finds it with ``correction_of``); ``amended_by`` the newest
    correction of the event, whatever its mark (a withdrawn event may be amended too).
    """

    mark: str = "active"
    standing_by: str | None = None
    amended_by: str | None = None
    correction: str | None = None

    @property
    def standing(self) -> str:
        return _MARK_STANDING[self.mark]

    @property
    def holds(self) -> bool:
        """Whether the event still holds: not superseded, corrected away or overturned."""
        return self.mark not in _WITHDRAWALS


_ACTIVE: Final = Standing()


class Known(msgspec.Struct, frozen=True, kw_only=True):
    """What ``effects`` needs to know of an earlier event of the task: its type, its
    text (for a rejection an option may overturn) and its standing so far."""

    event_id: str
    type: str
    text: str = ""
    standing: Standing = _ACTIVE


def words_of(text: str) -> tuple[str, ...]:
    """The words of ``text``, case folded, as options and rejections are matched."""
    if text.isascii():  # case folding ASCII moves no word's bounds: fold it all at once
        return tuple(_WORD.findall(text.lower()))
    return tuple(word.casefold() for word in _WORD.findall(text))


def _holds_words(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    """Whether ``needle`` is a run of consecutive words in ``haystack``."""
    size = len(needle)
    if not size:
        return False
    first = needle[0]
    return any(
        haystack[at] == first and tuple(haystack[at : at + size]) == tuple(needle)
        for at in range(len(haystack) - size + 1)
    )


def _options(event: FoldEvent) -> tuple[list[str], list[str]]:
    """The options of the decision's ``meta.alternatives``: those chosen, and those not."""
    return _options_chosen((event,), True), _options_chosen((event,), False)


def _options_chosen(decisions: Iterable[FoldEvent], chosen: bool) -> list[str]:
    """The options of the decisions' ``meta.alternatives`` whose ``chosen`` is ``chosen``
    (true or false; any other value is neither), in order. Many decisions at once: a
    task's every decision costs no call each."""
    options: list[str] = []
    for event in decisions:
        meta = event.meta
        found = meta.get("alternatives") if isinstance(meta, dict) else None
        for alternative in found if isinstance(found, list) else ():
            if (
                isinstance(alternative, dict)
                and alternative.get("chosen") is chosen
                and isinstance(option := alternative.get("option"), str)
            ):
                options.append(option)
    return options


# Options repeat across a task's decisions ("one way", "another"): their words once each.
_option_words: Final = functools.lru_cache(maxsize=1024)(words_of)


def _named(event: FoldEvent) -> tuple[str | None, str | None, Sequence[str]]:
    """What ``event`` names: its ``corrects``, its ``supersedes``, its ``refs.events``."""
    corrects = event.corrects if isinstance(event.corrects, str) else None
    supersedes = event.supersedes if isinstance(event.supersedes, str) else None
    return corrects, supersedes, _refs_events(event.refs)


def _refs_events(refs: object) -> Sequence[str]:
    """The events ``refs.events`` names."""
    items = refs.get("events") if refs and isinstance(refs, dict) else None
    if not isinstance(items, list):
        return ()
    return [item.strip() for item in items if isinstance(item, str) and item.strip()]


def rejections_with(index: Mapping[str, Sequence[_T]], words: Sequence[str]) -> Sequence[_T]:
    """From an index of rejections by word, those that hold each of ``words`` at least
    (read from the shortest list: a few, not every rejection of the task)."""
    lists = [index.get(word, ()) for word in set(words)]
    if not lists or not all(lists):  # a word no rejection holds: none holds them all
        return ()
    shortest = min(lists, key=len)
    others = [set(found) for found in lists if found is not shortest]
    return [item for item in shortest if all(item in found for found in others)]


def names_nothing(event: FoldEvent, kind: object) -> bool:
    """Whether ``event`` (of type ``kind``) changes no earlier event: it names none (or
    names some only as refs, which count only for an answer) and is not a decision.
    Most events: the hot path of a long task's fold."""
    return (
        event.corrects is None
        and event.supersedes is None
        and kind != "decision"
        and not (event.refs and kind in _ANSWERS)
    )


def _scan(events: Sequence[_E]) -> tuple[bool, dict[str, _E], dict[object, list[_E]], list[_E]]:
    """One pass over ``events``: whether they are in canonical order, each once (their
    keys ascend), the events by id (the last of each) and by type, and those that name
    any event (by ``corrects``, ``supersedes`` or refs)."""
    by_id: dict[str, _E] = {}
    types: dict[object, list[_E]] = {}
    naming: list[_E] = []
    ascending = True
    last_at: str | None = None
    last_id = ""
    for event in events:  # ``canonical_key`` inlined: one pass beats several in bulk
        at, event_id = event.timestamp, event.event_id
        if not isinstance(at, str):
            at = ""
        if not isinstance(event_id, str):
            event_id = ""
        if last_at is not None and (at < last_at or (at == last_at and event_id <= last_id)):
            ascending = False
        last_at, last_id = at, event_id
        by_id[event_id] = event
        try:
            types[event.type].append(event)
        except KeyError:
            types[event.type] = [event]
        except TypeError:  # a foreign writer's type that does not hash: of no type asked
            pass
        if event.corrects is not None or event.supersedes is not None or event.refs:
            naming.append(event)
    return ascending, by_id, types, naming


def _vocabulary(decisions: Iterable[FoldEvent]) -> frozenset[str]:
    """The words of the options the decisions chose."""
    chosen = set(_options_chosen(decisions, True))  # each option once
    return frozenset(word for option in chosen for word in _option_words(option))


def _names_any(refs: object, ids: Set[str]) -> bool:
    """Whether ``refs.events`` (may) name one of ``ids``."""
    items = refs.get("events") if refs and isinstance(refs, dict) else None
    if not isinstance(items, list):
        return False
    try:
        return not ids.isdisjoint(map(str.strip, items))
    except TypeError:  # an item not a string: ``effects`` looks at each
        return True


def _withdraw(standing: Standing, mark: str, by: str) -> Standing:
    return Standing(mark=mark, standing_by=by, amended_by=standing.amended_by)


def _no_rejections(words: Sequence[str]) -> Iterable[Known]:
    return ()


def _current(
    find: Callable[[str], Known | None], changed: Mapping[str, Standing], target: str, by: str
) -> Known | None:
    """The earlier event ``target`` as ``effects`` sees it: with what the event ``by``
    changed of it so far (``None`` if unknown, or the event itself)."""
    known = find(target)
    if known is None or known.event_id == by:
        return None
    standing = changed.get(target)
    return known if standing is None else msgspec.structs.replace(known, standing=standing)


def effects(
    event: FoldEvent,
    find: Callable[[str], Known | None],
    rejections: Callable[[Sequence[str]], Iterable[Known]] = _no_rejections,
    *,
    chosen: Sequence[str] | None = None,
) -> dict[str, Standing]:
    """The new standing of each earlier event of the task that ``event`` changes.

    ``event`` comes after all the events ``find`` knows (canonical order); ``find``
    gives an earlier event of the same task by id (``None`` if there is none),
    ``rejections(words)`` the task's earlier rejections whose text holds each of the
    words of an option (asked only for a decision that chose one; more is fine, each is
    checked: an index of words keeps this from growing with the task). ``chosen``: the
    options a decision chose, when the caller has read them already. Events it does
    not change are left out.
    """
    kind = event.type
    if names_nothing(event, kind):
        return {}
    by = event.event_id if isinstance(event.event_id, str) else ""
    corrects, supersedes = event.corrects, event.supersedes
    corrects = corrects if isinstance(corrects, str) else None
    supersedes = supersedes if isinstance(supersedes, str) else None
    changed: dict[str, Standing] = {}
    if kind in _ANSWERS:
        for target in (corrects, supersedes, *_refs_events(event.refs)):
            if (
                target is not None
                and (known := _current(find, changed, target, by)) is not None
                and known.type == "hypothesis"
                and known.standing.holds
            ):
                changed[target] = Standing(
                    mark="answered", standing_by=by, amended_by=known.standing.amended_by
                )
    if corrects is not None and (known := _current(find, changed, corrects, by)) is not None:
        standing = known.standing
        if kind == "correction":
            mark, standing_by = standing.mark, standing.standing_by
            if mark in ("active", "corrected"):
                mark, standing_by = "corrected", by
            changed[corrects] = Standing(mark=mark, standing_by=standing_by, amended_by=by)
        else:
            changed[corrects] = _withdraw(standing, "corrected_away", by)
    if supersedes is not None and (known := _current(find, changed, supersedes, by)) is not None:
        changed[supersedes] = _withdraw(known.standing, "superseded", by)
    if kind == "decision":
        for option in map(_option_words, _options(event)[0] if chosen is None else chosen):
            for rejection in rejections(option) if option else ():
                if rejection.event_id != by and _holds_words(words_of(rejection.text), option):
                    standing = changed.get(rejection.event_id, rejection.standing)
                    changed[rejection.event_id] = _withdraw(standing, "overturned", by)
    return changed


def correction_of(
    standing: Standing, find: Callable[[str], tuple[str, Standing] | None]
) -> str | None:
    """The text that now stands for an event of this ``standing``: for one corrected away,
    the text of the event that did it; for one amended (``corrected``), its newest
    correction's text, or that correction's own newest correction's, down the chain;
    else ``None``. ``find`` gives an event's text and standing by id (``None`` if it
    is not known), so an index that stores only the marks can answer too."""
    if standing.mark == "corrected_away" and standing.standing_by is not None:
        found = find(standing.standing_by)
        return None if found is None else found[0]
    if standing.mark != "corrected":
        return None
    text = None
    seen: set[str] = set()
    while (amender := standing.amended_by) is not None and amender not in seen:
        seen.add(amender)
        found = find(amender)
        if found is None:
            break
        text, standing = found
    return text


# --- one task, whole ----------------------------------------------------------------------


class TaskFold:
    """The fold of one task: its state, and the standing of each of its events.

    ``events`` are in canonical order, each once. Build it with ``fold_task`` (any
    order, duplicates allowed), or empty and ``add`` events that ``follows``.
    """

    def __init__(self, task_id: str) -> None:
        self.state = TaskState(task_id=task_id)
        self.events: list[FoldEvent] = []
        self._by_id: dict[str, FoldEvent] = {}
        # While ``fold_task`` folds a task whose events it holds all at once, ``_by_id``
        # holds every event, and an event may name only those before ``_upto`` (the
        # canonical key of the event being folded; ``None``: all).
        self._upto: tuple[str, str] | None = None
        self._standings: dict[str, Standing] = {}  # only the events not active
        # The rejections by word (word -> ids), built when a decision first asks: a task
        # whose decisions choose no option never pays for it. ``_unindexed`` waits.
        # When every option the task's decisions choose is known up front (``fold_task``),
        # only their words are indexed (``_vocabulary``), not every word of every text.
        self._rejection_words: dict[str, list[str]] = {}
        self._unindexed: list[FoldEvent] = []
        self._vocabulary: frozenset[str] | None = None
        # Each decision, in canonical order, until ``overturned_options`` is first asked
        # (few folds are): its options are read then.
        self._choices: list[FoldEvent] = []
        # For ``of_types``: the events by type (when folded all at once), and the lists
        # of several types asked for.
        self._types: dict[object, list[FoldEvent]] | None = None
        self._of_types: dict[frozenset[str], list[FoldEvent]] = {}
        self._withdrawn_by_type: dict[object, int] | None = None  # see ``holding_count``
        self._naming: list[FoldEvent] | None = None  # see ``referring``
        self._overturned: dict[str, list[str]] = {}  # decision id -> options overturned
        # The options decisions did not choose, by their words: (decision id, option).
        self._not_chosen: dict[tuple[str, ...], list[tuple[str, str]]] = {}

    def follows(self, event: FoldEvent) -> bool:
        """Whether ``event`` comes after every event folded in (``add`` takes it)."""
        return self.state.follows(event)

    def add(self, event: FoldEvent) -> dict[str, Standing]:
        """Fold in ``event``, which must ``follow``; the standings it changed."""
        if not self.follows(event):
            raise ValueError("the event does not follow the task's last one; use fold_task")
        if self._vocabulary is not None:
            # Folded whole, the rejections were indexed only by the words of the options
            # chosen then: a decision from now on may choose any other.
            self._vocabulary = None
            self._rejection_words = {}
            self._unindexed = list(self.of_types("rejection"))
        return self._fold_in([event], [canonical_key(event)])

    def _fold_in(
        self, events: Sequence[FoldEvent], keys: Sequence[tuple[str, str]]
    ) -> dict[str, Standing]:
        """Fold in ``events`` with their ``keys`` (``canonical_key``), each following the
        one before and the first every event folded in so far; the standings they
        changed. ``add``'s loop; ``fold_task`` has its own (``_fold_all``), which asks
        ``effects`` only of the events that may change another."""
        state = self.state
        standings, by_id, folded, unindexed = (
            self._standings,
            self._by_id,
            self.events,
            self._unindexed,
        )
        find, rejections = self._known, self._known_rejections
        changed: dict[str, Standing] = {}
        quiet = 0  # events that change the task's state only by their count and time
        self._of_types.clear()
        self._types = None
        self._withdrawn_by_type = None
        self._naming = None
        found: dict[str, Standing] | None
        for event, key in zip(events, keys, strict=True):
            kind = event.type
            if kind in _STATE_VERBS or not state.titled:
                state.add(event, key)
            else:
                quiet += 1  # ``TaskState.add`` would only count it: counted below
            if kind == "decision":
                found = effects(event, find, rejections)
                self._choices.append(event)
            else:
                # ``names_nothing``: what ``effects`` would find, without asking it.
                found = None if names_nothing(event, kind) else effects(event, find, rejections)
                if kind == "rejection":
                    unindexed.append(event)
            if found:
                standings.update(found)
                changed.update(found)
            folded.append(event)
            by_id[key[1]] = event
        if quiet:
            state.event_count += quiet
            state.last_event_at, state.last_event_id = keys[-1]
        return changed

    def _known(self, event_id: str) -> Known | None:
        event = self._by_id.get(event_id)
        if event is None:
            return None
        if (upto := self._upto) is not None:
            timestamp = event.timestamp  # ``canonical_key`` inlined: asked for every name
            at = timestamp if isinstance(timestamp, str) else ""
            if at > upto[0] or (at == upto[0] and event_id >= upto[1]):
                return None
        kind, text = event.type, event.text
        return Known(
            event_id=event_id,
            type=kind if isinstance(kind, str) else "",
            text=text if isinstance(text, str) else "",
            standing=self._standings.get(event_id, _ACTIVE),
        )

    def _known_rejections(self, words: Sequence[str]) -> list[Known]:
        """The rejections so far whose text holds each of ``words``."""
        self._index_rejections()
        found = rejections_with(self._rejection_words, words)
        return [known for event_id in found if (known := self._known(event_id))]

    def _index_rejections(self) -> None:
        """Index the rejections waiting in ``_unindexed`` by their words."""
        if not self._unindexed:
            return
        index = self._rejection_words
        vocabulary = self._vocabulary
        few = vocabulary if vocabulary is not None and len(vocabulary) <= _FEW_WORDS else None
        if few is not None:  # only the words some rejection holds (one look for each)
            texts = "\0".join(
                [text for rejection in self._unindexed if isinstance(text := rejection.text, str)]
            )
            # (ASCII case folded is lower case: ``lower`` is the quicker of the two)
            every = texts.lower() if texts.isascii() else texts.casefold()
            few = frozenset(word for word in few if word in every)
            if not few:
                self._unindexed.clear()
                return
        for rejection in self._unindexed:
            text = _string(rejection.text)
            # A word of the text is part of the text case folded: with a few words to
            # look for, looking is cheaper than splitting the text into words.
            if few is not None:
                folded = text.casefold()
                if not any(word in folded for word in few):
                    continue
            event_id = _string(rejection.event_id)
            held = set(words_of(text))
            for word in held if vocabulary is None else held.intersection(vocabulary):
                found_with = index.get(word)
                if found_with is None:
                    index[word] = [event_id]
                else:
                    found_with.append(event_id)
        self._unindexed.clear()

    def _settle_choices(self) -> None:
        """Overturn the options not chosen that a later decision chose, for the decisions
        in ``_choices``, in order."""
        for event in self._choices:
            event_id = canonical_key(event)[1]
            chosen, not_chosen = _options(event)
            for option in chosen:
                for decision_id, rejected in self._not_chosen.get(_option_words(option), ()):
                    overturned = self._overturned.setdefault(decision_id, [])
                    if rejected not in overturned:
                        overturned.append(rejected)
            for option in not_chosen:
                if words := _option_words(option):
                    self._not_chosen.setdefault(words, []).append((event_id, option))
        self._choices.clear()

    def _fold_all(
        self, events: list[FoldEvent], standings: Mapping[str, Standing] | None = None
    ) -> None:
        """Fold ``events`` (any order, duplicates allowed) into this empty fold: what
        ``_fold_in`` gives, with the work spent only on the events that can change
        another (most of a long task's events name none) and each decision's options
        read once; with ``standings`` (see ``fold_task``), none."""
        ascending, by_id, types, naming = _scan(events)
        if not ascending:  # lines out of canonical order, or a line twice: sort, then again
            events = _in_order(events, list(map(canonical_key, events)))[0]
            _, by_id, types, naming = _scan(events)
        if len(by_id) < len(events):
            # An id at two times: an event names the latest before it, one by one. (An
            # index keeps one standing for such an id: its ``standings`` are not used.)
            self._vocabulary = _vocabulary(event for event in events if event.type == "decision")
            self._fold_in(events, list(map(canonical_key, events)))
            return
        self.events, self._by_id, self._types, self._naming = events, by_id, types, naming
        decisions = self.of_types("decision")
        if standings is not None:
            self._fold_state(events)
            self._standings = dict(standings)
            # What ``add`` would need next: found then (every word of a rejection).
            self._unindexed = list(self.of_types("rejection"))
            self._choices = list(decisions)
            return
        self._vocabulary = _vocabulary(decisions)
        self._fold_state(events)
        self._unindexed = list(self.of_types("rejection"))
        self._index_rejections()
        self._choices = list(decisions)
        # The decisions that may overturn a rejection (one holds each word of an option
        # they chose), and those options; the others are asked as choosing none, which
        # is what they overturn.
        overturning: dict[int, list[str]] = {}
        if self._rejection_words:
            for decision in decisions:
                if self._may_overturn(chosen := _options_chosen((decision,), True)):
                    overturning[id(decision)] = chosen
        hypotheses = {
            event_id
            for event in self.of_types("hypothesis")
            if isinstance(event_id := event.event_id, str)
        }
        standings, find, rejections = self._standings, self._known, self._known_rejections
        # Only these may change an earlier event: the others name none by ``corrects`` or
        # ``supersedes``, and change only the hypotheses their refs name (answers) or the
        # rejections of the options they chose (overturned), if any.
        for event in [
            event
            for event in (events if overturning else naming)
            if event.corrects is not None
            or event.supersedes is not None
            or (event.refs and event.type in _ANSWERS and _names_any(event.refs, hypotheses))
            or (overturning and id(event) in overturning)
        ]:
            self._upto = canonical_key(event)
            if found := effects(event, find, rejections, chosen=overturning.get(id(event), ())):
                standings.update(found)
        self._upto = None

    def _fold_state(self, events: Sequence[FoldEvent]) -> None:
        """The task's state from all its events (canonical order, each once): those that
        change only its count and times (most, once an open or a rename names the task)
        are counted, not added."""
        state = self.state
        named = 0
        for event in events:
            state.add(event)
            named += 1
            if state.titled:
                break
        if named:
            after = canonical_key(events[named - 1])
            for event in self.of_types(*_STATE_VERBS):
                if canonical_key(event) > after:
                    state.add(event)
            state.event_count = len(events)
            state.last_event_at, state.last_event_id = canonical_key(events[-1])

    def _may_overturn(self, chosen: Sequence[str]) -> bool:
        """Whether any rejection of the task holds each word of one of ``chosen``."""
        index = self._rejection_words
        return bool(index) and any(
            rejections_with(index, _option_words(option)) for option in chosen
        )

    def of_types(self, *kinds: str) -> Sequence[FoldEvent]:
        """The events of any of ``kinds``, in canonical order (the fold's own list)."""
        types = self._types
        if types is not None and len(kinds) == 1:
            return types.get(kinds[0], [])
        key = frozenset(kinds)
        found = self._of_types.get(key)
        if found is None and types is not None:  # each event once: its key places it
            found = sorted(
                itertools.chain.from_iterable(types.get(k, ()) for k in key), key=canonical_key
            )
        elif found is None:  # (``kinds`` a tuple: a foreign writer's type may not hash)
            found = [event for event in self.events if event.type in kinds]
        self._of_types[key] = found
        return found

    def referring(self) -> Sequence[FoldEvent]:
        """The events that name another (``corrects``, ``supersedes``) or hold ``refs``,
        in canonical order (the fold's own list)."""
        if self._naming is None:
            self._naming = [
                event
                for event in self.events
                if event.corrects is not None or event.supersedes is not None or event.refs
            ]
        return self._naming

    def standing(self, event_id: str) -> Standing:
        """Where the event stands, ``correction`` filled in (active if it is unknown)."""
        standing = self._standings.get(event_id, _ACTIVE)
        if standing.mark in ("corrected", "corrected_away"):
            standing = msgspec.structs.replace(standing, correction=self.correction(event_id))
        return standing

    def holds(self, event_id: str) -> bool:
        """Whether the event still holds (not superseded, corrected away or overturned)."""
        standing = self._standings.get(event_id)
        return standing is None or standing.holds

    def withdrawn(self) -> set[str]:
        """The ids of the events that no longer hold (to filter many events at once)."""
        return {event_id for event_id, standing in self._standings.items() if not standing.holds}

    def holding_count(self, kind: str) -> int:
        """How many of the events of type ``kind`` still hold (``holds``)."""
        events = self.of_types(kind)
        by_id = self._by_id
        if len(by_id) < len(self.events):  # an id on two events: ask of each
            return sum(1 for event in events if self.holds(event.event_id))
        if self._withdrawn_by_type is None:
            # Each event its own id: only those that no longer hold are looked at.
            counted: dict[object, int] = {}
            for event_id, standing in self._standings.items():
                event = by_id.get(event_id)
                if not standing.holds and event is not None and event.event_id == event_id:
                    with contextlib.suppress(TypeError):  # a type that does not hash
                        counted[event.type] = counted.get(event.type, 0) + 1
            self._withdrawn_by_type = counted
        return len(events) - self._withdrawn_by_type.get(kind, 0)

    def is_answered(self, event_id: str) -> bool:
        standing = self._standings.get(event_id)
        return standing is not None and standing.mark == "answered"

    def amendments(self, event_id: str) -> list[FoldEvent]:
        """The corrections that give the event's text, newest correction first, then its
        own newest correction, and so on down the chain (empty when not amended)."""
        standing = self._standings.get(event_id)
        if standing is None or standing.amended_by is None:  # most events
            return []
        chain: list[FoldEvent] = []
        seen = {event_id}
        current = event_id
        while (standing := self._standings.get(current)) is not None and (
            amender := standing.amended_by
        ) is not None:
            if amender in seen or amender not in self._by_id:
                break
            seen.add(amender)
            chain.append(self._by_id[amender])
            current = amender
        return chain

    def correction(self, event_id: str) -> str | None:
        """The text that now stands for the event (see ``Standing.correction``)."""
        return correction_of(self._standings.get(event_id, _ACTIVE), self._text_and_standing)

    def _text_and_standing(self, event_id: str) -> tuple[str, Standing] | None:
        event = self._by_id.get(event_id)
        if event is None:
            return None
        return _string(event.text), self._standings.get(event_id, _ACTIVE)

    def standings(self) -> dict[str, Standing]:
        """The standing of every event that is not active, as an index stores it
        (``correction`` left out: ``correction_of`` finds it)."""
        return dict(self._standings)

    def changed(self) -> dict[str, Standing]:
        """The standing of every event that is not active, ``correction`` filled in."""
        return {event_id: self.standing(event_id) for event_id in self._standings}

    def overturned_options(self, decision_id: str) -> list[str]:
        """The decision's rejected alternatives (``chosen: false``) that a later decision
        chose, as their options are written."""
        self._settle_choices()
        return list(self._overturned.get(decision_id, ()))


def fold_task(
    task_id: str,
    events: Iterable[FoldEvent],
    standings: Mapping[str, Standing] | None = None,
) -> TaskFold:
    """The fold of a task from its events in any order, duplicate lines included.

    ``standings``: where the events stand, as an index that folded these same events
    keeps it (``TaskFold.standings``: by id, the events not active). They are taken as
    they are, not worked out again: a long task's pack then costs a pass over its events.
    """
    fold = TaskFold(task_id)
    fold._fold_all(list(events), standings)
    return fold


def fold_lines(task_id: str, lines: Iterable[_L]) -> tuple[list[_L], TaskFold]:
    """The task's events as the plain objects of their lines, in canonical order and each
    once, and their fold."""
    events = canonical_lines(lines)
    return events, fold_task(task_id, as_fold_events(events))


def standing_of(event_id: str, events: Iterable[FoldEvent]) -> Standing:
    """Where one event stands among the events of its task (any order)."""
    return fold_task("", events).standing(event_id)
