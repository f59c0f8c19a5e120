"""A writer refuses every invalid event with the field named, and writes nothing for it."""

from __future__ import annotations

import math
from typing import Any

import msgspec
import pytest

from journal_core import (
    InvalidEvent,
    Journal,
    Refs,
    TaskAlreadyOpen,
    TaskNotFound,
    new_event,
)

A_ULID = "01KMZ3T4J8Q7W2E5R6T7Y8V9H0"
GOOD_ALTERNATIVE = {"option": "filelock", "chosen": True, "rationale": "portable"}


def _nested(levels: int) -> dict[str, Any]:
    """A meta object nested ``levels`` objects deep, itself included."""
    value: dict[str, Any] = {}
    for _ in range(levels - 1):
        value = {"down": value}
    return value


# Each row: what to change in a valid finding, and the field the refusal must name.
INVALID_EVENTS = [
    pytest.param({"type": "note"}, "type", id="unknown-type"),
    pytest.param({"type": "Finding"}, "type", id="type-in-wrong-case"),
    pytest.param({"author": "robot"}, "author", id="unknown-author"),
    pytest.param({"source": "email"}, "source", id="unknown-source"),
    pytest.param({"status": "maybe"}, "status", id="unknown-status"),
    pytest.param({"evidence_strength": "huge"}, "evidence_strength", id="unknown-strength"),
    pytest.param({"text": ""}, "text", id="empty-text"),
    pytest.param({"text": " \t\n\u3000"}, "text", id="whitespace-text"),
    pytest.param({"text": None}, "text", id="text-not-a-string"),
    pytest.param({"text": "a" * 65537}, "text", id="text-one-byte-over-limit"),
    pytest.param({"text": "\u00e9" * 32769}, "text", id="text-over-limit-in-bytes-not-chars"),
    pytest.param({"text": "half \ud800 a pair"}, "text", id="text-lone-surrogate"),
    pytest.param({"meta": {"blob": "x" * 65536}}, "meta", id="meta-over-size"),
    pytest.param({"meta": _nested(33)}, "meta", id="meta-one-level-too-deep"),
    pytest.param({"meta": {"score": math.nan}}, "meta", id="meta-nan"),
    pytest.param({"meta": {"score": -math.inf}}, "meta", id="meta-infinity"),
    pytest.param({"meta": {1: "one"}}, "meta", id="meta-non-string-key"),
    pytest.param({"meta": ["not", "an", "object"]}, "meta", id="meta-not-an-object"),
    pytest.param({"meta": {"tags": {"a", "b"}}}, "meta", id="meta-non-json-value"),
    pytest.param({"meta": {"parent_id": "no spaces"}}, "parent_id", id="meta-bad-parent-id"),
    pytest.param({"task_id": "tj 8f3k2m9q1z"}, "task_id", id="task-id-space"),
    pytest.param({"task_id": "../etc/passwd"}, "task_id", id="task-id-slash"),
    pytest.param({"task_id": "a" * 65}, "task_id", id="task-id-65-chars"),
    pytest.param({"task_id": ""}, "task_id", id="task-id-empty"),
    pytest.param({"task_id": None}, "task_id", id="task-id-missing-on-finding"),
    pytest.param({"corrects": "not-an-event-id"}, "corrects", id="corrects-not-ulid"),
    pytest.param({"corrects": A_ULID.lower()}, "corrects", id="corrects-lowercase"),
    pytest.param({"corrects": A_ULID[:-1] + "U"}, "corrects", id="corrects-non-crockford"),
    pytest.param({"supersedes": A_ULID[:-1]}, "supersedes", id="supersedes-25-chars"),
    pytest.param({"supersedes": "8" + A_ULID[1:]}, "supersedes", id="supersedes-over-128-bits"),
    pytest.param({"confidence": math.nan}, "confidence", id="confidence-nan"),
    pytest.param({"confidence": math.inf}, "confidence", id="confidence-inf"),
    pytest.param({"confidence": 1.5}, "confidence", id="confidence-above-one"),
    pytest.param({"confidence": -0.1}, "confidence", id="confidence-negative"),
    pytest.param({"confidence": "0.5"}, "confidence", id="confidence-string"),
    pytest.param({"confidence": True}, "confidence", id="confidence-bool"),
    pytest.param(
        {"meta": {"alternatives": [GOOD_ALTERNATIVE]}}, "alternatives", id="alternatives-on-finding"
    ),
    pytest.param(
        {"type": "decision", "meta": {"alternatives": "a or b"}},
        "alternatives",
        id="alternatives-not-a-list",
    ),
    pytest.param(
        {"type": "decision", "meta": {"alternatives": [{"chosen": True, "rationale": "r"}]}},
        "alternatives",
        id="alternative-without-option",
    ),
    pytest.param(
        {"type": "decision", "meta": {"alternatives": [{"option": "a", "chosen": "yes"}]}},
        "alternatives",
        id="alternative-chosen-not-bool",
    ),
    pytest.param(
        {"type": "decision", "meta": {"alternatives": ["filelock"]}},
        "alternatives",
        id="alternative-not-an-object",
    ),
    pytest.param(
        {"type": "close", "meta": {"outcome_tag": "won"}}, "outcome_tag", id="unknown-outcome-tag"
    ),
    pytest.param({"meta": {"outcome_tag": "done"}}, "outcome_tag", id="outcome-tag-on-finding"),
    pytest.param({"refs": {"tickets": ["T-1"]}}, "refs", id="refs-unknown-key"),
    pytest.param({"refs": {"files": [1]}}, "refs", id="refs-non-string-item"),
    pytest.param({"refs": {"files": "a.py"}}, "refs", id="refs-list-is-a-string"),
    pytest.param({"refs": {"events": ["abc"]}}, "refs", id="refs-event-not-ulid"),
    pytest.param({"refs": ["a.py"]}, "refs", id="refs-not-an-object"),
    # A lone surrogate passes a str check but cannot be written as UTF-8.
    pytest.param({"refs": {"files": ["a\udc80.py"]}}, "refs.files", id="refs-lone-surrogate"),
    pytest.param({"meta": {"k\ud800": 1}}, "meta", id="meta-key-lone-surrogate"),
    pytest.param({"meta": {"a": {"\udfff": 1}}}, "meta.a", id="nested-meta-key-lone-surrogate"),
    pytest.param({"meta": {"note": "\ud800"}}, "meta.note", id="meta-value-lone-surrogate"),
    pytest.param(
        {"type": "open", "task_id": None, "title": "T\ud800"},
        "meta.title",
        id="title-lone-surrogate",
    ),
    pytest.param({"idempotency_key": "\ud800"}, "meta.idempotency_key", id="key-lone-surrogate"),
    pytest.param({"refs": {"files": ["f"] * 257}}, "refs.files", id="refs-257-files"),
    pytest.param({"refs": {"commits": ["c" * 4097]}}, "refs.commits", id="ref-4097-bytes"),
    pytest.param({"refs": {"files": ["\u00e9" * 2049]}}, "refs.files", id="ref-over-in-bytes"),
    # Each field under its own limit, the line over 256 KiB: the heaviest field is named.
    pytest.param({"text": "\x01" * 60000}, "text", id="text-escapes-over-the-line-limit"),
    pytest.param({"refs": {"files": ["f" * 4000] * 70}}, "refs", id="refs-over-the-line-limit"),
    pytest.param({"type": "open", "task_id": None, "title": 42}, "title", id="title-non-string"),
    pytest.param({"type": "open", "task_id": None, "title": " "}, "title", id="title-blank"),
    pytest.param({"title": "A title"}, "title", id="title-on-finding"),
    pytest.param({"idempotency_key": ""}, "idempotency_key", id="idempotency-key-empty"),
    pytest.param({"idempotency_key": "k" * 257}, "idempotency_key", id="idempotency-key-long"),
]


