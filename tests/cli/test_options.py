"""Options and names as people type them: whole options only, and a suggestion for a typo."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import CallMain


@pytest.mark.parametrize(
    "command_line",
    [
        pytest.param(["search", "upload", "--all"], id="search-all"),
        pytest.param(["read", "--lim", "3"], id="read-lim"),
        pytest.param(["tasks", "--stat", "any"], id="tasks-stat"),
        pytest.param(["--project", ".", "tasks"], id="global-project"),
    ],
)
def test_a_long_option_is_never_expanded_from_a_start_of_it(
    journal: Path, call_main: CallMain, command_line: list[str]
) -> None:
    outcome = call_main(*command_line)

    assert (outcome.status, outcome.stdout) == (2, "")
    assert "unrecognized arguments" in outcome.stderr or "invalid choice" in outcome.stderr


def test_the_server_refuses_a_start_of_an_option(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "server", "--jour", str(tmp_path / "j.jsonl")],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2
    assert "unrecognized arguments: --jour" in done.stderr
    assert not (tmp_path / "j.jsonl").exists()


def test_search_says_how_to_go_on_with_options_search_has(
    journal: Path, task_id: str, call_main: CallMain
) -> None:
    for number in range(3):
        call_main("append", "finding", f"upload retry {number}", "--task", task_id)

    outcome = call_main("search", "upload", "--limit", "1")

    (hint,) = [line for line in outcome.stderr.splitlines() if "more hits" in line]
    assert hint.startswith("task-journal: more hits: add --cursor ")
    assert "--all" not in hint


def test_a_mistyped_command_gets_the_closest_one_suggested(call_main: CallMain) -> None:
    outcome = call_main("serch", "upload")

    assert (outcome.status, outcome.stdout) == (2, "")
    assert "invalid choice: 'serch' (did you mean 'search'?)" in outcome.stderr


def test_a_word_like_no_command_gets_no_suggestion(call_main: CallMain) -> None:
    outcome = call_main("xyzzy")

    assert outcome.status == 2
    assert "did you mean" not in outcome.stderr


@pytest.mark.parametrize(
    "command_line",
    [
        pytest.param(
            ["append", "finidng", "Only after test_auth", "--task", "{task}"], id="append"
        ),
        pytest.param(["event", "{task}", "--type", "finidng", "--text", "x"], id="event"),
    ],
)
def test_a_mistyped_event_type_gets_the_closest_one_suggested(
    journal: Path, task_id: str, call_main: CallMain, command_line: list[str]
) -> None:
    before = journal.read_bytes()

    outcome = call_main(*(arg.replace("{task}", task_id) for arg in command_line))

    assert (outcome.status, outcome.stdout) == (2, "")
    assert "'finidng'" in outcome.stderr
    assert "(did you mean 'finding'?)" in outcome.stderr
    assert journal.read_bytes() == before
