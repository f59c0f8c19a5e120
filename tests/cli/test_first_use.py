"""A first read of one task where the index lacks much of the journal (SPEC §6, first use):
``read --task`` and ``show`` answer from an excerpt of the task's lines, exactly as the
index would, without building the index in the foreground; a background process does."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

import journal_core
from journal_core import excerpt
from server import first_use
from tests.cli.conftest import CallMain
from tests.core.journal_lines import event, write

T = "tj-aaaaaaaaaa"
OTHER = "tj-bbbbbbbbbb"


def at(second: int) -> str:
    return f"2026-12-01T10:00:{second:02d}.000Z"


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The journals a background build was started for (none is started here)."""
    journals: list[Path] = []
    monkeypatch.setattr(first_use, "build_in_background", journals.append)
    return journals


def far_behind(monkeypatch: pytest.MonkeyPatch, yes: bool) -> None:
    """Make any index that lacks a byte of its journal count as far behind, or none."""
    monkeypatch.setattr(journal_core, "FIRST_USE_BYTES", 1 if yes else 1 << 62)


def index_of(journal: Path) -> Path:
    return journal.with_name(journal.name + ".index.sqlite")


@pytest.fixture
def tangled(journal: Path) -> Path:
    write_tangled(journal)
    return journal


def write_tangled(journal: Path) -> None:
    """Two tasks whose lines give the fold work: out of order, repeated, corrected,
    superseded, the task named by another's text, its id written with escapes."""
    opened = event(task_id=T, type="open", text="Flaky upload", timestamp=at(0))
    finding = event(task_id=T, text="keepalive is 60 s", timestamp=at(2))
    correction = event(
        task_id=T, type="correction", text="75 s", timestamp=at(3), corrects=finding["event_id"]
    )
    old = event(task_id=T, type="decision", text="Retry the upload", timestamp=at(4))
    new = event(
        task_id=T,
        type="decision",
        text="Fix the race",
        timestamp=at(5),
        supersedes=old["event_id"],
    )
    late = event(task_id=T, text="Seen first on Monday", timestamp=at(1))
    mention = event(task_id=OTHER, type="open", text=f"Like {T}, but the download", timestamp=at(0))
    escaped = event(task_id=T, text="Written by hand", timestamp=at(6))
    # The same line as JSON may write it: every character of the id as a \u escape.
    spelled = "".join(f"\\u{ord(c):04x}" for c in T)
    raw = json.dumps(escaped).replace(f'"{T}"', f'"{spelled}"').encode() + b"\n"
    write(journal, opened, mention, finding, correction, new, old, late, finding, raw)


