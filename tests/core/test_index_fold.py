"""The index stores what the fold says (SPEC §6): task state and each event's standing,
caught up line by line, a late line re-folding only its task, under the rules it was
built with."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journal_core import Journal, Settings
from journal_core.fold import as_fold_events, fold_task
from journal_core.index import catch_up, sql
from journal_core.index.store import JournalStore
from tests.core.journal_lines import REPO_ROOT, event, write

T = "tj-aaaaaaaaaa"
OTHER = "tj-bbbbbbbbbb"


def at(second: int) -> str:
    return f"2026-12-01T10:00:{second:02d}.000Z"


def task_row(index: JournalStore, task_id: str = T) -> Any:
    return next(t for t in index.list_tasks(status="any").tasks if t.task_id == task_id)


def offsets_by_id(path: Path) -> dict[str, int]:
    found: dict[str, int] = {}
    offset = 0
    for raw in path.read_bytes().splitlines(keepends=True):
        found.setdefault(msgspec.json.decode(raw)["event_id"], offset)
        offset += len(raw)
    return found


def test_a_superseded_decision_is_marked_in_the_index(journal_path: Path) -> None:
    opened = event(type="open", text="Task", timestamp=at(0))
    old = event(type="decision", text="Use flock", timestamp=at(1))
    new = event(type="decision", text="Use filelock", timestamp=at(2), supersedes=old["event_id"])
    write(journal_path, opened, old, new)
    index = JournalStore(journal_path)

    offsets = offsets_by_id(journal_path)
    standing, newest = index.standings([offsets[old["event_id"]], offsets[new["event_id"]]])

    assert (standing.standing, standing.standing_by) == ("superseded", new["event_id"])
    assert newest.standing == "active"


def test_the_index_gives_a_corrected_event_the_text_at_the_end_of_its_chain(
    journal_path: Path,
) -> None:
    finding = event(text="60 s", timestamp=at(1))
    first = event(type="correction", text="75 s", timestamp=at(2), corrects=finding["event_id"])
    write(journal_path, event(type="open", text="Task", timestamp=at(0)), finding, first)
    index = JournalStore(journal_path)
    index.refresh()  # the chain's last link is indexed in a later catch-up than the rest
    write(
        journal_path,
        event(type="correction", text="90 s", timestamp=at(3), corrects=first["event_id"]),
    )

    (standing,) = index.standings([offsets_by_id(journal_path)[finding["event_id"]]])

    assert (standing.standing, standing.standing_by, standing.correction) == (
        "corrected",
        first["event_id"],
        "90 s",
    )


def test_a_late_close_takes_its_place_in_time(journal_path: Path) -> None:
    write(
        journal_path,
        event(type="open", text="Task", timestamp=at(0)),
        event(type="reopen", text="Back to it", timestamp=at(20)),
    )
    index = JournalStore(journal_path)
    index.refresh()
    write(journal_path, event(type="close", text="Done", timestamp=at(10)))

    row = task_row(index)
    assert (row.status, row.last_event_at, row.event_count) == ("open", at(20), 3)


@pytest.fixture
def refolded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tasks the index folds again whole, from now on."""
    found: list[str] = []
    real = catch_up._refold

    def spy(conn: Any, fd: int, task: catch_up.TaskRow) -> None:
        found.append(task.state.task_id)
        real(conn, fd, task)

    monkeypatch.setattr(catch_up, "_refold", spy)
    return found


def test_a_late_line_folds_only_its_own_task_again(journal_path: Path, refolded: list[str]) -> None:
    write(
        journal_path,
        event(type="open", text="Task", timestamp=at(5)),
        event(task_id=OTHER, type="open", text="Other", timestamp=at(6)),
    )
    index = JournalStore(journal_path)
    index.refresh()
    write(
        journal_path,
        event(task_id=OTHER, text="In time", timestamp=at(7)),
        event(type="rename", text="Late", timestamp=at(1)),  # a late change of state
    )
    index.refresh()

    assert refolded == [T]
    assert (task_row(index).created_at, task_row(index).title) == (at(1), "Task")


