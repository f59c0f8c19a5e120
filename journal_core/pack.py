"""Resume packs (SPEC §8): a task's events in, a briefing to resume from out.

Everything here is a pure function of the events (plain dicts as read from the
journal, oldest first) and the task's subtasks: no files, no clock. The journal
facade reads the events and hands them in; the front ends only show the result.

What the events add up to comes from the one fold (``journal_core.fold``), in
canonical order ``(timestamp, event_id)``, each event once: the title, status, goal
and outcome, and each event's standing. Sections list what still holds: withdrawn
events (superseded, corrected away, or a rejection overturned by a later decision
that chose its option) leave every list; an amended event keeps its place and shows
its correction's text, marked ``[corrected]``; only unanswered hypotheses are open.
Events with ``status: suggested`` are marked ``?``, as is one whose text comes from
a suggested correction.

Fitting a budget: tokens are estimated as UTF-8 bytes / 4, rounded up, and a
pack never exceeds its budget. When it would, whole items are left out from
the least important end, the oldest first within a section: recent events, then
lifecycle, findings, evidence, artifacts, subtasks, open hypotheses,
constraints, rejections, and decisions last. The pack then ends with a note
saying what was left out and ``truncated`` is true. Only a header too long for
a tiny budget is cut mid-text. In ``compact`` mode each text is also shortened
to a few hundred characters (ending in "…"); that is the mode, not a cut.
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final, Protocol

import msgspec

from journal_core.errors import InvalidQuery
from journal_core.fold import FoldEvent, Standing, fold_task
from journal_core.query import RESUME_TOKENS
from journal_core.reader import read_float
from journal_core.untrusted import code_span, data_block, inline, text_lines

__all__ = [
    "COMPACT_TOKENS",
    "FULL_TOKENS",
    "MAX_BUDGET_TOKENS",
    "MIN_BUDGET_TOKENS",
    "PACK_MODES",
    "RESUME_TOKENS",
    "Pack",
    "PackEvent",
    "PackFacts",
    "Resume",
    "TaskRow",
    "build_pack",
    "build_resume",
    "check_budget",
    "check_mode",
    "decode_pack_event",
    "estimate_tokens",
    "export_pr",
    "pack_facts",
]

PACK_MODES: Final = ("compact", "full")
COMPACT_TOKENS: Final = 600
FULL_TOKENS: Final = 20_000
MIN_BUDGET_TOKENS: Final = 100
MAX_BUDGET_TOKENS: Final = 20_000

_BYTES_PER_TOKEN: Final = 4
_TITLE_CHARS: Final = 200
_COMPACT_TEXT_CHARS: Final = 300  # one item in compact mode
_HEADER_TEXT_CHARS: Final = {"compact": 300, "full": 2_000}  # the goal and the outcome
_RECENT_CHARS: Final = 100  # one line of Recent events: a reminder, the text is above
_RECENT_COUNT: Final = {"compact": 5, "full": 20}
_ELLIPSIS: Final = "…"
_WHITESPACE: Final = re.compile(r"\s+")

_REF_KINDS: Final = ("files", "commits", "events")
_STATUS: Final = operator.attrgetter("status")
# Characters of an event id shown: the command line's short id, and a unique prefix
# every tool argument that names an event takes.
SHORT_ID: Final = 12
_REF_LABELS: Final = {"files": "file", "commits": "commit", "events": "event"}
_LIFECYCLE_VERBS: Final = {
    "open": "opened",
    "redirect": "redirected",
    "rename": "renamed",
    "close": "closed",
    "reopen": "reopened",
}


class Pack(msgspec.Struct, frozen=True, kw_only=True):
    """One task as a briefing; ``markdown`` is what an agent reads."""

    task_id: str
    title: str
    status: str  # "open" or "closed"
    goal: str | None
    outcome: str | None
    event_count: int
    markdown: str
    truncated: bool


class Resume(msgspec.Struct, frozen=True, kw_only=True):
    """The briefing of a journal's open tasks; ``markdown`` is "" when none is open."""

    markdown: str
    task_count: int
    truncated: bool = False


