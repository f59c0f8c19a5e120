"""A line nested too deeply in the journal: every command still works, no traceback."""

import json
from pathlib import Path

import pytest

from tests.cli.conftest import run_cli

DEEP = b"[" * 1000 + b"\n"


@pytest.fixture
def deep_line_offset(journal: Path, task_id: str) -> int:
    """The journal holds the task's open event, then a line nested 1,000 levels deep."""
    offset = journal.stat().st_size
    with journal.open("ab") as file:
        file.write(DEEP)
    return offset


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("read",), id="read"),
        pytest.param(("read", "--json", "--oldest"), id="read-json"),
        pytest.param(("tasks",), id="tasks"),
        pytest.param(("append", "finding", "after the deep line", "--task", "{task}"), id="append"),
    ],
)
def test_commands_work_past_a_deep_line(
    journal: Path, task_id: str, deep_line_offset: int, args: tuple[str, ...]
) -> None:
    outcome = run_cli(*(arg.format(task=task_id) for arg in args))
    assert (outcome.status, outcome.stderr) == (0, "")


def test_verify_names_the_deep_line(journal: Path, deep_line_offset: int) -> None:
    outcome = run_cli("verify", "--json")
    assert outcome.status == 1
    assert "Traceback" not in outcome.stderr
    (bad,) = json.loads(outcome.stdout)["bad_lines"]
    assert bad == {
        "line": 2,
        "offset": deep_line_offset,
        "reason": "nested too deeply (over 128 levels)",
    }


def test_read_json_gives_an_event_over_the_tool_cap_whole(journal: Path, task_id: str) -> None:
    big = {
        "event_id": "01KMZ3T4J8Q7W2E5R6T7Y8V9H0",
        "task_id": task_id,
        "type": "finding",
        "timestamp": "2026-11-25T17:03:09.412Z",
        "text": "long " * 100_000,
    }
    with journal.open("ab") as file:
        file.write(json.dumps(big).encode() + b"\n")
    outcome = run_cli("read", "--json", "--limit", "1", "--oldest")  # older than the open
    assert outcome.status == 0
    assert json.loads(outcome.stdout)["events"] == [big]