def test_a_late_line_that_changes_nothing_is_taken_without_folding_its_task_again(
    journal_path: Path, refolded: list[str]
) -> None:
    late = event(type="evidence", text="Late by a millisecond", timestamp=at(3))
    write(
        journal_path,
        event(type="open", text="Task", timestamp=at(0)),
        event(text="In time", timestamp=at(5)),
        late,
    )
    index = JournalStore(journal_path)

    row = task_row(index)
    (standing,) = index.standings([offsets_by_id(journal_path)[late["event_id"]]])

    assert refolded == []
    assert (row.event_count, row.last_event_at, standing.standing) == (3, at(5), "active")
    oldest = index.read_events(task_id=T, order="oldest").events
    assert [e["timestamp"] for e in oldest] == [at(0), at(3), at(5)]


def test_a_late_line_that_changes_nothing_after_indexed_lines_is_taken_as_it_is(
    journal_path: Path, refolded: list[str]
) -> None:
    write(
        journal_path,
        event(type="open", text="Task", timestamp=at(0)),
        event(text="In time", timestamp=at(5)),
    )
    index = JournalStore(journal_path)
    index.refresh()
    write(journal_path, event(type="evidence", text="Late", timestamp=at(3)))
    index.refresh()

    assert refolded == []
    assert (task_row(index).event_count, task_row(index).last_event_at) == (3, at(5))
    oldest = index.read_events(task_id=T, order="oldest").events
    assert [e["timestamp"] for e in oldest] == [at(0), at(3), at(5)]


def test_a_long_run_of_late_lines_folds_their_task_once_not_line_by_line(
    journal_path: Path, refolded: list[str]
) -> None:
    """Each late line was checked against every late line of the step before it: a run
    of them (a writer whose clock is behind, a teammate's events received by sync) cost
    the square of its length, seconds under the write lock."""
    write(
        journal_path,
        event(type="open", text="Task", timestamp=at(0)),
        event(text="The newest", timestamp=at(59)),
    )
    index = JournalStore(journal_path)
    index.refresh()
    late = [event(text=f"Late {n}", timestamp=f"2026-12-01T10:00:30.{n:03d}Z") for n in range(200)]
    write(journal_path, *late)
    index.refresh()

    assert refolded == [T]
    row = task_row(index)
    assert (row.event_count, row.last_event_at) == (202, at(59))
    oldest = index.read_events(task_id=T, order="oldest", limit=300).events
    assert [e["text"] for e in oldest] == ["Task", *(e["text"] for e in late), "The newest"]


def test_a_late_line_with_the_id_of_another_time_folds_its_task_again(
    journal_path: Path, refolded: list[str]
) -> None:
    first = event(text="At five", timestamp=at(5))
    again = {**first, "type": "evidence", "text": "The same id at three", "timestamp": at(3)}
    lines = [event(type="open", text="Task", timestamp=at(0)), first, again]
    write(journal_path, *lines)
    index = JournalStore(journal_path)

    fold = fold_task(T, as_fold_events(lines))
    row = task_row(index)

    assert refolded == [T]
    assert (row.event_count, row.created_at, row.last_event_at) == (
        fold.state.event_count,
        fold.state.created_at,
        fold.state.last_event_at,
    )


def test_a_late_line_a_later_one_names_folds_its_task_again(
    journal_path: Path, refolded: list[str]
) -> None:
    late = event(text="keepalive_timeout is 60 s", timestamp=at(3))
    correction = event(
        type="correction", text="It is 75 s", timestamp=at(5), corrects=late["event_id"]
    )
    write(journal_path, event(type="open", text="Task", timestamp=at(0)), correction, late)
    index = JournalStore(journal_path)

    (standing,) = index.standings([offsets_by_id(journal_path)[late["event_id"]]])

    assert refolded == [T]
    assert (standing.standing, standing.correction) == ("corrected", "It is 75 s")


def test_a_late_rejection_before_a_decision_folds_its_task_again(
    journal_path: Path, refolded: list[str]
) -> None:
    late = event(type="rejection", text="Presigned URLs leak", timestamp=at(3))
    chose = {"alternatives": [{"option": "presigned URLs", "chosen": True}]}
    decision = event(type="decision", text="Presigned URLs", timestamp=at(5), meta=chose)
    write(journal_path, event(type="open", text="Task", timestamp=at(0)), decision, late)
    index = JournalStore(journal_path)

    (standing,) = index.standings([offsets_by_id(journal_path)[late["event_id"]]])

    assert refolded == [T]
    assert (standing.standing, standing.standing_by) == ("superseded", decision["event_id"])


