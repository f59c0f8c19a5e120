"""Admission under the write lock: what the journal on disk does not allow is refused."""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence
from pathlib import Path

import msgspec
import pytest

from journal_core import (
    Event,
    IdempotencyKeyReused,
    Journal,
    JournalError,
    Settings,
    TaskStateConflict,
    UnknownEvent,
    new_event,
)
from journal_core.fold import FoldEvent
from journal_core.writer import Tip, Verdict
from tests.core.journal_lines import append_in_child

MISSING = "01KMZ3T4J8Q7W2E5R6T7Y8V9H0"


def lines(journal: Journal) -> int:
    return journal.path.read_bytes().count(b"\n")


def test_a_close_of_a_closed_task_is_refused_saying_it_is_closed(
    journal: Journal, task_id: str
) -> None:
    journal.append(new_event(type="close", text="done", task_id=task_id))
    before = lines(journal)
    with pytest.raises(TaskStateConflict, match=f"task '{task_id}' is closed") as refused:
        journal.append(new_event(type="close", text="done again", task_id=task_id))
    assert (refused.value.task_id, refused.value.status) == (task_id, "closed")
    assert lines(journal) == before


def test_a_reopen_of_an_open_task_is_refused_saying_it_is_open(
    journal: Journal, task_id: str
) -> None:
    with pytest.raises(TaskStateConflict, match=f"task '{task_id}' is open"):
        journal.append(new_event(type="reopen", text="again", task_id=task_id))


def test_close_reopen_close_is_accepted(journal: Journal, task_id: str) -> None:
    for kind in ("close", "reopen", "close"):
        journal.append(new_event(type=kind, text=kind, task_id=task_id))
    assert journal.list_tasks(status="closed").tasks[0].task_id == task_id


def test_a_close_after_another_process_closed_the_task_is_refused(
    journal: Journal, task_id: str
) -> None:
    other = Journal(Settings(journal_path=journal.path, durability="flush"))
    other.append(new_event(type="close", text="closed elsewhere", task_id=task_id))
    other.close()
    with pytest.raises(TaskStateConflict):
        journal.append(new_event(type="close", text="done", task_id=task_id))


@pytest.mark.parametrize(
    ("kind", "naming"),
    [
        pytest.param("correction", {"corrects": MISSING}, id="corrects"),
        pytest.param("supersede", {"supersedes": MISSING}, id="supersedes"),
        pytest.param("finding", {"refs": {"events": [MISSING]}}, id="refs.events"),
    ],
)
def test_an_event_naming_an_event_not_in_the_journal_is_refused(
    journal: Journal, task_id: str, kind: str, naming: dict[str, object]
) -> None:
    before = lines(journal)
    with pytest.raises(UnknownEvent, match=MISSING) as refused:
        journal.append(new_event(type=kind, text="fix", task_id=task_id, **naming))  # type: ignore[arg-type]
    assert refused.value.event_id == MISSING
    assert lines(journal) == before


def test_an_event_naming_an_event_another_process_wrote_is_accepted(
    journal: Journal, task_id: str
) -> None:
    (written,) = append_in_child(journal.path, task_id, 1)
    journal.append(new_event(type="correction", text="fix", task_id=task_id, corrects=written))


def test_an_event_may_name_one_earlier_in_the_same_batch(journal: Journal, task_id: str) -> None:
    first = new_event(type="finding", text="first", task_id=task_id)
    second = new_event(type="correction", text="fix", task_id=task_id, corrects=first.event_id)
    # Both reach admission together, as one group commit, before either is on disk.
    assert _admit(journal, [first, second]) == [None, None]


def test_a_close_and_a_reopen_in_one_batch_count_each_other(journal: Journal, task_id: str) -> None:
    close = new_event(type="close", text="done", task_id=task_id)
    again = new_event(type="close", text="done", task_id=task_id)
    verdicts = _admit(journal, [close, again])
    assert verdicts[0] is None
    assert isinstance(verdicts[1], TaskStateConflict)


