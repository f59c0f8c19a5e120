"""task-journal read: one line per event (timestamp, task, type, text), or the page as JSON."""

import json
from pathlib import Path

import pytest

from tests.cli.conftest import CallMain, run_cli


@pytest.fixture
def three_events(task_id: str, call_main: CallMain) -> str:
    """The task of `task_id` with a finding and a decision after its open."""
    call_main("append", "finding", "Fails only after test_auth", "--task", task_id)
    call_main("append", "decision", "Reset the token cache between tests", "--task", task_id)
    return task_id


def test_read_prints_one_line_per_event_newest_first(
    journal: Path, three_events: str, call_main: CallMain
) -> None:
    outcome = call_main("read")

    assert (outcome.status, outcome.stderr) == (0, "")
    lines = outcome.stdout.splitlines()
    assert [line.split()[1:3] for line in lines] == [
        [three_events, "decision"],
        [three_events, "finding"],
        [three_events, "open"],
    ]
    assert lines[0].endswith("  Reset the token cache between tests")
    written = json.loads(journal.read_bytes().splitlines()[-1])
    assert lines[0].startswith(written["timestamp"] + "  ")


def test_oldest_reads_oldest_first(three_events: str, call_main: CallMain) -> None:
    outcome = call_main("read", "--oldest")

    assert [line.split()[2] for line in outcome.stdout.splitlines()] == [
        "open",
        "finding",
        "decision",
    ]


def test_texts_start_in_one_column(three_events: str, call_main: CallMain) -> None:
    lines = call_main("read").stdout.splitlines()

    starts = {line.index(text) for line, text in zip(lines, ("Reset", "Fails", "Fix"), strict=True)}
    assert len(starts) == 1


def test_a_long_text_is_folded_onto_one_line_and_cut_to_the_terminal_width(
    task_id: str, call_main: CallMain, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    call_main("append", "finding", "first line\nsecond line " + "word " * 100, "--task", task_id)

    [line] = call_main("read", "--limit", "1").stdout.splitlines()

    assert len(line) == 100
    assert "first line second line word" in line
    assert line.endswith("…")


def test_json_prints_the_page_with_whole_events(
    journal: Path, three_events: str, call_main: CallMain
) -> None:
    outcome = call_main("read", "--json")

    assert outcome.status == 0
    page = json.loads(outcome.stdout)
    assert page["next_cursor"] is None
    written = [json.loads(line) for line in journal.read_bytes().splitlines()]
    assert page["events"] == written[::-1]


def test_task_and_type_filters_pick_the_events(three_events: str, call_main: CallMain) -> None:
    call_main("append", "open", "Another task")

    outcome = call_main(
        "read", "--task", three_events, "--type", "finding", "--type", "decision", "--json"
    )

    events = json.loads(outcome.stdout)["events"]
    assert [(e["task_id"], e["type"]) for e in events] == [
        (three_events, "decision"),
        (three_events, "finding"),
    ]


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        pytest.param(["--since", "2000-01-01T00:00:00.000Z"], 3, id="since-the-past"),
        pytest.param(["--since", "2999-01-01T00:00:00.000Z"], 0, id="since-the-future"),
        pytest.param(["--until", "2000-01-01T00:00:00.000Z"], 0, id="until-the-past"),
        pytest.param(["--until", "2999-01-01T00:00:00.000Z"], 3, id="until-the-future"),
    ],
)
def test_since_and_until_bound_the_timestamps(
    three_events: str, call_main: CallMain, window: list[str], expected: int
) -> None:
    outcome = call_main("read", *window, "--json")

    assert len(json.loads(outcome.stdout)["events"]) == expected


def test_since_is_inclusive_and_until_exclusive(
    journal: Path, three_events: str, call_main: CallMain
) -> None:
    first = json.loads(journal.read_bytes().splitlines()[0])

    since = json.loads(call_main("read", "--since", first["timestamp"], "--json").stdout)
    until = json.loads(call_main("read", "--until", first["timestamp"], "--json").stdout)

    assert first["event_id"] in [e["event_id"] for e in since["events"]]
    assert until["events"] == []


def test_a_page_that_stops_early_names_the_cursor_that_goes_on(
    three_events: str, call_main: CallMain
) -> None:
    first = call_main("read", "--limit", "2")
    cursor = first.stderr.split("--cursor ")[1].strip()

    rest = call_main("read", "--limit", "2", "--cursor", cursor)

    assert [line.split()[2] for line in first.stdout.splitlines()] == ["decision", "finding"]
    assert [line.split()[2] for line in rest.stdout.splitlines()] == ["open"]
    assert rest.stderr == ""


def test_reading_goes_through_the_installed_script(three_events: str) -> None:
    outcome = run_cli("read", "--oldest", "--json")

    assert outcome.status == 0, outcome.stderr
    assert [e["type"] for e in json.loads(outcome.stdout)["events"]] == [
        "open",
        "finding",
        "decision",
    ]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        pytest.param(["--limit", "0"], "limit", id="limit-zero"),
        pytest.param(["--limit", "501"], "limit", id="limit-over-500"),
        pytest.param(["--limit", "many"], "--limit", id="limit-not-a-number"),
        pytest.param(["--type", "musing"], "type", id="unknown-type"),
        pytest.param(["--since", "yesterday"], "since", id="since-not-a-timestamp"),
        pytest.param(["--cursor", "not-a-cursor"], "cursor", id="bad-cursor"),
    ],
)
def test_a_bad_query_exits_2_with_one_error_line(
    three_events: str, args: list[str], named: str
) -> None:
    outcome = run_cli("read", *args)

    assert (outcome.status, outcome.stdout) == (2, "")
    assert outcome.stderr.startswith("task-journal: error: ")
    assert outcome.stderr.count("\n") == 1
    assert named in outcome.stderr


@pytest.mark.parametrize("command", ["read", "tasks"])
def test_reading_a_journal_not_yet_made_finds_nothing_and_creates_nothing(
    journal: Path, call_main: CallMain, command: str
) -> None:
    outcome = call_main(command)

    assert (outcome.status, outcome.stdout, outcome.stderr) == (0, "", "")
    assert not journal.parent.exists()
