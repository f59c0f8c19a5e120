"""Exit statuses and error messages shared by every command, and the help."""

# The table of refused arguments holds each whole error message on one line.
# ruff: noqa: E501

import argparse
import os
import re
import resource
import signal
import subprocess
import time
from pathlib import Path

import pytest
from filelock import FileLock

from server.cli.dispatch import build_parser
from tests.cli.conftest import CLI, CallMain, run_cli


def assert_one_error_line(stderr: str, *named: str) -> None:
    assert stderr.startswith("task-journal: error: ")
    assert stderr.count("\n") == 1
    assert "Traceback" not in stderr
    for text in named:
        assert text in stderr


def test_a_held_lock_makes_append_exit_3_as_busy_and_write_nothing(
    journal: Path, task_id: str
) -> None:
    before = journal.read_bytes()
    env = {**os.environ, "TASK_JOURNAL_LOCK_TIMEOUT": "0.2"}

    with FileLock(f"{journal}.lock"):
        outcome = run_cli("append", "finding", "Blocked", "--task", task_id, env=env)

    assert (outcome.status, outcome.stdout) == (3, "")
    assert_one_error_line(outcome.stderr, "busy")
    assert journal.read_bytes() == before


def test_a_journal_that_cannot_be_created_exits_3(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")

    outcome = run_cli("--journal", str(blocker / "events.jsonl"), "append", "open", "Nowhere")

    assert (outcome.status, outcome.stdout) == (3, "")
    assert_one_error_line(outcome.stderr, str(blocker))


def test_a_failed_write_exits_3_and_leaves_the_journal_as_it_was(
    journal: Path, task_id: str
) -> None:
    before = journal.read_bytes()

    def limit_file_size() -> None:
        # The kernel refuses to grow any file past this (EFBIG), as on a full disk.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (len(before) + 10, len(before) + 10))

    done = subprocess.run(
        [str(CLI), "append", "finding", "x" * 200, "--task", task_id],
        capture_output=True,
        text=True,
        preexec_fn=limit_file_size,  # nothing threaded runs before the exec
        check=False,
        timeout=60,
    )

    assert (done.returncode, done.stdout) == (3, "")
    # The index cannot be written either: it says so once, and the append goes on.
    warning, error = done.stderr.splitlines(keepends=True)
    assert warning.startswith("task-journal: warning: the index ")
    assert_one_error_line(error, str(journal))
    assert journal.read_bytes() == before


def test_a_bad_lock_timeout_setting_exits_2(journal: Path) -> None:
    env = {**os.environ, "TASK_JOURNAL_LOCK_TIMEOUT": "soon"}

    outcome = run_cli("append", "open", "x", env=env)

    assert (outcome.status, outcome.stdout) == (2, "")
    assert_one_error_line(outcome.stderr, "TASK_JOURNAL_LOCK_TIMEOUT")
    assert not journal.exists()


def test_no_command_is_a_usage_error(journal: Path) -> None:
    outcome = run_cli()

    assert (outcome.status, outcome.stdout) == (2, "")
    assert_one_error_line(outcome.stderr)


def _commands() -> dict[str, argparse.ArgumentParser]:
    """Every command the parser knows, with its parser: the commands of ``task-journal``
    and the actions of those that have some (``events list``), by their full name."""
    found: dict[str, argparse.ArgumentParser] = {}

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    found[f"{prefix}{name}"] = sub
                    walk(sub, f"{prefix}{name} ")

    walk(build_parser(), "")
    return found


COMMANDS = _commands()
TOP_COMMANDS = [name for name in COMMANDS if " " not in name]


def test_help_lists_every_command_once_under_a_heading(call_main: CallMain) -> None:
    outcome = call_main("--help")

    assert outcome.status == 0
    listed = re.findall(r"^    ([a-z-]+) ", outcome.stdout, re.MULTILINE)
    assert sorted(listed) == sorted(TOP_COMMANDS)
    assert "\nrecord what happens:\n    append " in outcome.stdout
    assert "\nread the journal:\n    show " in outcome.stdout
    assert "\nmore:" not in outcome.stdout
    assert "exit status:" in outcome.stdout


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_has_help_with_examples(call_main: CallMain, command: str) -> None:
    outcome = call_main(*command.split(), "--help")

    assert outcome.status == 0
    assert f"usage: task-journal {command} " in outcome.stdout
    assert "examples:\n  " in outcome.stdout
    assert "task-journal " in outcome.stdout.partition("examples:")[2]


def test_version_prints_the_package_version(call_main: CallMain) -> None:
    outcome = call_main("--version")

    assert outcome.status == 0
    assert outcome.stdout.startswith("task-journal ")


def test_a_reader_that_goes_away_ends_the_command_quietly(journal: Path, task_id: str) -> None:
    reader, writer = os.pipe()
    os.close(reader)  # as `| head` does once it has what it wants
    try:
        done = subprocess.run(
            [str(CLI), "read"], stdout=writer, stderr=subprocess.PIPE, check=False, timeout=60
        )
    finally:
        os.close(writer)

    assert (done.returncode, done.stderr) == (141, b"")


@pytest.mark.parametrize(
    "command",
    [["append", "open", "x"], ["read"], ["tasks"], ["flush"], ["verify"]],
    ids=lambda command: command[0],
)
def test_a_folder_where_the_journal_should_be_exits_3(
    tmp_path: Path, call_main: CallMain, command: list[str]
) -> None:
    outcome = call_main("--journal", str(tmp_path), *command)

    assert (outcome.status, outcome.stdout) == (3, "")
    assert_one_error_line(outcome.stderr, str(tmp_path))


def _ctrl_c_as_at_a_terminal() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_while_waiting_for_the_lock_exits_130_and_writes_nothing(journal: Path) -> None:
    journal.parent.mkdir()
    with (
        FileLock(f"{journal}.lock"),
        subprocess.Popen(
            [str(CLI), "append", "open", "Never written"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            # Ctrl-C as at a terminal, however the suite was started: a shell without job
            # control starts a background job (`make test &`) with SIGINT ignored, which
            # every process it starts inherits.
            preexec_fn=_ctrl_c_as_at_a_terminal,
        ) as child,
    ):
        # The command creates the (empty) file before it waits for the lock.
        while not journal.exists() and child.poll() is None:
            time.sleep(0.01)
        child.send_signal(signal.SIGINT)
        stdout, stderr = child.communicate(timeout=60)

    assert (child.returncode, stdout, stderr) == (130, b"", b"")
    assert journal.read_bytes() == b""


# Item 11 of the hardening round: each of these was a traceback and exit 1.
DEEP = "[" * 2000 + "]" * 2000
UNREADABLE_ARGUMENTS = [
    pytest.param([b"--ref-file", b"\xff"], "--ref-file holds bytes that are not UTF-8 (b'\\xff'); the journal holds UTF-8 text only", id="ref-file-not-utf8"),
    pytest.param([b"--title", b"caf\xe9"], "--title holds bytes that are not UTF-8 (b'caf\\xe9'); the journal holds UTF-8 text only", id="title-not-utf8"),
    pytest.param([b"--meta", b'{"\\ud800": 1}'], "--meta holds a \\u escape of a lone surrogate, which is not Unicode text", id="meta-surrogate-key"),
    pytest.param([b"--meta", b'{"a": "\\udfff"}'], "--meta holds a \\u escape of a lone surrogate, which is not Unicode text", id="meta-surrogate-value"),
    pytest.param([b"--meta", DEEP.encode()], "--meta is nested too deep; keep it to a few levels", id="meta-nested-2000-deep"),
    pytest.param([b"--meta", b'{"a": ' + b"7" * 5001 + b"}"], "--meta holds a number of 5001 digits, too long to store", id="meta-5001-digit-int"),
]  # fmt: skip


@pytest.mark.parametrize(("extra", "message"), UNREADABLE_ARGUMENTS)
def test_an_argument_python_cannot_take_as_text_exits_2_with_one_line(
    journal: Path, task_id: str, extra: list[bytes], message: str
) -> None:
    before = journal.read_bytes()
    kind = b"open" if extra[0] == b"--title" else b"finding"
    task = [] if kind == b"open" else [b"--task", task_id.encode()]

    done = subprocess.run(
        [os.fsencode(CLI), b"append", kind, b"text", *task, *extra],
        capture_output=True,
        check=False,
        timeout=60,
    )

    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr.decode() == f"task-journal: error: {message}\n"
    assert journal.read_bytes() == before


def test_a_journal_path_that_is_not_utf8_is_a_path_like_any_other(tmp_path: Path) -> None:
    path = os.fsencode(tmp_path) + b"/caf\xe9.jsonl"

    done = subprocess.run(
        [os.fsencode(CLI), b"--journal", path, b"append", b"open", b"Works"],
        capture_output=True,
        check=False,
        timeout=60,
    )

    assert (done.returncode, done.stderr) == (0, b"")
    assert os.path.exists(path)
