"""The Rust tool's task commands: create, event, close, reopen, goal, external, stale.

Scripts written for the Rust ``task-journal`` call these with its words and flags, and
read back what it prints: the task id for ``create``, the event id for the others.
"""

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import CallMain, run_cli
from tests.cli.past import append_at, open_task_at

TASK_ID = re.compile(r"tj-[0-9a-hjkmnp-tv-z]{10}\n")
EVENT_ID = re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25}\n")


def lines_of(journal: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in journal.read_bytes().splitlines()]


@pytest.fixture
def created(journal: Path) -> str:
    """A task made with ``create``; its id."""
    outcome = run_cli("create", "Flaky upload test")
    assert outcome.status == 0, outcome.stderr
    return outcome.stdout.strip()


def test_create_prints_only_the_new_task_id(journal: Path) -> None:
    outcome = run_cli("create", "Flaky upload test", "--goal", "CI green ten runs in a row")

    assert (outcome.status, outcome.stderr) == (0, "")
    assert TASK_ID.fullmatch(outcome.stdout)
    [opened] = lines_of(journal)
    assert opened["task_id"] == outcome.stdout.strip()
    assert (opened["type"], opened["text"], opened["author"], opened["source"]) == (
        "open",
        "Flaky upload test",
        "user",
        "cli",
    )
    assert opened["meta"] == {"title": "Flaky upload test", "goal": "CI green ten runs in a row"}


def test_create_with_context_and_parent_writes_them_into_the_open_event(
    journal: Path, created: str
) -> None:
    outcome = run_cli(
        "create", "Retry the upload", "--context", "Uploads time out at 30 s", "--parent", created
    )

    assert outcome.status == 0, outcome.stderr
    child = lines_of(journal)[-1]
    assert child["text"] == "Uploads time out at 30 s"
    assert child["meta"] == {"title": "Retry the upload", "parent_id": created}


def test_create_refuses_a_parent_that_is_not_in_the_journal(journal: Path, created: str) -> None:
    before = journal.read_bytes()

    outcome = run_cli("create", "Orphan", "--parent", "tj-0000000000")

    assert (outcome.status, outcome.stdout) == (2, "")
    assert "--parent" in outcome.stderr
    assert "tj-0000000000" in outcome.stderr
    assert journal.read_bytes() == before


def test_event_in_the_upstream_form_prints_the_event_id(journal: Path, created: str) -> None:
    outcome = run_cli("event", created, "--type", "decision", "--text", "Keep the sidecar lock")

    assert (outcome.status, outcome.stderr) == (0, "")
    assert EVENT_ID.fullmatch(outcome.stdout)
    written = lines_of(journal)[-1]
    assert written["event_id"] == outcome.stdout.strip()
    assert (written["task_id"], written["type"], written["text"]) == (
        created,
        "decision",
        "Keep the sidecar lock",
    )
    assert (written["author"], written["source"]) == ("user", "cli")


def test_event_carries_corrects_and_supersedes(journal: Path, created: str) -> None:
    first = run_cli("event", created, "--type", "finding", "--text", "Fails after 3 s").stdout
    outcome = run_cli(
        "event",
        created,
        "--type",
        "correction",
        "--text",
        "It was 30 s",
        "--corrects",
        first.strip(),
    )

    assert outcome.status == 0, outcome.stderr
    assert lines_of(journal)[-1]["corrects"] == first.strip()


def test_event_is_no_longer_an_alias_of_append(journal: Path, created: str) -> None:
    before = journal.read_bytes()

    outcome = run_cli("event", "finding", "Old form", "--task", created)

    assert (outcome.status, outcome.stdout) == (2, "")
    assert "--type" in outcome.stderr
    assert journal.read_bytes() == before


def test_event_on_an_unknown_task_writes_nothing(journal: Path, created: str) -> None:
    before = journal.read_bytes()

    outcome = run_cli("event", "tj-0000000000", "--type", "finding", "--text", "Lost")

    assert (outcome.status, outcome.stdout) == (2, "")
    assert "tj-0000000000" in outcome.stderr
    assert journal.read_bytes() == before


