"""The read and search filters: checked once into one value that the layers below take."""

from __future__ import annotations

from typing import Any

import pytest

from journal_core import (
    InvalidQuery,
    Journal,
    ReadFilter,
    SearchFilter,
    new_event,
)
from journal_core.filters import ACTIVE_ONLY, ALL, HOLDING, EventFilter


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        pytest.param({"task_id": ""}, "task_id", id="empty-task"),
        pytest.param({"types": ["nonsense"]}, "types", id="unknown-type"),
        pytest.param({"since": "yesterday"}, "since", id="since-not-a-time"),
        pytest.param({"until": "2026-12-01T10:00:00"}, "until", id="until-without-zone"),
        pytest.param({"limit": 0}, "limit", id="limit-zero"),
        pytest.param({"order": "random"}, "order", id="unknown-order"),
        pytest.param({"event_ids": []}, "event_ids", id="no-event-ids"),
        pytest.param({"event_ids": ["01K"], "task_id": "tj-x"}, "event_ids", id="ids-and-task"),
    ],
)
def test_a_read_filter_names_the_argument_that_is_wrong(arguments: Any, field: str) -> None:
    with pytest.raises(InvalidQuery) as refused:
        ReadFilter.of(**arguments)
    assert refused.value.field == field


def test_a_read_filter_holds_its_arguments_as_the_index_takes_them() -> None:
    read = ReadFilter.of(
        task_id="tj-aaaaaaaaaa",
        types=["decision", "decision", "finding"],
        since="2026-12-01T10:00:00+01:00",
        order="oldest",
        limit=7,
    )
    assert read.events == EventFilter(
        task_id="tj-aaaaaaaaaa",
        types=frozenset({"decision", "finding"}),
        since=1796115600.0,
    )
    assert (read.order, read.limit, read.cursor, read.event_ids) == ("oldest", 7, None, None)


def test_the_facade_reads_the_same_page_from_a_filter_as_from_its_arguments(
    journal: Journal, task_id: str
) -> None:
    for text in ("one", "two", "three"):
        journal.append(new_event(type="finding", task_id=task_id, text=text))
    arguments: dict[str, Any] = {"task_id": task_id, "types": ["finding"], "limit": 2}
    assert journal.read_events(ReadFilter.of(**arguments)) == journal.read_events(**arguments)


@pytest.mark.parametrize(
    ("rejected", "current_only", "keep"),
    [
        pytest.param(False, False, ALL, id="search-all"),
        pytest.param(False, True, ACTIVE_ONLY, id="search-current-only"),
        pytest.param(True, False, ALL, id="rejected-withdrawn-too"),
        pytest.param(True, True, HOLDING, id="rejected-still-holding"),
    ],
)
def test_a_search_filter_keeps_what_its_kind_asks(
    rejected: bool, current_only: bool, keep: str
) -> None:
    search = SearchFilter.of(
        "upload", rejected=rejected, current_only=current_only, types=["rejection"]
    )
    assert search.keep == keep
    # What was turned down has types of its own: the argument does not narrow it.
    assert search.events.types == (None if rejected else frozenset({"rejection"}))


def test_a_search_filter_checks_the_query_before_the_other_arguments() -> None:
    with pytest.raises(InvalidQuery) as refused:
        SearchFilter.of("", task_id="", limit=0)
    assert refused.value.field == "query"
