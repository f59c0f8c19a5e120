"""Where each event of a task stands, and the links that put it there (SPEC 7's words).

The one place the viewer decides standing. It follows the pack's rules (see
``journal_core.pack``) over a task's events in canonical order, ``(timestamp,
event_id)``: only an earlier event can be corrected, superseded or answered. Once the
journal's own fold gives standing, this module asks it instead and keeps its shape.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Link", "Standing", "TaskStanding", "task_standing"]

# The types whose events answer a hypothesis they name.
_ANSWERS = frozenset({"finding", "decision", "rejection"})


@dataclass(frozen=True, slots=True)
class Link:
    """``source`` acts on ``target``: ``corrects``, ``supersedes`` or ``answers``."""

    source: str
    target: str
    kind: str


@dataclass(frozen=True, slots=True)
class Standing:
    """``active``, ``superseded``, ``corrected`` or ``answered``, and the event that did it."""

    state: str = "active"
    by: str | None = None
    correction: str | None = None  # the correcting event's text, for a corrected event


@dataclass(slots=True)
class TaskStanding:
    """The standing of every event of one task that is not ``active``, and every link."""

    standing: dict[str, Standing] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    open_questions: int = 0  # hypotheses still active: nothing answered or withdrew them
    types: dict[str, object] = field(default_factory=dict)  # every event id folded in
    last: tuple[str, str] = ("", "")  # the canonical key of the latest event folded in

    def of(self, event_id: object) -> Standing:
        return self.standing.get(event_id, _ACTIVE) if isinstance(event_id, str) else _ACTIVE

    def extended(self, events: Iterable[Mapping[str, Any]]) -> "TaskStanding | None":
        """This standing with ``events`` folded in as well; None when one of them comes
        before an event already folded in, in canonical order (fold the task again)."""
        ordered = sorted(
            (event for event in events if isinstance(event.get("event_id"), str)), key=_key
        )
        if ordered and _key(ordered[0]) < self.last:
            return None
        result = TaskStanding(dict(self.standing), list(self.links), 0, dict(self.types), self.last)
        for event in ordered:
            result._fold(event)
        result.open_questions = sum(
            1
            for event_id, kind in result.types.items()
            if kind == "hypothesis" and result.of(event_id).state == "active"
        )
        return result

    def _fold(self, event: Mapping[str, Any]) -> None:
        source: str = event["event_id"]
        kind = event.get("type")
        answers = kind in _ANSWERS
        seen = self.types
        for name in ("corrects", "supersedes"):
            target = event.get(name)
            if not isinstance(target, str) or target not in seen:
                continue
            self.links.append(Link(source, target, name))
            if name == "corrects" and kind == "correction":
                text = event.get("text")
                _settle(self, target, Standing("corrected", source, _str_or_none(text)))
            else:
                # A rejection correcting a decision withdraws it, as a supersede does.
                _settle(self, target, Standing("superseded", source))
            if answers and seen[target] == "hypothesis":
                _settle(self, target, Standing("answered", source))
        refs = event.get("refs")
        named = refs.get("events") if isinstance(refs, dict) else None
        if answers and isinstance(named, list):
            for target in named:
                if isinstance(target, str) and seen.get(target) == "hypothesis":
                    self.links.append(Link(source, target, "answers"))
                    _settle(self, target, Standing("answered", source))
        seen[source] = kind
        self.last = _key(event)


_ACTIVE = Standing()
# Which standing wins when several apply: a withdrawn event is withdrawn, whatever else.
_RANK = {"active": 0, "answered": 1, "corrected": 2, "superseded": 3}


def _key(event: Mapping[str, Any]) -> tuple[str, str]:
    """An event's place in canonical order: (timestamp, event_id)."""
    return str(event.get("timestamp")), event["event_id"]


def task_standing(events: Iterable[Mapping[str, Any]]) -> TaskStanding:
    """The standing and links of a task's events (plain objects of their lines, any order)."""
    result = TaskStanding().extended(events)
    assert result is not None  # nothing was folded in before
    return result


def _settle(result: TaskStanding, target: str, standing: Standing) -> None:
    """Give ``target`` ``standing`` unless it already has a stronger one; among equals
    the later event wins (the newest correction is the one shown)."""
    if _RANK[standing.state] >= _RANK[result.of(target).state]:
        result.standing[target] = standing


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
