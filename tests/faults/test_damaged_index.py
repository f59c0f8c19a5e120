"""A damaged index (truncated, or not SQLite) is detected and replaced by a new file
renamed into place, never waited on: a server that still holds the old one open costs
other processes nothing, and itself moves to the new file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.faults.command_line import cli
from tests.faults.stdio_server import StdioServer


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda path: os.truncate(path, 0), id="truncated-to-nothing"),
        pytest.param(lambda path: os.truncate(path, 50), id="truncated-in-the-header"),
        pytest.param(lambda path: path.write_bytes(b"garbage" * 1000), id="not-sqlite"),
    ],
)
def test_an_index_damaged_under_a_running_server_is_replaced_not_waited_on(
    journal_path: Path, damage: object
) -> None:
    index = Path(f"{journal_path}.index.sqlite")
    with StdioServer(journal_path) as server:
        opened = server.call("append_event", {"type": "open", "title": "First", "text": "x"})
        assert not opened["isError"]
        damage(index)  # type: ignore[operator]
        assert not server.call("list_tasks", {})["isError"]

        created = cli(journal_path, "create", "Second")
        listed = cli(journal_path, "tasks")
        served = server.call("list_tasks", {})

    for done in (created, listed):
        assert done.returncode == 0, done.stderr
        assert "cannot be used" not in done.stderr  # no fall-back to memory after a wait
    assert "First" in listed.stdout
    assert "Second" in listed.stdout
    assert index.read_bytes()[:16] == b"SQLite format 3\x00"
    titles = [task["title"] for task in served["structuredContent"]["tasks"]]
    assert sorted(titles) == ["First", "Second"]