class TaskRow(Protocol):
    """What a pack shows of another task (a subtask, or an open task in a resume)."""

    @property
    def task_id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def event_count(self) -> int: ...
    @property
    def last_event_at(self) -> str: ...


def estimate_tokens(text: str) -> int:
    """Tokens as the packs count them: UTF-8 bytes / 4, rounded up."""
    return -(-len(text.encode()) // _BYTES_PER_TOKEN)


def check_mode(mode: object) -> str:
    if isinstance(mode, str) and mode in PACK_MODES:
        return mode
    raise InvalidQuery("mode", f"must be 'compact' or 'full', got {mode!r}")


def check_budget(budget_tokens: object, field: str = "budget_tokens") -> int:
    if (
        not isinstance(budget_tokens, int)
        or isinstance(budget_tokens, bool)
        or not MIN_BUDGET_TOKENS <= budget_tokens <= MAX_BUDGET_TOKENS
    ):
        raise InvalidQuery(
            field,
            f"must be a whole number from {MIN_BUDGET_TOKENS} to {MAX_BUDGET_TOKENS}, "
            f"got {budget_tokens!r}",
        )
    return budget_tokens


# --- reading the events, whatever their fields hold ------------------------------------


class PackEvent(FoldEvent, gc=False):
    """The fields of an event that a pack reads (the fold's, and two more), each as the
    line holds it.

    Decoding a line into this skips its other fields, which halves the cost of
    reading a long task (10,000 events: 12 ms against 21 as dicts). Every field may
    hold anything on a line another tool wrote, so each is checked where it is used.
    Not tracked by the garbage collector: an event refers to no event.
    """

    confidence: Any = None
    evidence_strength: Any = None


Events = Sequence[Mapping[str, Any]] | Sequence[PackEvent]

_pack_event_decoder: Final = msgspec.json.Decoder(PackEvent, float_hook=read_float)


def decode_pack_event(raw: bytes) -> PackEvent | None:
    """The pack's fields of the event on ``raw``, ``None`` if it is not a JSON object."""
    try:
        return _pack_event_decoder.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return None


def pack_facts(
    task_id: str, events: Events, standings: Mapping[str, Standing] | None = None
) -> PackFacts:
    """What the packs of the task whose events are given (oldest first) are built from:
    to hand to ``build_pack``, ``build_resume`` or ``export_pr`` in place of the events
    when several are made of a task that has not changed. ``standings``: those of the
    events as an index that folded them keeps them (see ``fold_task``)."""
    return PackFacts(task_id, _as_pack_events(events), standings)


def _facts(task_id: str, given: Events | PackFacts) -> PackFacts:
    return given if isinstance(given, PackFacts) else pack_facts(task_id, given)


def _as_pack_events(events: Events) -> Sequence[PackEvent]:
    if all(map(isinstance, events, itertools.repeat(PackEvent))):
        return events  # type: ignore[return-value]  # all checked above
    return [
        event if isinstance(event, PackEvent) else msgspec.convert(event, PackEvent)
        for event in events
    ]


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""


def _text(event: PackEvent) -> str:
    return _string(event.text)


def _meta(event: PackEvent) -> Mapping[str, Any]:
    meta = event.meta
    return meta if isinstance(meta, dict) else {}


def _meta_text(event: PackEvent, key: str) -> str | None:
    value = _meta(event).get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _one_line(text: str, chars: int | None) -> str:
    flat = _WHITESPACE.sub(" ", text).strip()
    return _clip(flat, chars)


def _clip(text: str, chars: int | None) -> str:
    if chars is None or len(text) <= chars:
        return text
    return text[: chars - 1].rstrip() + _ELLIPSIS


# --- what the fold makes of the events -----------------------------------------------


class PackFacts:
    """The facts a pack is built from: the one fold's answers (``journal_core.fold``),
    and what a pack gathers besides (sections by type, artifacts, lifecycle), in
    canonical order.

    A function of the task's events alone (the subtasks, the mode and the budget come
    in later): made once, it serves every pack, briefing and description of the task
    until the task changes. Not changed once made, but for what it works out when first
    asked (the same, whoever asks first).
    """

    def __init__(
        self,
        task_id: str,
        events: Sequence[PackEvent],
        standings: Mapping[str, Standing] | None = None,
    ) -> None:
        self.task_id = task_id
        self.fold = fold = fold_task(task_id, events, standings)
        self.events: list[PackEvent] = fold.events  # type: ignore[assignment]  # as given
        state = fold.state
        self.title = _one_line(state.title, _TITLE_CHARS) or "(untitled)"
        self.status = state.status
        self.goal = state.goal
        self.outcome = state.outcome
        self.outcome_tag = state.outcome_tag
        self.withdrawn = fold.withdrawn()
        self._holding: dict[str, list[PackEvent]] = {}  # see ``holding``
        # An event whose type is not a string counts in no section, nor for its refs or
        # for being suggested.
        self.artifacts = _Artifacts(fold.referring())  # type: ignore[arg-type]  # as given
        events = self.events
        self.suggested = "suggested" in map(_STATUS, events) and any(
            event.status == "suggested" and isinstance(event.type, str) for event in events
        )
        lifecycle = fold.of_types(*_LIFECYCLE_VERBS)  # open, redirect, rename, close, reopen
        self.lifecycle: Sequence[PackEvent] = lifecycle  # type: ignore[assignment]  # as given

    def shown(self, event: PackEvent) -> tuple[str, bool, bool]:
        """The text to show for ``event``, whether a correction gave it, whether suggested."""
        chain = self.fold.amendments(event.event_id) if isinstance(event.event_id, str) else []
        if not chain:  # most events
            return _string(event.text), False, event.status == "suggested"
        suggested = event.status == "suggested" or any(
            correction.status == "suggested" for correction in chain
        )
        return _string(chain[-1].text), True, suggested

    def holding(self, kind: str) -> list[PackEvent]:
        """The events of ``kind`` that still hold (not withdrawn), newest first."""
        found = self._holding.get(kind)
        if found is None:
            of_kind = self.fold.of_types(kind)
            events: Sequence[PackEvent] = of_kind  # type: ignore[assignment]  # as given
            withdrawn = self.withdrawn
            found = self._holding[kind] = (
                [event for event in reversed(events) if event.event_id not in withdrawn]
                if withdrawn
                else list(reversed(events))
            )
        return found


class _Artifacts:
    """The refs (files, commits, events) the events name, each (kind, ref) once, in the
    order named: counted only when a pack asks how many (a description never does), put
    in order only when a pack shows one (a long task's pack shows few of thousands, but
    says how many it left out)."""

    def __init__(self, events: Sequence[PackEvent]) -> None:
        self._named: list[dict[str, Any]] = [
            refs
            for event in events
            if (refs := event.refs) and isinstance(refs, dict) and isinstance(event.type, str)
        ]
        self._count: int | None = None
        self._ordered: list[tuple[str, str]] | None = None

    def __len__(self) -> int:
        if self._count is None:
            count = 0  # set once whole: another thread may ask at the same time
            for kind in _REF_KINDS:
                lists = [
                    listed
                    for refs in self._named
                    if (listed := refs.get(kind)) and isinstance(listed, list)
                ]
                try:  # each item once, gathered without a step of Python per item
                    items: set[Any] = set(itertools.chain.from_iterable(lists))
                except TypeError:  # a foreign writer's item that does not hash: not a ref
                    items = {item for found in lists for item in found if isinstance(item, str)}
                refs = {item.strip() for item in items if isinstance(item, str)}
                refs.discard("")
                count += len(refs)
            self._count = count
        return self._count

    def __iter__(self) -> Iterator[tuple[str, str]]:
        # A generator: a section takes its iterator when made, its first item only if shown.
        if self._ordered is None:  # by the event, then the kind, then the place in its list
            self._ordered = list(
                dict.fromkeys(
                    (kind, ref)
                    for refs in self._named
                    for kind in _REF_KINDS
                    if (items := refs.get(kind)) and isinstance(items, list)
                    for item in items
                    if isinstance(item, str) and (ref := item.strip())
                )
            )
        yield from self._ordered


# --- sections -------------------------------------------------------------------------


class _Sources(Protocol):
    """What a section's items are made from: counted, then taken in order."""

    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Any]: ...


