"""The journal file deleted or replaced under a running server: the next append goes to
the configured path, never to the file that is no longer there."""

from __future__ import annotations

import os
from pathlib import Path

from journal_core import Journal, Settings, new_event
from tests.faults.stdio_server import StdioServer, journal_lines


def test_append_after_the_journal_was_deleted_creates_it_again(journal_path: Path) -> None:
    with StdioServer(journal_path) as server:
        server.append(type="open", text="before the delete")
        with journal_path.open("rb") as unlinked:
            size_when_unlinked = journal_path.stat().st_size
            journal_path.unlink()
            after = server.append(type="open", text="after the delete")
            assert os.fstat(unlinked.fileno()).st_size == size_when_unlinked
    assert [event["event_id"] for event in journal_lines(journal_path)] == [after["event_id"]]


def test_append_after_the_journal_was_replaced_goes_to_the_new_file(journal_path: Path) -> None:
    replacement = journal_path.with_name("replacement.jsonl")
    with StdioServer(journal_path) as server:
        server.append(type="open", text="in the file about to be replaced")
        elsewhere = Journal(Settings(journal_path=replacement))
        opened = elsewhere.append(new_event(type="open", text="written to the replacement"))
        elsewhere.close()
        with journal_path.open("rb") as replaced:
            size_when_replaced = journal_path.stat().st_size
            os.replace(replacement, journal_path)
            # A finding for the replacement's task: the server must also read the new file.
            after = server.append(type="finding", task_id=opened.task_id, text="after the replace")
            assert os.fstat(replaced.fileno()).st_size == size_when_replaced
    assert [event["event_id"] for event in journal_lines(journal_path)] == [
        opened.event_id,
        after["event_id"],
    ]