@pytest.mark.parametrize(("changes", "field"), INVALID_EVENTS)
def test_invalid_event_is_refused_naming_the_field(
    journal: Journal, task_id: str, changes: dict[str, Any], field: str
) -> None:
    before = journal.path.read_bytes()
    fields: dict[str, Any] = {"type": "finding", "text": "a finding", "task_id": task_id}
    with pytest.raises(InvalidEvent) as refused:
        journal.append(new_event(**(fields | changes)))
    assert field in str(refused.value)
    assert journal.path.read_bytes() == before


# Events built field by field skip new_event's checks: the writer must check again.
BYPASSING_EVENTS = [
    pytest.param({"type": "note"}, "type", id="unknown-type"),
    pytest.param({"text": "   "}, "text", id="blank-text"),
    pytest.param({"confidence": math.nan}, "confidence", id="confidence-nan"),
    pytest.param({"event_id": "not-a-ulid"}, "event_id", id="bad-event-id"),
    pytest.param({"timestamp": "yesterday"}, "timestamp", id="bad-timestamp"),
    pytest.param({"schema_version": "2.0"}, "schema_version", id="other-schema-version"),
    pytest.param({"confidence": True}, "confidence", id="confidence-bool"),
    pytest.param({"confidence": "0.5"}, "confidence", id="confidence-string"),
    pytest.param({"refs": Refs(files=("a\udc80.py",))}, "refs.files", id="refs-lone-surrogate"),
    pytest.param({"meta": {"\ud800": "v"}}, "meta", id="meta-key-lone-surrogate"),
    pytest.param({"text": "\x00" * 50000}, "text", id="line-over-the-limit"),
]