class _Held:
    """The events of one type that still hold, newest first, each found when first asked
    for: a compact pack shows a few of thousands (and counts the rest)."""

    def __init__(self, fold: PackFacts, kind: str) -> None:
        events = fold.fold.of_types(kind)
        withdrawn = fold.withdrawn
        self._count = fold.fold.holding_count(kind) if withdrawn else len(events)
        self._events = (event for event in reversed(events) if event.event_id not in withdrawn)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Any]:
        return self._events


class _Section:
    """A heading and its items, most important first: what is cut goes from the end.

    Items are rendered only when asked for, so a task of ten thousand findings costs
    the few that fit, not all of them.
    """

    def __init__(
        self,
        key: str,
        heading: str,
        sources: _Sources,
        render: Callable[[Any], str],
        *,
        shown_reversed: bool = False,
    ) -> None:
        self.key = key
        self.shown_reversed = shown_reversed  # kept newest first, shown oldest first
        self.heading = heading
        self.heading_size = len(heading.encode()) + 5  # "\n## heading\n"
        self.count = len(sources)
        self.kept = 0
        self._sources = iter(sources)
        self._render = render
        self._items: list[str] = []

    def item(self, index: int) -> str:
        while len(self._items) <= index:
            self._items.append(self._render(next(self._sources)))
        return self._items[index]

    def lines(self) -> list[str]:
        if not self.kept:
            return []
        items = [self.item(index) for index in range(self.kept)]
        return ["", f"## {self.heading}", *(reversed(items) if self.shown_reversed else items)]


