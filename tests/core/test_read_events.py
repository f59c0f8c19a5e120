"""read_events: filters, order, page size, and cursors that survive appends."""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journal_core import (
    EVENT_TYPES,
    InvalidQuery,
    Journal,
    JournalUnavailable,
    Settings,
    TaskNotFound,
)
from journal_core.cursor import CursorState, encode_cursor
from journal_core.index.results import PAGE_BYTES, EventPage
from journal_core.index.store import JournalStore
from tests.core.journal_lines import append_in_child, event, write

T = "tj-aaaaaaaaaa"


def texts(page: EventPage) -> list[str]:
    return [e["text"] for e in page.events]


def numbered(count: int, **fields: Any) -> list[dict[str, Any]]:
    return [event(text=f"n{n}", **fields) for n in range(count)]


def every_page(index: JournalStore, **query: Any) -> list[EventPage]:
    pages = [index.read_events(**query)]
    while pages[-1].next_cursor is not None:
        pages.append(index.read_events(**query, cursor=pages[-1].next_cursor))
    return pages


def test_events_come_newest_first_by_default(journal_path: Path) -> None:
    write(journal_path, *numbered(3))
    assert texts(JournalStore(journal_path).read_events()) == ["n2", "n1", "n0"]


def test_order_oldest_gives_the_reverse(journal_path: Path) -> None:
    write(journal_path, *numbered(3))
    assert texts(JournalStore(journal_path).read_events(order="oldest")) == ["n0", "n1", "n2"]


# Lines out of canonical order: a late time, and two events of one millisecond whose
# ids came out the other way round (two writers).
_SHUFFLED = (
    event(text="b", timestamp="2026-11-25T10:00:00.000Z", event_id="01KMZ3T4J8Q7W2E5R6T0000002"),
    event(text="c", timestamp="2026-11-25T11:00:00.000Z", event_id="01KMZ3T4J8Q7W2E5R6T0000001"),
    event(text="a", timestamp="2026-11-25T09:00:00.000Z", event_id="01KMZ3T4J8Q7W2E5R6T0000003"),
    event(text="b2", timestamp="2026-11-25T10:00:00.000Z", event_id="01KMZ3T4J8Q7W2E5R6T0000001"),
)


@pytest.mark.parametrize(
    "query",
    [
        pytest.param({}, id="unfiltered"),
        pytest.param({"task_id": T}, id="task"),
        pytest.param({"types": ["finding", "decision"]}, id="types"),
        pytest.param({"since": "2026-11-25T00:00:00Z"}, id="since"),
        pytest.param({"task_id": T, "until": "2026-11-26T00:00:00Z"}, id="task-until"),
    ],
)
@pytest.mark.parametrize("limit", [1, 500])
def test_events_come_in_canonical_order_whatever_their_lines_order(
    journal_path: Path, query: dict[str, Any], limit: int
) -> None:
    write(journal_path, *_SHUFFLED)
    index = JournalStore(journal_path)
    oldest = every_page(index, order="oldest", limit=limit, **query)
    newest = every_page(index, order="newest", limit=limit, **query)
    assert [text for page in oldest for text in texts(page)] == ["a", "b2", "b", "c"]
    assert [text for page in newest for text in texts(page)] == ["c", "b", "b2", "a"]


def test_a_repeated_line_is_read_once(journal_path: Path) -> None:
    first, second = event(text="once"), event(text="other")
    write(journal_path, first, second, first)
    index = JournalStore(journal_path)
    assert texts(index.read_events()) == ["other", "once"]
    assert texts(index.read_events(task_id=T, order="oldest")) == ["once", "other"]


def test_a_late_line_appended_between_pages_comes_in_its_place(journal_path: Path) -> None:
    write(
        journal_path,
        *(event(text=f"h{h}", timestamp=f"2026-11-25T0{h}:00:00.000Z") for h in (2, 4, 6)),
    )
    index = JournalStore(journal_path)
    first = index.read_events(limit=2)
    assert texts(first) == ["h6", "h4"]
    write(
        journal_path,
        event(text="late h1", timestamp="2026-11-25T01:00:00.000Z"),
        event(text="late h5", timestamp="2026-11-25T05:00:00.000Z"),  # before the cursor
    )
    assert texts(index.read_events(limit=9, cursor=first.next_cursor)) == ["h2", "late h1"]


