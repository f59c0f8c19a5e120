"""list_tasks: status and title filters, newest activity first, cursors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from journal_core import InvalidQuery
from journal_core.index.results import TaskPage
from journal_core.index.store import JournalStore
from tests.core.journal_lines import event, write


def ids(page: TaskPage) -> list[str]:
    return [task.task_id for task in page.tasks]


def opened(task_id: str, title: str = "a task") -> dict[str, Any]:
    return event(task_id=task_id, type="open", text=title)


def test_open_tasks_are_listed_by_default(journal_path: Path) -> None:
    write(journal_path, opened("tj-a"), opened("tj-b"), event(task_id="tj-a", type="close"))
    assert ids(JournalStore(journal_path).list_tasks()) == ["tj-b"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param("open", ["tj-c", "tj-b"], id="open"),
        pytest.param("closed", ["tj-a"], id="closed"),
        pytest.param("any", ["tj-c", "tj-a", "tj-b"], id="any"),
    ],
)
def test_status_selects_tasks(journal_path: Path, status: str, expected: list[str]) -> None:
    write(
        journal_path,
        opened("tj-a"),
        opened("tj-b"),
        event(task_id="tj-a", type="close"),
        opened("tj-c"),
    )
    assert ids(JournalStore(journal_path).list_tasks(status=status)) == expected


def test_tasks_with_the_latest_activity_come_first(journal_path: Path) -> None:
    write(journal_path, opened("tj-a"), opened("tj-b"), opened("tj-c"), event(task_id="tj-a"))
    assert ids(JournalStore(journal_path).list_tasks()) == ["tj-a", "tj-c", "tj-b"]


def test_query_matches_titles_ignoring_case(journal_path: Path) -> None:
    write(
        journal_path,
        opened("tj-a", "Fix the Parser"),
        opened("tj-b", "Write docs"),
        opened("tj-c", "PARSER speed"),
    )
    page = JournalStore(journal_path).list_tasks(query="parser")
    assert ids(page) == ["tj-c", "tj-a"]


def test_paging_lists_every_task_once(journal_path: Path) -> None:
    write(journal_path, *(opened(f"tj-{n:02d}") for n in range(12)))
    index = JournalStore(journal_path)
    page = index.list_tasks(limit=5)
    got = ids(page)
    while page.next_cursor is not None:
        page = index.list_tasks(limit=5, cursor=page.next_cursor)
        got += ids(page)
    assert got == [f"tj-{n:02d}" for n in range(11, -1, -1)]


def test_the_last_task_page_has_no_cursor(journal_path: Path) -> None:
    write(journal_path, opened("tj-a"), opened("tj-b"))
    assert JournalStore(journal_path).list_tasks(limit=2).next_cursor is None


def test_a_journal_not_yet_created_has_no_tasks(journal_path: Path) -> None:
    page = JournalStore(journal_path).list_tasks()
    assert (page.tasks, page.next_cursor) == ([], None)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        pytest.param({"status": "done"}, "status", id="status-unknown"),
        pytest.param({"query": 3}, "query", id="query-not-text"),
        pytest.param({"limit": 0}, "limit", id="limit-zero"),
        pytest.param({"limit": 501}, "limit", id="limit-over-500"),
        pytest.param({"cursor": "zzz"}, "cursor", id="cursor-garbage"),
    ],
)
def test_bad_arguments_are_refused(
    journal_path: Path, arguments: dict[str, Any], field: str
) -> None:
    write(journal_path, opened("tj-a"))
    with pytest.raises(InvalidQuery) as refused:
        JournalStore(journal_path).list_tasks(**arguments)
    assert refused.value.field == field


def test_a_cursor_for_another_status_is_refused(journal_path: Path) -> None:
    write(journal_path, opened("tj-a"), opened("tj-b"))
    index = JournalStore(journal_path)
    cursor = index.list_tasks(limit=1).next_cursor
    with pytest.raises(InvalidQuery) as refused:
        index.list_tasks(status="any", limit=1, cursor=cursor)
    assert refused.value.field == "cursor"


def test_an_event_cursor_is_refused_by_list_tasks(journal_path: Path) -> None:
    write(journal_path, opened("tj-a"), opened("tj-b"))
    index = JournalStore(journal_path)
    cursor = index.read_events(limit=1).next_cursor
    with pytest.raises(InvalidQuery, match="pages through events"):
        index.list_tasks(cursor=cursor)


def test_a_big_task_page_is_cut_with_a_cursor_to_go_on(journal_path: Path) -> None:
    write(journal_path, *(opened(f"tj-{n:03d}", "t" * 300) for n in range(500)))
    index = JournalStore(journal_path)
    page = index.list_tasks(limit=500)
    assert page.truncated
    assert page.note is not None
    assert 0 < len(page.tasks) < 500
    rest = index.list_tasks(limit=500, cursor=page.next_cursor)
    assert len(page.tasks) + len(rest.tasks) <= 500
    assert set(ids(page)).isdisjoint(ids(rest))