# The order sections are cut in when over budget: least important first.
_CUT_ORDER: Final = (
    "recent",
    "lifecycle",
    "findings",
    "evidence",
    "artifacts",
    "subtasks",
    "hypotheses",
    "constraints",
    "rejected",
    "decisions",
)
_CUT_NAMES: Final = {
    "recent": "recent events",
    "lifecycle": "lifecycle",
    "findings": "findings",
    "evidence": "evidence",
    "artifacts": "artifacts",
    "subtasks": "subtasks",
    "hypotheses": "open hypotheses",
    "constraints": "constraints",
    "rejected": "rejections",
    "decisions": "decisions",
}


def _marks(suggested: bool, corrected: bool) -> str:
    return ("? " if suggested else "") + ("[corrected] " if corrected else "")


def _short_id(event: PackEvent) -> str:
    """The event's id as the command line prints it, for an agent to name it by."""
    event_id = event.event_id
    return f"{event_id[:SHORT_ID]} " if isinstance(event_id, str) and event_id else ""


def _item(
    fold: PackFacts, event: PackEvent, mode: str, extra: str = "", *, ids: bool = True
) -> str:
    text, corrected, suggested = fold.shown(event)
    # In full mode continuation lines are indented, so a paragraph stays in its item.
    body = inline(text, _COMPACT_TEXT_CHARS) if mode == "compact" else "\n  ".join(text_lines(text))
    shown_id = _short_id(event) if ids else ""
    return f"- {shown_id}{_marks(suggested, corrected)}{body}{extra}"


def _confidence(event: PackEvent) -> str:
    value = event.confidence
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f" (confidence {value:g})"
    return ""


def _strength(event: PackEvent) -> str:
    value = event.evidence_strength
    return f" ({inline(value)})" if isinstance(value, str) else ""


def _alternatives(event: PackEvent) -> list[Mapping[str, Any]]:
    """The decision's ``meta.alternatives`` that have an option."""
    found = _meta(event).get("alternatives")
    return [
        alternative
        for alternative in (found if isinstance(found, list) else [])
        if isinstance(alternative, dict) and isinstance(alternative.get("option"), str)
    ]


