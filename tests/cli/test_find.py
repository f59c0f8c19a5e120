"""``search``, ``rejected`` and ``rebuild-state`` on the command line."""

import json
from pathlib import Path

import pytest

from server.cli.render import short_id
from tests.cli.conftest import CallMain, run_cli
from tests.core.journal_lines import standing_story


@pytest.fixture
def worked_on(journal: Path, task_id: str, call_main: CallMain) -> str:
    """A task with a finding, a decision that passed over a retry loop, and a rejection."""
    steps = [
        ("finding", "The token refresh races with logout", "--ref-file", "src/auth/refresh.rs"),
        (
            "decision",
            "Take a mutex around the refresh",
            "--meta",
            json.dumps(
                {"alternatives": [{"option": "retry loop", "chosen": False, "rationale": "racy"}]}
            ),
        ),
        ("rejection", "A retry loop only hides the race"),
    ]
    for kind, text, *flags in steps:
        assert call_main("append", kind, text, "--task", task_id, *flags).status == 0
    return task_id


def test_search_prints_one_line_per_hit_with_the_matches_marked(
    worked_on: str, call_main: CallMain
) -> None:
    outcome = call_main("search", "refresh.rs")
    assert outcome.status == 0, outcome.stderr
    (line,) = outcome.stdout.splitlines()
    assert worked_on in line
    assert "finding" in line
    assert "**refresh**" in line


def test_search_json_is_the_page_of_hits(worked_on: str, call_main: CallMain) -> None:
    outcome = call_main("search", "refresh", "--type", "decision", "--json")
    page = json.loads(outcome.stdout)
    assert [hit["type"] for hit in page["hits"]] == ["decision"]
    assert page["hits"][0]["title"] == "Flaky upload"
    assert page["next_cursor"] is None


def test_rejected_finds_rejections_and_passed_over_alternatives(
    worked_on: str, call_main: CallMain
) -> None:
    outcome = call_main("rejected", "retry loop", "--since", "1", "--json")
    hits = json.loads(outcome.stdout)["hits"]
    assert sorted(hit["type"] for hit in hits) == ["decision", "rejection"]


def test_rejected_refuses_a_since_that_is_not_a_positive_number_of_days(
    worked_on: str, call_main: CallMain
) -> None:
    outcome = call_main("rejected", "retry", "--since", "0")
    assert outcome.status == 2
    assert "--since" in outcome.stderr


def test_an_empty_search_is_refused_with_exit_2(worked_on: str) -> None:
    outcome = run_cli("search", "  ")
    assert (outcome.status, outcome.stdout) == (2, "")
    assert "empty" in outcome.stderr
    assert "Traceback" not in outcome.stderr


def test_rebuild_state_builds_the_index_again_and_says_what_it_holds(
    worked_on: str, journal: Path, call_main: CallMain
) -> None:
    index = Path(f"{journal}.index.sqlite")
    index.write_bytes(b"not a database")
    outcome = call_main("rebuild-state", "--json")
    assert outcome.status == 0, outcome.stderr
    status = json.loads(outcome.stdout)
    assert (status["ok"], status["events_indexed"]) == (True, 4)
    assert status["path"] == str(index)
    assert json.loads(call_main("search", "mutex", "--json").stdout)["hits"]


def test_read_event_prints_the_events_behind_search_hits(
    worked_on: str, call_main: CallMain
) -> None:
    hits = json.loads(call_main("search", "retry", "--json").stdout)["hits"]
    assert all("event" not in hit for hit in hits)
    ids = sorted(hit["event_id"] for hit in hits)
    outcome = call_main("read", *(arg for i in ids for arg in ("--event", i[:22])), "--json")
    assert outcome.status == 0, outcome.stderr
    assert [event["event_id"] for event in json.loads(outcome.stdout)["events"]] == ids
    full = json.loads(call_main("search", "retry", "--json", "--full").stdout)["hits"]
    assert {hit["event"]["event_id"] for hit in full} == set(ids)


def test_read_event_refuses_an_id_that_no_event_has(worked_on: str, call_main: CallMain) -> None:
    outcome = call_main("read", "--event", "01ZZZZZZ")
    assert outcome.status == 2
    assert "no event '01ZZZZZZ'" in outcome.stderr


def test_search_marks_superseded_corrected_and_answered_hits(
    journal: Path, call_main: CallMain
) -> None:
    story = standing_story(journal)
    outcome = call_main("search", "keepalive")
    assert outcome.status == 0, outcome.stderr
    lines = {line.split()[0]: line for line in outcome.stdout.splitlines()}
    by_id = {name: short_id(event["event_id"]) for name, event in story.items()}
    assert f"[superseded by {by_id['new_decision']}" in lines[by_id["old_decision"]]
    assert (
        "[corrected: keepalive_timeout is 75 s on the new pool only]" in (lines[by_id["finding"]])
    )
    assert f"[answered by {by_id['answer']}" in lines[by_id["hypothesis"]]
    assert "[" not in lines[by_id["new_decision"]].split("decision", 1)[1]
    current = call_main("search", "keepalive", "--current-only").stdout
    assert by_id["old_decision"] not in current


def test_rejected_lists_what_still_stands_and_all_marks_the_rest(
    journal: Path, call_main: CallMain
) -> None:
    story = standing_story(journal)
    standing = call_main("rejected", "presigned").stdout.splitlines()
    assert [line.split()[0] for line in standing] == [short_id(story["standing"]["event_id"])]
    every = call_main("rejected", "presigned", "--all").stdout
    assert f"[superseded by {short_id(story['chooser']['event_id'])}]" in every