def test_a_duplicate_line_is_indexed_once(journal_path: Path) -> None:
    opened = event(type="open", text="Task", timestamp=at(0))
    finding = event(text="A finding", timestamp=at(1))
    write(journal_path, opened, finding, finding, opened)
    index = JournalStore(journal_path)

    page = index.read_events(task_id=T, order="oldest")

    assert [e["event_id"] for e in page.events] == [opened["event_id"], finding["event_id"]]
    assert task_row(index).event_count == 2


def test_a_redirect_without_a_goal_sets_the_indexed_goal_to_its_text(journal_path: Path) -> None:
    write(
        journal_path,
        event(type="open", text="Task", timestamp=at(0), meta={"goal": "Fix it"}),
        event(type="redirect", text="Rewrite it instead", timestamp=at(1)),
    )
    index = JournalStore(journal_path)
    index.refresh()

    goal = index.query(
        lambda view: view.conn.execute("SELECT goal FROM tasks WHERE task_id = ?", (T,)).fetchone()
    )

    assert goal == ("Rewrite it instead",)


# --- the rules are part of the index's identity -----------------------------------------

_READ_BY_TYPE = """
import sys
import journal_core.rules as rules
if sys.argv[2] == "knows":
    # A newer program: one more event type, and so other rules.
    rules.EVENT_TYPES = (*rules.EVENT_TYPES, "milestone")
    rules.RULES = rules.RULES + " milestone"
from pathlib import Path
from journal_core import Journal, Settings
journal = Journal(Settings(journal_path=Path(sys.argv[1]), durability="flush"))
if sys.argv[2] == "knows":
    page = journal.read_events(types=["milestone"])
else:  # a read by task: the index is built
    page = journal.read_events(task_id="tj-aaaaaaaaaa")
print(len(page.events))
"""


def _read(journal_path: Path, knows: str) -> str:
    outcome = subprocess.run(
        [sys.executable, "-c", _READ_BY_TYPE, str(journal_path), knows],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=True,
    )
    return outcome.stdout.strip()


def test_a_line_of_a_type_added_later_is_found_by_that_type(journal_path: Path) -> None:
    write(
        journal_path,
        event(type="open", text="Task", timestamp=at(0)),
        event(type="milestone", text="Beta shipped", timestamp=at(1)),
    )
    assert _read(journal_path, "does not know") == "2"  # indexed with an unknown type

    assert _read(journal_path, "knows") == "1"


def test_an_index_built_under_another_fold_version_is_rebuilt(journal_path: Path) -> None:
    write(journal_path, event(type="open", text="Task", timestamp=at(0)))
    index = JournalStore(journal_path)
    index.refresh()
    index.query(lambda view: view.conn.execute("UPDATE state SET rules = 'fold 0'"))
    index.close()

    assert task_row(JournalStore(journal_path)).title == "Task"
    rules = JournalStore(journal_path).query(
        lambda view: view.conn.execute("SELECT rules FROM state").fetchone()[0]
    )
    assert rules != "fold 0"


# --- the property: the index agrees with the fold, however the lines arrive -----------------

KINDS = (
    "open",
    "hypothesis",
    "finding",
    "decision",
    "rejection",
    "correction",
    "close",
    "reopen",
    "evidence",
)


@st.composite
def journal_events(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 12))
    ids = [f"01KQ{number:022d}" for number in range(count)]
    events = []
    for event_id in ids:
        kind = draw(st.sampled_from(KINDS))
        fields: dict[str, Any] = {
            "event_id": event_id,
            "task_id": draw(st.sampled_from([T, OTHER])),
            "type": kind,
            "timestamp": at(draw(st.integers(0, 9))),
            "text": draw(st.sampled_from(["presigned URLs expire", "a proxy", "x"])),
            "refs": {"events": draw(st.lists(st.sampled_from(ids), max_size=1))},
        }
        if draw(st.booleans()):
            fields["corrects" if draw(st.booleans()) else "supersedes"] = draw(st.sampled_from(ids))
        if kind == "decision":
            fields["meta"] = {"alternatives": [{"option": "presigned URLs", "chosen": True}]}
        events.append(event(**fields))
    return events