def test_a_page_holds_50_events_by_default(journal_path: Path) -> None:
    write(journal_path, *numbered(120))
    page = JournalStore(journal_path).read_events()
    assert len(page.events) == 50
    assert page.next_cursor is not None
    assert not page.truncated


def test_the_last_page_has_no_cursor(journal_path: Path) -> None:
    write(journal_path, *numbered(3))
    page = JournalStore(journal_path).read_events(limit=3)
    assert (len(page.events), page.next_cursor) == (3, None)


def test_a_journal_not_yet_created_reads_as_empty(journal_path: Path) -> None:
    page = JournalStore(journal_path).read_events()
    assert (page.events, page.next_cursor) == ([], None)


def test_events_are_the_objects_of_their_lines(journal_path: Path) -> None:
    written = write(journal_path, event(type="open", meta={"title": "T"}, colour="blue"))
    assert JournalStore(journal_path).read_events().events == written


def test_bad_lines_are_skipped(journal_path: Path) -> None:
    write(journal_path, event(text="a"), b"junk\n", b"\n", event(text="b"), b"torn")
    index = JournalStore(journal_path)
    assert texts(index.read_events()) == ["b", "a"]
    assert texts(index.read_events(task_id=T)) == ["b", "a"]


def test_task_id_selects_one_tasks_events(journal_path: Path) -> None:
    write(journal_path, event(text="mine"), event(task_id="tj-other", text="theirs"))
    assert texts(JournalStore(journal_path).read_events(task_id=T)) == ["mine"]


def test_an_unknown_task_id_is_refused_as_the_one_no_such_task_error(journal_path: Path) -> None:
    write(journal_path, event())
    with pytest.raises(TaskNotFound) as refused:
        JournalStore(journal_path).read_events(task_id="tj-nosuchtask")
    assert refused.value.task_id == "tj-nosuchtask"
    assert "no task 'tj-nosuchtask' in this journal" in str(refused.value)
    assert "list_tasks" not in str(refused.value)  # a front end's words, not the core's


def test_types_selects_events_of_those_types(journal_path: Path) -> None:
    write(
        journal_path,
        event(type="open", text="o"),
        event(type="finding", text="f"),
        event(type="decision", text="d"),
        event(type="milestone", text="unknown type"),
    )
    page = JournalStore(journal_path).read_events(types=["decision", "open"])
    assert texts(page) == ["d", "o"]


def test_a_read_of_every_type_holds_lines_of_a_type_unknown_here_in_their_place(
    journal_path: Path,
) -> None:
    write(
        journal_path,
        event(type="open", text="o", timestamp="2026-11-25T01:00:00.000Z"),
        event(type="finding", text="f", timestamp="2026-11-25T03:00:00.000Z"),
        event(type="milestone", text="unknown type", timestamp="2026-11-25T02:00:00.000Z"),
    )
    page = JournalStore(journal_path).read_events(order="oldest")
    assert texts(page) == ["o", "unknown type", "f"]


def test_since_is_inclusive_and_until_exclusive(journal_path: Path) -> None:
    write(
        journal_path,
        *(event(text=f"h{h}", timestamp=f"2026-11-25T{h:02d}:00:00.000Z") for h in range(6)),
    )
    page = JournalStore(journal_path).read_events(
        since="2026-11-25T01:00:00Z", until="2026-11-25T04:00:00.000Z"
    )
    assert texts(page) == ["h3", "h2", "h1"]


def test_since_and_until_compare_instants_across_offsets(journal_path: Path) -> None:
    write(
        journal_path,
        event(text="utc", timestamp="2026-11-25T10:00:00.000Z"),
        event(text="plus-two", timestamp="2026-11-25T13:00:00.000+02:00"),  # 11:00 UTC
    )
    index = JournalStore(journal_path)
    assert texts(index.read_events(since="2026-11-25T12:30:00+02:00")) == ["plus-two"]
    assert texts(index.read_events(until="2026-11-25T06:30:00-04:00")) == ["utc"]


def test_a_timestamp_that_is_not_rfc3339_matches_no_time_filter(journal_path: Path) -> None:
    write(journal_path, event(text="odd", timestamp="last tuesday"), event(text="ok"))
    index = JournalStore(journal_path)
    assert texts(index.read_events(since="2000-01-01T00:00:00Z")) == ["ok"]
    assert texts(index.read_events()) == ["odd", "ok"]  # canonical order: by the text


