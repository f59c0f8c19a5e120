"""What a writer put in an event is shown, never obeyed: every human output of every
command prints control characters as escapes (Markdown keeps its line breaks and tabs).

The hook's output goes to a model: tests/faults/test_journal_text_as_data.py covers it.
"""

import os
from pathlib import Path

import pytest

from tests.cli.conftest import event_line, run_cli, write_events

HOSTILE = "\x1b]0;pwned\x07 \x1b[2J \x9b31m \r \u202e"
SHOWN = "\\x1b]0;pwned\\x07"
RAW = ("\x1b", "\x07", "\x9b", "\r", "\u202e")
TASK = "tj-8f3k2m9q1z"


@pytest.fixture
def hostile(journal: Path) -> Path:
    """A task, a month idle, whose title, goal, decision and rejection hold terminal escapes."""
    write_events(
        journal,
        event_line(
            event_id="01KMZ3T4J8Q7W2E5R6T7Y8V9H0",
            type="open",
            timestamp="2026-11-02T09:00:00.000Z",
            text=f"open {HOSTILE}",
            meta={"title": f"title {HOSTILE}", "goal": f"goal {HOSTILE}"},
        ),
        event_line(
            event_id="01KMZ3V1AAAAAAAAAAAAAAAAAA",
            type="decision",
            timestamp="2026-11-02T10:00:00.000Z",
            text=f"decision {HOSTILE}",
            refs={"files": [f"src/{HOSTILE}.py"]},
        ),
        event_line(
            event_id="01KMZ3V2BBBBBBBBBBBBBBBBBB",
            type="rejection",
            timestamp="2026-11-02T11:00:00.000Z",
            text=f"rejected {HOSTILE}",
        ),
    )
    return journal


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("pack", TASK), id="pack"),
        pytest.param(("pack", TASK, "--mode", "full"), id="pack-full"),
        pytest.param(("resume",), id="resume"),
        pytest.param(("export",), id="export"),
        pytest.param(("export", "--task", TASK), id="export-task"),
        pytest.param(("export-pr", TASK), id="export-pr"),
        pytest.param(("stale",), id="stale"),
        pytest.param(("events", "list"), id="events-list"),
    ],
)
def test_escapes_are_printed_not_obeyed(hostile: Path, args: tuple[str, ...]) -> None:
    # No set width, as through a pipe, so that no line is cut (pytest sets COLUMNS).
    outcome = run_cli(*args, env={**os.environ, "COLUMNS": ""})

    assert outcome.status == 0, outcome.stderr
    assert SHOWN in outcome.stdout
    for raw in RAW:
        assert raw not in outcome.stdout
        assert raw not in outcome.stderr


@pytest.mark.parametrize(("command", "start"), [("statusline", "["), ("stale", "")])
def test_a_task_id_a_writer_made_hostile_is_escaped(
    journal: Path, command: str, start: str
) -> None:
    write_events(
        journal,
        event_line(task_id=f"tj-{HOSTILE}", type="open", timestamp="2026-11-02T09:00:00.000Z"),
    )

    outcome = run_cli(command)

    assert outcome.status == 0, outcome.stderr
    assert outcome.stdout.startswith(f"{start}tj-{SHOWN}")
    for raw in RAW:
        assert raw not in outcome.stdout


def test_markdown_keeps_the_line_breaks_and_tabs_of_a_text(journal: Path) -> None:
    write_events(
        journal,
        event_line(type="open", text="Fix it", meta={"title": "Fix it"}),
        event_line(
            event_id="01KMZ3V1AAAAAAAAAAAAAAAAAA", text="first line\n\tindented\x1b[2J second"
        ),
    )

    outcome = run_cli("export", "--task", TASK)

    assert outcome.status == 0, outcome.stderr
    assert "first line\n  \tindented\\x1b[2J second\n" in outcome.stdout


def test_doctor_shows_a_journal_path_with_escapes_as_escapes(tmp_path: Path) -> None:
    path = tmp_path / "journal\x1b]0;pwned\x07.jsonl"
    env = {**os.environ, "TASK_JOURNAL_PATH": str(path), "COLUMNS": ""}

    outcome = run_cli("doctor", env=env)

    assert "journal\\x1b]0;pwned\\x07.jsonl" in outcome.stdout
    for raw in RAW:
        assert raw not in outcome.stdout