def _decision_item(fold: PackFacts, event: PackEvent, mode: str) -> str:
    lines = [_item(fold, event, mode, _confidence(event))]
    chars = _COMPACT_TEXT_CHARS if mode == "compact" else None
    for alternative in _alternatives(event):
        chosen = "chosen" if alternative.get("chosen") is True else "not chosen"
        rationale = alternative.get("rationale")
        why = f": {rationale}" if isinstance(rationale, str) and rationale.strip() else ""
        lines.append(f"  - {chosen}: {inline(alternative['option'] + why, chars)}")
    return "\n".join(lines)


def _artifact_item(artifact: tuple[str, str]) -> str:
    kind, ref = artifact
    if kind == "events":  # named by the id an agent can use, not the whole ULID
        ref = ref[:SHORT_ID]
    return f"- {_REF_LABELS[kind]} {code_span(_one_line(ref, 300))}"


def _lifecycle_item(event: PackEvent, mode: str) -> str:
    kind = event.type
    verb = _LIFECYCLE_VERBS[kind]
    what = _text(event)
    if kind in ("open", "rename"):
        what = _meta_text(event, "title") or what
    elif kind == "close":
        tag = _meta_text(event, "outcome_tag")
        verb += f" ({inline(tag)})" if tag else ""
        what = _meta_text(event, "outcome") or what
    elif kind == "reopen":
        what = _meta_text(event, "reason") or what
    elif kind == "redirect":
        what = _meta_text(event, "goal") or what
    return f"- {_when(event)} {verb}: {inline(what, _HEADER_TEXT_CHARS[mode])}"


def _recent_item(fold: PackFacts, event: PackEvent) -> str:
    text, corrected, suggested = fold.shown(event)
    return (
        f"- {_when(event)} {inline(event.type)}: "
        f"{_marks(suggested, corrected)}{inline(text, _RECENT_CHARS)}"
    )


def _when(event: PackEvent) -> str:
    when = event.timestamp
    return inline(when) if isinstance(when, str) else "?"


def _subtask_item(row: TaskRow) -> str:
    return f"- {inline(row.task_id)} [{inline(row.status)}] {inline(row.title, _TITLE_CHARS)}"


def _sections(fold: PackFacts, subtasks: Sequence[TaskRow], mode: str) -> dict[str, _Section]:
    """The sections in the order they are shown."""

    def item(extra: Callable[[PackEvent], str] | None = None) -> Callable[[Any], str]:
        return lambda event: _item(fold, event, mode, extra(event) if extra else "")

    answered = fold.fold.is_answered
    hypotheses = [event for event in fold.holding("hypothesis") if not answered(event.event_id)]
    recent = list(reversed(fold.events[-_RECENT_COUNT[mode] :]))
    sections = [
        _Section(
            "decisions",
            "Active decisions",
            _Held(fold, "decision"),
            lambda event: _decision_item(fold, event, mode),
        ),
        _Section("constraints", "Constraints", _Held(fold, "constraint"), item()),
        _Section("rejected", "Rejected (do not retry)", _Held(fold, "rejection"), item()),
        _Section("hypotheses", "Open hypotheses", hypotheses, item(_confidence)),
        _Section("findings", "Findings (newest first)", _Held(fold, "finding"), item()),
        _Section("evidence", "Evidence (newest first)", _Held(fold, "evidence"), item(_strength)),
        _Section("artifacts", "Artifacts", fold.artifacts, _artifact_item),
        _Section("subtasks", "Subtasks", subtasks, _subtask_item),
        _Section(
            "lifecycle",
            "Lifecycle",
            fold.lifecycle[::-1],
            lambda event: _lifecycle_item(event, mode),
            shown_reversed=True,
        ),
        _Section(
            "recent",
            "Recent events (newest first)",
            recent,
            lambda event: _recent_item(fold, event),
        ),
    ]
    return {section.key: section for section in sections}


