"""Where the viewer says each event stands, and the links it draws (SPEC 7's words)."""

import datetime as dt
from pathlib import Path
from typing import Any

import msgspec

from journal_core import Journal, Settings, fold_lines, new_event
from journal_core.events import encode_line, format_timestamp, new_event_id
from server.ui.remembered import TaskMemory
from server.ui.standing import Link, task_standing


def _event(event_id: str, kind: str, at: int, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "type": kind,
        "timestamp": f"2026-12-01T10:00:{at:02d}.000Z",
        "text": f"{kind} {event_id}",
        **fields,
    }


def _story() -> list[dict[str, Any]]:
    """A superseded decision, a corrected finding, a correction of a correction, an
    answered hypothesis and an overturned rejection."""
    return [
        _event("D1", "decision", 1),
        _event("D2", "decision", 2, supersedes="D1"),
        _event("F", "finding", 3),
        _event("C1", "correction", 4, corrects="F", text="better"),
        _event("C2", "correction", 5, corrects="C1", text="better still"),
        _event("H", "hypothesis", 6),
        _event("G", "hypothesis", 7),
        _event("A", "finding", 8, refs={"events": ["H"]}),
        _event("R", "rejection", 9, text="rejected: use sqlite"),
        _event(
            "D3",
            "decision",
            10,
            meta={"alternatives": [{"option": "use SQLite", "chosen": True}]},
        ),
    ]


def test_the_viewer_says_what_the_fold_says_of_every_event() -> None:
    events = _story()
    _, fold = fold_lines("t", events)
    viewer = task_standing(reversed(events))  # line order is not time order
    for event in events:
        assert viewer.of(event["event_id"]) == fold.standing(event["event_id"])
    assert viewer.standing == fold.changed()


def test_the_story_stands_as_spec_7_words_it() -> None:
    viewer = task_standing(_story())
    words = {event_id: (s.standing, s.standing_by) for event_id, s in viewer.standing.items()}
    assert words == {
        "D1": ("superseded", "D2"),
        "F": ("corrected", "C1"),
        "C1": ("corrected", "C2"),
        "H": ("answered", "A"),
        "R": ("superseded", "D3"),
    }
    assert viewer.of("F").correction == "better still"  # a corrected correction passes it on


def test_a_link_is_drawn_from_each_event_that_changed_an_earlier_one() -> None:
    assert task_standing(_story()).links == [
        Link("D2", "D1", "supersedes"),
        Link("C1", "F", "corrects"),
        Link("C2", "C1", "corrects"),
        Link("A", "H", "answers"),
        Link("D3", "R", "overturns"),
    ]


def test_only_an_earlier_event_can_be_acted_on_in_canonical_order() -> None:
    later = task_standing([_event("A", "decision", 1, supersedes="B"), _event("B", "decision", 2)])
    assert later.of("B").standing == "active"
    assert later.links == []


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
    assert result.of(None).standing == "active"


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
        assert memory.standing(task).of(hypothesis.event_id).standing == "active"
        journal.append(
            new_event(type="decision", text="no", task_id=task, supersedes=decision.event_id)
        )
        answer = new_event(
            type="finding", text="yes", task_id=task, refs={"events": [hypothesis.event_id]}
        )
        journal.append(answer)
        remembered = memory.standing(task)
        whole = task_standing(journal.task_events(task))
        assert (remembered.standing, remembered.links) == (whole.standing, whole.links)
        assert remembered.of(decision.event_id).standing == "superseded"
        assert remembered.of(hypothesis.event_id).standing == "answered"
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
        assert (standing.of(early.event_id).standing, standing.of(early.event_id).standing_by) == (
            "superseded",
            later.event_id,
        )
        assert standing.links == [Link(later.event_id, early.event_id, "supersedes")]
    finally:
        journal.close()
