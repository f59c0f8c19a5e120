"""Every command that takes a task takes any unique start of its id, as show does, and
says the same when the start names no task or several."""

import json
from pathlib import Path

import pytest

from tests.cli.conftest import CallMain, event_line, run_cli, write_events

TASK = "tj-8f3k2m9q1z"
NEIGHBOUR = "tj-8f9aaaaaaa"
OPEN = "01KMZ3T4J8Q7W2E5R6T7Y8V9H0"
FINDING = "01KMZ3V1AAAAAAAAAAAAAAAAAA"
OTHER_FINDING = "01KMZ3V1BBBBBBBBBBBBBBBBBB"

# Each command that names a task, with "{task}" where the task goes.
WRITING = {
    "event": ("event", "{task}", "--type", "finding", "--text", "seen again"),
    "close": ("close", "{task}", "--outcome", "Merged", "--outcome-tag", "done"),
    "reopen": ("reopen", "{task}", "--reason", "fails again"),
    "goal": ("goal", "{task}", "CI green ten runs in a row"),
    "external": ("external", "{task}", "--add", "github:#42"),
}
READING = {
    "pack": ("pack", "{task}"),
    "export-pr": ("export-pr", "{task}"),
    "export": ("export", "--task", "{task}"),
    "show": ("show", "{task}"),
}
EVERY = {**WRITING, **READING}


@pytest.fixture
def tasks(journal: Path) -> Path:
    """Two open tasks whose ids share the start tj-8f; the first has a finding."""
    write_events(
        journal,
        event_line(event_id=OPEN, task_id=TASK, type="open", meta={"title": "Flaky upload"}),
        event_line(event_id=FINDING, task_id=TASK, text="Fails only after test_auth"),
        event_line(event_id="01KMZ3T4J8Q7W2E5R6T7Y8V9H1", task_id=NEIGHBOUR, type="open"),
        event_line(event_id=OTHER_FINDING, task_id=NEIGHBOUR, text="Unrelated"),
    )
    return journal


def _args(command: str, task: str) -> list[str]:
    return [arg.format(task=task) for arg in EVERY[command]]


def _last_event(journal: Path) -> dict[str, object]:
    event: dict[str, object] = json.loads(journal.read_bytes().splitlines()[-1])
    return event


@pytest.mark.parametrize("command", list(WRITING))
def test_a_writing_command_writes_to_the_task_a_unique_start_names(
    tasks: Path, call_main: CallMain, command: str
) -> None:
    if command == "reopen":  # only a closed task can be reopened
        call_main(*_args("close", TASK))
    outcome = call_main(*_args(command, "tj-8f3"))

    assert (outcome.status, outcome.stderr) == (0, "")
    assert _last_event(tasks)["task_id"] == TASK


@pytest.mark.parametrize("command", list(READING))
def test_a_reading_command_prints_the_same_for_a_unique_start_as_for_the_whole_id(
    tasks: Path, call_main: CallMain, command: str
) -> None:
    whole = call_main(*_args(command, TASK))

    by_prefix = call_main(*_args(command, "tj-8f3"))

    assert (by_prefix.status, by_prefix.stderr) == (0, "")
    assert by_prefix.stdout == whole.stdout
    assert TASK in by_prefix.stdout or "Flaky upload" in by_prefix.stdout


@pytest.mark.parametrize("command", list(READING))
@pytest.mark.parametrize("typed", ["8f3k2m9q1z", "8f3"])
def test_a_task_id_may_be_typed_without_its_tj(
    tasks: Path, call_main: CallMain, command: str, typed: str
) -> None:
    whole = call_main(*_args(command, TASK))

    without = call_main(*_args(command, typed))

    assert (without.status, without.stderr) == (0, "")
    assert without.stdout == whole.stdout


def test_a_task_named_without_its_tj_takes_the_event(tasks: Path, call_main: CallMain) -> None:
    outcome = call_main("append", "finding", "Seen again", "--task", "8f3k")

    assert (outcome.status, outcome.stderr) == (0, "")
    assert _last_event(tasks)["task_id"] == TASK


@pytest.mark.parametrize("command", list(EVERY))
def test_an_ambiguous_start_names_the_candidates_and_writes_nothing(
    tasks: Path, call_main: CallMain, command: str
) -> None:
    before = tasks.read_bytes()

    outcome = call_main(*_args(command, "tj-8f"))

    assert (outcome.status, outcome.stdout) == (2, "")
    assert outcome.stderr == (
        f"task-journal: error: 'tj-8f' is the start of 2 task ids ({TASK}, {NEIGHBOUR});"
        " type more of the one you mean\n"
    )
    assert tasks.read_bytes() == before


@pytest.mark.parametrize("command", list(EVERY))
def test_an_unknown_task_says_how_to_list_the_tasks_and_writes_nothing(
    tasks: Path, call_main: CallMain, command: str
) -> None:
    before = tasks.read_bytes()

    outcome = call_main(*_args(command, "tj-nothing"))

    assert (outcome.status, outcome.stdout) == (2, "")
    assert outcome.stderr == (
        f"task-journal: error: no task 'tj-nothing' in the journal {tasks}; "
        "`task-journal tasks --status any` lists its tasks\n"
    )
    assert tasks.read_bytes() == before


@pytest.mark.parametrize("command", list(WRITING))
def test_a_refused_task_creates_no_journal(journal: Path, command: str) -> None:
    outcome = run_cli(*_args(command, "tj-8f3"))

    assert (outcome.status, outcome.stdout) == (2, "")
    assert "no task 'tj-8f3'" in outcome.stderr
    assert not journal.exists()


def test_create_takes_a_unique_start_of_the_parent(tasks: Path, call_main: CallMain) -> None:
    outcome = call_main("create", "Subtask", "--parent", "tj-8f3")

    assert (outcome.status, outcome.stderr) == (0, "")
    assert _last_event(tasks)["meta"] == {"title": "Subtask", "parent_id": TASK}


@pytest.mark.parametrize(
    ("kind", "flag"), [("correction", "--corrects"), ("supersede", "--supersedes")]
)
def test_event_takes_a_unique_start_of_the_event_it_changes(
    tasks: Path, call_main: CallMain, kind: str, flag: str
) -> None:
    outcome = call_main(
        "event", "tj-8f3", "--type", kind, "--text", "after test_login", flag, FINDING[:12]
    )

    assert (outcome.status, outcome.stderr) == (0, "")
    assert _last_event(tasks)[flag.removeprefix("--")] == FINDING


def test_event_names_the_events_an_ambiguous_event_start_may_mean(
    tasks: Path, call_main: CallMain
) -> None:
    outcome = call_main(
        "event", "tj-8f3", "--type", "correction", "--text", "x", "--corrects", "01KMZ3"
    )

    assert (outcome.status, outcome.stdout) == (2, "")
    assert outcome.stderr == (
        "task-journal: error: --corrects '01KMZ3' is the start of more than one event id "
        f"({OPEN}, {FINDING}); type more of the one you mean\n"
    )