@pytest.mark.parametrize(
    "timestamp", ["20261125T100000Z", "2026-W48-3T10:00:00Z"], ids=["basic", "week-date"]
)
def test_an_iso_8601_time_that_is_not_rfc3339_matches_no_time_filter(
    journal_path: Path, timestamp: str
) -> None:
    write(journal_path, event(text="odd", timestamp=timestamp), event(text="ok"))
    index = JournalStore(journal_path)
    assert texts(index.read_events(since="2000-01-01T00:00:00Z")) == ["ok"]
    assert texts(index.read_events(until="2100-01-01T00:00:00Z")) == ["ok"]


def test_time_filters_find_times_written_in_the_farthest_zones(journal_path: Path) -> None:
    write(
        journal_path,
        # The first is 00:00 UTC on the 25th, the second 23:59 UTC: their texts name
        # the day before and the day after.
        event(text="west", timestamp="2026-11-24T01:00:00.000-23:00"),
        event(text="east", timestamp="2026-11-26T23:58:00.000+23:59"),
    )
    index = JournalStore(journal_path)
    day = index.read_events(since="2026-11-25T00:00:00Z", until="2026-11-26T00:00:00Z")
    assert texts(day) == ["east", "west"]
    assert texts(index.read_events(since="2026-11-25T23:59:00Z")) == ["east"]
    assert texts(index.read_events(until="2026-11-25T00:00:01Z")) == ["west"]


@pytest.mark.parametrize("task_filter", [None, T], ids=["unfiltered", "task"])
def test_time_filters_find_events_written_out_of_time_order(
    journal_path: Path, task_filter: str | None
) -> None:
    # Clocks of several appenders differ: an early time can follow later ones.
    write(
        journal_path,
        *(event(text=f"h{h}", timestamp=f"2026-11-25T{h:02d}:00:00.000Z") for h in (5, 6, 7)),
    )
    index = JournalStore(journal_path)
    index.refresh()
    write(journal_path, event(text="late h1", timestamp="2026-11-25T01:00:00.000Z"))
    write(journal_path, event(text="h8", timestamp="2026-11-25T08:00:00.000Z"))
    window: dict[str, Any] = {"since": "2026-11-25T01:00:00Z", "until": "2026-11-25T06:00:00Z"}
    assert texts(index.read_events(task_id=task_filter, **window)) == ["h5", "late h1"]
    early = index.read_events(task_id=task_filter, until="2026-11-25T02:00:00Z")
    assert texts(early) == ["late h1"]
    assert texts(index.read_events(task_id=task_filter, since="2026-11-25T07:00:00Z")) == [
        "h8",
        "h7",
    ]


def test_all_filters_apply_together(journal_path: Path) -> None:
    write(
        journal_path,
        event(type="finding", text="match", timestamp="2026-11-25T10:00:00.000Z"),
        event(type="finding", text="too early", timestamp="2026-11-24T10:00:00.000Z"),
        event(type="decision", text="wrong type", timestamp="2026-11-25T10:00:00.000Z"),
        event(task_id="tj-other", text="other task", timestamp="2026-11-25T10:00:00.000Z"),
    )
    page = JournalStore(journal_path).read_events(
        task_id=T, types=["finding"], since="2026-11-25T00:00:00Z"
    )
    assert texts(page) == ["match"]


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        pytest.param({"limit": 0}, "limit", id="limit-zero"),
        pytest.param({"limit": 501}, "limit", id="limit-over-500"),
        pytest.param({"limit": True}, "limit", id="limit-bool"),
        pytest.param({"limit": "10"}, "limit", id="limit-string"),
        pytest.param({"order": "latest"}, "order", id="order-unknown"),
        pytest.param({"types": ["guess"]}, "types", id="type-unknown"),
        pytest.param({"types": "finding"}, "types", id="types-not-a-list"),
        pytest.param({"since": "yesterday"}, "since", id="since-not-a-time"),
        pytest.param({"since": "2026-11-25T10:00:00"}, "since", id="since-without-zone"),
        pytest.param({"until": "2026-11-25"}, "until", id="until-date-only"),
        pytest.param({"task_id": ""}, "task_id", id="task-id-empty"),
        pytest.param({"cursor": "not-a-cursor"}, "cursor", id="cursor-garbage"),
        pytest.param({"cursor": ""}, "cursor", id="cursor-empty"),
    ],
)
def test_bad_arguments_are_refused(
    journal_path: Path, arguments: dict[str, Any], field: str
) -> None:
    write(journal_path, event())
    with pytest.raises(InvalidQuery) as refused:
        JournalStore(journal_path).read_events(**arguments)
    assert refused.value.field == field


