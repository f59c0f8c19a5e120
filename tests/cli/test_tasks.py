"""task-journal tasks: one line per task, open ones by default, or the page as JSON."""

import json
from pathlib import Path

import pytest

from tests.cli.conftest import CallMain, event_line, run_cli, write_events


@pytest.fixture
def two_tasks(journal: Path, call_main: CallMain) -> tuple[str, str]:
    """An open task titled "Flaky upload test" and a closed one titled "Port the importer"."""
    open_task = call_main("append", "open", "a", "--title", "Flaky upload test").stdout.split()[1]
    closed = call_main("append", "open", "b", "--title", "Port the importer").stdout.split()[1]
    call_main("append", "finding", "msgspec is faster", "--task", closed)
    call_main("append", "close", "Merged", "--task", closed, "--meta", '{"outcome_tag": "done"}')
    return open_task, closed


def test_tasks_lists_the_open_ones_by_default(
    two_tasks: tuple[str, str], call_main: CallMain
) -> None:
    outcome = call_main("tasks")

    assert (outcome.status, outcome.stderr) == (0, "")
    [line] = outcome.stdout.splitlines()
    assert line.split()[:4] == [two_tasks[0], "open", "1", "event"]
    assert line.endswith("  Flaky upload test")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param("open", [0], id="open"),
        pytest.param("closed", [1], id="closed"),
        pytest.param("any", [0, 1], id="any"),
    ],
)
def test_status_picks_the_tasks(
    two_tasks: tuple[str, str], call_main: CallMain, status: str, expected: list[int]
) -> None:
    page = json.loads(call_main("tasks", "--status", status, "--json").stdout)

    assert sorted(t["task_id"] for t in page["tasks"]) == sorted(two_tasks[i] for i in expected)


def test_a_closed_task_shows_its_status_and_event_count(
    two_tasks: tuple[str, str], call_main: CallMain
) -> None:
    [line] = call_main("tasks", "--status", "closed").stdout.splitlines()

    assert line.split()[:4] == [two_tasks[1], "closed", "3", "events"]


def test_query_matches_titles_in_any_case(two_tasks: tuple[str, str], call_main: CallMain) -> None:
    page = json.loads(call_main("tasks", "--status", "any", "--query", "IMPORT", "--json").stdout)

    assert [t["task_id"] for t in page["tasks"]] == [two_tasks[1]]


def test_json_prints_the_task_summaries(two_tasks: tuple[str, str]) -> None:
    outcome = run_cli("tasks", "--json")

    assert outcome.status == 0, outcome.stderr
    page = json.loads(outcome.stdout)
    assert page["next_cursor"] is None
    [task] = page["tasks"]
    assert list(task) == [
        "task_id",
        "title",
        "status",
        "created_at",
        "last_event_at",
        "event_count",
    ]
    assert (task["task_id"], task["title"], task["event_count"]) == (
        two_tasks[0],
        "Flaky upload test",
        1,
    )


def test_a_page_that_stops_early_names_the_cursor_that_goes_on(
    two_tasks: tuple[str, str], call_main: CallMain
) -> None:
    first = call_main("tasks", "--status", "any", "--limit", "1")
    cursor = first.stderr.split("--cursor ")[1].split(",")[0]
    assert first.stderr == (
        f"task-journal: more tasks: add --cursor {cursor}, or read them all with --all\n"
    )

    rest = call_main("tasks", "--status", "any", "--limit", "1", "--cursor", cursor)

    seen = [first.stdout.split()[0], rest.stdout.split()[0]]
    assert sorted(seen) == sorted(two_tasks)


def test_an_unknown_status_exits_2(two_tasks: tuple[str, str]) -> None:
    outcome = run_cli("tasks", "--status", "stale")

    assert (outcome.status, outcome.stdout) == (2, "")
    assert outcome.stderr == (
        "task-journal: error: --status must be 'open', 'closed' or 'any', got 'stale'\n"
    )


def test_all_lists_every_task_page_after_page(journal: Path, call_main: CallMain) -> None:
    write_events(
        journal,
        *(
            event_line(
                task_id=f"tj-{number:010d}",
                event_id=f"01KMZ3{number:020d}",
                type="open",
                text=f"Task {number}",
            )
            for number in range(1100)
        ),
    )

    lines = call_main("tasks", "--all").stdout.splitlines()
    page = json.loads(call_main("tasks", "--all", "--json").stdout)

    assert len(lines) == 1100
    assert lines[0].startswith("tj-0000001099  open    1 event  ")
    assert lines[0].endswith("  Task 1099")
    assert [task["task_id"] for task in page["tasks"]] == [
        f"tj-{number:010d}" for number in reversed(range(1100))
    ]
