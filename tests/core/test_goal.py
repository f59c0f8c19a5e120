"""A task's goal is written into the journal: ``meta.goal`` of its open or of a redirect."""

from __future__ import annotations

from typing import Any

import pytest

from journal_core import InvalidEvent, new_event


@pytest.mark.parametrize("kind", ["open", "redirect"])
def test_the_goal_lands_in_meta_goal(kind: str) -> None:
    task_id = None if kind == "open" else "tj-8f3k2m9q1z"
    event = new_event(type=kind, text="Go", task_id=task_id, goal="Ship the importer")
    assert event.meta["goal"] == "Ship the importer"


@pytest.mark.parametrize("kind", ["finding", "decision", "close", "rename"])
def test_a_goal_on_another_type_is_refused_with_the_way_to_change_it(kind: str) -> None:
    with pytest.raises(InvalidEvent, match="append a 'redirect' with the new goal") as refused:
        new_event(type=kind, text="Go", task_id="tj-8f3k2m9q1z", goal="Ship it")
    assert refused.value.field == "goal"


@pytest.mark.parametrize(
    ("kind", "meta", "field"),
    [
        pytest.param("finding", {"goal": "Ship it"}, "meta.goal", id="meta-goal-on-a-finding"),
        pytest.param("open", {"goal": ""}, "meta.goal", id="empty-goal"),
        pytest.param("open", {"goal": 3}, "meta.goal", id="goal-not-a-string"),
    ],
)
def test_a_meta_goal_is_checked_like_the_argument(
    kind: str, meta: dict[str, Any], field: str
) -> None:
    task_id = None if kind == "open" else "tj-8f3k2m9q1z"
    with pytest.raises(InvalidEvent) as refused:
        new_event(type=kind, text="Go", task_id=task_id, meta=meta)
    assert refused.value.field == field


def test_a_goal_given_twice_with_other_values_is_refused() -> None:
    with pytest.raises(InvalidEvent, match="given both"):
        new_event(type="open", text="Go", goal="Ship it", meta={"goal": "Something else"})
