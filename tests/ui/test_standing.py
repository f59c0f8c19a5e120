"""Where the viewer says each event stands, and the links it draws (SPEC 7's words)."""

from typing import Any

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
