"""The full text of a first build made beside it, in a process of its own
(``journal_core.index.text_beside``): taken in only where it fits exactly, and the index
then answers every search as one built in place; a side that fails, does not fit, or
outlives its build leaves nothing behind."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec
import pytest

from journal_core.filters import SearchFilter
from journal_core.index import store, text_beside
from journal_core.index.store import JournalStore
from journal_core.index.text_beside import TextBeside
from journal_core.search import parse
from tests.core.journal_lines import REPO_ROOT, event

WORDS = [
    *("retry", "upload", "race", "keepalive", "timeout", "proxy", "cache", "index"),
    *("build", "journal", "lock", "fsync", "writer", "reader", "search", "token"),
    *("stem", "porter", "merge", "replica", "remote", "branch"),
]
QUERIES = ["retry", "upload race", "keepalive OR proxy", "index*", "src/auth", '"lock fsync"']


def varied_journal(path: Path, events: int = 3000, tasks: int = 30) -> None:
    """Events of varied words over ``tasks`` tasks: titles, goals, refs, and decisions with
    rejected alternatives, so that every column of the full text holds something."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(11)  # noqa: S311 - test data
    lines = []
    for n in range(events):
        task = f"tj-{n % tasks}"
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))
        fields: dict[str, Any] = {}
        if n < tasks:
            kind = "open"
            fields["meta"] = {"title": f"task {words}", "goal": rng.choice(WORDS)}
        elif n % 7 == 0:
            kind = "decision"
            fields["meta"] = {
                "alternatives": [
                    {"option": rng.choice(WORDS), "chosen": True},
                    {"option": f"{rng.choice(WORDS)} {rng.choice(WORDS)}", "chosen": False},
                ]
            }
        else:
            kind = rng.choice(("finding", "hypothesis", "rejection"))
        if n % 5 == 0:
            fields["refs"] = {"files": ["src/auth/refresh.rs"], "commits": ["abc1234"]}
        second, minute = n % 60, n // 60 % 60
        stamp = f"2026-11-25T{n // 3600 % 24:02d}:{minute:02d}:{second:02d}.000Z"
        lines.append(
            msgspec.json.encode(
                event(task_id=task, type=kind, text=words, timestamp=stamp, **fields)
            )
        )
    path.write_bytes(b"\n".join(lines) + b"\n")


def hits(journal: Path) -> list[list[tuple[str, float]]]:
    """For each query, searched and as what was turned down, the ids and scores of its
    hits, in order, from a fresh store."""
    index = JournalStore(journal)
    try:
        return [
            [
                (hit.event["event_id"], round(hit.score, 9))
                for hit in index.search_hits(
                    SearchFilter(query=parse(query), rejected=rejected), count=100
                ).hits
            ]
            for query in QUERIES
            for rejected in (False, True)
        ]
    finally:
        index.close()


def index_rows(journal: Path) -> tuple[Any, ...]:
    with contextlib.closing(sqlite3.connect(f"{journal}.index.sqlite")) as conn:
        state = conn.execute("SELECT end_offset, text_end, events FROM state").fetchone()
        (documents,) = conn.execute("SELECT count(*) FROM fts_docsize").fetchone()
        conn.execute("INSERT INTO fts (fts, rank) VALUES ('integrity-check', 0)")
    return (*state, documents)


