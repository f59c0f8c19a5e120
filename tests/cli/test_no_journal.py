"""Reading before the journal exists: say which journal was looked at, and which exist."""

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from server.cli.dispatch import _MODULE_OF
from tests.cli.conftest import CallMain, event_line, run_cli, write_events

# Every command that reads the journal or looks after it, as a person would type it.
# With no journal they all behave alike (SPEC §5): one line on stderr saying so, nothing
# on stdout, exit 0, and no file left behind.
READING = [
    ["read"],
    ["read", "--task", "tj-8f"],
    ["tasks"],
    ["show", "tj-8f"],
    ["pack", "tj-8f"],
    ["resume"],
    ["export-pr", "tj-8f"],
    ["export"],
    ["export", "--task", "tj-8f"],
    ["events", "list"],
    ["stale"],
    ["search", "upload"],
    ["rejected", "retry loop"],
    ["rejected", "retry loop", "--since", "3d"],
    ["verify"],
    ["flush"],
    ["rebuild-state"],
]
# The others: writing commands create the journal (or refuse, creating nothing); path
# and doctor say where the journal is, the status line and the hooks are silent (SPEC
# §9), serve is the MCP server (tests/server/test_no_journal.py) and ui the viewer;
# capture writes a session's records, and sync writes what the team's replicas hold
# (a fresh clone's first sync creates the journal, SPEC §10).
NOT_READING = {"append", "create", "event", "close", "reopen", "goal", "external", "path"}
NOT_READING |= {"doctor", "statusline", "hook", "install-hooks", "serve", "ui"}
NOT_READING |= {"capture", "sync"}


def test_every_command_is_held_to_the_no_journal_rule_or_named_as_not_reading() -> None:
    assert {command[0] for command in READING} | NOT_READING == set(_MODULE_OF)


@pytest.mark.parametrize("command", READING, ids=" ".join)
def test_a_missing_journal_named_by_the_environment_is_said_and_not_created(
    journal: Path, call_main: CallMain, command: list[str]
) -> None:
    outcome = call_main(*command)

    assert (outcome.status, outcome.stdout) == (0, "")
    assert outcome.stderr == (
        f"task-journal: no journal yet at {journal} (named by $TASK_JOURNAL_PATH); "
        "the first append creates it\n"
    )
    assert not journal.parent.exists()


@pytest.mark.parametrize("command", READING, ids=" ".join)
def test_a_missing_project_journal_is_not_created_and_neither_is_its_folder(
    tmp_path: Path, command: list[str]
) -> None:
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)

    outcome = run_cli(*command, cwd=project)

    assert (outcome.status, outcome.stdout) == (0, "")
    assert "no journal yet at" in outcome.stderr
    assert not (tmp_path / "data").exists()


def test_a_missing_journal_named_by_the_flag_is_said(tmp_path: Path, call_main: CallMain) -> None:
    path = tmp_path / "nowhere.jsonl"

    outcome = call_main("--journal", str(path), "tasks")

    assert outcome.stderr == (
        f"task-journal: no journal yet at {path} (named by --journal); "
        "the first append creates it\n"
    )


@pytest.mark.parametrize(("command", "empty"), [("read", "events"), ("tasks", "tasks")])
def test_json_still_prints_an_empty_page_for_scripts(
    journal: Path, call_main: CallMain, command: str, empty: str
) -> None:
    outcome = call_main(command, "--json")

    assert outcome.status == 0
    assert json.loads(outcome.stdout) == {
        empty: [],
        "next_cursor": None,
        "truncated": False,
        "note": None,
    }


def test_a_projects_missing_journal_names_the_project_and_lists_the_other_journals(
    tmp_path: Path, call_main: CallMain, frozen_now: dt.datetime
) -> None:
    project = tmp_path / "myproject"
    (project / ".git").mkdir(parents=True)
    (project / "src").mkdir()
    events = tmp_path / "data" / "events"
    other = events / "3f2a9c0d1b7e4a65.jsonl"
    write_events(
        other,
        event_line(type="open", timestamp="2026-12-01T12:00:00.000Z", text="Port the importer"),
    )
    empty = events / "0000000000000000.jsonl"
    empty.write_bytes(b"")
    os.utime(empty, (1, 1))  # written long before the other

    outcome = call_main("--project-dir", str(project / "src"), "tasks")

    assert (outcome.status, outcome.stdout) == (0, "")
    own = call_main("--project-dir", str(project), "path").stdout.strip()
    assert outcome.stderr.splitlines() == [
        f"task-journal: no journal yet at {own} (the journal of the project at {project}); "
        "the first append creates it",
        f"task-journal: other journals in {events}, last written first:",
        f"task-journal:   3f2a9c0d1b7e4a65.jsonl  {other.stat().st_size} bytes, last event "
        "27 hours ago on tj-8f3k2m9q1z: Port the importer",
        "task-journal:   0000000000000000.jsonl  0 bytes, no events",
        "task-journal: read one with --journal PATH, or from inside its project's folder",
    ]


def test_listing_the_other_journals_builds_no_index_for_them(
    tmp_path: Path, call_main: CallMain
) -> None:
    project = tmp_path / "myproject"
    (project / ".git").mkdir(parents=True)
    other = tmp_path / "data" / "events" / "3f2a9c0d1b7e4a65.jsonl"
    write_events(
        other,
        event_line(type="open", timestamp="2026-12-01T12:00:00.000Z", text="Port the importer"),
        event_line(
            type="finding",
            event_id="01KMZ3T4J8Q7W2E5R6T7Y8V9H1",
            timestamp="2026-12-01T11:00:00.000Z",
            text="Written last",
        ),
    )

    outcome = call_main("--project-dir", str(project), "tasks")

    assert "on tj-8f3k2m9q1z: Written last" in outcome.stderr
    assert sorted(path.name for path in other.parent.iterdir()) == [other.name]


def test_a_data_folder_of_many_journals_lists_the_last_written_few(
    journal: Path, tmp_path: Path, call_main: CallMain
) -> None:
    events = tmp_path / "data" / "events"
    events.mkdir(parents=True)
    for number in range(11):
        path = events / f"{number:016x}.jsonl"
        path.write_bytes(b"")
        os.utime(path, (number, number))

    lines = call_main("read").stderr.splitlines()

    assert lines[2:] == [
        *(f"task-journal:   {n:016x}.jsonl  0 bytes, no events" for n in range(10, 2, -1)),
        "task-journal:   and 3 more",
        "task-journal: read one with --journal PATH, or from inside its project's folder",
    ]
