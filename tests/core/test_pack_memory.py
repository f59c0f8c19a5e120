"""The journal remembers what a task's packs are made of, and the notes of a briefing,
while the task is unchanged: a pack asked for again is not read and folded again, and
any line of the task since (another process's, or one older than its newest) is in the
next."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from journal_core import Journal, new_event
from journal_core.index.store import JournalStore
from tests.core.journal_lines import append_in_child, event, write

TASK = "tj-remember00"


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tasks whose lines (and standings) the index reads whole for a pack, in order."""
    read: list[str] = []
    original = JournalStore.task_events_standing

    def counted(self: JournalStore, task_id: str, decode: Callable[[bytes], Any]) -> Any:
        read.append(task_id)
        return original(self, task_id, decode)

    monkeypatch.setattr(JournalStore, "task_events_standing", counted)
    return read


def written_by_hand(path: Path) -> dict[str, dict[str, Any]]:
    """A task of an open, a finding and a decision, a second apart, by another writer."""
    named = {
        "open": event(TASK, "open", "Keep the uploads", timestamp="2026-12-01T10:00:00.000Z"),
        "finding": event(TASK, "finding", "uploads stall", timestamp="2026-12-01T10:00:01.000Z"),
        "decision": event(
            TASK, "decision", "retry the upload", timestamp="2026-12-01T10:00:03.000Z"
        ),
    }
    write(path, *named.values())
    return named


def test_a_task_packed_again_unchanged_is_read_once(journal: Journal, reads: list[str]) -> None:
    written_by_hand(journal.path)
    first = journal.task_pack(TASK)
    assert journal.task_pack(TASK) == first
    full = journal.task_pack(TASK, mode="full")
    described = journal.export_pr(TASK)
    briefing = journal.resume(task_id=TASK)
    assert reads == [TASK]
    assert "retry the upload" in full.markdown
    assert "retry the upload" in described
    assert first.markdown in briefing.markdown


def test_a_line_another_process_adds_is_in_the_next_pack(
    journal: Journal, reads: list[str]
) -> None:
    written_by_hand(journal.path)
    assert "n0" not in journal.task_pack(TASK, mode="full").markdown
    append_in_child(journal.path, TASK, 1)
    pack = journal.task_pack(TASK, mode="full")
    assert (pack.event_count, reads) == (4, [TASK, TASK])
    assert "n0" in pack.markdown


def test_a_line_older_than_the_newest_is_in_the_next_pack(journal: Journal) -> None:
    named = written_by_hand(journal.path)
    assert "uploads stall" in journal.export_pr(TASK) + journal.task_pack(TASK).markdown
    # Another writer's correction of the finding, a second older than the decision: the
    # task's newest event stays the same.
    write(
        journal.path,
        event(
            TASK,
            "correction",
            "uploads stall behind the proxy",
            corrects=named["finding"]["event_id"],
            timestamp="2026-12-01T10:00:02.000Z",
        ),
    )
    pack = journal.task_pack(TASK)
    assert pack.event_count == 4
    assert "[corrected] uploads stall behind the proxy" in pack.markdown


def test_a_briefing_names_a_tasks_decision_written_since(journal: Journal, task_id: str) -> None:
    other = written_by_hand(journal.path)["open"]["task_id"]
    journal.append(new_event(type="decision", text="first call", task_id=task_id))
    assert "decision: retry the upload" in journal.resume(task_id=task_id).markdown
    write(
        journal.path,
        event(other, "decision", "retry twice", timestamp="2026-12-01T10:00:04.000Z"),
        event(other, "finding", "later", timestamp="2026-12-01T10:00:05.000Z"),
    )
    assert "decision: retry twice" in journal.resume(task_id=task_id).markdown
    # Another writer's decision, older than the task's newest event (which stays the same)
    # but newer than its newest decision.
    late = event(other, "decision", "retry once", timestamp="2026-12-01T10:00:04.500Z")
    write(journal.path, late)
    assert "decision: retry once" in journal.resume(task_id=task_id).markdown