def test_close_writes_outcome_tag_and_reason_into_meta(journal: Path, created: str) -> None:
    outcome = run_cli(
        "close",
        created,
        "--outcome",
        "Merged in #42",
        "--outcome-tag",
        "done",
        "--reason",
        "CI is green",
    )

    assert (outcome.status, outcome.stderr) == (0, "")
    assert EVENT_ID.fullmatch(outcome.stdout)
    closed = lines_of(journal)[-1]
    assert (closed["type"], closed["text"]) == ("close", "Merged in #42")
    assert closed["meta"] == {
        "outcome": "Merged in #42",
        "outcome_tag": "done",
        "reason": "CI is green",
    }


def test_close_with_only_a_tag_still_writes_a_text(journal: Path, created: str) -> None:
    outcome = run_cli("close", created, "--outcome-tag", "abandoned")

    assert outcome.status == 0, outcome.stderr
    closed = lines_of(journal)[-1]
    assert closed["text"] == "Closed (abandoned)"
    assert closed["meta"] == {"outcome_tag": "abandoned"}


def test_close_refuses_an_unknown_outcome_tag(journal: Path, created: str) -> None:
    before = journal.read_bytes()

    outcome = run_cli("close", created, "--outcome", "Shipped", "--outcome-tag", "shipped")

    assert (outcome.status, outcome.stdout) == (2, "")
    assert outcome.stderr == (
        "task-journal: error: --outcome-tag 'shipped' is not one of: done, abandoned, superseded\n"
    )
    assert journal.read_bytes() == before


def test_reopen_writes_the_reason_and_opens_the_task_again(
    journal: Path, created: str, call_main: CallMain
) -> None:
    run_cli("close", created, "--outcome", "Merged", "--outcome-tag", "done")

    outcome = run_cli("reopen", created, "--reason", "Fails again on main")

    assert (outcome.status, outcome.stderr) == (0, "")
    reopened = lines_of(journal)[-1]
    assert (reopened["type"], reopened["text"], reopened["meta"]) == (
        "reopen",
        "Fails again on main",
        {"reason": "Fails again on main"},
    )
    assert created in call_main("tasks").stdout


def test_goal_writes_a_redirect_event_with_the_goal_in_meta(journal: Path, created: str) -> None:
    outcome = run_cli("goal", created, "Uploads never time out")

    assert outcome.status == 0, outcome.stderr
    redirect = lines_of(journal)[-1]
    assert redirect["type"] == "redirect"
    assert redirect["meta"] == {"goal": "Uploads never time out"}


def test_external_writes_the_reference_into_the_journal(journal: Path, created: str) -> None:
    outcome = run_cli("external", created, "--add", "github:#42")

    assert outcome.status == 0, outcome.stderr
    finding = lines_of(journal)[-1]
    assert finding["type"] == "finding"
    assert finding["meta"] == {"external": ["github:#42"]}


def test_json_prints_the_append_result(journal: Path, created: str) -> None:
    outcome = run_cli("event", created, "--type", "finding", "--text", "Seen", "--json")

    assert outcome.status == 0, outcome.stderr
    result = json.loads(outcome.stdout)
    assert (result["task_id"], result["type"], result["duplicate"]) == (created, "finding", False)


@pytest.fixture
def aged(journal: Path) -> dict[str, str]:
    """Three open tasks last touched 30, 8 and 1 days ago, and one closed 40 days ago."""
    ids = {}
    for name, days in (("old", 30), ("week", 8), ("fresh", 1), ("closed", 40)):
        ids[name] = f"tj-{name}"
        open_task_at(journal, ids[name], days, f"{name} task")
    append_at(journal, 40, task_id=ids["closed"], type="close", text="Done")
    return ids


