"""export (Markdown or JSON, whole journal or one task, streamed) and events list."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from journal_core import Journal, Settings, new_event
from tests.cli.conftest import run_cli


@pytest.fixture
def two_tasks(journal: Path) -> tuple[str, str]:
    """Two tasks with interleaved events; the first closed, the second with a goal."""
    first = run_cli("create", "Flaky upload test").stdout.strip()
    second = run_cli("create", "Port the importer", "--goal", "msgspec everywhere").stdout.strip()
    run_cli("event", first, "--type", "decision", "--text", "Reset the cache\nbetween tests")
    run_cli("event", second, "--type", "finding", "--text", "json is the slow part")
    run_cli("close", first, "--outcome", "Merged", "--outcome-tag", "done")
    return first, second


def journal_events(journal: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in journal.read_bytes().splitlines()]


def test_json_export_is_every_event_as_written_oldest_first(
    journal: Path, two_tasks: tuple[str, str]
) -> None:
    outcome = run_cli("export", "--format", "json")

    assert (outcome.status, outcome.stderr) == (0, "")
    assert json.loads(outcome.stdout) == journal_events(journal)


def test_json_export_of_a_task_holds_only_its_events(
    journal: Path, two_tasks: tuple[str, str]
) -> None:
    first, _ = two_tasks

    outcome = run_cli("export", "--format", "json", "--task", first)

    assert outcome.status == 0, outcome.stderr
    exported = json.loads(outcome.stdout)
    assert exported == [event for event in journal_events(journal) if event["task_id"] == first]


def test_json_export_of_an_empty_journal_is_an_empty_array(journal: Path) -> None:
    outcome = run_cli("export", "--format", "json")

    assert (outcome.status, outcome.stdout) == (0, "[]\n")


def test_markdown_export_lists_every_event_with_its_task_in_journal_order(
    journal: Path, two_tasks: tuple[str, str]
) -> None:
    first, second = two_tasks

    outcome = run_cli("export")

    assert (outcome.status, outcome.stderr) == (0, "")
    lines = outcome.stdout.splitlines()
    assert lines[0] == "# Task journal"
    items = [line for line in lines if line.startswith("- ")]
    assert [item.split("`")[3] for item in items] == [first, second, first, second, first]
    assert f"`{first}` **open** *Flaky upload test*: Flaky upload test" in outcome.stdout
    assert "  Goal: msgspec everywhere" in lines
    assert f"`{first}` **close** (done): Merged" in outcome.stdout


def test_markdown_keeps_a_text_of_several_lines_in_its_item(
    journal: Path, two_tasks: tuple[str, str]
) -> None:
    outcome = run_cli("export")

    assert "**decision**: Reset the cache\n  between tests\n" in outcome.stdout


def test_markdown_export_of_a_task_has_its_title_and_its_status_last(
    journal: Path, two_tasks: tuple[str, str]
) -> None:
    first, second = two_tasks

    outcome = run_cli("export", "--task", first)

    assert outcome.status == 0, outcome.stderr
    lines = outcome.stdout.splitlines()
    assert lines[0] == f"# {first}: Flaky upload test"
    assert [line.split("**")[1] for line in lines if line.startswith("- ")] == [
        "open",
        "decision",
        "close",
    ]
    assert lines[-1] == "Status: closed"
    assert second not in outcome.stdout


def test_export_of_an_unknown_task_is_refused(journal: Path, two_tasks: tuple[str, str]) -> None:
    outcome = run_cli("export", "--task", "tj-0000000000")

    assert (outcome.status, outcome.stdout) == (2, "")
    assert "tj-0000000000" in outcome.stderr


def test_export_refuses_an_unknown_format(journal: Path) -> None:
    outcome = run_cli("export", "--format", "html")

    assert (outcome.status, outcome.stdout) == (2, "")
    assert "--format" in outcome.stderr


@pytest.mark.slow
@pytest.mark.parametrize("form", ["json", "md"])
def test_export_memory_stays_flat_on_a_large_journal(tmp_path: Path, form: str) -> None:
    # 100,000 events, about 43 MB: holding them as Python objects would take several
    # times that; streaming keeps the export's growth to its page of 500 events.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.cli.export_memory",
            str(tmp_path / "big.jsonl"),
            "100000",
            form,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    status, size, growth = map(int, done.stdout.split())

    assert status == 0
    assert size > 40_000_000
    assert growth < size // 10, f"export grew the process by {growth} bytes"


def test_events_list_shows_the_newest_events_first(
    journal: Path, two_tasks: tuple[str, str]
) -> None:
    outcome = run_cli("events", "list", "--limit", "2")

    assert (outcome.status, outcome.stderr) == (0, "")
    rows = outcome.stdout.splitlines()
    assert len(rows) == 2
    # Each row as `read` prints it: short id, date, time, task, type, text.
    assert rows[0].split()[4:6] == ["close", "Merged"]
    assert rows[1].split()[4:6] == ["finding", "json"]


def test_events_list_pages_past_the_read_limit(journal: Path) -> None:
    task = run_cli("create", "Many events").stdout.strip()
    # Through the library: 600 processes would take too long.
    handle = Journal(Settings(journal_path=journal))
    try:
        for number in range(600):
            handle.append(new_event(type="finding", text=f"note {number}", task_id=task))
    finally:
        handle.close()

    outcome = run_cli("events", "list", "--limit", "550", "--json")

    assert outcome.status == 0, outcome.stderr
    events = json.loads(outcome.stdout)["events"]
    assert len(events) == 550
    assert events[0]["text"] == "note 599"
    assert events[-1]["text"] == "note 50"


def test_events_list_without_an_action_says_which_there_are(journal: Path) -> None:
    outcome = run_cli("events")

    assert (outcome.status, outcome.stdout) == (2, "")
    assert "ACTION" in outcome.stderr