def test_limits_of_1_and_500_are_accepted(journal_path: Path) -> None:
    write(journal_path, *numbered(3))
    index = JournalStore(journal_path)
    assert len(index.read_events(limit=1).events) == 1
    assert len(index.read_events(limit=500).events) == 3


def test_every_event_type_is_a_valid_filter(journal_path: Path) -> None:
    write(journal_path, *(event(type=kind) for kind in EVENT_TYPES))
    page = JournalStore(journal_path).read_events(types=list(EVENT_TYPES))
    assert len(page.events) == len(EVENT_TYPES)


@pytest.mark.parametrize("order", ["newest", "oldest"])
@pytest.mark.parametrize(
    "query",
    [
        pytest.param({}, id="unfiltered"),
        pytest.param({"task_id": T}, id="task"),
        pytest.param({"types": ["finding"]}, id="types"),
    ],
)
def test_paging_returns_every_event_exactly_once(
    journal_path: Path, order: str, query: dict[str, Any]
) -> None:
    written = write(journal_path, *numbered(23, type="finding"))
    pages = every_page(JournalStore(journal_path), limit=5, order=order, **query)
    got = [e["event_id"] for page in pages for e in page.events]
    expected = [e["event_id"] for e in written]
    assert got == (expected[::-1] if order == "newest" else expected)
    assert [len(page.events) for page in pages] == [5, 5, 5, 5, 3]


@pytest.mark.parametrize("task_filter", [None, T], ids=["unfiltered", "task"])
def test_newest_first_paging_while_others_append_returns_each_older_event_once(
    journal_path: Path, task_filter: str | None
) -> None:
    written = write(journal_path, event(type="open", text="start"), *numbered(11))
    index = JournalStore(journal_path)
    page = index.read_events(task_id=task_filter, limit=4)
    got = [e["event_id"] for e in page.events]
    while page.next_cursor is not None:
        append_in_child(journal_path, T, 3)
        page = index.read_events(task_id=task_filter, limit=4, cursor=page.next_cursor)
        got += [e["event_id"] for e in page.events]
    assert got == [e["event_id"] for e in written][::-1]


@pytest.mark.parametrize("task_filter", [None, T], ids=["unfiltered", "task"])
def test_oldest_first_paging_while_others_append_returns_every_event_once(
    journal_path: Path, task_filter: str | None
) -> None:
    written = write(journal_path, event(type="open", text="start"), *numbered(5))
    expected = [e["event_id"] for e in written]
    index = JournalStore(journal_path)
    page = index.read_events(task_id=task_filter, order="oldest", limit=4)
    got = [e["event_id"] for e in page.events]
    for _ in range(3):
        assert page.next_cursor is not None
        expected += append_in_child(journal_path, T, 5)
        page = index.read_events(
            task_id=task_filter, order="oldest", limit=4, cursor=page.next_cursor
        )
        got += [e["event_id"] for e in page.events]
    while page.next_cursor is not None:
        page = index.read_events(
            task_id=task_filter, order="oldest", limit=4, cursor=page.next_cursor
        )
        got += [e["event_id"] for e in page.events]
    assert got == expected


def test_a_cursor_works_in_another_index_of_the_same_file(journal_path: Path) -> None:
    write(journal_path, *numbered(4))
    first = JournalStore(journal_path).read_events(limit=2)
    assert first.next_cursor is not None
    rest = JournalStore(journal_path).read_events(limit=2, cursor=first.next_cursor)
    assert texts(rest) == ["n1", "n0"]


