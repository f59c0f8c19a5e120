"""Where the viewer says each event stands, and the links it draws (SPEC 7's words)."""

import datetime as dt
from pathlib import Path
from typing import Any

import msgspec

from journal_core import Journal, Settings, new_event
from journal_core.events import encode_line, format_timestamp, new_event_id
from server.ui.remembered import TaskMemory
from server.ui.standing import Link, Standing, task_standing


def _event(event_id: str, kind: str, at: int, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "type": kind,
        "timestamp": f"2026-12-01T10:00:{at:02d}.000Z",
        "text": f"{kind} {event_id}",
        **fields,
    }


def test_a_correction_corrects_and_shows_its_text() -> None:
    result = task_standing(
        [_event("A", "finding", 1), _event("B", "correction", 2, corrects="A", text="better")]
    )
    assert result.of("A") == Standing("corrected", "B", "better")
    assert result.links == [Link("B", "A", "corrects")]


def test_a_supersede_or_a_correcting_rejection_withdraws() -> None:
    result = task_standing(
        [
            _event("A", "decision", 1),
            _event("B", "decision", 2, supersedes="A"),
            _event("C", "decision", 3),
            _event("D", "rejection", 4, corrects="C"),
        ]
    )
    assert result.of("A") == Standing("superseded", "B")
    assert result.of("C") == Standing("superseded", "D")
    assert result.of("B").state == "active"


def test_a_hypothesis_named_by_a_finding_is_answered_and_no_longer_open() -> None:
    result = task_standing(
        [
            _event("H", "hypothesis", 1),
            _event("G", "hypothesis", 2),
            _event("E", "evidence", 3, refs={"events": ["G"]}),
            _event("F", "finding", 4, refs={"events": ["H"]}),
        ]
    )
    assert result.of("H") == Standing("answered", "F")
    assert result.of("G").state == "active"  # evidence supports, it does not answer
    assert result.open_questions == 1
    assert result.links == [Link("F", "H", "answers")]


def test_only_an_earlier_event_can_be_acted_on_in_canonical_order() -> None:
    # Line order is not time order: the fold sorts by (timestamp, event_id).
    result = task_standing([_event("B", "decision", 2, supersedes="A"), _event("A", "decision", 1)])
    assert result.of("A") == Standing("superseded", "B")
    later = task_standing([_event("A", "decision", 1, supersedes="B"), _event("B", "decision", 2)])
    assert later.of("B").state == "active"
    assert later.links == []


def test_withdrawn_wins_over_answered() -> None:
    result = task_standing(
        [
            _event("H", "hypothesis", 1),
            _event("F", "finding", 2, refs={"events": ["H"]}),
            _event("S", "hypothesis", 3, supersedes="H"),
        ]
    )
    assert result.of("H") == Standing("superseded", "S")


def test_lines_of_foreign_shapes_are_taken_as_they_come() -> None:
    result = task_standing(
        [
            {"event_id": 7, "type": "finding"},
            {"type": "finding"},
            _event("A", "finding", 1, refs="not an object", corrects=["A"]),
            _event("B", "finding", 2, refs={"events": "A"}, supersedes=None),
        ]
    )
    assert result.standing == {}
    assert result.of(None).state == "active"


def test_a_remembered_standing_takes_in_new_events_as_a_whole_fold_would(
    tmp_path: Path,
) -> None:
    journal = Journal(Settings(journal_path=tmp_path / "journal.jsonl"))
    try:
        opened = new_event(type="open", text="a task", title="a task")
        journal.append(opened)
        task = opened.task_id
        hypothesis = new_event(type="hypothesis", text="maybe", task_id=task)
        decision = new_event(type="decision", text="do it", task_id=task)
        journal.append(hypothesis)
        journal.append(decision)
        memory = TaskMemory(journal)
        assert memory.standing(task).open_questions == 1
        journal.append(
            new_event(type="decision", text="no", task_id=task, supersedes=decision.event_id)
        )
        answer = new_event(
            type="finding", text="yes", task_id=task, refs={"events": [hypothesis.event_id]}
        )
        journal.append(answer)
        remembered = memory.standing(task)
        whole = task_standing(journal.task_events(task))
        assert (remembered.standing, remembered.links, remembered.open_questions) == (
            whole.standing,
            whole.links,
            whole.open_questions,
        )
        assert remembered.of(decision.event_id).state == "superseded"
        assert remembered.open_questions == 0
    finally:
        journal.close()


def test_an_event_older_than_those_remembered_folds_the_task_again(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    start = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)

    def stamped(seconds: int, **fields: Any) -> Any:
        moment = start + dt.timedelta(seconds=seconds)
        return msgspec.structs.replace(
            new_event(**fields), event_id=new_event_id(moment), timestamp=format_timestamp(moment)
        )

    def write(event: Any) -> None:
        with path.open("ab") as file:  # as another writer would (a merged journal)
            file.write(encode_line(event))

    opened = stamped(0, type="open", text="a task", title="a task")
    task = opened.task_id
    early = stamped(10, type="decision", text="first", task_id=task)
    # Written before the event it supersedes, which is stamped earlier: a merge does this.
    later = stamped(20, type="decision", text="then", task_id=task, supersedes=early.event_id)
    write(opened)
    write(later)
    journal = Journal(Settings(journal_path=path))
    try:
        memory = TaskMemory(journal)
        assert memory.standing(task).links == []
        write(early)
        standing = memory.standing(task)
        assert standing.of(early.event_id) == Standing("superseded", later.event_id)
        assert standing.links == [Link(later.event_id, early.event_id, "supersedes")]
    finally:
        journal.close()
