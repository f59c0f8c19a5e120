"""Events: what is appended reads back equal, in the byte format the Rust tool writes."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journal_core import (
    AUTHORS,
    EVENT_TYPES,
    EVIDENCE_STRENGTHS,
    OUTCOME_TAGS,
    SOURCES,
    STATUSES,
    Event,
    InvalidEvent,
    Journal,
    Settings,
    event_to_dict,
    new_event,
)

# SPEC §1's example line, byte for byte.
EXAMPLE_LINE = (
    b'{"event_id":"01KMZ3T4J8Q7W2E5R6T7Y8V9H0","schema_version":"1.0",'
    b'"task_id":"tj-8f3k2m9q1z","type":"decision","timestamp":"2026-11-25T17:03:09.412Z",'
    b'"author":"agent","source":"chat",'
    b'"text":"Use filelock\'s sidecar lock, not flock on the data file",'
    b'"refs":{"files":["journal_core/writer.py"]},"status":"confirmed","meta":{}}'
)
# Keys ``validate_event`` checks: any other key of meta is free.
KNOWN_META_KEYS = {
    "title",
    "goal",
    "private",
    "parent_id",
    "session_id",
    "reason",
    "outcome",
    "outcome_tag",
    "alternatives",
    "idempotency_key",
}

ulids = st.from_regex(r"[0-7][0-9A-HJKMNP-TV-Z]{25}", fullmatch=True)
task_ids = st.from_regex(r"[A-Za-z0-9:_.-]{1,64}", fullmatch=True)
texts = st.text(min_size=1, max_size=300).filter(str.strip)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
free_meta = st.dictionaries(
    st.text(max_size=12).filter(lambda key: key not in KNOWN_META_KEYS), json_values, max_size=5
)
refs = st.fixed_dictionaries(
    {},
    optional={
        "commits": st.lists(st.from_regex(r"[0-9a-f]{7,40}", fullmatch=True), max_size=3),
        "files": st.lists(st.text(min_size=1, max_size=60).filter(str.strip), max_size=3),
        "events": st.lists(ulids, max_size=3),
    },
)
alternatives = st.lists(
    st.fixed_dictionaries(
        {"option": texts, "chosen": st.booleans()}, optional={"rationale": st.text(max_size=60)}
    ),
    max_size=3,
)


@st.composite
def event_fields(draw: st.DrawFn, event_type: str) -> dict[str, Any]:
    """Keyword arguments for ``new_event``: any valid choice of every optional field."""
    meta = draw(free_meta)
    if event_type == "decision" and draw(st.booleans()):
        meta["alternatives"] = draw(alternatives)
    if event_type == "close" and draw(st.booleans()):
        meta["outcome_tag"] = draw(st.sampled_from(OUTCOME_TAGS))
    return {
        "type": event_type,
        "text": draw(texts),
        "author": draw(st.sampled_from(AUTHORS)),
        "source": draw(st.sampled_from(SOURCES)),
        "status": draw(st.sampled_from(STATUSES)),
        "refs": draw(refs),
        "meta": meta,
        "confidence": draw(st.none() | st.floats(min_value=0.0, max_value=1.0)),
        "evidence_strength": draw(st.none() | st.sampled_from(EVIDENCE_STRENGTHS)),
        # A correction must name what it corrects, a supersede what it replaces.
        "corrects": draw(ulids if event_type == "correction" else st.none() | ulids),
        "supersedes": draw(ulids if event_type == "supersede" else st.none() | ulids),
    }


def naming(fields: dict[str, Any], event_id: str | None) -> dict[str, Any]:
    """``fields`` with every event it names (corrects, supersedes, refs.events) made
    ``event_id``, or left out when None: appends may only name events in the journal."""
    named = dict(fields)
    for field in ("corrects", "supersedes"):
        if named[field] is not None:
            named[field] = event_id
    refs = dict(named["refs"])
    if refs.get("events"):
        refs["events"] = [event_id] * len(refs["events"]) if event_id else []
    named["refs"] = refs
    return named


@given(
    task_id=st.none() | task_ids,
    title=st.none() | texts,
    opening=event_fields("open"),
    # A reopen of the task just opened is refused (it is not closed).
    follow_up=st.sampled_from([t for t in EVENT_TYPES if t not in ("open", "reopen")]).flatmap(
        event_fields
    ),
    idempotency_key=st.none() | st.text(min_size=1, max_size=40).filter(str.strip),
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_valid_event_appended_reads_back_equal(
    task_id: str | None,
    title: str | None,
    opening: dict[str, Any],
    follow_up: dict[str, Any],
    idempotency_key: str | None,
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        journal = Journal(Settings(journal_path=Path(folder) / "events.jsonl", durability="flush"))
        journal.open()
        try:
            opened = new_event(task_id=task_id, title=title, **naming(opening, None))
            journal.append(opened)
            later = new_event(
                task_id=opened.task_id,
                idempotency_key=idempotency_key,
                **naming(follow_up, opened.event_id),
            )
            journal.append(later)
            page = journal.read_events(task_id=opened.task_id, order="oldest")
        finally:
            journal.close()
    assert page.events == [event_to_dict(opened), event_to_dict(later)]


def test_example_line_decodes_and_encodes_to_the_same_bytes() -> None:
    event = msgspec.json.decode(EXAMPLE_LINE, type=Event)
    assert msgspec.json.encode(event) == EXAMPLE_LINE


def test_example_event_is_written_as_the_example_line(journal_path: Path) -> None:
    journal = Journal(Settings(journal_path=journal_path))
    journal.open()
    try:
        journal.append(new_event(type="open", text="the example's task", task_id="tj-8f3k2m9q1z"))
        journal.append(msgspec.json.decode(EXAMPLE_LINE, type=Event))
    finally:
        journal.close()
    assert journal_path.read_bytes().splitlines(keepends=True)[-1] == EXAMPLE_LINE + b"\n"


def test_new_task_ids_and_event_ids_have_the_spec_shapes() -> None:
    event = new_event(type="open", text="shapes")
    assert re.fullmatch(r"tj-[0-9a-hjkmnp-tv-z]{10}", event.task_id)
    assert re.fullmatch(r"[0-7][0-9A-HJKMNP-TV-Z]{25}", event.event_id)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", event.timestamp)


def test_unset_optional_fields_are_left_out_of_the_line() -> None:
    fields = event_to_dict(new_event(type="open", text="bare"))
    assert list(fields) == [
        "event_id",
        "schema_version",
        "task_id",
        "type",
        "timestamp",
        "author",
        "source",
        "text",
        "refs",
        "status",
        "meta",
    ]
    assert fields["refs"] == {}


def test_an_event_built_unchecked_is_still_refused_by_the_journal(journal_path: Path) -> None:
    journal = Journal(Settings(journal_path=journal_path))
    journal.open()
    try:
        opened = journal.append(new_event(type="open", text="task"))
        unchecked = new_event(type="finding", text=" ", task_id=opened.task_id, check=False)
        with pytest.raises(InvalidEvent, match="must not be empty"):
            new_event(type="finding", text=" ", task_id=opened.task_id)
        with pytest.raises(InvalidEvent, match="must not be empty"):
            journal.append(unchecked)
        with pytest.raises(InvalidEvent, match="must not be empty"):
            journal.try_append(unchecked)
    finally:
        journal.close()
    assert len(journal_path.read_bytes().splitlines()) == 1