def _header(fold: PackFacts, mode: str) -> list[str]:
    chars = _HEADER_TEXT_CHARS[mode]
    count = len(fold.events)
    last = fold.events[-1].timestamp if fold.events else None
    span = f" · last event {inline(last)}" if isinstance(last, str) else ""
    lines = [
        f"# {inline(fold.title)} [{fold.status}]",
        f"{inline(fold.task_id)} · {count} event{'' if count == 1 else 's'}{span}",
    ]
    if fold.goal:
        lines.append(f"Goal: {inline(fold.goal, chars)}")
    if fold.status == "closed" and fold.outcome:
        tag = f" ({inline(fold.outcome_tag)})" if fold.outcome_tag else ""
        lines.append(f"Outcome{tag}: {inline(fold.outcome, chars)}")
    if fold.suggested:
        lines.append("(? marks suggested items, not yet confirmed.)")
    return lines


# --- fitting the budget ---------------------------------------------------------------


def _cut_note(budget: int, sections: Mapping[str, _Section]) -> str:
    parts = [
        f"{_CUT_NAMES[key]} {sections[key].count - sections[key].kept}"
        for key in _CUT_ORDER
        if sections[key].kept < sections[key].count
    ]
    return f"_Cut to fit {budget} tokens; left out: {', '.join(parts) or 'the end'}._"


def _lines_size(lines: Sequence[str]) -> int:
    return sum(len(line.encode()) + 1 for line in lines)


def _fill(head_size: int, sections: Mapping[str, _Section], room: int) -> tuple[bool, int]:
    """Keep items, most important section first, while they fit in ``room`` bytes.

    Cutting from the least important end comes to this: the sections are kept whole
    down to the first that does not fit, that one keeps the items that fit from its
    start, and those less important keep none. Returns whether all fit, and the size.
    """
    used = head_size
    whole = True
    for key in reversed(_CUT_ORDER):
        section = sections[key]
        section.kept = 0
        if not whole:
            continue
        for index in range(section.count):
            size = len(section.item(index).encode()) + 1
            if index == 0:
                size += section.heading_size
            if used + size > room:
                whole = False
                break
            used += size
            section.kept += 1
    return whole, used


def _fit(
    header: list[str], sections: Mapping[str, _Section], budget: int, framing: int = 0
) -> tuple[str, bool]:
    """The Markdown of ``header`` and ``sections`` within ``budget`` tokens less
    ``framing`` bytes, and whether anything was left out to get there (see the module
    docstring for the order)."""
    limit = budget * _BYTES_PER_TOKEN - framing
    head_size = _lines_size(header)
    whole, used = _fill(head_size, sections, limit)
    if whole:
        return _join(header, sections), False
    # Room for the note that says what was cut: it grows as more is cut, so fill again
    # until it fits beside what is kept (a round or two).
    reserve = 0
    while True:
        note = _cut_note(budget, sections)
        need = len(note.encode()) + 2  # "\n" + note + "\n"
        if used + need <= limit:
            return _join(header, sections) + "\n" + note + "\n", True
        if need <= reserve:
            break  # nothing is left to cut but the header
        reserve = need
        _, used = _fill(head_size, sections, limit - reserve)
    # Only the header is left and it is too long: cut it mid-text, keeping the note if
    # it fits at all.
    tail = "\n" + note + "\n"
    if len(tail.encode()) + len(_ELLIPSIS.encode()) + 1 > limit:
        tail = "\n"
    room = limit - len(tail.encode()) - len(_ELLIPSIS.encode())
    cut = "\n".join(header).encode()[:room].decode(errors="ignore")
    return cut + _ELLIPSIS + tail, True


def _join(header: list[str], sections: Mapping[str, _Section]) -> str:
    lines = list(header)
    for section in sections.values():
        lines.extend(section.lines())
    return "\n".join(lines) + "\n"


# --- the public functions -------------------------------------------------------------


