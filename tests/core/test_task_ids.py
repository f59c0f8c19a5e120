"""Journal.task_ids_with_prefix: the task ids a front end matches a typed prefix against."""

from pathlib import Path

from journal_core import Journal, Settings, new_event


def test_the_ids_starting_with_the_prefix_come_back_sorted(journal: Journal) -> None:
    for task in ("upload-2", "upload-1", "importer", "up"):
        journal.append(new_event(type="open", text=task, task_id=task))

    assert journal.task_ids_with_prefix("upload") == ["upload-1", "upload-2"]
    assert journal.task_ids_with_prefix("up") == ["up", "upload-1", "upload-2"]
    assert journal.task_ids_with_prefix("none") == []


def test_tasks_another_process_opened_since_are_found(journal: Journal, journal_path: Path) -> None:
    journal.append(new_event(type="open", text="first", task_id="upload-1"))
    assert journal.task_ids_with_prefix("upload") == ["upload-1"]
    other = Journal(Settings(journal_path=journal_path, durability="flush"))
    try:
        other.append(new_event(type="open", text="second", task_id="upload-2"))
    finally:
        other.close()

    assert journal.task_ids_with_prefix("upload") == ["upload-1", "upload-2"]


def test_a_journal_not_made_yet_has_no_task_ids(tmp_path: Path) -> None:
    journal = Journal(Settings(journal_path=tmp_path / "none.jsonl"))

    assert journal.task_ids_with_prefix("") == []
    assert not (tmp_path / "none.jsonl").exists()