@pytest.mark.parametrize(
    ("task_change", "type_change"),
    [
        pytest.param(True, False, id="other-task"),
        pytest.param(False, True, id="other-type"),
    ],
)
def test_an_idempotency_key_reused_for_another_task_or_type_is_refused_naming_it(
    journal: Journal, task_id: str, task_change: bool, type_change: bool
) -> None:
    journal.append(new_event(type="finding", text="a", task_id=task_id, idempotency_key="k-1"))
    other_task = journal.append(new_event(type="open", text="other")).task_id
    before = lines(journal)
    with pytest.raises(IdempotencyKeyReused, match="'k-1'") as refused:
        journal.append(
            new_event(
                type="decision" if type_change else "finding",
                text="b",
                task_id=other_task if task_change else task_id,
                idempotency_key="k-1",
            )
        )
    assert (refused.value.key, refused.value.task_id, refused.value.event_type) == (
        "k-1",
        task_id,
        "finding",
    )
    assert lines(journal) == before


def test_an_idempotency_key_repeated_for_the_same_task_and_type_is_a_duplicate(
    journal: Journal, task_id: str
) -> None:
    first = journal.append(new_event(type="close", text="a", task_id=task_id, idempotency_key="k"))
    # A retry of the close: a duplicate, not a close of a closed task.
    again = journal.append(new_event(type="close", text="a", task_id=task_id, idempotency_key="k"))
    assert (again.event_id, again.duplicate) == (first.event_id, True)


def test_refusals_are_journal_errors_in_one_sentence(journal: Journal, task_id: str) -> None:
    with pytest.raises(JournalError) as refused:
        journal.append(new_event(type="reopen", text="again", task_id=task_id))
    message = str(refused.value)
    assert "\n" not in message
    assert "reopen" in message


def test_appends_work_with_an_index_that_cannot_be_written(journal_path: Path) -> None:
    journal_path.parent.mkdir(parents=True)
    Path(f"{journal_path}.index.sqlite").mkdir()  # the index cannot be a file there
    journal = Journal(Settings(journal_path=journal_path, durability="flush"))
    opened = journal.append(new_event(type="open", text="t"))
    journal.append(new_event(type="close", text="done", task_id=opened.task_id))
    with pytest.raises(TaskStateConflict):
        journal.append(new_event(type="close", text="again", task_id=opened.task_id))
    journal.close()


def test_a_repeated_open_with_its_key_is_a_duplicate_though_it_names_a_new_task(
    journal: Journal,
) -> None:
    # A retried open cannot know the task id the first one made: the key decides.
    first = journal.append(new_event(type="open", text="a", title="A", idempotency_key="k-open"))
    again = journal.append(new_event(type="open", text="a", title="A", idempotency_key="k-open"))

    assert again.duplicate
    assert (again.task_id, again.event_id) == (first.task_id, first.event_id)


def _admit(journal: Journal, events: Sequence[Event]) -> list[Verdict]:
    """Admission's verdicts on ``events`` where the journal ends, asked as the writer
    asks under the lock: with the file's end and a descriptor of it."""
    fd = os.open(journal.path, os.O_RDONLY)
    try:
        stat = os.fstat(fd)
        return journal._admission.admit(events, Tip((stat.st_dev, stat.st_ino), stat.st_size), fd)
    finally:
        os.close(fd)


def test_checks_after_our_own_appends_know_them_without_catching_the_index_up(
    journal: Journal, task_id: str
) -> None:
    finding = journal.append(
        new_event(type="finding", text="f", task_id=task_id, idempotency_key="k")
    )
    journal.append(
        new_event(type="correction", text="c", task_id=task_id, corrects=finding.event_id)
    )
    journal.append(new_event(type="close", text="done", task_id=task_id))
    with pytest.raises(TaskStateConflict):
        journal.append(new_event(type="close", text="again", task_id=task_id))
    again = journal.append(
        new_event(type="finding", text="f", task_id=task_id, idempotency_key="k")
    )
    assert (again.duplicate, again.event_id) == (True, finding.event_id)
    # The next read catches the index up with them.
    assert journal.read_events(task_id=task_id, limit=1).events[0]["type"] == "close"