@pytest.fixture
def merges(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every build makes its full text beside; what each merge answered."""
    answers: list[bool] = []
    real = text_beside.merge

    def recorded(conn: sqlite3.Connection, beside: TextBeside) -> bool:
        answers.append(real(conn, beside))
        return answers[-1]

    monkeypatch.setattr(store, "_BESIDE_BYTES", 0)
    # Steps smaller than the journal: the structure is built first, as in a big one.
    monkeypatch.setattr(store, "_STEP_BYTES", 32 * 1024)
    monkeypatch.setattr(text_beside, "merge", recorded)
    return answers


def build(journal: Path) -> None:
    index = JournalStore(journal)
    try:
        index.build()
    finally:
        index.close()


def built_in_place(source: Path, folder: Path) -> Path:
    """A copy of ``source`` whose index is built the usual way (no side)."""
    copy = folder / "in-place.jsonl"
    copy.write_bytes(source.read_bytes())
    build(copy)
    return copy


def sides_left() -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob(f"task-journal-text-{os.getpid()}-*"))


def test_a_build_takes_the_side_text_and_answers_every_search_as_one_built_in_place(
    journal_path: Path, tmp_path: Path, merges: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    varied_journal(journal_path)
    build(journal_path)
    assert merges == [True]
    end, text_end, events, documents = index_rows(journal_path)
    assert (end, text_end, events, documents) == (journal_path.stat().st_size, end, 3000, 3000)
    monkeypatch.setattr(store, "_BESIDE_BYTES", 1 << 62)  # the copy builds in place
    in_place = built_in_place(journal_path, tmp_path)
    assert hits(journal_path) == hits(in_place)
    assert all(hits(journal_path))  # every query finds something: the test compares answers
    assert sides_left() == []


def test_a_side_that_holds_a_repeated_line_does_not_fit_and_the_text_is_built_in_place(
    journal_path: Path, tmp_path: Path, merges: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    varied_journal(journal_path)
    with journal_path.open("rb") as file:
        repeated = file.readlines()[100]
    with journal_path.open("ab") as file:
        file.write(repeated)  # the index gives it no row: the side gave it a document
    build(journal_path)
    assert merges == [False]
    assert index_rows(journal_path)[2:] == (3000, 3000)
    monkeypatch.setattr(store, "_BESIDE_BYTES", 1 << 62)
    assert hits(journal_path) == hits(built_in_place(journal_path, tmp_path))
    assert sides_left() == []


def test_a_side_killed_midway_is_not_merged_and_the_build_ends_whole(
    journal_path: Path, monkeypatch: pytest.MonkeyPatch, merges: list[bool]
) -> None:
    varied_journal(journal_path)
    real_start = TextBeside.start

    def killed(journal: Path) -> TextBeside | None:
        beside = real_start(journal)
        assert beside is not None
        beside.process.send_signal(signal.SIGKILL)
        return beside

    monkeypatch.setattr(TextBeside, "start", killed)
    build(journal_path)
    assert merges == [False]
    end, text_end, events, documents = index_rows(journal_path)
    assert (text_end, events, documents) == (end, 3000, 3000)
    assert sides_left() == []


def test_a_side_of_another_file_does_not_fit(
    journal_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    varied_journal(journal_path)
    other = tmp_path / "other.jsonl"
    other.write_bytes(journal_path.read_bytes())  # the same bytes, another file
    monkeypatch.setattr(store, "_STEP_BYTES", 32 * 1024)  # the structure alone, at first
    index = JournalStore(journal_path)
    try:
        index.refresh()
    finally:
        index.close()
    assert index_rows(journal_path)[1] == 0
    beside = TextBeside.start(other)
    assert beside is not None
    try:
        with contextlib.closing(sqlite3.connect(f"{journal_path}.index.sqlite")) as conn:
            conn.isolation_level = None
            assert text_beside.merge(conn, beside) is False
    finally:
        beside.close()
    assert index_rows(journal_path)[1:] == (0, 3000, 0)


# Starts a side for the journal (with "made", waits till its table is made), says its
# folder, then waits to be killed.
_PARENT = """
import sys, time
from pathlib import Path
from journal_core.index import text_beside
beside = text_beside.TextBeside.start(Path(sys.argv[1]))
if sys.argv[2] == "made":
    assert beside.finished()
print(beside.folder, beside.process.pid, flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize(("events", "when"), [(20_000, "making"), (300, "made")])
def test_a_side_whose_build_was_killed_removes_what_it_made_and_ends(
    journal_path: Path, events: int, when: str
) -> None:
    varied_journal(journal_path, events=events)
    with subprocess.Popen(
        [sys.executable, "-c", _PARENT, str(journal_path), when],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    ) as parent:
        assert parent.stdout is not None
        folder, pid = parent.stdout.readline().split()
        parent.kill()  # with no chance to close the side
    deadline = time.monotonic() + 30
    while (Path(folder).exists() or _running(int(pid))) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(folder).exists()
    assert not _running(int(pid))


def _running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not ended (a zombie has)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def test_the_folder_of_a_side_whose_process_is_gone_is_swept_at_the_next_start(
    journal_path: Path,
) -> None:
    varied_journal(journal_path, events=200)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                          capture_output=True, text=True)  # fmt: skip
    stale = Path(tempfile.gettempdir()) / f"task-journal-text-{gone.stdout.strip()}-x1"
    stale.mkdir()
    (stale / "text.sqlite").write_bytes(b"left by a side killed with its build")
    beside = TextBeside.start(journal_path)
    assert beside is not None
    beside.close()
    assert not stale.exists()


def test_on_one_core_the_text_is_built_in_place_without_a_side(
    journal_path: Path, monkeypatch: pytest.MonkeyPatch, merges: list[bool]
) -> None:
    varied_journal(journal_path, events=500)
    monkeypatch.setattr(store, "_cores", lambda: 1)
    monkeypatch.setattr(TextBeside, "start", lambda journal: pytest.fail("a side started"))
    build(journal_path)
    assert merges == []
    assert index_rows(journal_path)[1:] == (journal_path.stat().st_size, 500, 500)


def test_lines_appended_while_the_side_works_get_their_text_after_its_table(
    journal_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, merges: list[bool]
) -> None:
    varied_journal(journal_path)
    real_start = TextBeside.start
    late = [
        event(
            task_id="tj-0",
            text=f"appended meanwhile keepalive {n}",
            timestamp=f"2026-11-26T00:00:{n:02d}.000Z",
        )
        for n in range(40)
    ]

    def appended_after(journal: Path) -> TextBeside | None:
        beside = real_start(journal)  # its table ends where the journal did
        with journal.open("ab") as file:
            file.write(b"".join(msgspec.json.encode(line) + b"\n" for line in late))
        return beside

    monkeypatch.setattr(TextBeside, "start", appended_after)
    build(journal_path)
    assert merges == [True]
    end, text_end, events, documents = index_rows(journal_path)
    assert (end, text_end, events, documents) == (journal_path.stat().st_size, end, 3040, 3040)
    monkeypatch.setattr(store, "_BESIDE_BYTES", 1 << 62)
    assert hits(journal_path) == hits(built_in_place(journal_path, tmp_path))


def test_a_build_that_has_full_text_to_go_on_makes_none_beside_and_a_rebuild_does(
    journal_path: Path, monkeypatch: pytest.MonkeyPatch, merges: list[bool]
) -> None:
    varied_journal(journal_path)
    build(journal_path)
    with journal_path.open("ab") as file:
        file.write(msgspec.json.encode(event(task_id="tj-1", text="one more")) + b"\n")
    real_start = TextBeside.start
    started: list[Path] = []

    def counted(journal: Path) -> TextBeside | None:
        started.append(journal)
        return real_start(journal)

    monkeypatch.setattr(TextBeside, "start", counted)
    build(journal_path)
    assert started == []  # its text goes on from where it is
    index = JournalStore(journal_path)
    try:
        index.rebuild()
    finally:
        index.close()
    assert started == [journal_path]
    assert merges == [True, True]
    assert index_rows(journal_path)[1:] == (journal_path.stat().st_size, 3001, 3001)


def test_the_side_tells_event_lines_from_others_as_the_build_does(
    journal_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, merges: list[bool]
) -> None:
    varied_journal(journal_path)
    finding = msgspec.json.encode(event(task_id="tj-2", text="upload race again"))[:-1]
    escaped = "".join(f"\\u{ord(c):04x}" for c in "tj-3")
    others = [
        b"[" * 1000,  # too deep
        b'{"a":' * 1000 + b"1" + b"}" * 1000,
        finding + b', "extra": ' + b"[" * 1000 + b"]" * 1000 + b"}",  # an event, too deep
        finding + b', "extra": ' + b"9" * 5000 + b"}",  # an int too long to read
        finding + b', "extra": 1e400}',  # a float past the largest double: an event
        b'{"event_id": "\xff\xfe", "text": "not UTF-8"}',
        b"[1, 2, 3]",
        b'{"event_id": 7, "task_id": "tj-1", "type": "finding", "timestamp": "x"}',
        msgspec.json.encode(event(task_id="tj-3", text="proxy keepalive")).replace(
            b'"tj-3"', f'"{escaped}"'.encode()
        ),
        b"not json at all",
        b"",
    ]
    lines = journal_path.read_bytes().splitlines()
    for place, other in enumerate(others):
        lines.insert(200 * place + 7, other)
    journal_path.write_bytes(b"\n".join(lines) + b"\n" + b'{"torn": ')  # no end of line
    build(journal_path)
    assert merges == [True]  # the same lines, one document each
    monkeypatch.setattr(store, "_BESIDE_BYTES", 1 << 62)
    assert hits(journal_path) == hits(built_in_place(journal_path, tmp_path))