@pytest.mark.parametrize(
    "changed",
    [
        pytest.param({"task_id": "tj-other"}, id="task"),
        pytest.param({"types": ["finding"]}, id="types"),
        pytest.param({"since": "2026-01-01T00:00:00Z"}, id="since"),
        pytest.param({"order": "oldest"}, id="order"),
    ],
)
def test_a_cursor_from_other_filters_is_refused(
    journal_path: Path, changed: dict[str, Any]
) -> None:
    write(journal_path, *numbered(4), event(task_id="tj-other"))
    index = JournalStore(journal_path)
    cursor = index.read_events(limit=1).next_cursor
    with pytest.raises(InvalidQuery) as refused:
        index.read_events(limit=1, cursor=cursor, **changed)
    assert refused.value.field == "cursor"


def test_a_limit_change_between_pages_is_allowed(journal_path: Path) -> None:
    write(journal_path, *numbered(4))
    index = JournalStore(journal_path)
    cursor = index.read_events(limit=1).next_cursor
    assert texts(index.read_events(limit=3, cursor=cursor)) == ["n2", "n1", "n0"]


def test_a_cursor_from_a_replaced_file_is_refused(journal_path: Path) -> None:
    write(journal_path, *numbered(4))
    index = JournalStore(journal_path)
    cursor = index.read_events(limit=1).next_cursor
    replacement = journal_path.with_name("new.jsonl")
    write(replacement, *numbered(4))
    os.replace(replacement, journal_path)
    with pytest.raises(InvalidQuery, match="replaced or truncated"):
        index.read_events(limit=1, cursor=cursor)


def test_a_cursor_past_the_end_of_a_truncated_file_is_refused(journal_path: Path) -> None:
    write(journal_path, *numbered(4))
    index = JournalStore(journal_path)
    cursor = index.read_events(order="oldest", limit=3).next_cursor
    with journal_path.open("r+b") as file:
        file.truncate(10)
    with pytest.raises(InvalidQuery, match="replaced or truncated"):
        index.read_events(order="oldest", limit=3, cursor=cursor)


def forged(cursor: str | None, shift: int) -> str:
    """``cursor`` with its byte position moved by ``shift``, and nothing else changed."""
    assert cursor is not None
    state = msgspec.msgpack.decode(
        base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)), type=CursorState
    )
    return encode_cursor(msgspec.structs.replace(state, position=state.position + shift))


@pytest.mark.parametrize(
    "query",
    [
        pytest.param({}, id="newest"),
        pytest.param({"order": "oldest"}, id="oldest"),
        pytest.param({"task_id": T}, id="by-task"),
        pytest.param({"types": ["finding"], "order": "oldest"}, id="by-type"),
    ],
)
def test_a_cursor_forged_to_point_inside_a_line_is_refused(
    journal_path: Path, query: dict[str, Any]
) -> None:
    write(journal_path, *numbered(4))
    index = JournalStore(journal_path)
    cursor = forged(index.read_events(limit=2, **query).next_cursor, -5)
    with pytest.raises(InvalidQuery, match="not a cursor this journal gave out"):
        index.read_events(limit=2, cursor=cursor, **query)


@pytest.mark.parametrize("order", ["newest", "oldest"])
def test_a_cursor_of_a_place_in_the_file_from_an_earlier_version_is_refused(
    journal_path: Path, order: str
) -> None:
    write(journal_path, *numbered(4))
    index = JournalStore(journal_path)
    cursor = index.read_events(limit=2, order=order).next_cursor
    assert cursor is not None
    state = msgspec.msgpack.decode(
        base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)), type=CursorState
    )
    # As such a cursor was: a line's offset, and no key.
    old = encode_cursor(msgspec.structs.replace(state, key=""))
    with pytest.raises(InvalidQuery, match="earlier version") as refused:
        index.read_events(limit=2, order=order, cursor=old)
    assert refused.value.field == "cursor"


def test_a_cursor_forged_with_a_deeply_nested_extra_element_is_refused(
    journal_path: Path,
) -> None:
    write(journal_path, *numbered(4))
    index = JournalStore(journal_path)
    cursor = index.read_events(limit=2).next_cursor
    assert cursor is not None
    packed = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    # One more element in the array: a list nested 100,000 deep (msgpack fixarray of 1).
    forged = bytes([packed[0] + 1]) + packed[1:] + b"\x91" * 100_000 + b"\x90"
    with pytest.raises(InvalidQuery, match="not a cursor this journal gave out"):
        index.read_events(limit=2, cursor=base64.urlsafe_b64encode(forged).decode())