def test_a_line_another_writer_appended_after_ours_counts(journal: Journal, task_id: str) -> None:
    journal.append(new_event(type="finding", text="ours", task_id=task_id))
    # Another writer (no index of its own: the Rust tool, say) closes the task.
    closing = new_event(type="close", text="closed elsewhere", task_id=task_id)
    with journal.path.open("ab") as file:
        file.write(msgspec.json.encode(closing) + b"\n")
    with pytest.raises(TaskStateConflict):
        journal.append(new_event(type="close", text="done", task_id=task_id))


def test_a_key_another_writer_used_after_our_append_answers_as_a_duplicate(
    journal: Journal, task_id: str
) -> None:
    journal.append(new_event(type="finding", text="ours", task_id=task_id))
    theirs = new_event(type="finding", text="theirs", task_id=task_id, idempotency_key="k-9")
    with journal.path.open("ab") as file:
        file.write(msgspec.json.encode(theirs) + b"\n")
    again = journal.append(
        new_event(type="finding", text="ours again", task_id=task_id, idempotency_key="k-9")
    )
    assert (again.duplicate, again.event_id) == (True, theirs.event_id)


def test_a_journal_cut_short_after_our_append_is_checked_from_the_file(
    journal: Journal, task_id: str
) -> None:
    closed = journal.append(new_event(type="close", text="done", task_id=task_id))
    # Someone cuts the close off by hand: the task is open again on disk.
    data = journal.path.read_bytes()
    journal.path.write_bytes(data[: data.rindex(b"\n", 0, len(data) - 1) + 1])
    assert closed.event_id.encode() not in journal.path.read_bytes()
    journal.append(new_event(type="close", text="done again", task_id=task_id))