def build_pack(
    task_id: str,
    events: Events | PackFacts,
    subtasks: Sequence[TaskRow] = (),
    *,
    mode: str = "compact",
    budget_tokens: int | None = None,
    as_data: bool = False,
) -> Pack:
    """The pack of the task whose events (oldest first, or their ``pack_facts``) and
    subtasks are given.

    ``mode`` sets the detail and the default budget (compact: about 600 tokens, each
    text shortened; full: 20,000, texts whole); ``budget_tokens`` overrides the budget.
    With ``as_data`` the Markdown is for a model: inside ``data_block``'s block, the
    block within the budget too. Raises ``InvalidQuery`` for a bad mode or budget.
    """
    mode = check_mode(mode)
    if budget_tokens is None:
        budget = COMPACT_TOKENS if mode == "compact" else FULL_TOKENS
    else:
        budget = check_budget(budget_tokens)
    return _pack(task_id, _facts(task_id, events), subtasks, mode, budget, as_data=as_data)


def _pack(
    task_id: str,
    fold: PackFacts,
    subtasks: Sequence[TaskRow],
    mode: str,
    budget: int,
    *,
    as_data: bool = False,
) -> Pack:
    framing = len(data_block("").encode()) if as_data else 0
    markdown, truncated = _fit(
        _header(fold, mode), _sections(fold, subtasks, mode), budget, framing
    )
    if as_data:  # every text in it is inert already: the block only wraps it
        markdown = data_block(markdown)
    return Pack(
        task_id=task_id,
        title=fold.title,
        status=fold.status,
        goal=fold.goal,
        outcome=fold.outcome if fold.status == "closed" else None,
        event_count=fold.fold.state.event_count,
        markdown=markdown,
        truncated=truncated,
    )


