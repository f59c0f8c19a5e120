"""A task page's parts, as its script fetches them again when the journal grows: the
timeline is read from one page of events and the remembered standing, never from the
task's whole history (the overview is, and comes second)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from journal_core import Journal, Settings, new_event
from server.ui import views
from server.ui.remembered import TaskMemory
from tests.ui.journals import story_journal


@pytest.fixture
def story(tmp_path: Path) -> Iterator[tuple[Journal, dict[str, str]]]:
    path = tmp_path / "journal.jsonl"
    ids = story_journal(path)
    journal = Journal(Settings(journal_path=path))
    yield journal, ids
    journal.close()


def test_a_timeline_is_read_without_building_the_task_pack(
    story: tuple[Journal, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    journal, ids = story
    memory = TaskMemory(journal)

    def no_pack(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the timeline built the task's pack")

    monkeypatch.setattr(journal, "task_pack", no_pack)
    correction = new_event(
        type="correction",
        text="Chunks must stay at 5 MiB or more",
        task_id=ids["task"],
        corrects=ids["constraint"],
    )
    journal.append(correction)
    timeline = views.task_timeline(memory, ids["task"], None)
    assert timeline is not None
    rows = {row.event["event_id"]: row for row in timeline.events}
    assert rows[correction.event_id].links[0].target == ids["constraint"]
    corrected = rows[ids["constraint"]].standing
    assert (corrected.standing, corrected.correction) == (
        "corrected",
        "Chunks must stay at 5 MiB or more",
    )


def test_a_task_the_journal_lacks_has_neither_part(story: tuple[Journal, dict[str, str]]) -> None:
    journal, _ = story
    memory = TaskMemory(journal)
    assert views.task_timeline(memory, "tj-nosuchtask", None) is None
    assert views.task_overview(memory, "tj-nosuchtask") is None
