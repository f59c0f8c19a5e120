"""Clipping: no page a tool returns is over the cap, and what was cut says so."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journal_core import EventPage, Journal
from journal_core.clip import WHOLE, clip_event, clip_page, size_of
from journal_core.index.results import PAGE_BYTES
from tests.core.journal_lines import event, write

MARKER = f"; {WHOLE}]"


def test_an_event_that_fits_comes_back_as_it_is() -> None:
    small = event(text="short")
    assert clip_event(small, 2000) is small


def test_a_long_text_is_cut_with_a_marker_saying_how_much_is_missing() -> None:
    big = event(text="word " * 40_000)
    clipped = clip_event(big, 10_000)
    assert size_of(clipped) <= 10_000
    head, marker = clipped["text"].split("… [cut: ")
    assert big["text"].startswith(head)
    missing = int(marker.removesuffix(" bytes more" + MARKER))
    assert missing == size_of(big["text"]) - size_of(head)


def test_a_cut_event_keeps_its_small_fields_and_says_it_was_cut() -> None:
    big = event(text="x" * 100_000, refs={"files": ["a.py"]})
    clipped = clip_event(big, 10_000)
    assert clipped["cut"] is True
    small = {key: value for key, value in big.items() if key != "text"}
    assert {key: clipped[key] for key in small} == small


def test_text_of_control_characters_is_cut_by_its_escaped_size() -> None:
    clipped = clip_event(event(text="\x01" * 60_000), 10_000)
    assert size_of(clipped) <= 10_000
    assert MARKER in clipped["text"]


def test_a_long_list_keeps_its_head_and_counts_the_items_left_out() -> None:
    files = [f"src/{n:04d}/" + "p" * 4000 for n in range(2000)]
    clipped = clip_event(event(refs={"files": files}), 40_000)
    *shown, marker = clipped["refs"]["files"]
    assert size_of(clipped) <= 40_000
    # The items shown come first, whole but perhaps for the last one, which is cut.
    assert shown[:-1] == files[: len(shown) - 1]
    assert files[len(shown) - 1].startswith(shown[-1].split("… [cut: ")[0])
    assert marker == f"… [cut: {2000 - len(shown)} more items{MARKER}"


def test_an_object_of_many_fields_keeps_those_that_fit_and_counts_the_rest() -> None:
    meta = {f"k{n:05d}": "v" * 100 for n in range(10_000)}
    clipped = clip_event(event(meta=meta), 40_000)
    *kept, marker = clipped["meta"].items()
    assert size_of(clipped) <= 40_000
    assert len(kept) > 300
    assert all(meta[key] == value for key, value in kept)
    assert marker == ("…", f"[cut: {10_000 - len(kept)} more fields{MARKER}")


def test_a_huge_number_is_replaced_by_a_marker() -> None:
    clipped = clip_event(event(extra=int("9" * 4000)), 2000)
    assert clipped["extra"] == f"… [cut: a 4000-byte value{MARKER}"


# Long strings cheaply: a short one repeated (escapes and multi-byte characters included).
long_texts = st.builds(lambda text, times: text * times, st.text(max_size=10), st.integers(0, 300))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | long_texts,
    lambda inner: (
        st.lists(inner, max_size=8) | st.dictionaries(st.text(max_size=8), inner, max_size=8)
    ),
    max_leaves=40,
)


@settings(max_examples=80, deadline=None)
@given(
    extra=st.dictionaries(st.text(max_size=8), json_values, max_size=6),
    budget=st.integers(600, 6_000),
)
def test_a_clipped_event_fits_its_budget_whatever_it_holds(
    extra: dict[str, Any], budget: int
) -> None:
    whole = event() | extra
    clipped = clip_event(whole, budget)
    assert size_of(clipped) <= budget
    assert (clipped is whole) == (size_of(whole) <= budget)


def test_a_page_within_the_cap_comes_back_as_it_is() -> None:
    page = EventPage(events=[event(), event()], next_cursor=None)
    assert clip_page(page) is page


def test_a_foreign_line_over_the_cap_is_read_cut_and_kept_whole_for_the_cli(
    journal: Journal, task_id: str
) -> None:
    # The Rust tool bounds nothing: a line of a megabyte of text.
    huge = event(task_id=task_id, text="long " * 200_000)
    write(journal.path, huge)
    page = journal.read_events(limit=1, order="oldest")  # its time is before the open's
    assert page.events == [huge]
    clipped = clip_page(page)
    assert size_of(clipped) <= PAGE_BYTES
    (shown,) = clipped.events
    assert (shown["event_id"], shown["cut"]) == (huge["event_id"], True)
    assert clipped.note is not None
    assert "task-journal read --json" in clipped.note
    assert clipped.next_cursor == page.next_cursor


def test_events_a_page_holds_whole_are_left_whole_beside_a_cut_one() -> None:
    small = [event(text=f"n{n}") for n in range(3)]
    page = EventPage(events=[*small, event(text="x" * 200_000)], next_cursor=None)
    clipped = clip_page(page)
    assert size_of(clipped) <= PAGE_BYTES
    assert clipped.events[:3] == small


def test_a_task_with_a_foreign_task_id_over_the_cap_is_listed_cut(journal: Journal) -> None:
    write(journal.path, event(type="open", task_id="t" * 200_000))
    clipped = clip_page(journal.list_tasks())
    assert size_of(clipped) <= PAGE_BYTES
    (task,) = clipped.tasks
    assert task.task_id.startswith("t" * 1000)
    assert MARKER in task.task_id
    assert task.event_count == 1


@pytest.mark.parametrize(
    "title_char", [pytest.param("\x01", id="control-character"), pytest.param("é", id="accent")]
)
def test_list_tasks_pages_by_the_size_titles_take_as_json(
    journal: Journal, title_char: str
) -> None:
    write(
        journal.path,
        *(
            event(type="open", task_id=f"tj-{n}", meta={"title": title_char * 199})
            for n in range(400)
        ),
    )
    page = journal.list_tasks(limit=500)
    assert len(msgspec.json.encode(page)) <= PAGE_BYTES