def test_a_tasks_cursor_forged_to_point_inside_a_line_is_refused(journal_path: Path) -> None:
    write(journal_path, *(event(type="open", task_id=f"tj-{n}") for n in range(3)))
    index = JournalStore(journal_path)
    cursor = forged(index.list_tasks(limit=1).next_cursor, 7)
    with pytest.raises(InvalidQuery, match="not a cursor this journal gave out"):
        index.list_tasks(limit=1, cursor=cursor)


def test_a_cursor_for_a_deleted_journal_is_refused(journal_path: Path) -> None:
    write(journal_path, *numbered(4))
    index = JournalStore(journal_path)
    cursor = index.read_events(limit=1).next_cursor
    journal_path.unlink()
    with pytest.raises(InvalidQuery):
        index.read_events(limit=1, cursor=cursor)


def test_a_task_list_cursor_is_refused_by_read_events(journal_path: Path) -> None:
    write(journal_path, *(event(type="open", task_id=f"tj-{n}") for n in range(3)))
    index = JournalStore(journal_path)
    cursor = index.list_tasks(limit=1).next_cursor
    with pytest.raises(InvalidQuery, match="pages through tasks"):
        index.read_events(cursor=cursor)


@pytest.mark.parametrize("task_filter", [None, T], ids=["unfiltered", "task"])
def test_a_big_page_is_cut_at_an_event_boundary_with_a_note(
    journal_path: Path, task_filter: str | None
) -> None:
    written = write(journal_path, *numbered(40, meta={"pad": "x" * 9000}))
    index = JournalStore(journal_path)
    pages = every_page(index, task_id=task_filter, limit=50)
    first = pages[0]
    assert first.truncated
    assert first.note is not None
    assert "next_cursor" in first.note
    assert 0 < len(first.events) < 40
    for page in pages:
        assert len(msgspec.json.encode(page.events)) <= PAGE_BYTES
    got = [e["event_id"] for page in pages for e in page.events]
    assert got == [e["event_id"] for e in written][::-1]


def test_an_event_bigger_than_a_page_comes_alone(journal_path: Path) -> None:
    write(journal_path, event(text="small"), event(text="big " + "x" * 100_000))
    index = JournalStore(journal_path)
    page = index.read_events()
    assert [len(e["text"]) for e in page.events] == [100_004]
    assert page.truncated
    assert texts(index.read_events(cursor=page.next_cursor)) == ["small"]


_TASKS = ("tj-aaaaaaaaaa", "tj-bbbbbbbbbb", "tj-cccccccccc")
_DAY = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
# Times out of file order: whole hours, half hours given in another zone or in the
# farthest ones (their text names another day), and timestamps that are not RFC 3339
# (which match no time filter). Few hours, so that times often equal each other and
# the since/until bounds.
_timestamps = st.one_of(
    st.integers(0, 6).map(lambda hour: f"2026-11-25T{hour:02d}:00:00.000Z"),
    st.integers(2, 8).map(lambda hour: f"2026-11-25T{hour:02d}:30:00+02:00"),
    st.integers(1, 7).map(lambda hour: f"2026-11-24T{hour:02d}:30:00-23:00"),
    st.integers(0, 6).map(lambda hour: f"2026-11-26T{hour + 17:02d}:30:00+23:00"),
    st.sampled_from(["last tuesday", "2026-11-25T10:00:00", "20261125T030000Z"]),
)
_random_lines = st.lists(
    st.one_of(
        st.builds(
            lambda task, kind, timestamp: event(task_id=task, type=kind, timestamp=timestamp),
            st.sampled_from(_TASKS),
            st.sampled_from(["open", "finding", "decision", "close", "milestone"]),
            _timestamps,
        ),
        st.sampled_from([b"junk\n", b"\n", b"[]\n"]),
    ),
    max_size=40,
)


_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def _instant(timestamp: str) -> dt.datetime | None:
    """The model's reading of a timestamp: ``None`` when it is not RFC 3339."""
    if not _RFC3339.fullmatch(timestamp):
        return None
    try:
        moment = dt.datetime.fromisoformat(timestamp)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _in_window(timestamp: str, since: int | None, until: int | None) -> bool:
    """The model of since/until, given as hours of ``_DAY``."""
    moment = _instant(timestamp)
    hours = None if moment is None else (moment - _DAY) / dt.timedelta(hours=1)
    return (since is None or (hours is not None and hours >= since)) and (
        until is None or (hours is not None and hours < until)
    )


