"""A task's story as ``show`` tells it: what its events make of it, folded oldest first.

Events come from the file as plain objects; a foreign writer's line may hold odd types
(a number for a text, a list for meta), so every field is read defensively.
"""

from typing import Any

import msgspec

__all__ = ["Change", "TaskStory", "meta_of", "text_of"]


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
    """The state a task's events add up to, and which events later ones change."""

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
    changes: dict[str, list[Change]] = msgspec.field(default_factory=dict)

    def add(self, event: dict[str, Any]) -> None:
        """Fold in the next event, oldest first."""
        kind = text_of(event.get("type"))
        meta = meta_of(event)
        text = text_of(event.get("text"))
        timestamp = text_of(event.get("timestamp"))
        self.event_count += 1
        self.last_at = timestamp
        if kind == "open" and not self.opened_at:
            self.opened_at = timestamp
            self.opened_by = text_of(event.get("author"))
        if kind in ("open", "rename"):
            self.title = text_of(meta.get("title")).strip() or text.strip() or self.title
        if not self.title:
            self.title = text.strip()  # a stand-in until an open or rename names the task
        if kind in ("open", "redirect") and text_of(meta.get("goal")).strip():
            self.goal = text_of(meta.get("goal")).strip()
        if kind in ("open", "reopen"):
            self.status = "open"
            self.outcome = self.outcome_tag = ""
        elif kind == "close":
            self.status = "closed"
            self.outcome = text_of(meta.get("outcome")).strip() or text.strip()
            self.outcome_tag = text_of(meta.get("outcome_tag"))
        for how, target in (("corrected", "corrects"), ("superseded", "supersedes")):
            changed = event.get(target)
            if isinstance(changed, str):
                self.changes.setdefault(changed, []).append(
                    Change(how, text_of(event.get("event_id")), kind, timestamp, text)
                )