def test_a_first_read_of_a_task_answers_as_the_index_does_without_building_it(
    tangled: Path, call_main: CallMain, started: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    far_behind(monkeypatch, yes=True)
    first = call_main("read", "--task", T, "--all", "--json")
    assert first.status == 0, first.stderr
    assert not index_of(tangled).exists()
    assert started == [tangled]

    far_behind(monkeypatch, yes=False)
    indexed = call_main("read", "--task", T, "--all", "--json")
    assert index_of(tangled).exists()
    events = json.loads(first.stdout)["events"]
    assert events == json.loads(indexed.stdout)["events"]
    assert [e["text"] for e in events] == [
        "Written by hand",
        "Fix the race",
        "Retry the upload",
        "75 s",
        "keepalive is 60 s",
        "Seen first on Monday",
        "Flaky upload",
    ]


def test_a_first_show_tells_the_same_story_as_the_index(
    tangled: Path, call_main: CallMain, started: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    far_behind(monkeypatch, yes=True)
    first = call_main("show", T[:6], "--json")
    assert first.status == 0, first.stderr
    assert not index_of(tangled).exists()

    far_behind(monkeypatch, yes=False)
    indexed = call_main("show", T[:6], "--json")
    assert json.loads(first.stdout) == json.loads(indexed.stdout)
    assert json.loads(first.stdout)["task_id"] == T


def test_a_cursor_from_a_first_read_pages_on_through_the_journal(
    tangled: Path, call_main: CallMain, started: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    far_behind(monkeypatch, yes=True)
    first = json.loads(call_main("read", "--task", T, "--limit", "3", "--json").stdout)

    far_behind(monkeypatch, yes=False)
    cursor = first["next_cursor"]
    rest = call_main("read", "--task", T, "--limit", "3", "--cursor", cursor, "--json")
    assert rest.status == 0, rest.stderr
    whole = json.loads(call_main("read", "--task", T, "--limit", "6", "--json").stdout)
    assert first["events"] + json.loads(rest.stdout)["events"] == whole["events"]


def test_a_task_missing_from_a_first_read_is_named_in_the_journal(
    tangled: Path, call_main: CallMain, started: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    far_behind(monkeypatch, yes=True)
    outcome = call_main("read", "--task", "tj-cccccccccc")
    assert outcome.status != 0
    assert f"no task 'tj-cccccccccc' in the journal {tangled};" in outcome.stderr


def test_a_read_near_its_index_catches_up_instead(
    tangled: Path, call_main: CallMain, started: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    far_behind(monkeypatch, yes=False)
    assert call_main("read", "--task", T).status == 0
    assert index_of(tangled).exists()
    assert started == []


def test_a_first_tasks_folds_them_from_a_scan_as_the_index_does(
    tangled: Path, call_main: CallMain, started: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    third, fourth = "tj-cccccccccc", "tj-dddddddddd"
    # Tasks never opened: the title is the first event's text with any (not the first
    # line's, nor an empty one), whatever the order of their lines.
    untitled = [
        event(task_id=task_id, text=text, timestamp=at(second))
        for task_id in (third, fourth)
        for second, text in ((7, ""), (8, "Found first"), (9, "Found later"))
    ]
    write(
        tangled,
        untitled[2],
        b"not an event\n",
        untitled[0],
        untitled[1],
        *untitled[3:],
        event(task_id=OTHER, type="close", text="Done", timestamp=at(9)),
    )
    far_behind(monkeypatch, yes=True)
    asked = [
        ("tasks", "--status", "any", "--all", "--json"),
        ("tasks", "--json"),
        ("tasks", "--status", "closed", "--json"),
        ("tasks", "--status", "any", "--query", "FOUND", "--json"),
    ]
    first = [call_main(*args) for args in asked]
    assert all(outcome.status == 0 for outcome in first), [o.stderr for o in first]
    assert not index_of(tangled).exists()
    assert started == [tangled] * len(asked)

    far_behind(monkeypatch, yes=False)
    indexed = [call_main(*args) for args in asked]
    assert [json.loads(o.stdout) for o in first] == [json.loads(o.stdout) for o in indexed]
    tasks = json.loads(first[0].stdout)["tasks"]
    assert {t["task_id"]: (t["status"], t["event_count"]) for t in tasks} == {
        T: ("open", 7),
        OTHER: ("closed", 2),
        third: ("open", 3),
        fourth: ("open", 3),
    }
    assert {t["title"] for t in tasks if t["task_id"] in (third, fourth)} == {"Found first"}


def test_a_cursor_from_a_first_tasks_pages_on_through_the_index(
    tangled: Path, call_main: CallMain, started: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    far_behind(monkeypatch, yes=True)
    first = json.loads(call_main("tasks", "--status", "any", "--limit", "1", "--json").stdout)

    far_behind(monkeypatch, yes=False)
    rest = call_main(
        "tasks", "--status", "any", "--limit", "1", "--cursor", first["next_cursor"], "--json"
    )
    assert rest.status == 0, rest.stderr
    whole = json.loads(call_main("tasks", "--status", "any", "--limit", "2", "--json").stdout)
    assert first["tasks"] + json.loads(rest.stdout)["tasks"] == whole["tasks"]


def test_a_first_read_that_would_copy_much_of_the_journal_reads_the_journal(
    tangled: Path, call_main: CallMain, started: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A start of an id that most lines hold ("tj-") would copy them all: no quicker."""
    far_behind(monkeypatch, yes=True)
    monkeypatch.setattr(excerpt, "FIRST_USE_BYTES", 100)
    outcome = call_main("read", "--task", T, "--all", "--json")
    assert outcome.status == 0, outcome.stderr
    assert index_of(tangled).exists()
    assert len(json.loads(outcome.stdout)["events"]) == 7


def test_a_first_read_with_nowhere_to_copy_to_reads_the_journal(
    tangled: Path, call_main: CallMain, started: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_folder = tangled.with_name("a file")
    not_a_folder.write_text("")
    monkeypatch.setattr(tempfile, "tempdir", str(not_a_folder / "tmp"))
    far_behind(monkeypatch, yes=True)
    outcome = call_main("read", "--task", T, "--all", "--json")
    assert outcome.status == 0, outcome.stderr
    assert index_of(tangled).exists()
    assert len(json.loads(outcome.stdout)["events"]) == 7