def _canonical(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(events, key=lambda e: (e["timestamp"], e["event_id"]))


@pytest.mark.slow
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    before=_random_lines,
    after=_random_lines,
    task_id=st.none() | st.sampled_from(_TASKS),
    types=st.none() | st.lists(st.sampled_from(["open", "finding", "close"]), min_size=1),
    since=st.none() | st.integers(0, 7),
    until=st.none() | st.integers(0, 7),
    order=st.sampled_from(["newest", "oldest"]),
    limit=st.integers(1, 7),
)
def test_pages_hold_exactly_the_matching_events_in_canonical_order(
    tmp_path_factory: pytest.TempPathFactory,
    before: list[dict[str, Any] | bytes],
    after: list[dict[str, Any] | bytes],
    task_id: str | None,
    types: list[str] | None,
    since: int | None,
    until: int | None,
    order: str,
    limit: int,
) -> None:
    path = tmp_path_factory.mktemp("journal") / "events.jsonl"
    write(path, b"")
    index = JournalStore(path)
    index.refresh()  # indexes ``before`` at once, then ``after`` a line at a time
    written = write(path, *before)
    index.refresh()
    for chunk in after:
        written += write(path, chunk)
        index.refresh()
    _check_pages(index, written, task_id, types, since, until, order, limit)


def _check_pages(
    index: JournalStore,
    written: list[dict[str, Any]],
    task_id: str | None,
    types: list[str] | None,
    since: int | None,
    until: int | None,
    order: str,
    limit: int,
) -> None:
    """Every page of the query against the events a brute-force filter keeps."""

    def matches(e: dict[str, Any]) -> bool:
        return (
            (task_id is None or e["task_id"] == task_id)
            and (types is None or e["type"] in types)
            and _in_window(e["timestamp"], since, until)
        )

    expected = _canonical([e for e in written if matches(e)])
    if order == "newest":
        expected.reverse()
    query: dict[str, Any] = {
        "task_id": task_id,
        "types": types,
        "since": None if since is None else f"2026-11-25T{since:02d}:00:00Z",
        "until": None if until is None else f"2026-11-25T{until:02d}:00:00Z",
        "order": order,
        "limit": limit,
    }
    if task_id is not None and not any(e["task_id"] == task_id for e in written):
        with pytest.raises(TaskNotFound, match="no task"):
            index.read_events(**query)
        return
    pages = every_page(index, **query)
    assert [e for page in pages for e in page.events] == expected
    assert all(len(page.events) == limit for page in pages[:-1])


@pytest.mark.slow
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    stamps=st.lists(_timestamps, max_size=30),
    appended=st.integers(0, 30),
    since=st.none() | st.integers(0, 7),
    until=st.none() | st.integers(0, 7),
)
def test_time_filters_keep_exactly_the_events_in_the_window(
    tmp_path_factory: pytest.TempPathFactory,
    stamps: list[str],
    appended: int,
    since: int | None,
    until: int | None,
) -> None:
    path = tmp_path_factory.mktemp("journal") / "events.jsonl"
    lines = [event(text=f"n{n}", timestamp=stamp) for n, stamp in enumerate(stamps)]
    split = max(0, len(lines) - appended)
    index = JournalStore(path)
    write(path, *lines[:split])
    index.refresh()
    for line in lines[split:]:  # the rest appended one at a time, as others do
        write(path, line)
        index.refresh()
    page = index.read_events(
        since=None if since is None else f"2026-11-25T{since:02d}:00:00Z",
        until=None if until is None else f"2026-11-25T{until:02d}:00:00Z",
        order="oldest",
        limit=500,
    )
    kept = [e for e in lines if _in_window(e["timestamp"], since, until)]
    assert texts(page) == [e["text"] for e in _canonical(kept)]


@pytest.mark.parametrize(
    "read",
    [
        pytest.param(lambda j: j.read_events(), id="read_events"),
        pytest.param(lambda j: j.read_events(task_id="tj-0000000000"), id="read_events-task"),
        pytest.param(lambda j: j.list_tasks(), id="list_tasks"),
        pytest.param(lambda j: j.verify(), id="verify"),
    ],
)
def test_a_folder_in_the_journals_place_is_reported_unavailable(
    journal_path: Path, read: Callable[[Journal], object]
) -> None:
    journal_path.mkdir(parents=True)
    journal = Journal(Settings(journal_path=journal_path))
    with pytest.raises(JournalUnavailable, match="Is a directory"):
        read(journal)


