"""task-journal verify: the whole file scanned, every bad line named, exit 1 if there is one."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from server.cli.maintain import VERIFY_PROGRESS_MIN_BYTES
from tests.cli.conftest import CLI, CallMain, run_cli


@pytest.fixture
def good_line(journal: Path, task_id: str) -> bytes:
    """The one valid line the journal holds."""
    return journal.read_bytes()


@pytest.fixture
def damaged(journal: Path, good_line: bytes) -> list[tuple[int, int]]:
    """The journal with bad lines written by hand among good ones; their (line, offset)."""
    lines = [
        good_line,
        b"{not json\n",
        b"\n",  # blank lines are skipped, not reported
        b'{"text": "caf\xe9"}\n',
        b'{"hello": "a JSON object, not an event"}\n',
        good_line,
    ]
    journal.write_bytes(b"".join(lines))
    offsets = [sum(len(line) for line in lines[:i]) for i in range(len(lines))]
    return [(number, offsets[number - 1]) for number in (2, 4, 5)]


def test_a_sound_journal_verifies_with_exit_0(journal: Path, good_line: bytes) -> None:
    outcome = run_cli("verify")

    assert (outcome.status, outcome.stderr) == (0, "")
    assert outcome.stdout == (f"{journal}: {len(good_line)} bytes, 1 line, 1 event, no bad lines\n")


def test_every_bad_line_is_named_and_the_exit_status_is_1(
    journal: Path, damaged: list[tuple[int, int]]
) -> None:
    outcome = run_cli("verify")

    assert outcome.status == 1
    *reports, summary = outcome.stdout.splitlines()
    assert [report.split(": ")[0] for report in reports] == [
        f"line {line} (byte {offset})" for line, offset in damaged
    ]
    assert all(report.split(": ", 1)[1] for report in reports)  # each says why
    assert summary.endswith(", 6 lines, 2 events, 3 bad lines")


def test_verify_json_prints_the_report(
    journal: Path, damaged: list[tuple[int, int]], call_main: CallMain
) -> None:
    outcome = call_main("verify", "--json")

    assert outcome.status == 1
    report = json.loads(outcome.stdout)
    assert (report["path"], report["size_bytes"], report["events"]) == (
        str(journal),
        journal.stat().st_size,
        2,
    )
    assert [(bad["line"], bad["offset"]) for bad in report["bad_lines"]] == damaged


def test_verify_of_a_missing_journal_says_so_as_every_command_does(journal: Path) -> None:
    outcome = run_cli("verify")

    # SPEC 5: one behaviour for every command with no journal yet (tests/cli/test_no_journal.py).
    assert (outcome.status, outcome.stdout) == (0, "")
    assert outcome.stderr.startswith(f"task-journal: no journal yet at {journal} ")
    assert not journal.exists()


def run_with_terminal_stderr(*args: str) -> tuple[int, str, str]:
    """Run the script with stderr on a pseudo-terminal; (status, stdout, terminal output)."""
    controller, terminal = os.openpty()
    with subprocess.Popen([str(CLI), *args], stdout=subprocess.PIPE, stderr=terminal) as child:
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        os.close(controller)
        assert child.stdout is not None
        stdout = child.stdout.read().decode()
    return child.returncode, stdout, shown.decode()


@pytest.fixture
def large_journal(journal: Path, good_line: bytes) -> Path:
    """A sound journal just over the size at which verify shows progress."""
    copies = VERIFY_PROGRESS_MIN_BYTES // len(good_line) + 1
    journal.write_bytes(good_line * copies)
    return journal


def test_verify_shows_progress_on_a_terminal_for_a_large_journal(large_journal: Path) -> None:
    status, stdout, shown = run_with_terminal_stderr("verify")

    assert status == 0
    assert "verifying [" in shown
    assert "100%" in shown
    assert stdout.endswith(", no bad lines\n")


def test_verify_shows_no_progress_when_stderr_is_not_a_terminal(large_journal: Path) -> None:
    outcome = run_cli("verify")

    assert (outcome.status, outcome.stderr) == (0, "")


def test_verify_shows_no_progress_for_a_small_journal(good_line: bytes) -> None:
    status, _, shown = run_with_terminal_stderr("verify")

    assert (status, shown) == (0, "")