def build_resume(
    open_tasks: Sequence[TaskRow],
    in_hand_events: Events | PackFacts,
    in_hand_subtasks: Sequence[TaskRow] = (),
    *,
    budget_tokens: int = RESUME_TOKENS,
    task_count: int | None = None,
    in_hand: str | None = None,
    notes: Mapping[str, str] | None = None,
) -> Resume:
    """The briefing of the open tasks (``open_tasks`` most recently active first): one
    index line each, then the task in hand (``in_hand``, else the first; its events
    ``in_hand_events``, or their ``pack_facts``) as a compact pack, all within ``budget_tokens``.

    ``notes`` gives a task's newest decision or open question for its index line.
    ``task_count`` is the number of open tasks when ``open_tasks`` holds only the first
    of them. Raises ``InvalidQuery`` for a bad budget.
    """
    budget = check_budget(budget_tokens)
    # At least those handed in: a task closed since they were listed still counts once.
    count = len(open_tasks) if task_count is None else max(task_count, len(open_tasks))
    if not open_tasks:
        return Resume(markdown="", task_count=0)
    if in_hand is None or all(row.task_id != in_hand for row in open_tasks):
        in_hand = open_tasks[0].task_id
    limit = budget * _BYTES_PER_TOKEN
    plural = "" if count == 1 else "s"
    intro = (
        f"{count} open task{plural} in this journal, most recently active first; the one "
        "marked (in hand) is the one this session most likely continues, shown after the list.\n"
    )
    heading = "\n## Open tasks\n"
    notes = notes or {}
    hidden = count - len(open_tasks)  # open tasks not even handed in
    # The index takes up to a third of the budget; the pack of the task in hand the rest.
    room = limit // 3 - len(intro.encode()) - len(heading)
    listed: list[str] = []
    used = 0
    # Each line is made only if the one before it fitted: a few dozen fit of hundreds.
    for shown, row in enumerate(open_tasks):
        line = _task_line(row, notes.get(row.task_id), row.task_id == in_hand)
        rest = len(open_tasks) - shown - 1 + hidden
        more_size = len(_more_line(rest).encode()) + 1 if rest else 0
        if used + len(line.encode()) + 1 + more_size > room:
            break
        listed.append(line)
        used += len(line.encode()) + 1
    rest = len(open_tasks) - len(listed) + hidden
    truncated = bool(rest)
    if rest:
        listed.append(_more_line(rest))
    text = intro + heading + "\n".join(listed) + "\n\n"
    pack_budget = max(1, min(COMPACT_TOKENS, (limit - len(text.encode())) // _BYTES_PER_TOKEN))
    facts = _facts(in_hand, in_hand_events)
    pack = _pack(in_hand, facts, in_hand_subtasks, "compact", pack_budget)
    return Resume(
        markdown=text + pack.markdown, task_count=count, truncated=truncated or pack.truncated
    )


def _task_line(row: TaskRow, note: str | None = None, in_hand: bool = False) -> str:
    mark = " (in hand)" if in_hand else ""
    about = f" · {inline(note, 100)}" if note else ""
    return (
        f"- {inline(row.task_id)}{mark} · {inline(row.title, 80)} · {row.event_count} "
        f"event{'' if row.event_count == 1 else 's'} · last {inline(row.last_event_at)}{about}"
    )


def _more_line(count: int) -> str:
    return f"- … and {count} more (list the open tasks to see them)"


def _pr_state(fold: PackFacts) -> str:
    """The task's state in one line, a reopen said as such."""
    last = next((e for e in reversed(fold.lifecycle) if e.type in ("close", "reopen")), None)
    if fold.status == "closed":
        tag = f" ({fold.outcome_tag})" if fold.outcome_tag else ""
        return f"State: closed{tag}"
    if last is not None and last.type == "reopen":
        why = inline(_text(last).strip())
        return f"State: open, reopened after it was closed{f': {why}' if why else ''}"
    return "State: open (work in progress)"


def _refs_of(events: Sequence[PackEvent], kind: str) -> list[str]:
    """The ``kind`` refs (files, commits) of ``events``, each once, in the order named."""
    found: dict[str, None] = {}
    for event in events:
        refs = event.refs
        items = refs.get(kind) if refs and isinstance(refs, dict) else None
        for item in items if isinstance(items, list) else ():
            if isinstance(item, str) and (ref := item.strip()):
                found.setdefault(ref, None)
    return list(found)


def export_pr(task_id: str, events: Events | PackFacts, subtasks: Sequence[TaskRow] = ()) -> str:
    """A pull request description from a task: Summary from the goal, Changes from the
    decisions, Why this approach from the rejections (and the alternatives not chosen),
    Verification from the evidence, then the files and commits the decisions and
    evidence name; the Summary says the task's state. Sections with nothing to say are
    left out; texts are whole, and cannot start a Markdown structure (a code fence, a
    heading, an HTML comment) that would swallow the rest of the body."""
    fold = _facts(task_id, events)
    lines = [f"# {inline(fold.title)}", ""]
    summary = fold.goal or (_text(fold.events[0]).strip() if fold.events else "")
    lines += ["## Summary", "", *text_lines(summary or fold.title), "", _pr_state(fold)]
    if fold.status == "closed" and fold.outcome:
        lines += ["", f"Outcome: {inline(fold.outcome)}"]
    lines.append("")

    def section(heading: str, items: list[str]) -> None:
        if items:
            lines.extend([f"## {heading}", "", *items, ""])

    decisions = list(reversed(fold.holding("decision")))  # in the order they were taken
    section("Changes", [_item(fold, event, "full", ids=False) for event in decisions])
    why = [_item(fold, event, "full", ids=False) for event in reversed(fold.holding("rejection"))]
    for event in decisions:
        for alternative in _alternatives(event):
            if alternative.get("chosen") is False:
                rationale = alternative.get("rationale")
                because = f": {rationale}" if isinstance(rationale, str) and rationale else ""
                why.append(f"- Not {inline(alternative['option'] + because)}")
    section("Why this approach", why)
    evidence = reversed(fold.holding("evidence"))
    section(
        "Verification",
        [_item(fold, event, "full", _strength(event), ids=False) for event in evidence],
    )
    # What the change touched: the refs of the decisions and evidence that hold, not every
    # file named anywhere (a log path, a file a hypothesis only suspected).
    touched = [*decisions, *reversed(fold.holding("evidence"))]
    section("Affected files", [f"- {code_span(ref)}" for ref in _refs_of(touched, "files")])
    section("Commits", [f"- {inline(ref)}" for ref in _refs_of(touched, "commits")])
    section("Subtasks", [_subtask_item(row) for row in subtasks])
    lines.append(f"Task journal: {inline(task_id)}")
    return "\n".join(lines) + "\n"
