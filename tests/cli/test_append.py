"""task-journal append: one event in, its ids out; refused input writes nothing."""

# The tables of refused input hold each whole error message on one line, to be read as it prints.
# ruff: noqa: E501

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import CallMain, event_line, run_cli, write_events

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
        "user",
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
# over the 64 KiB limit. Each error is said in the command line's words (its flags and
# commands, never the MCP tools' arguments), word for word.
TYPES = "open, hypothesis, finding, evidence, decision, rejection, constraint, correction, reopen, supersede, close, redirect, rename"
REFUSED = [
    pytest.param("append musing text --task {task}", f"argument TYPE: 'musing' is not an event type; give one of {TYPES} before the text (see 'task-journal append --help')", id="unknown-type"),
    pytest.param("append 'Fails only after test_auth'", f"argument TYPE: 'Fails only after test_auth' is not an event type; give one of {TYPES} before the text (see 'task-journal append --help')", id="text-without-a-type"),
    pytest.param("append finding '   ' --task {task}", "TEXT must not be empty or only whitespace", id="blank-text"),
    pytest.param("append finding {long} --task {task}", "TEXT is over the 65536-byte limit; split it into events", id="text-too-long"),
    pytest.param("append finding t --task tj-unknown00", "no task 'tj-unknown00' in the journal {journal}; `task-journal tasks --status any` lists its tasks", id="unknown-task"),
    pytest.param("append finding t", "--task is missing: a finding belongs to a task; name it with --task (`task-journal tasks` lists them), or start a task with `task-journal append open TEXT`", id="no-task"),
    pytest.param("append open again --task {task}", "--task {task} names a task that is already open; add events to it with another TYPE, or leave out --task to start a new task", id="open-of-an-open-task"),
    pytest.param("append open 'bad id' --task 'bad id!'", "--task 'bad id!' is not a task id (1 to 64 characters from A-Z a-z 0-9 : _ . -)", id="malformed-task-id"),
    pytest.param("{finding} --meta '{oops'", "--meta is not valid JSON (Expecting property name enclosed in double quotes at character 1)", id="meta-not-json"),
    pytest.param("{finding} --meta '[1]'", "--meta must be a JSON object, like '{\"reason\": \"...\"}'", id="meta-not-an-object"),
    pytest.param("""{finding} --meta '{"outcome_tag": "done"}'""", "--meta key 'outcome_tag' is only for type 'close'", id="meta-key-of-another-type"),
    pytest.param("{finding} --title Upload", "--title is only for type 'open' (or 'rename')", id="title-not-on-open"),
    pytest.param("{finding} --confidence 1.5", "--confidence 1.5 is not a number from 0.0 to 1.0", id="confidence-over-1"),
    pytest.param("{finding} --confidence nan", "--confidence nan is not a number from 0.0 to 1.0", id="confidence-nan"),
    pytest.param("{finding} --confidence high", "argument --confidence: invalid float value: 'high' (see 'task-journal append --help')", id="confidence-not-a-number"),
    pytest.param("{finding} --author robot", "--author 'robot' is not one of: user, agent, classifier, hook", id="unknown-author"),
    pytest.param("{finding} --corrects nope", "--corrects 'nope' is not an event id (a ULID: 26 uppercase Crockford characters)", id="corrects-not-an-event-id"),
    pytest.param("append correction 'After test_login' --task {task}", "--corrects is missing: a correction must name the event it corrects", id="correction-of-nothing"),
    pytest.param("append supersede 'Seen again' --task {task}", "--supersedes is missing: a supersede must name the event it replaces", id="supersede-of-nothing"),
    pytest.param("{finding} --status maybe", "--status 'maybe' is not one of: confirmed, suggested", id="unknown-status"),
    pytest.param("{finding} --evidence-strength huge", "--evidence-strength 'huge' is not one of: weak, medium, strong", id="unknown-strength"),
    pytest.param("{finding} --ref-file ''", "--ref-file must not be empty", id="empty-ref"),
    pytest.param("--durability sometimes {finding}", "invalid setting durability: 'sometimes' is not one of: always, flush", id="unknown-durability"),
    pytest.param("append finding", "the following arguments are required: TEXT (see 'task-journal append --help')", id="missing-text"),
    pytest.param("{finding} --colour red", "unrecognized arguments: --colour red (see 'task-journal --help')", id="unknown-option"),
]  # fmt: skip


@pytest.mark.parametrize(("command_line", "message"), REFUSED)
def test_refused_input_exits_2_with_one_error_line_and_the_journal_unchanged(
    journal: Path, task_id: str, command_line: str, message: str
) -> None:
    before = journal.read_bytes()
    long_text = "x" * (64 * 1024 + 1)
    args = [
        arg.replace("{task}", task_id).replace("{long}", long_text)
        for arg in shlex.split(command_line.replace("{finding}", "append finding t --task {task}"))
    ]

    outcome = run_cli(*args)

    assert (outcome.status, outcome.stdout) == (2, "")
    expected = message.replace("{task}", task_id).replace("{journal}", str(journal))
    assert outcome.stderr == f"task-journal: error: {expected}\n"
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