def test_stale_lists_open_tasks_idle_for_the_days_given_longest_first(
    aged: dict[str, str],
) -> None:
    outcome = run_cli("stale")

    assert outcome.status == 0, outcome.stderr
    rows = outcome.stdout.splitlines()
    assert [row.split()[0] for row in rows] == [aged["old"], aged["week"]]
    assert "30 days idle" in rows[0]
    assert "old task" in rows[0]
    assert "close TASK --outcome-tag abandoned" in outcome.stderr


def test_stale_days_moves_the_threshold(aged: dict[str, str]) -> None:
    outcome = run_cli("stale", "--days", "10", "--json")

    assert outcome.status == 0, outcome.stderr
    report = json.loads(outcome.stdout)
    assert report["days"] == 10
    assert [(t["task_id"], t["days_idle"]) for t in report["tasks"]] == [(aged["old"], 30)]


def test_stale_with_nothing_stale_prints_nothing_on_stdout(journal: Path, created: str) -> None:
    outcome = run_cli("stale")

    assert (outcome.status, outcome.stdout) == (0, "")
    assert "no stale tasks" in outcome.stderr


def test_stale_refuses_negative_days(journal: Path) -> None:
    outcome = run_cli("stale", "--days", "-1")

    assert (outcome.status, outcome.stdout) == (2, "")
    assert outcome.stderr == (
        "task-journal: error: argument --days: -1 is too few; give 0 or more days "
        "(see 'task-journal stale --help')\n"
    )


@pytest.mark.parametrize(
    "command", ["create", "event", "close", "reopen", "goal", "external", "stale"]
)
def test_every_lifecycle_command_has_help_with_examples(call_main: CallMain, command: str) -> None:
    outcome = call_main(command, "--help")

    assert outcome.status == 0
    assert f"usage: task-journal {command} " in outcome.stdout
    assert "examples:\n  task-journal " in outcome.stdout


@pytest.mark.parametrize(
    ("kind", "flag", "verb"),
    [("correction", "--corrects", "corrects"), ("supersede", "--supersedes", "replaces")],
)
def test_event_refuses_a_change_that_names_no_event(
    journal: Path, created: str, kind: str, flag: str, verb: str
) -> None:
    before = journal.read_bytes()

    outcome = run_cli("event", created, "--type", kind, "--text", "After test_login")

    assert (outcome.status, outcome.stdout) == (2, "")
    assert outcome.stderr == (
        f"task-journal: error: {flag} is missing: a {kind} must name the event it {verb}\n"
    )
    assert journal.read_bytes() == before


def test_every_writing_command_records_the_same_default_author(journal: Path) -> None:
    task = run_cli("create", "Flaky upload test").stdout.strip()
    for command_line in (
        ["append", "finding", "Fails after test_auth", "--task", task],
        ["event", task, "--type", "decision", "--text", "Reset the cache"],
        ["goal", task, "CI green ten runs in a row"],
        ["close", task, "--outcome", "Merged", "--outcome-tag", "done"],
        ["reopen", task, "--reason", "Fails again"],
    ):
        assert run_cli(*command_line).status == 0

    assert {event["author"] for event in lines_of(journal)} == {"user"}
    assert "user (default" in run_cli("append", "--help").stdout


def test_stale_prints_the_last_event_in_local_time_as_tasks_does(
    aged: dict[str, str], zone: Callable[[str], None]
) -> None:
    zone("Asia/Kolkata")
    tasks = {line.split()[0]: line for line in run_cli("tasks").stdout.splitlines()}

    for row in run_cli("stale").stdout.splitlines():
        task_id = row.split()[0]
        when = re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", tasks[task_id])
        assert when is not None
        assert f"idle  {when[0]}  " in row
        assert "Z" not in row.split("idle")[1].split()[1]


def test_stale_with_nothing_stale_gives_no_advice(journal: Path, created: str) -> None:
    outcome = run_cli("stale")

    assert (outcome.status, outcome.stdout) == (0, "")
    assert outcome.stderr == (
        "task-journal: no stale tasks: every open task had an event in the last 7 days\n"
    )
