"""task-journal append: one event in, its ids out; refused input writes nothing."""

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import CallMain, run_cli

IDS = re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25} tj-[0-9a-hjkmnp-tv-z]{10}\n")


def lines_of(journal: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in journal.read_bytes().splitlines()]


def test_open_prints_the_event_id_and_the_new_task_id(journal: Path) -> None:
    outcome = run_cli("append", "open", "Fix the flaky upload test", "--title", "Flaky upload")

    assert (outcome.status, outcome.stderr) == (0, "")
    assert IDS.fullmatch(outcome.stdout)
    event_id, task_id = outcome.stdout.split()
    [written] = lines_of(journal)
    assert written["event_id"] == event_id
    assert written["task_id"] == task_id
    assert written["meta"] == {"title": "Flaky upload"}
    assert (written["author"], written["source"], written["status"]) == (
        "agent",
        "cli",
        "confirmed",
    )


def test_json_prints_the_append_result(journal: Path, task_id: str) -> None:
    outcome = run_cli("append", "finding", "Only after test_auth", "--task", task_id, "--json")

    assert outcome.status == 0, outcome.stderr
    result = json.loads(outcome.stdout)
    assert list(result) == ["event_id", "task_id", "type", "timestamp", "durable", "duplicate"]
    assert result["task_id"] == task_id
    assert (result["type"], result["durable"], result["duplicate"]) == ("finding", True, False)
    assert lines_of(journal)[-1]["event_id"] == result["event_id"]


def test_every_option_reaches_the_written_event(
    journal: Path, task_id: str, call_main: CallMain
) -> None:
    first = lines_of(journal)[0]["event_id"]
    assert isinstance(first, str)

    outcome = call_main(
        "append",
        "decision",
        "Keep the sidecar lock",
        "--task",
        task_id,
        "--author",
        "user",
        "--source",
        "manual",
        "--ref-file",
        "journal_core/writer.py",
        "--ref-file",
        "README.md",
        "--ref-commit",
        "0a1b2c3",
        "--ref-event",
        first,
        "--meta",
        '{"reason": "Rust writers take the same lock"}',
        "--supersedes",
        first,
        "--confidence",
        "0.8",
        "--evidence-strength",
        "strong",
        "--status",
        "suggested",
        "--idempotency-key",
        "decision-1",
    )

    assert outcome.status == 0, outcome.stderr
    written = lines_of(journal)[-1]
    assert {key: written.get(key) for key in ("author", "source", "status")} == {
        "author": "user",
        "source": "manual",
        "status": "suggested",
    }
    assert written["refs"] == {
        "commits": ["0a1b2c3"],
        "files": ["journal_core/writer.py", "README.md"],
        "events": [first],
    }
    assert written["meta"] == {
        "reason": "Rust writers take the same lock",
        "idempotency_key": "decision-1",
    }
    assert (written["supersedes"], written["confidence"], written["evidence_strength"]) == (
        first,
        0.8,
        "strong",
    )


def test_corrects_names_the_corrected_event(
    journal: Path, task_id: str, call_main: CallMain
) -> None:
    first = lines_of(journal)[0]["event_id"]
    assert isinstance(first, str)

    outcome = call_main(
        "append", "correction", "It was test_login", "--task", task_id, "--corrects", first
    )

    assert outcome.status == 0, outcome.stderr
    assert lines_of(journal)[-1]["corrects"] == first


def test_text_dash_reads_stdin_without_its_trailing_newline(journal: Path, task_id: str) -> None:
    text = "Two lines\nof findings from a hook"

    outcome = run_cli("append", "finding", "-", "--task", task_id, stdin=(text + "\n").encode())

    assert outcome.status == 0, outcome.stderr
    assert lines_of(journal)[-1]["text"] == text