def test_events_are_fetched_by_id_or_unique_prefix_in_the_order_given(
    journal_path: Path,
) -> None:
    written = write(
        journal_path,
        event(type="open", text="a", event_id="01KMZ3T4J8Q7W2E5R6T0000001"),
        event(text="b", event_id="01KMZ4T4J8Q7W2E5R6T0000002"),
        event(text="c", event_id="01KMZ5T4J8Q7W2E5R6T0000003"),
    )
    journal = Journal(Settings(journal_path=journal_path))
    ids = [e["event_id"] for e in written]
    page = journal.read_events(event_ids=[ids[2], "01kmz3"])
    assert [e["text"] for e in page.events] == ["c", "a"]


@pytest.mark.parametrize("late_first", [False, True])
def test_an_id_on_lines_of_two_times_is_fetched_as_the_earlier_wherever_it_is(
    journal_path: Path, late_first: bool
) -> None:
    early = event(text="early", timestamp="2026-11-25T09:00:00.000Z")
    late = {**early, "text": "late", "timestamp": "2026-11-25T10:00:00.000Z"}
    write(journal_path, *((late, early) if late_first else (early, late)))
    page = Journal(Settings(journal_path=journal_path)).read_events(event_ids=[early["event_id"]])
    assert texts(page) == ["early"]


def test_an_ambiguous_event_id_prefix_is_refused(journal_path: Path) -> None:
    write(journal_path, event(type="open", text="a"), event(text="b"))
    journal = Journal(Settings(journal_path=journal_path))
    with pytest.raises(InvalidQuery, match="starts several event ids"):
        journal.read_events(event_ids=["0"])


@pytest.mark.parametrize(
    "event_ids", [[], ["x"] * 51, [""], "01KMZ"], ids=["none", "51", "empty", "a-string"]
)
def test_event_ids_must_be_1_to_50_ids(journal_path: Path, event_ids: Any) -> None:
    write(journal_path, event(type="open", text="a"))
    with pytest.raises(InvalidQuery, match="event_ids"):
        Journal(Settings(journal_path=journal_path)).read_events(event_ids=event_ids)


def test_event_ids_with_another_filter_are_refused(journal_path: Path) -> None:
    written = write(journal_path, event(type="open", text="a"))
    with pytest.raises(InvalidQuery, match="leave out task_id"):
        Journal(Settings(journal_path=journal_path)).read_events(
            event_ids=[written[0]["event_id"]], task_id=written[0]["task_id"]
        )


# Times in UTC only, to the fraction of a second, with or without one: a window is then
# a range of texts to the second, which the fractions and the "Z" must not fool.
_utc_times = st.builds(
    lambda second, fraction, zone: f"2026-11-25T10:00:{second:02d}{fraction}{zone}",
    st.integers(0, 3),
    st.sampled_from(["", ".0", ".5", ".999", ".000001"]),
    st.sampled_from(["Z", "+00:00"]),
)


@pytest.mark.slow
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    stamps=st.lists(_utc_times, max_size=20),
    since=st.none() | _utc_times,
    until=st.none() | _utc_times,
    order=st.sampled_from(["newest", "oldest"]),
)
def test_time_filters_keep_exactly_the_events_in_the_window_to_the_fraction(
    tmp_path_factory: pytest.TempPathFactory,
    stamps: list[str],
    since: str | None,
    until: str | None,
    order: str,
) -> None:
    path = tmp_path_factory.mktemp("journal") / "events.jsonl"
    lines = write(path, *(event(text=f"n{n}", timestamp=stamp) for n, stamp in enumerate(stamps)))
    page = JournalStore(path).read_events(since=since, until=until, order=order, limit=500)

    def kept(e: dict[str, Any]) -> bool:
        moment = dt.datetime.fromisoformat(e["timestamp"])
        return (since is None or moment >= dt.datetime.fromisoformat(since)) and (
            until is None or moment < dt.datetime.fromisoformat(until)
        )

    expected = [e["text"] for e in _canonical([e for e in lines if kept(e)])]
    assert texts(page) == (expected[::-1] if order == "newest" else expected)
