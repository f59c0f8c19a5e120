"""Cells edited in the index file are found by ``verify``, which compares the index with
a scan of the journal and says what differs, and mended by ``rebuild-state``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.faults.command_line import cli


def test_verify_says_what_an_edited_index_changed_and_rebuild_state_mends_it(
    journal_path: Path,
) -> None:
    task = cli(journal_path, "create", "Real title").stdout.strip()
    assert (
        cli(journal_path, "close", task, "--outcome", "done", "--outcome-tag", "done").returncode
        == 0
    )
    assert cli(journal_path, "verify").returncode == 0
    with sqlite3.connect(f"{journal_path}.index.sqlite") as conn:
        conn.execute("UPDATE tasks SET title = 'F', status = 'open'")
    conn.close()

    found = cli(journal_path, "verify")
    rebuilt = cli(journal_path, "rebuild-state")
    after = cli(journal_path, "verify")

    assert found.returncode == 1
    assert f"index: task {task}: the index has title 'F' (the journal says 'Real title')" in (
        found.stdout
    )
    assert "status 'open' (the journal says 'closed')" in found.stdout
    assert "rebuild-state" in found.stdout
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert (after.returncode, after.stdout.count("index:")) == (0, 0)
    assert "Real title" in cli(journal_path, "tasks", "--status", "any").stdout