def test_appends_that_ask_what_was_asked_before_open_no_index_transaction(
    journal: Journal, task_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal.append(new_event(type="finding", text="first", task_id=task_id))
    queries: list[object] = []
    query = journal._index.query

    def counted(work: object, **options: object) -> object:
        queries.append(work)
        return query(work, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(journal._index, "query", counted)

    for number in range(20):
        journal.append(new_event(type="finding", text=f"more {number}", task_id=task_id))
    assert queries == []
    # A question not asked before goes to the index, and its answer is right.
    with pytest.raises(UnknownEvent):
        journal.append(new_event(type="finding", text="x", task_id=task_id, corrects=MISSING))
    assert len(queries) == 1


def test_a_check_run_again_on_a_rebuilt_index_starts_afresh(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The store runs the checks again when the index failed under them; the first run's
    # events must not count in the second, or an open would find its own task open.
    query = journal._index.query

    def twice(work: object, **options: object) -> object:
        query(work, **options)  # type: ignore[arg-type]
        return query(work, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(journal._index, "query", twice)
    opened = journal.append(new_event(type="open", text="New", task_id="tj-afresh0001"))
    assert not opened.duplicate


def _hand_written(journal: Journal, task_id: str, *kinds_and_times: tuple[str, str]) -> None:
    """Lines another writer appended, at the times given."""
    from tests.core.journal_lines import event, write

    write(
        journal.path,
        *(
            event(task_id=task_id, type=kind, text=kind, timestamp=when)
            for kind, when in kinds_and_times
        ),
    )


def test_admission_takes_a_late_line_in_its_place_in_time(journal_path: Path) -> None:
    journal = Journal(Settings(journal_path=journal_path, durability="flush"))
    _hand_written(
        journal,
        "tj-late000000",
        ("open", "2026-12-01T10:00:00.000Z"),
        ("close", "2026-12-01T10:00:20.000Z"),
        ("reopen", "2026-12-01T10:00:10.000Z"),  # appended last, but older than the close
    )
    try:
        # The task is closed: in time order the reopen came before the close.
        journal.append(new_event(type="reopen", text="again", task_id="tj-late000000"))
    finally:
        journal.close()


def _closed_by_late_lines(journal: Journal, task_id: str) -> None:
    """After our append, another writer closes the task with a close, then a reopen
    older than it: the task is closed in time order."""
    journal.append(new_event(type="finding", text="ours", task_id=task_id))
    _hand_written(
        journal,
        task_id,
        ("close", "2999-01-01T00:00:20.000Z"),
        ("reopen", "2999-01-01T00:00:10.000Z"),  # appended last, but older than the close
    )


def test_admission_takes_another_writers_late_line_in_its_place_in_time(
    journal: Journal, task_id: str
) -> None:
    _closed_by_late_lines(journal, task_id)

    with pytest.raises(TaskStateConflict, match="is closed"):
        journal.append(new_event(type="close", text="twice", task_id=task_id))


@pytest.fixture
def whole_folds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tasks admission folds whole from here on, one entry a fold."""
    from journal_core import admission
    from journal_core.fold import TaskFold, fold_task

    folded: list[str] = []

    def counted(task: str, events: Sequence[FoldEvent]) -> TaskFold:
        folded.append(task)
        return fold_task(task, events)

    monkeypatch.setattr(admission, "fold_task", counted)
    return folded


def test_late_lines_that_leave_the_status_as_it_is_fold_no_task_again(
    journal: Journal, task_id: str, whole_folds: list[str]
) -> None:
    # Concurrent writers' lines land a little out of time order all the time: admission
    # asks a task only whether it is open, which a late finding cannot change, so it
    # must not read and fold the whole task again for each (that made every append of a
    # busy task cost as much as its whole history).
    late = [new_event(type="finding", text=f"made early {n}", task_id=task_id) for n in range(30)]
    journal.append(new_event(type="finding", text="written first, made last", task_id=task_id))
    for event in late:
        journal.append(event)
    assert whole_folds == []
    journal.append(new_event(type="close", text="done", task_id=task_id))
    with pytest.raises(TaskStateConflict, match="is closed"):
        journal.append(new_event(type="close", text="twice", task_id=task_id))


def test_a_late_close_among_late_findings_still_closes_its_task(journal_path: Path) -> None:
    journal = Journal(Settings(journal_path=journal_path, durability="flush"))
    _hand_written(
        journal,
        "tj-late000000",
        ("open", "2026-12-01T10:00:00.000Z"),
        ("finding", "2026-12-01T10:00:30.000Z"),
        ("finding", "2026-12-01T10:00:10.000Z"),  # late: passed over
        ("close", "2026-12-01T10:00:20.000Z"),  # late, and it closes the task
    )
    try:
        with pytest.raises(TaskStateConflict, match="is closed"):
            journal.append(new_event(type="close", text="twice", task_id="tj-late000000"))
    finally:
        journal.close()


def test_another_writers_lines_read_halfway_before_a_failure_all_count_after_it(
    journal: Journal, task_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Admission takes another writer's lines into what it remembers of ours; a read that
    # fails among them must leave none of them half taken in.
    from journal_core.reader import decode_line as decode

    journal.append(new_event(type="finding", text="ours", task_id=task_id))
    _hand_written(
        journal,
        task_id,
        ("close", "2999-01-01T00:00:10.000Z"),
        ("reopen", "2999-01-01T00:00:20.000Z"),
        ("close", "2999-01-01T00:00:30.000Z"),
    )
    read: list[bytes] = []

    def failing_at_the_third(raw: bytes) -> object:
        read.append(raw)
        if len(read) == 3:
            raise OSError(errno.EIO, "the disk failed")
        return decode(raw)

    monkeypatch.setattr("journal_core.admission.decode_line", failing_at_the_third)
    with pytest.raises(OSError, match="the disk failed"):
        journal.append(new_event(type="finding", text="lost", task_id=task_id))
    monkeypatch.setattr("journal_core.admission.decode_line", decode)

    with pytest.raises(TaskStateConflict, match="is closed"):
        journal.append(new_event(type="close", text="twice", task_id=task_id))
    journal.append(new_event(type="reopen", text="again", task_id=task_id))


def test_two_writers_taking_turns_each_count_every_line_of_the_other(journal_path: Path) -> None:
    # Each append finds the other writer's line after its own last one, and takes it
    # into what it remembers: a task's status, the events it may name, the keys used.
    ours = Journal(Settings(journal_path=journal_path, durability="flush"))
    theirs = Journal(Settings(journal_path=journal_path, durability="flush"))
    try:
        task_id = ours.append(new_event(type="open", text="shared", title="Shared")).task_id
        theirs.append(new_event(type="finding", text="theirs", task_id=task_id))
        ours.append(new_event(type="close", text="done", task_id=task_id))
        with pytest.raises(TaskStateConflict, match="is closed"):
            theirs.append(new_event(type="close", text="done too", task_id=task_id))
        theirs.append(new_event(type="reopen", text="not yet", task_id=task_id))
        with pytest.raises(TaskStateConflict, match="is open"):
            ours.append(new_event(type="reopen", text="again", task_id=task_id))
        keyed = theirs.append(
            new_event(type="finding", text="keyed", task_id=task_id, idempotency_key="k")
        )
        again = ours.append(
            new_event(type="finding", text="keyed", task_id=task_id, idempotency_key="k")
        )
        assert (again.duplicate, again.event_id) == (True, keyed.event_id)
        theirs.append(new_event(type="finding", text="between", task_id=task_id))
        ours.append(
            new_event(type="correction", text="fix", task_id=task_id, corrects=keyed.event_id)
        )
        with pytest.raises(UnknownEvent):
            theirs.append(
                new_event(type="correction", text="fix", task_id=task_id, corrects=MISSING)
            )
        ours.append(new_event(type="close", text="done", task_id=task_id))
        with pytest.raises(TaskStateConflict, match="is closed"):
            theirs.append(new_event(type="close", text="twice", task_id=task_id))
        assert lines(ours) == 8  # the refused and the duplicate wrote nothing
    finally:
        ours.close()
        theirs.close()


def test_a_task_with_a_late_close_is_folded_whole_once_not_at_every_append(
    journal: Journal, task_id: str, whole_folds: list[str]
) -> None:
    # The fold of the whole task reads every event of it from the index: what it says
    # holds until the next line of the task, so a busy task with a late line among its
    # recent ones must not pay for it again at each append.
    _closed_by_late_lines(journal, task_id)
    for number in range(5):
        journal.append(new_event(type="finding", text=f"more {number}", task_id=task_id))
    assert whole_folds == [task_id]
    with pytest.raises(TaskStateConflict, match="is closed"):
        journal.append(new_event(type="close", text="twice", task_id=task_id))


def test_a_received_open_of_a_task_held_already_leaves_its_status_to_the_fold(
    journal_path: Path,
) -> None:
    # An event another replica wrote is taken by its id alone, whatever its task's state
    # (SPEC §10): a second open of a closed task, older than its close, leaves the task
    # closed, and a reopen must then be taken, not refused as of an open task.
    from journal_core.events import ForeignEvent
    from tests.core.journal_lines import event

    journal = Journal(Settings(journal_path=journal_path, durability="flush"))
    task = "tj-received01"
    _hand_written(
        journal,
        task,
        ("open", "2026-12-01T10:00:00.000Z"),
        ("close", "2026-12-01T10:00:20.000Z"),
    )
    theirs = event(task_id=task, type="open", text="open", timestamp="2026-12-01T10:00:10.000Z")
    line = msgspec.json.encode(theirs) + b"\n"
    try:
        journal.append(new_event(type="finding", text="ours", task_id=task))
        assert journal.import_lines([(msgspec.json.decode(line, type=ForeignEvent), line)]) == [
            True
        ]
        journal.append(new_event(type="reopen", text="again", task_id=task))
    finally:
        journal.close()


def test_a_status_line_after_every_status_event_counts_in_place_though_older_than_findings(
    journal: Journal, task_id: str, whole_folds: list[str]
) -> None:
    # Only a task's open, reopen and close events decide whether it is open: a close
    # older than our last finding but newer than every status event needs no whole fold.
    ours = new_event(type="finding", text="ours, made later", task_id=task_id)
    journal.append(msgspec.structs.replace(ours, timestamp="2999-01-01T00:00:30.000Z"))
    _hand_written(journal, task_id, ("close", "2999-01-01T00:00:20.000Z"))

    with pytest.raises(TaskStateConflict, match="is closed"):
        journal.append(new_event(type="close", text="twice", task_id=task_id))
    assert whole_folds == []
