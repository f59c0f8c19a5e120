"""A task's story as ``show`` tells it: what the fold makes of its events, and which
events later ones change.

Events come from the file as plain objects; a foreign writer's line may hold odd types
(a number for a text, a list for meta), so every field is read defensively. The state
comes from the one fold (``journal_core.fold``), in canonical order, each event once.
"""

from collections.abc import Iterable
from typing import Any

import msgspec

from journal_core import fold_lines

__all__ = ["Change", "TaskStory", "meta_of", "story_of", "text_of"]


def text_of(value: object) -> str:
    return value if isinstance(value, str) else ""


def meta_of(event: dict[str, Any]) -> dict[str, Any]:
    meta = event.get("meta")
    return meta if isinstance(meta, dict) else {}


# msgspec structs rather than dataclasses: msgspec is loaded anyway, dataclasses is not.
class Change(msgspec.Struct, frozen=True):
    """A later event that corrects or supersedes an earlier one."""

    how: str  # "corrected" or "superseded"
    event_id: str
    type: str
    timestamp: str
    text: str


class TaskStory(msgspec.Struct):
    """The state a task's events add up to, its events in canonical order, and which
    events later ones change."""

    task_id: str
    title: str = ""
    status: str = "open"
    goal: str = ""
    outcome: str = ""
    outcome_tag: str = ""
    opened_at: str = ""
    opened_by: str = ""
    last_at: str = ""
    event_count: int = 0
    events: list[dict[str, Any]] = msgspec.field(default_factory=list)
    changes: dict[str, list[Change]] = msgspec.field(default_factory=dict)


def story_of(task_id: str, lines: Iterable[dict[str, Any]]) -> TaskStory:
    """The story of the task whose events (as read, in any order) are ``lines``."""
    events, fold = fold_lines(task_id, lines)
    state = fold.state
    story = TaskStory(
        task_id,
        title=state.title,
        status=state.status,
        goal=state.goal or "",
        outcome=state.outcome or "",
        outcome_tag=state.outcome_tag or "",
        opened_at=state.opened_at or "",
        opened_by=state.opened_by or "",
        last_at=state.last_event_at,
        event_count=state.event_count,
        events=events,
    )
    for event in events:
        for how, target in (("corrected", "corrects"), ("superseded", "supersedes")):
            changed = event.get(target)
            if isinstance(changed, str):
                story.changes.setdefault(changed, []).append(
                    Change(
                        how,
                        text_of(event.get("event_id")),
                        text_of(event.get("type")),
                        text_of(event.get("timestamp")),
                        text_of(event.get("text")),
                    )
                )
    return story