def test_task_may_be_any_unique_start_of_its_id(
    journal: Path, task_id: str, call_main: CallMain
) -> None:
    outcome = call_main("append", "finding", "By prefix", "--task", task_id[:5])

    assert (outcome.status, outcome.stderr) == (0, "")
    assert outcome.stdout.split()[1] == task_id
    assert json.loads(journal.read_bytes().splitlines()[-1])["task_id"] == task_id


def test_an_ambiguous_start_of_a_task_id_writes_nothing(journal: Path, call_main: CallMain) -> None:
    call_main("append", "open", "One", "--task", "upload-1")
    call_main("append", "open", "Two", "--task", "upload-2")
    before = journal.read_bytes()

    outcome = call_main("append", "finding", "Which?", "--task", "upload")

    assert (outcome.status, outcome.stdout) == (2, "")
    assert outcome.stderr == (
        "task-journal: error: 'upload' is the start of 2 task ids (upload-1, upload-2); "
        "type more of the one you mean\n"
    )
    assert journal.read_bytes() == before


def test_an_open_of_a_closed_task_points_to_reopen(
    journal: Path, task_id: str, call_main: CallMain
) -> None:
    call_main("append", "close", "Done", "--task", task_id)
    before = journal.read_bytes()

    outcome = call_main("append", "open", "Again", "--task", task_id)

    assert (outcome.status, outcome.stdout) == (2, "")
    assert outcome.stderr == (
        f"task-journal: error: --task {task_id} names a task that was opened before and is "
        f'closed; to work on it again, `task-journal append reopen "why" --task {task_id}`\n'
    )
    assert journal.read_bytes() == before


@pytest.fixture
def finding_id(journal: Path, task_id: str, call_main: CallMain) -> str:
    """A finding on `task_id`; its whole event id."""
    return call_main(
        "append", "finding", "Fails after test_auth", "--task", task_id
    ).stdout.split()[0]


def test_an_event_may_be_named_by_the_short_id_show_prints(
    journal: Path, task_id: str, finding_id: str, call_main: CallMain
) -> None:
    short = finding_id[:12]

    outcome = call_main(
        "append", "correction", "After test_login", "--task", task_id,
        "--corrects", short, "--ref-event", short.lower(),
    )  # fmt: skip

    assert (outcome.status, outcome.stderr) == (0, "")
    written = json.loads(journal.read_bytes().splitlines()[-1])
    assert (written["corrects"], written["refs"]["events"]) == (finding_id, [finding_id])


def test_an_event_of_another_task_is_found_by_its_short_id(
    journal: Path, finding_id: str, call_main: CallMain
) -> None:
    other = call_main("append", "open", "Another task").stdout.split()[1]

    outcome = call_main(
        "append", "supersede", "Seen again here", "--task", other, "--supersedes", finding_id[:12]
    )

    assert outcome.status == 0, outcome.stderr
    assert json.loads(journal.read_bytes().splitlines()[-1])["supersedes"] == finding_id


def test_an_event_id_start_that_names_none_is_refused(
    journal: Path, task_id: str, finding_id: str, call_main: CallMain
) -> None:
    before = journal.read_bytes()

    outcome = call_main("append", "correction", "x", "--task", task_id, "--corrects", "7ZZZ")

    assert (outcome.status, outcome.stdout) == (2, "")
    assert outcome.stderr == (
        "task-journal: error: --corrects '7ZZZ' is the start of no event id in this journal; "
        "`task-journal show TASK` prints the ids of a task's events\n"
    )
    assert journal.read_bytes() == before


def test_an_event_id_start_that_names_several_lists_them(
    journal: Path, task_id: str, finding_id: str, call_main: CallMain
) -> None:
    ids = [json.loads(line)["event_id"] for line in journal.read_bytes().splitlines()]
    common = ids[0][:2]  # the same millisecond's era: both ids start alike

    outcome = call_main("append", "correction", "x", "--task", task_id, "--corrects", common)

    assert (outcome.status, outcome.stdout) == (2, "")
    assert outcome.stderr == (
        f"task-journal: error: --corrects '{common}' is the start of more than one event id "
        f"({', '.join(ids)}); type more of the one you mean\n"
    )


def test_an_event_for_a_task_never_opened_says_how_to_start_one(
    journal: Path, call_main: CallMain
) -> None:
    # A foreign writer's event for a task with no open event.
    write_events(journal, event_line(task_id="orphan-1", type="finding"))
    before = journal.read_bytes()

    outcome = call_main("append", "finding", "More", "--task", "orphan-1")

    assert (outcome.status, outcome.stdout) == (2, "")
    assert outcome.stderr == (
        "task-journal: error: task 'orphan-1' has no 'open' event in this journal; start a "
        "task with `task-journal append open TEXT`, or find yours with "
        "`task-journal tasks --status any`\n"
    )
    assert journal.read_bytes() == before