@given(journal_events(), st.lists(st.integers(0, 12), max_size=3), st.randoms())
@settings(max_examples=max(10, settings().max_examples // 4), deadline=None)
def test_the_index_caught_up_in_any_steps_agrees_with_the_fold(
    tmp_path_factory: pytest.TempPathFactory,
    events: list[dict[str, Any]],
    cuts: list[int],
    random: Any,
) -> None:
    lines = [*events, *events[: len(events) // 3]]  # some lines twice
    random.shuffle(lines)
    path = tmp_path_factory.mktemp("journal") / "events.jsonl"
    index = JournalStore(path)
    start = 0
    for cut in [*sorted(cuts), len(lines)]:
        write(path, *lines[start:cut])
        start = max(start, cut)
        if path.exists():
            index.refresh()
    offsets = offsets_by_id(path)
    for task_id in {e["task_id"] for e in events}:
        fold = fold_task(task_id, as_fold_events(e for e in events if e["task_id"] == task_id))
        ids = [str(e.event_id) for e in fold.events]
        assert index.standings([offsets[i] for i in ids]) == [fold.standing(i) for i in ids]
        row = task_row(index, task_id)
        assert (row.status, row.title, row.event_count, row.created_at, row.last_event_at) == (
            fold.state.status,
            fold.state.title,
            fold.state.event_count,
            fold.state.created_at,
            fold.state.last_event_at,
        )
    index.close()


def test_a_journal_object_reads_the_same_state(journal_path: Path) -> None:
    write(journal_path, event(type="open", text="Task", timestamp=at(0)))
    journal = Journal(Settings(journal_path=journal_path, durability="flush"))
    try:
        assert journal.list_tasks().tasks[0].title == "Task"
    finally:
        journal.close()


def test_tasks_are_listed_by_their_last_event_in_time_not_by_line(journal_path: Path) -> None:
    write(
        journal_path,
        event(type="open", text="Latest in time", timestamp=at(30)),
        event(task_id=OTHER, type="open", text="Last line", timestamp=at(20)),
    )

    page = JournalStore(journal_path).list_tasks(limit=1)
    rest = JournalStore(journal_path).list_tasks(limit=1, cursor=page.next_cursor)

    assert [t.task_id for t in page.tasks + rest.tasks] == [T, OTHER]


def test_open_questions_are_the_hypotheses_the_fold_leaves_active(journal_path: Path) -> None:
    opened = event(type="open", text="Task", timestamp=at(0))
    answered = event(type="hypothesis", text="the cache", timestamp=at(1))
    amended = event(type="hypothesis", text="the proxy", timestamp=at(2))
    replaced = event(type="hypothesis", text="the disk", timestamp=at(3))
    still_open = event(type="hypothesis", text="the clock", timestamp=at(4))
    events = [
        opened,
        answered,
        amended,
        replaced,
        still_open,
        event(text="yes, the cache", timestamp=at(5), refs={"events": [answered["event_id"]]}),
        event(
            type="correction",
            text="the load balancer",
            timestamp=at(6),
            corrects=amended["event_id"],
        ),
        event(type="hypothesis", text="the RAID", timestamp=at(7), supersedes=replaced["event_id"]),
        event(type="hypothesis", text="the DNS", timestamp=at(8)),
    ]
    # The last one is written first: it comes before the rest in line order only.
    write(journal_path, events[-1], *events[:-1])
    fold = fold_task(T, as_fold_events(events))
    active = [
        e
        for e in events
        if e["type"] == "hypothesis" and fold.standing(e["event_id"]).standing == "active"
    ]
    assert [e["text"] for e in active] == ["the clock", "the RAID", "the DNS"]
    journal = Journal(Settings(journal_path=journal_path))
    try:
        assert journal.open_questions(T) == 3
        assert journal.open_questions(OTHER) == 0
    finally:
        journal.close()


def test_open_questions_are_counted_among_the_tasks_events_not_the_journals(
    journal_path: Path,
) -> None:
    """By type the count would walk every hypothesis of the journal, once per task."""
    write(journal_path, event(type="open", text="Task", timestamp=at(0)))
    index = JournalStore(journal_path)
    assert index.open_questions(T) == 0
    with sqlite3.connect(f"{journal_path}.index.sqlite") as conn:
        plan = conn.execute(f"EXPLAIN QUERY PLAN {sql.COUNT_ACTIVE}", (T, 0)).fetchall()
    searches = [row[3] for row in plan if row[3].startswith("SEARCH events")]
    assert searches == ["SEARCH events USING INDEX events_by_task (task=?)"]


@pytest.mark.parametrize(
    ("statement", "index"),
    [(sql.TASKS_ANY, "tasks_by_last"), (sql.TASKS_WITH_STATUS, "tasks_by_status")],
)
def test_tasks_are_listed_through_their_index_made_at_the_end_of_a_catch_up(
    journal_path: Path, statement: str, index: str
) -> None:
    """A build leaves the listing indexes of tasks for its end, as those of events: a
    listing still walks one, with no sort of every task."""
    write(journal_path, event(type="open", text="Task", timestamp=at(0)))
    JournalStore(journal_path).refresh()
    arguments = {"status": "open", "at": None, "id": None, "needle": None, "limit": 50}
    with sqlite3.connect(f"{journal_path}.index.sqlite") as conn:
        plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {statement}", arguments)]
    assert plan == [f"SCAN tasks USING INDEX {index}"] or plan == [
        f"SEARCH tasks USING INDEX {index} (status=?)"
    ]


def test_a_tasks_lines_are_found_in_canonical_order_by_the_index_alone(
    journal_path: Path,
) -> None:
    """A pack or an export reads every line of a task: a lookup in the table for each
    line's length doubled the cost of finding them."""
    write(journal_path, event(type="open", text="Task", timestamp=at(0)))
    index = JournalStore(journal_path)
    assert index.open_questions(T) == 0  # the index built
    with sqlite3.connect(f"{journal_path}.index.sqlite") as conn:
        plan = conn.execute(f"EXPLAIN QUERY PLAN {sql.ALL_TASK_EVENTS}", (1,)).fetchall()
    assert [row[3] for row in plan] == [
        "SEARCH events USING COVERING INDEX events_by_task (task=?)"
    ]


def test_an_earlier_event_of_a_task_is_found_by_its_id_not_among_the_tasks_events(
    journal_path: Path,
) -> None:
    """A late line asks whether it repeats an earlier event of its task; walking the
    task's events for it made each such line of a long task cost the whole task."""
    write(journal_path, event(type="open", text="Task", timestamp=at(0)))
    JournalStore(journal_path).refresh()
    with sqlite3.connect(f"{journal_path}.index.sqlite") as conn:
        plan = conn.execute(
            f"EXPLAIN QUERY PLAN {sql.FOLD_EVENT}", {"event_id": "x", "task": 1}
        ).fetchall()
    searches = [row[3] for row in plan if row[3].startswith("SEARCH events")]
    assert searches == ["SEARCH events USING INDEX events_by_id (event_id=?)"]


def test_a_tasks_rejections_are_found_among_its_events_not_the_journals_rejections(
    journal_path: Path,
) -> None:
    """A decision that chose an option asks for its task's rejections; walking every
    rejection of the journal for it made each such decision cost the whole journal."""
    write(journal_path, event(type="open", text="Task", timestamp=at(0)))
    JournalStore(journal_path).refresh()
    with sqlite3.connect(f"{journal_path}.index.sqlite") as conn:
        plan = conn.execute(
            f"EXPLAIN QUERY PLAN {sql.FOLD_EVENTS_OF_TYPE}", {"type": 4, "task": 1}
        ).fetchall()
    searches = [row[3] for row in plan if row[3].startswith("SEARCH events")]
    assert searches == ["SEARCH events USING INDEX events_by_task (task=?)"]


def test_the_standings_of_a_tasks_events_are_found_by_an_index_of_those_marked_alone(
    journal_path: Path,
) -> None:
    """A pack reads its task's standings: a look at each of a long task's events for the
    few the fold marked cost as much as folding the task again."""
    write(journal_path, event(type="open", text="Task", timestamp=at(0)))
    JournalStore(journal_path).refresh()
    with sqlite3.connect(f"{journal_path}.index.sqlite") as conn:
        plan = conn.execute(f"EXPLAIN QUERY PLAN {sql.TASK_STANDINGS}", (1,)).fetchall()
    assert [row[3] for row in plan] == [
        "SEARCH events USING COVERING INDEX events_standing (task=?)"
    ]
