"""Where each event of a task stands, and the links the viewer draws to show why.

The journal's fold (``journal_core.TaskFold``) decides standing; this module only keeps
it for the pages and reads links off what each event changed: ``corrects``,
``supersedes``, ``answers`` or ``overturns``, from the later event to the earlier one.
"""

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from journal_core import FoldEvent, Standing, TaskFold, as_fold_events, canonical

__all__ = ["Link", "TaskStanding", "task_standing"]

# The link drawn from the event that gave a standing, by the fold's mark.
_LINK_KIND: Final = {
    "superseded": "supersedes",
    "corrected_away": "corrects",
    "corrected": "corrects",
    "overturned": "overturns",
    "answered": "answers",
}
_ACTIVE: Final = Standing()


@dataclass(frozen=True, slots=True)
class Link:
    """``source`` acts on ``target``: ``corrects``, ``supersedes``, ``answers`` or
    ``overturns``."""

    source: str
    target: str
    kind: str


class TaskStanding:
    """One task's fold, and the links between its events, grown as the task grows."""

    def __init__(self) -> None:
        self.fold = TaskFold("")
        self.links: list[Link] = []
        self._lock = threading.Lock()  # the pages extend a remembered standing from threads

    @property
    def standing(self) -> dict[str, Standing]:
        """The standing of every event that is not active."""
        return self.fold.changed()

    def of(self, event_id: object) -> Standing:
        return self.fold.standing(event_id) if isinstance(event_id, str) else _ACTIVE

    def extended(self, events: Iterable[Mapping[str, Any]]) -> "TaskStanding | None":
        """This standing with ``events`` folded in as well (those folded in already are
        skipped); None when one of them comes before an event already folded in, in
        canonical order (fold the task again)."""
        with self._lock:
            seen = {event.event_id for event in self.fold.events}
            new = [event for event in canonical(_with_ids(events)) if event.event_id not in seen]
            if new and not self.fold.follows(new[0]):
                return None
            for event in new:
                self._add(event)
        return self

    def _add(self, event: FoldEvent) -> None:
        source: str = event.event_id
        for target, standing in self.fold.add(event).items():
            kind = "corrects" if standing.amended_by == source else _LINK_KIND[standing.mark]
            if standing.standing_by == source or standing.amended_by == source:
                self.links.append(Link(source, target, kind))


def _with_ids(events: Iterable[Mapping[str, Any]]) -> list[FoldEvent]:
    """The events that have an id to be named by (a foreign line may lack one)."""
    return as_fold_events(event for event in events if isinstance(event.get("event_id"), str))


def task_standing(events: Iterable[Mapping[str, Any]]) -> TaskStanding:
    """The standing and links of a task's events (plain objects of their lines, any order)."""
    result = TaskStanding().extended(events)
    assert result is not None  # nothing was folded in before
    return result
