"""Human output on a terminal (a pseudo-terminal here) and through a pipe.

A terminal gets colour, unless NO_COLOR is set, and lines cut to its width; a pipe gets
plain, whole lines. Control characters in anything a journal holds are shown as
escapes on both, never obeyed by the terminal.
"""

import os
import re
from pathlib import Path

import pytest

from tests.cli.conftest import event_line, run_cli, run_in_terminal, write_events

SGR = re.compile(r"\x1b\[[0-9;]*m")  # the colour codes the command line writes itself
# Sets the terminal's title, clears the screen, an 8-bit CSI, a return that would
# overwrite the line, and a right-to-left override that would reverse what follows.
HOSTILE = "\x1b]0;pwned\x07 \x1b[2J \x9b31m \r \u202e"
SHOWN = "\\x1b]0;pwned\\x07 \\x1b[2J \\x9b31m \\x0d \\u202e"
LONG = ("Fails after test_auth " * 7).strip()  # over 120 columns, under the 200 of a title


@pytest.fixture
def two_events(journal: Path) -> str:
    write_events(
        journal,
        event_line(event_id="01KMZ3T4J8Q7W2E5R6T7Y8V9H0", type="open", text=LONG),
        event_line(event_id="01KMZ3V1AAAAAAAAAAAAAAAAAA", text=LONG),
    )
    return "tj-8f3k2m9q1z"


def test_a_terminal_gets_colour(two_events: str) -> None:
    outcome = run_in_terminal("read", env={})

    assert outcome.status == 0
    first = outcome.stdout.splitlines()[0]
    assert first.startswith("\x1b[33m01KMZ3V1AAAA\x1b[m  ")
    assert f"\x1b[36m{two_events}\x1b[m  \x1b[1mfinding\x1b[m" in first


@pytest.mark.parametrize("command", [["read"], ["read", "--long"], ["tasks"], ["show", "tj-8f"]])
def test_no_color_turns_colour_off_on_a_terminal(two_events: str, command: list[str]) -> None:
    outcome = run_in_terminal(*command, env={"NO_COLOR": "1"})

    assert outcome.status == 0
    assert two_events in outcome.stdout
    assert "\x1b" not in outcome.stdout


def test_a_terminal_cuts_long_lines_to_its_width(two_events: str) -> None:
    outcome = run_in_terminal("read", env={}, columns=80)

    lines = [SGR.sub("", line) for line in outcome.stdout.splitlines()]
    assert [len(line) for line in lines] == [80, len(lines[1])]
    assert lines[0].endswith("  finding     Fails after test_aut…")


@pytest.mark.parametrize("command", [["read"], ["read", "--long"], ["tasks"], ["show", "tj-8f"]])
def test_a_pipe_gets_plain_whole_lines(two_events: str, command: list[str]) -> None:
    outcome = run_cli(*command, env={**os.environ, "COLUMNS": ""})

    assert outcome.status == 0
    assert "\x1b" not in outcome.stdout
    assert LONG in outcome.stdout


@pytest.fixture
def hostile(journal: Path) -> str:
    """A task whose id, title, text, author, refs and meta hold terminal controls, as a
    foreign writer could have written them."""
    task = f"tj-evil{HOSTILE}"
    write_events(
        journal,
        event_line(
            task_id=task,
            type="open",
            text=f"open {HOSTILE}",
            author=f"agent{HOSTILE}",
            refs={"files": [f"a{HOSTILE}.py"]},
            meta={"title": f"title {HOSTILE}", f"key{HOSTILE}": f"value {HOSTILE}"},
        ),
    )
    return task


@pytest.mark.parametrize(
    "command",
    [["read"], ["read", "--long"], ["tasks"], ["show", "tj-evil"]],
)
@pytest.mark.parametrize("where", ["terminal", "pipe"])
def test_control_characters_in_the_journal_are_shown_not_obeyed(
    hostile: str, command: list[str], where: str
) -> None:
    outcome = run_in_terminal(*command, env={}) if where == "terminal" else run_cli(*command)

    assert outcome.status == 0, outcome.stderr
    shown = SGR.sub("", outcome.stdout + outcome.stderr)
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]", shown)
    assert SHOWN in shown


def test_control_characters_typed_into_an_error_are_shown_not_obeyed(hostile: str) -> None:
    outcome = run_cli("show", f"tj-none{HOSTILE}")

    assert outcome.status == 2
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]", outcome.stderr)
    assert repr(f"tj-none{HOSTILE}") in outcome.stderr


def test_the_first_events_ids_a_repeated_key_answers_with_are_shown_not_obeyed(
    journal: Path,
) -> None:
    task = f"tj-evil{HOSTILE}"
    write_events(
        journal,
        event_line(task_id=task, type="open", meta={"idempotency_key": "k-1"}),
    )

    outcome = run_cli("append", "open", "Again", "--idempotency-key", "k-1")

    assert outcome.status == 0, outcome.stderr
    assert outcome.stdout == f"01KMZ3T4J8Q7W2E5R6T7Y8V9H0 tj-evil{SHOWN}\n"
