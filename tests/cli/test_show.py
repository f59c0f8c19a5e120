"""task-journal show TASK: a task's whole story for a person, oldest first, like git log."""

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.conftest import CallMain, event_line, run_cli, write_events

TASK = "tj-8f3k2m9q1z"
OPEN = "01KMZ3T4J8Q7W2E5R6T7Y8V9H0"
FINDING = "01KMZ3V1AAAAAAAAAAAAAAAAAA"
CORRECTION = "01KMZ3V2BBBBBBBBBBBBBBBBBB"
DECISION = "01KMZ3V3CCCCCCCCCCCCCCCCCC"
CLOSE = "01KMZ3V4DDDDDDDDDDDDDDDDDD"


@pytest.fixture
def story(journal: Path, zone: Callable[[str], None], frozen_now: dt.datetime) -> str:
    """A closed task of five events, written at known times, read in UTC at 15:00."""
    zone("UTC")
    write_events(
        journal,
        event_line(
            event_id=OPEN,
            type="open",
            timestamp="2026-12-02T09:00:00.000Z",
            text="Fix the flaky upload test",
            meta={"title": "Flaky upload test", "goal": "The upload test passes every run"},
        ),
        event_line(
            event_id=FINDING,
            timestamp="2026-12-02T10:30:00.000Z",
            text="Fails only after test_auth",
            refs={"files": ["tests/test_upload.py", "tests/conftest.py"]},
            confidence=0.6,
        ),
        event_line(
            event_id=CORRECTION,
            type="correction",
            author="user",
            source="cli",
            timestamp="2026-12-02T11:00:00.000Z",
            text="Fails after test_login, not test_auth",
            corrects=FINDING,
        ),
        event_line(
            event_id=DECISION,
            type="decision",
            timestamp="2026-12-02T12:00:00.000Z",
            text="Reset the token cache between tests\nin the conftest fixture",
            refs={"commits": ["9fceb02"]},
            meta={"reason": "shared state between tests"},
        ),
        event_line(
            event_id=CLOSE,
            type="close",
            timestamp="2026-12-02T14:00:00.000Z",
            text="Merged",
            meta={"outcome": "Token cache reset in conftest", "outcome_tag": "done"},
        ),
    )
    return TASK


def test_show_tells_the_story_oldest_first_with_the_state_on_top(
    story: str, call_main: CallMain
) -> None:
    outcome = call_main("show", story)

    assert (outcome.status, outcome.stderr) == (0, "")
    assert (
        outcome.stdout
        == """\
tj-8f3k2m9q1z  Flaky upload test
    status: closed (done), last event 60 minutes ago
    goal: The upload test passes every run
    outcome: Token cache reset in conftest
    opened: 2026-12-02 09:00:00 +0000 (6 hours ago) by agent
    events: 5

01KMZ3T4J8Q7  open  by agent via chat  2026-12-02 09:00:00 +0000 (6 hours ago)
    Fix the flaky upload test
    title: Flaky upload test
    goal: The upload test passes every run

01KMZ3V1AAAA  finding  by agent via chat  2026-12-02 10:30:00 +0000 (4 hours ago)
    Fails only after test_auth
    files: tests/test_upload.py, tests/conftest.py
    confidence: 0.6
    corrected by 01KMZ3V2BBBB (correction, 4 hours ago): Fails after test_login, not test_auth

01KMZ3V2BBBB  correction  by user via cli  2026-12-02 11:00:00 +0000 (4 hours ago)
    Fails after test_login, not test_auth
    corrects 01KMZ3V1AAAA: Fails only after test_auth

01KMZ3V3CCCC  decision  by agent via chat  2026-12-02 12:00:00 +0000 (3 hours ago)
    Reset the token cache between tests
    in the conftest fixture
    commits: 9fceb02
    reason: shared state between tests

01KMZ3V4DDDD  close  by agent via chat  2026-12-02 14:00:00 +0000 (60 minutes ago)
    Merged
    outcome: Token cache reset in conftest
    outcome_tag: done
"""
    )


def test_a_decisions_alternatives_are_one_line_each_not_json(
    journal: Path, story: str, call_main: CallMain
) -> None:
    alternatives = [
        {"option": "Reset the cache", "chosen": True},
        {"option": "A retry loop", "chosen": False, "rationale": "hides the race"},
    ]
    write_events(
        journal,
        event_line(
            event_id="01KMZ3V5EEEEEEEEEEEEEEEEEE",
            type="decision",
            timestamp="2026-12-02T14:30:00.000Z",
            text="Reset the cache in the fixture",
            meta={"alternatives": alternatives},
        ),
    )

    outcome = call_main("show", story)

    assert outcome.stdout.endswith(
        "    Reset the cache in the fixture\n"
        "    alternative: Reset the cache (chosen)\n"
        "    alternative: A retry loop (passed over): hides the race\n"
    )


