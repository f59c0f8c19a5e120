"""The journal reads a task's events, subtasks and open tasks for its packs and briefings."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import msgspec
import pytest

from journal_core import (
    InvalidQuery,
    Journal,
    Settings,
    TaskNotFound,
    event_to_dict,
    new_event,
)
from journal_core.pack import build_pack, export_pr


def append(journal: Journal, kind: str, text: str, task_id: str | None = None, **kw: Any) -> str:
    return journal.append(new_event(type=kind, text=text, task_id=task_id, **kw)).task_id


def test_task_events_are_all_of_the_task_oldest_first(journal: Journal, task_id: str) -> None:
    other = append(journal, "open", "another task")
    for n in range(1_200):  # over two pages of the index's reads
        append(journal, "finding", f"finding {n}", task_id)
        if n % 100 == 0:
            append(journal, "finding", "elsewhere", other)
    events = list(journal.task_events(task_id))
    assert [event["text"] for event in events] == ["a task"] + [
        f"finding {n}" for n in range(1_200)
    ]


def without_ids(markdown: str) -> list[str]:
    """The pack's lines, each item's short event id taken out."""
    return re.sub(r"(?m)^- [0-9A-Z]{12} ", "- ", markdown).splitlines()


def test_the_pack_of_a_task_shows_its_goal_and_decisions(journal: Journal) -> None:
    task_id = append(journal, "open", "Started", title="Importer", goal="Port it to msgspec")
    append(journal, "decision", "Decode into structs", task_id)
    pack = journal.task_pack(task_id)
    assert (pack.title, pack.goal, pack.event_count) == ("Importer", "Port it to msgspec", 2)
    assert (
        "- Decode into structs" in re.sub(r"(?m)^- [0-9A-Z]{12} ", "- ", pack.markdown).splitlines()
    )


def test_the_pack_of_an_unknown_task_is_refused(journal: Journal, task_id: str) -> None:
    with pytest.raises(TaskNotFound, match="no task 'tj-nothere00'"):
        journal.task_pack("tj-nothere00")


def test_the_pack_refuses_a_bad_budget_before_reading(journal_path: Path) -> None:
    journal = Journal(Settings(journal_path=journal_path))
    with pytest.raises(InvalidQuery, match="budget_tokens"):
        journal.task_pack("tj-8f3k2m9q1z", budget_tokens=50)


def test_subtasks_are_the_tasks_opened_with_this_parent(journal: Journal, task_id: str) -> None:
    first = append(journal, "open", "first part", title="Part 1", meta={"parent_id": task_id})
    append(journal, "open", "unrelated", title="Other")
    second = append(journal, "open", "second part", title="Part 2", meta={"parent_id": task_id})
    append(journal, "close", "done", first, meta={"outcome_tag": "done"})
    rows = [(row.task_id, row.title, row.status) for row in journal.subtasks(task_id)]
    assert rows == [(first, "Part 1", "closed"), (second, "Part 2", "open")]
    assert f"- {first} [closed] Part 1" in journal.task_pack(task_id).markdown.splitlines()


def test_subtasks_opened_by_another_process_are_seen(journal: Journal, task_id: str) -> None:
    assert journal.subtasks(task_id) == []
    other = Journal(journal.settings)
    child = append(other, "open", "a part", meta={"parent_id": task_id})
    other.close()
    assert [row.task_id for row in journal.subtasks(task_id)] == [child]


def test_resume_of_a_journal_that_does_not_exist_is_empty(journal_path: Path) -> None:
    resume = Journal(Settings(journal_path=journal_path)).resume()
    assert (resume.markdown, resume.task_count) == ("", 0)


def test_resume_leaves_out_closed_tasks(journal: Journal, task_id: str) -> None:
    append(journal, "close", "done", task_id, meta={"outcome_tag": "done"})
    assert journal.resume().markdown == ""


def test_resume_packs_the_most_recently_active_open_task(journal: Journal, task_id: str) -> None:
    newer = append(journal, "open", "newer", title="Newer task")
    append(journal, "finding", "the old task moves again", task_id)
    resume = journal.resume()
    lines = resume.markdown.splitlines()
    assert resume.task_count == 2
    assert "# A task [open]" in lines
    assert any(line.startswith(f"- {newer} · Newer task") for line in lines)


def test_export_pr_of_a_task(journal: Journal) -> None:
    task_id = append(journal, "open", "Started", title="Importer", goal="Port it to msgspec")
    append(journal, "decision", "Decode into structs", task_id, refs={"files": ["imp.py"]})
    text = journal.export_pr(task_id)
    assert text.startswith("# Importer\n\n## Summary\n\nPort it to msgspec\n")
    assert "## Changes\n\n- Decode into structs\n" in text
    assert "## Affected files\n\n- `imp.py`\n" in text


def test_resume_counts_every_open_task_beyond_the_first_page(journal: Journal) -> None:
    for n in range(520):  # more than one page of list_tasks
        append(journal, "open", f"task {n}")
    resume = journal.resume()
    assert resume.task_count == 520
    lines = resume.markdown.splitlines()
    assert lines[0].startswith("520 open tasks in this journal, most recently active first;")
    listed = sum(line.startswith("- tj-") for line in lines)
    assert f"- … and {520 - listed} more (list the open tasks to see them)" in lines


def test_each_task_line_of_resume_names_its_newest_decision_in_time_not_in_lines(
    journal: Journal, task_id: str
) -> None:
    # Merged journals hold lines in any order: the newest decision in time may sit on
    # an early line, under more later lines than a page of events holds.
    newest = new_event(type="decision", text="Settled later on", task_id=task_id)
    journal.append(msgspec.structs.replace(newest, timestamp="2099-01-01T00:00:00.000Z"))
    for n in range(510):
        append(journal, "decision", f"decision {n}", task_id)

    lines = journal.resume().markdown.splitlines()

    line = next(line for line in lines if line.startswith(f"- {task_id} "))
    assert line.endswith("decision: Settled later on")


def test_each_task_line_of_resume_passes_over_a_decision_without_text(
    journal: Journal, task_id: str
) -> None:
    append(journal, "hypothesis", "The proxy drops keepalives", task_id)
    # Another writer's line: the journal's own writer refuses an event without text.
    blank = event_to_dict(new_event(type="decision", text="x", task_id=task_id))
    with journal.path.open("a") as file:
        file.write(json.dumps({**blank, "text": " "}) + "\n")

    lines = journal.resume().markdown.splitlines()

    line = next(line for line in lines if line.startswith(f"- {task_id} "))
    assert line.endswith("hypothesis: The proxy drops keepalives")


def test_each_task_line_of_resume_names_its_own_newest_decision(journal: Journal) -> None:
    tasks = [append(journal, "open", f"task {n}", title=f"Task {n}") for n in range(3)]
    for turn in range(3):
        for n, task_id in enumerate(tasks):
            append(journal, "decision", f"task {n}, decision {turn}", task_id)

    lines = journal.resume().markdown.splitlines()

    for n, task_id in enumerate(tasks):
        line = next(line for line in lines if line.startswith(f"- {task_id} "))
        assert line.endswith(f"decision: task {n}, decision 2")


def test_the_pack_read_with_only_its_fields_equals_the_pack_of_the_whole_lines(
    journal: Journal,
) -> None:
    # The journal decodes only the fields a pack reads (PackEvent); lines another tool
    # wrote, with fields of any type and fields of its own, must fold the same as dicts.
    task_id = append(journal, "open", "Started", title="Mixed", goal="Agree")
    decision = journal.append(
        new_event(type="decision", text="Keep it", task_id=task_id, confidence=0.7)
    )
    foreign: list[dict[str, Any]] = [
        {"type": "finding", "text": 5, "meta": ["not", "a", "dict"], "refs": "src/a.rs"},
        {"type": "hypothesis", "text": "Maybe", "confidence": "high", "status": 7},
        {"type": "evidence", "text": "Huge", "confidence": 1e400, "extra": {"x": [1, 2]}},
        {"type": "correction", "text": "Keep it, tested", "corrects": decision.event_id},
        {"type": "rejection", "text": "Not this", "refs": {"files": ["b.py", 3], "events": 9}},
        {"type": "custom-kind", "text": "A newer writer's type", "supersedes": ["x"]},
    ]
    lines = b"".join(
        json.dumps(
            {
                "event_id": f"01KMZ3T4J8Q7W2E5R6T7Y8V9{n:02d}",
                "schema_version": "1.0",
                "task_id": task_id,
                # After the events appended above: an event names only earlier ones.
                "timestamp": f"2099-06-01T00:00:{n:02d}Z",
                **fields,
            }
        ).encode()
        + b"\n"
        for n, fields in enumerate(foreign)
    )
    with journal.path.open("ab") as file:
        # json.dumps writes 1e400 as Infinity, which is not JSON: put the literal back.
        file.write(lines.replace(b"Infinity", b"1e400"))

    as_dicts = list(journal.task_events(task_id))
    for mode in ("compact", "full"):
        assert journal.task_pack(task_id, mode=mode) == build_pack(
            task_id, as_dicts, journal.subtasks(task_id), mode=mode
        )
    assert journal.export_pr(task_id) == export_pr(task_id, as_dicts)
    shown = re.sub(
        r"(?m)^- [0-9A-Z]{12} ", "- ", journal.task_pack(task_id, mode="full").markdown
    ).splitlines()
    assert "Goal: Agree" in shown
    assert "- [corrected] Keep it, tested (confidence 0.7)" in shown
    assert "- Maybe" in shown  # an open hypothesis: its odd confidence and status ignored
    assert "- file `b.py`" in shown  # the refs' one string file; 3 and 9 are not refs


def test_a_new_journals_pack_takes_the_standings_its_index_keeps(
    journal_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index folded the task as it took the lines in: a pack of a long task does not
    work out again what superseded, corrected or answered what."""
    writer = Journal(Settings(journal_path=journal_path))
    task_id = append(writer, "open", "Started", title="Long")
    first = writer.append(new_event(type="hypothesis", text="The proxy drops it", task_id=task_id))
    writer.append(
        new_event(
            type="finding", text="It does", task_id=task_id, refs={"events": [first.event_id]}
        )
    )
    old = writer.append(new_event(type="decision", text="Use a proxy", task_id=task_id))
    writer.append(
        new_event(type="decision", text="Use a queue", task_id=task_id, supersedes=old.event_id)
    )
    # Folded here from the events alone, before effects are barred.
    expected = build_pack(task_id, list(writer.task_events(task_id)), mode="full")
    writer.close()

    def worked_out(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the pack worked a standing out again")

    monkeypatch.setattr("journal_core.fold.effects", worked_out)
    journal = Journal(Settings(journal_path=journal_path))
    pack = journal.task_pack(task_id, mode="full")
    journal.close()
    assert pack == expected
    sections = {part.split("\n", 1)[0]: part for part in pack.markdown.split("\n## ")}
    assert "Use a queue" in sections["Active decisions"]
    assert "Use a proxy" not in sections["Active decisions"]
    assert "Open hypotheses" not in sections  # answered by the finding