def test_a_repeated_idempotency_key_writes_nothing_and_prints_the_first_ids(
    journal: Path, task_id: str, call_main: CallMain
) -> None:
    args = ("append", "finding", "Seen once", "--task", task_id, "--idempotency-key", "k-1")
    first = call_main(*args)
    size = journal.stat().st_size

    again = call_main(*args)

    assert again.status == 0
    assert again.stdout == first.stdout
    assert "idempotency key already used" in again.stderr
    assert journal.stat().st_size == size


# Command lines as a shell would split them. {finding} stands for a sound start,
# "append finding t --task {task}"; {task} is an opened task; {long} a text one byte
# over the 64 KiB limit.
REFUSED = [
    pytest.param("append musing text --task {task}", "'type'", id="unknown-type"),
    pytest.param("append finding '   ' --task {task}", "'text'", id="blank-text"),
    pytest.param("append finding {long} --task {task}", "'text'", id="text-too-long"),
    pytest.param("append finding t --task tj-unknown00", "task not found", id="unknown-task"),
    pytest.param("append finding t", "task", id="no-task"),
    pytest.param("append open again --task {task}", "already opened", id="task-opened-twice"),
    pytest.param("append finding t --task 'bad id!'", "'task_id'", id="malformed-task-id"),
    pytest.param("{finding} --meta '{oops'", "not valid JSON", id="meta-not-json"),
    pytest.param("{finding} --meta '[1]'", "JSON object", id="meta-not-an-object"),
    pytest.param("{finding} --confidence 1.5", "'confidence'", id="confidence-over-1"),
    pytest.param("{finding} --confidence nan", "'confidence'", id="confidence-nan"),
    pytest.param("{finding} --confidence high", "--confidence", id="confidence-not-a-number"),
    pytest.param("{finding} --author robot", "'author'", id="unknown-author"),
    pytest.param("{finding} --corrects nope", "'corrects'", id="corrects-not-an-event-id"),
    pytest.param("{finding} --status maybe", "'status'", id="unknown-status"),
    pytest.param("--durability sometimes {finding}", "durability", id="unknown-durability"),
    pytest.param("append finding", "TEXT", id="missing-text"),
    pytest.param("{finding} --colour red", "--colour", id="unknown-option"),
]  # fmt: skip


@pytest.mark.parametrize(("command_line", "named"), REFUSED)
def test_refused_input_exits_2_with_one_error_line_and_the_journal_unchanged(
    journal: Path, task_id: str, command_line: str, named: str
) -> None:
    before = journal.read_bytes()
    long_text = "x" * (64 * 1024 + 1)
    args = [
        arg.replace("{task}", task_id).replace("{long}", long_text)
        for arg in shlex.split(command_line.replace("{finding}", "append finding t --task {task}"))
    ]

    outcome = run_cli(*args)

    assert outcome.status == 2
    assert outcome.stdout == ""
    assert outcome.stderr.startswith("task-journal: error: ")
    assert outcome.stderr.count("\n") == 1
    assert named in outcome.stderr
    assert journal.read_bytes() == before


def test_text_from_stdin_that_is_not_utf8_is_refused(journal: Path, task_id: str) -> None:
    before = journal.read_bytes()

    outcome = run_cli("append", "finding", "-", "--task", task_id, stdin=b"caf\xe9\n")

    assert outcome.status == 2
    assert outcome.stderr.startswith("task-journal: error: ")
    assert "UTF-8" in outcome.stderr
    assert journal.read_bytes() == before


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["append", "open", "From a hook"], id="append"),
        pytest.param(["path"], id="path"),
    ],
)
def test_quick_commands_import_neither_mcp_nor_importlib_metadata(
    journal: Path, argv: list[str]
) -> None:
    # A hook runs `task-journal append` on every turn; mcp alone takes most of a second,
    # and importlib.metadata (for a version nobody asked for) tens of milliseconds.
    program = (
        "import sys\n"
        "from server.cli import main\n"
        f"status = main({argv!r})\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('mcp', 'pydantic', 'anyio')"
        " or m in ('server.app', 'importlib.metadata'))\n"
        "print(status, heavy)\n"
    )

    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=60
    )

    assert done.stdout.splitlines()[-1] == "0 []"