@pytest.mark.parametrize(("changes", "field"), BYPASSING_EVENTS)
def test_invalid_event_built_without_new_event_is_refused_at_append(
    journal: Journal, task_id: str, changes: dict[str, Any], field: str
) -> None:
    before = journal.path.read_bytes()
    valid = new_event(type="finding", text="a finding", task_id=task_id)
    with pytest.raises(InvalidEvent) as refused:
        journal.append(msgspec.structs.replace(valid, **changes))
    assert field in str(refused.value)
    assert journal.path.read_bytes() == before


def test_text_of_exactly_the_limit_is_accepted(journal: Journal, task_id: str) -> None:
    event = new_event(type="finding", text="\u00e9" * 32768, task_id=task_id)
    assert journal.append(event).event_id == event.event_id


def test_refs_up_to_their_limits_are_accepted(journal: Journal, task_id: str) -> None:
    files = ["a" * 2 + "\u00e9" * 2047] + [f"f{n}.py" for n in range(255)]  # 4096 bytes, 256
    event = new_event(type="finding", text="many", task_id=task_id, refs={"files": files})
    assert journal.append(event).event_id == event.event_id


def test_a_line_of_exactly_the_limit_is_accepted(journal: Journal, task_id: str) -> None:
    small = new_event(type="finding", text="x", task_id=task_id)
    room = journal.settings.limits.max_line_bytes - len(msgspec.json.encode(small)) - 1
    event = msgspec.structs.replace(small, text="x" + "\x01" * (room // 6) + "y" * (room % 6))
    assert len(msgspec.json.encode(event)) + 1 == journal.settings.limits.max_line_bytes
    assert journal.append(event).event_id == event.event_id


def test_meta_nested_exactly_to_the_limit_is_accepted(journal: Journal, task_id: str) -> None:
    event = new_event(type="finding", text="deep", task_id=task_id, meta=_nested(32))
    assert journal.append(event).event_id == event.event_id


def test_event_for_a_task_never_opened_raises_task_not_found(
    journal: Journal, task_id: str
) -> None:
    before = journal.path.read_bytes()
    with pytest.raises(TaskNotFound) as refused:
        journal.append(new_event(type="finding", text="lost", task_id="tj-0000000000"))
    assert refused.value.task_id == "tj-0000000000"
    assert "open" in str(refused.value)
    assert journal.path.read_bytes() == before


def test_reopen_of_a_task_never_opened_raises_task_not_found(
    journal: Journal, task_id: str
) -> None:
    before = journal.path.read_bytes()
    with pytest.raises(TaskNotFound):
        journal.append(new_event(type="reopen", text="back to it", task_id="never-opened"))
    assert journal.path.read_bytes() == before


def test_second_open_of_a_task_raises_task_already_open(journal: Journal, task_id: str) -> None:
    before = journal.path.read_bytes()
    with pytest.raises(TaskAlreadyOpen) as refused:
        journal.append(new_event(type="open", text="again", task_id=task_id))
    assert refused.value.task_id == task_id
    assert "already opened" in str(refused.value)
    assert journal.path.read_bytes() == before


def test_task_opened_by_another_journal_instance_accepts_events(
    journal: Journal, task_id: str
) -> None:
    other = Journal(journal.settings)
    other.open()
    try:
        result = other.append(new_event(type="finding", text="seen", task_id=task_id))
    finally:
        other.close()
    assert result.task_id == task_id
