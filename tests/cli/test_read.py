"""task-journal read: one line per event (short id, local time, task, type, text), each
event in full with --long, or the page as JSON; --all to the end."""

# The tables of refused input hold each whole error message on one line, to be read as it prints.
# ruff: noqa: E501

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from journal_core import Journal, ReadFilter
from tests.cli.conftest import CallMain, event_line, run_cli, write_events


@pytest.fixture
def three_events(task_id: str, call_main: CallMain) -> str:
    """The task of `task_id` with a finding and a decision after its open."""
    call_main("append", "finding", "Fails only after test_auth", "--task", task_id)
    call_main("append", "decision", "Reset the token cache between tests", "--task", task_id)
    return task_id


def test_read_prints_one_line_per_event_newest_first(
    journal: Path, call_main: CallMain, zone: Callable[[str], None]
) -> None:
    zone("Asia/Kolkata")  # UTC+05:30 all year: the times shown are local
    write_events(
        journal,
        event_line(event_id="01KMZ3T4J8Q7W2E5R6T7Y8V9H0", type="open", text="Flaky upload"),
        event_line(
            event_id="01KMZ3V0000000000000000000",
            timestamp="2026-12-02T19:00:00.000Z",
            text="Fails only after test_auth",
        ),
    )

    outcome = call_main("read")

    assert (outcome.status, outcome.stderr) == (0, "")
    assert outcome.stdout == (
        "01KMZ3V00000  2026-12-03 00:30  tj-8f3k2m9q1z  finding     Fails only after test_auth\n"
        "01KMZ3T4J8Q7  2026-12-02 17:30  tj-8f3k2m9q1z  open        Flaky upload\n"
    )