def test_times_are_shown_in_local_time(
    story: str, call_main: CallMain, zone: Callable[[str], None]
) -> None:
    zone("Asia/Kolkata")

    outcome = call_main("show", story)

    assert "    opened: 2026-12-02 14:30:00 +0530 (6 hours ago) by agent\n" in outcome.stdout


def test_a_superseded_event_names_the_event_that_replaced_it(
    journal: Path, story: str, call_main: CallMain
) -> None:
    write_events(
        journal,
        event_line(
            event_id="01KMZ3V5EEEEEEEEEEEEEEEEEE",
            type="supersede",
            timestamp="2026-12-02T14:30:00.000Z",
            text="Reset it per test instead",
            supersedes=DECISION,
        ),
    )

    lines = call_main("show", story).stdout.splitlines()

    decision = lines.index("    reason: shared state between tests")
    assert lines[decision + 1] == (
        "    superseded by 01KMZ3V5EEEE (supersede, 30 minutes ago): Reset it per test instead"
    )
    assert lines[-1] == (
        "    supersedes 01KMZ3V3CCCC: Reset the token cache between tests in the conftest fixture"
    )


def test_a_reopened_task_shows_open_without_the_old_outcome(
    journal: Path, story: str, call_main: CallMain
) -> None:
    write_events(
        journal,
        event_line(
            event_id="01KMZ3V6FFFFFFFFFFFFFFFFFF",
            type="reopen",
            timestamp="2026-12-02T14:45:00.000Z",
            text="Flaky again on CI",
        ),
    )

    head = call_main("show", story).stdout.split("\n\n")[0]

    assert head.splitlines()[1:3] == [
        "    status: open, last event 15 minutes ago",
        "    goal: The upload test passes every run",
    ]
    assert "outcome" not in head


def test_show_takes_any_unique_start_of_the_task_id(story: str, call_main: CallMain) -> None:
    whole = call_main("show", story)

    by_prefix = call_main("show", "tj-8f")

    assert (by_prefix.status, by_prefix.stdout) == (0, whole.stdout)


def test_an_ambiguous_start_names_the_candidates(
    journal: Path, story: str, call_main: CallMain
) -> None:
    write_events(journal, event_line(task_id="tj-8f9aaaaaaa", type="open", event_id=CLOSE))

    outcome = call_main("show", "tj-8f")

    assert (outcome.status, outcome.stdout) == (2, "")
    assert outcome.stderr == (
        "task-journal: error: 'tj-8f' is the start of 2 task ids (tj-8f3k2m9q1z, tj-8f9aaaaaaa);"
        " type more of the one you mean\n"
    )


def test_an_unknown_task_says_how_to_list_the_tasks(
    journal: Path, story: str, call_main: CallMain
) -> None:
    outcome = call_main("show", "tj-nothing")

    assert (outcome.status, outcome.stdout) == (2, "")
    assert outcome.stderr == (
        f"task-journal: error: no task 'tj-nothing' in the journal {journal}; "
        "`task-journal tasks --status any` lists its tasks\n"
    )


def test_json_gives_the_state_and_every_event(
    journal: Path, story: str, call_main: CallMain
) -> None:
    outcome = call_main("show", "tj-8f", "--json")

    shown = json.loads(outcome.stdout)
    assert {key: value for key, value in shown.items() if key != "events"} == {
        "task_id": TASK,
        "title": "Flaky upload test",
        "status": "closed",
        "goal": "The upload test passes every run",
        "outcome": "Token cache reset in conftest",
        "outcome_tag": "done",
        "event_count": 5,
    }
    assert shown["events"] == [json.loads(line) for line in journal.read_bytes().splitlines()]


def test_show_goes_through_the_installed_script(task_id: str) -> None:
    outcome = run_cli("show", task_id[:6], env=None)

    assert outcome.status == 0, outcome.stderr
    assert outcome.stdout.startswith(f"{task_id}  Flaky upload\n    status: open, last event ")
    assert "    Fix the flaky upload test\n" in outcome.stdout


def test_a_redirect_without_a_goal_makes_its_text_the_goal_as_the_pack_says(
    journal: Path, story: str, call_main: CallMain
) -> None:
    write_events(
        journal,
        event_line(
            event_id="01KMZ3V5EEEEEEEEEEEEEEEEEE",
            type="redirect",
            timestamp="2026-12-02T14:30:00.000Z",
            text="Make the upload retry instead",
        ),
    )

    shown = json.loads(call_main("show", story, "--json").stdout)
    packed = json.loads(call_main("pack", story, "--json").stdout)

    assert shown["goal"] == packed["goal"] == "Make the upload retry instead"


def test_show_tells_the_events_in_time_order_each_once_whatever_the_line_order(
    journal: Path, story: str, call_main: CallMain
) -> None:
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join([lines[3], *reversed(lines)]))  # the decision twice

    shown = json.loads(call_main("show", story, "--json").stdout)

    assert [event["event_id"] for event in shown["events"]] == [
        OPEN,
        FINDING,
        CORRECTION,
        DECISION,
        CLOSE,
    ]
    assert (shown["status"], shown["event_count"]) == ("closed", 5)