def test_oldest_reads_oldest_first(three_events: str, call_main: CallMain) -> None:
    outcome = call_main("read", "--oldest")

    assert [line.split()[4] for line in outcome.stdout.splitlines()] == [
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
    cursor = first.stderr.split("--cursor ")[1].split(",")[0]
    assert first.stderr == (
        f"task-journal: more events: add --cursor {cursor}, or read them all with --all\n"
    )

    rest = call_main("read", "--limit", "2", "--cursor", cursor)

    assert [line.split()[4] for line in first.stdout.splitlines()] == ["decision", "finding"]
    assert [line.split()[4] for line in rest.stdout.splitlines()] == ["open"]
    assert rest.stderr == ""


def test_reading_goes_through_the_installed_script(three_events: str) -> None:
    outcome = run_cli("read", "--oldest", "--json")

    assert outcome.status == 0, outcome.stderr
    assert [e["type"] for e in json.loads(outcome.stdout)["events"]] == [
        "open",
        "finding",
        "decision",
    ]


TYPES = "open, hypothesis, finding, evidence, decision, rejection, constraint, correction, reopen, supersede, close, redirect, rename"
TIMES = "TIME is a date (2026-12-02, local midnight), a local time (2026-12-02T10:00), a span back from now (30m, 12h, 3d, 2w), today, yesterday, or an RFC 3339 time (2026-12-02T10:00:00Z)"
BAD_QUERIES = [
    pytest.param(["--limit", "0"], "--limit must be a whole number from 1 to 500, got 0 (--all reads past 500)", id="limit-zero"),
    pytest.param(["--limit", "501"], "--limit must be a whole number from 1 to 500, got 501 (--all reads past 500)", id="limit-over-500"),
    pytest.param(["--limit", "many"], "argument --limit: invalid int value: 'many' (see 'task-journal read --help')", id="limit-not-a-number"),
    pytest.param(["--limit", "5", "--all"], "argument --all: not allowed with argument --limit (see 'task-journal read --help')", id="limit-and-all"),
    pytest.param(["--type", "musing"], f"--type 'musing' is not an event type; use some of: {TYPES}", id="unknown-type"),
    pytest.param(["--since", "tomorrow"], f"argument --since: 'tomorrow' is not a time; {TIMES} (see 'task-journal read --help')", id="since-not-a-time"),
    pytest.param(["--until", "2026-13-01"], f"argument --until: '2026-13-01' is not a time; {TIMES} (see 'task-journal read --help')", id="until-not-a-date"),
    pytest.param(["--cursor", "not-a-cursor"], "--cursor is not one this query gave out: pass the --cursor a previous page printed, with the same filters, or leave it out to start from the beginning", id="bad-cursor"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "message"), BAD_QUERIES)
def test_a_bad_query_exits_2_with_one_error_line_in_the_command_lines_words(
    three_events: str, args: list[str], message: str
) -> None:
    outcome = run_cli("read", *args)

    assert (outcome.status, outcome.stdout) == (2, "")
    assert outcome.stderr == f"task-journal: error: {message}\n"


def many_events(journal: Path, count: int) -> list[str]:
    """``count`` findings of one task, written straight to the file; their ids in order."""
    ids = [f"01KMZ3{number:020d}" for number in range(count)]
    write_events(
        journal,
        event_line(event_id="01KMZ2" + "0" * 20, type="open", text="Many"),
        *(event_line(event_id=event_id, text=f"finding {n}") for n, event_id in enumerate(ids)),
    )
    return ids


def test_all_follows_the_cursors_to_the_end(journal: Path, call_main: CallMain) -> None:
    ids = many_events(journal, 1200)

    outcome = call_main("read", "--all", "--oldest")

    assert (outcome.status, outcome.stderr) == (0, "")
    lines = outcome.stdout.splitlines()
    assert len(lines) == 1201
    assert [line.split()[0] for line in lines[1:]] == [event_id[:12] for event_id in ids]
    assert lines[-1].endswith("  finding 1199")


def test_all_as_json_is_one_document_of_every_event(journal: Path, call_main: CallMain) -> None:
    ids = many_events(journal, 1200)

    page = json.loads(call_main("read", "--all", "--json", "--type", "finding").stdout)

    assert [event["event_id"] for event in page["events"]] == ids[::-1]
    assert (page["next_cursor"], page["truncated"], page["note"]) == (None, False, None)


def test_all_prints_each_page_before_reading_the_next(
    journal: Path, call_main: CallMain, monkeypatch: pytest.MonkeyPatch
) -> None:
    many_events(journal, 1200)
    pages_read: list[str | None] = []
    read_events = Journal.read_events

    def counting(self: Journal, read: ReadFilter) -> Any:
        pages_read.append(read.cursor)
        return read_events(self, read)

    monkeypatch.setattr(Journal, "read_events", counting)
    seen_at_first_line: list[int] = []
    real_write = sys.stdout.write

    def write(text: str) -> int:
        if not seen_at_first_line:
            seen_at_first_line.append(len(pages_read))
        return real_write(text)

    monkeypatch.setattr(sys.stdout, "write", write)

    call_main("read", "--all")

    assert seen_at_first_line == [1]
    assert len(pages_read) > 1


def test_a_task_id_can_be_any_unique_start_of_it(three_events: str, call_main: CallMain) -> None:
    call_main("append", "open", "Another task", "--task", "tj-other")

    outcome = call_main("read", "--task", three_events[:5], "--json")

    assert {event["task_id"] for event in json.loads(outcome.stdout)["events"]} == {three_events}


def test_human_dates_pick_the_events(
    journal: Path, call_main: CallMain, zone: Callable[[str], None]
) -> None:
    zone("Asia/Kolkata")
    write_events(
        journal,
        event_line(
            event_id="01KMZ3A" + "0" * 19, type="open", timestamp="2026-12-01T18:29:00.000Z"
        ),
        event_line(event_id="01KMZ3B" + "0" * 19, timestamp="2026-12-01T18:30:00.000Z"),
        event_line(event_id="01KMZ3C" + "0" * 19, timestamp="2026-12-02T04:30:00.000Z"),
    )

    def shown(*window: str) -> list[str]:
        outcome = call_main("read", "--oldest", *window)
        assert outcome.status == 0, outcome.stderr
        return [line.split()[0] for line in outcome.stdout.splitlines()]

    # Local midnight of 2026-12-02 in Kolkata is 2026-12-01T18:30Z.
    assert shown("--since", "2026-12-02") == ["01KMZ3B00000", "01KMZ3C00000"]
    assert shown("--until", "2026-12-02") == ["01KMZ3A00000"]
    assert shown("--since", "2026-12-02T10:00") == ["01KMZ3C00000"]
    assert shown("--since", "2026-12-02T10:01") == []


def test_long_prints_each_event_in_full_with_its_task(
    journal: Path, call_main: CallMain, zone: Callable[[str], None], frozen_now: Any
) -> None:
    zone("UTC")
    write_events(
        journal,
        event_line(type="open", text="Flaky upload", meta={"title": "Flaky upload test"}),
        event_line(
            event_id="01KMZ3V1AAAAAAAAAAAAAAAAAA",
            type="decision",
            timestamp="2026-12-02T14:15:00.000Z",
            text="Reset the token cache",
            refs={"files": ["tests/conftest.py"], "events": ["01KMZ3T4J8Q7W2E5R6T7Y8V9H0"]},
            meta={"reason": "shared state", "alternatives": [{"option": "retry", "chosen": False}]},
            confidence=0.9,
            evidence_strength="strong",
            status="suggested",
            corrects="01KMZ3T4J8Q7W2E5R6T7Y8V9H0",
        ),
    )

    outcome = call_main("read", "--long", "--limit", "1")

    assert (
        outcome.stdout
        == """\
01KMZ3V1AAAA  decision  tj-8f3k2m9q1z  by agent via chat  2026-12-02 14:15:00 +0000 (45 minutes ago)
    Reset the token cache
    corrects 01KMZ3T4J8Q7
    files: tests/conftest.py
    events: 01KMZ3T4J8Q7W2E5R6T7Y8V9H0
    reason: shared state
    alternative: retry (passed over)
    confidence: 0.9
    evidence strength: strong
    status: suggested
"""
    )


def test_a_page_cut_short_by_its_size_says_so_in_the_command_lines_words(
    journal: Path, call_main: CallMain
) -> None:
    write_events(
        journal,
        *(
            event_line(event_id=f"01KMZ3{n:020d}", type="open" if n == 0 else "finding",
                       text="x" * 30_000)
            for n in range(4)
        ),
    )  # fmt: skip

    outcome = call_main("read")

    assert len(outcome.stdout.splitlines()) == 2
    cursor = outcome.stderr.split("--cursor ")[1].split(",")[0]
    assert outcome.stderr == (
        "task-journal: these events stop short of --limit, to keep the page under about 80 KB\n"
        f"task-journal: more events: add --cursor {cursor}, or read them all with --all\n"
    )


def test_wide_characters_are_cut_by_the_columns_they_take(
    task_id: str, call_main: CallMain, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    call_main("append", "finding", "漢字" * 50, "--task", task_id)

    [line] = call_main("read", "--limit", "1").stdout.splitlines()

    assert line.endswith("  finding     " + "漢字" * 5 + "…")
    assert len(line) + line.count("漢") + line.count("字") == 80
