"""task-journal flush: everything written so far made durable; the path and size printed."""

import json
from pathlib import Path

from tests.cli.conftest import CallMain, run_cli


def test_flush_prints_the_journal_path_and_its_size(journal: Path, task_id: str) -> None:
    outcome = run_cli("flush")

    assert (outcome.status, outcome.stderr) == (0, "")
    assert outcome.stdout == f"{journal} {journal.stat().st_size} bytes\n"


def test_flush_json_prints_the_flush_result(
    journal: Path, task_id: str, call_main: CallMain
) -> None:
    outcome = call_main("flush", "--json")

    assert outcome.status == 0
    assert json.loads(outcome.stdout) == {
        "path": str(journal),
        "size_bytes": journal.stat().st_size,
        "durable": True,
    }


def test_an_append_in_flush_mode_is_made_durable_by_flush(journal: Path) -> None:
    appended = run_cli("--durability", "flush", "append", "open", "Cheap", "--json")
    flushed = run_cli("flush", "--json")

    assert json.loads(appended.stdout)["durable"] is False
    assert json.loads(flushed.stdout)["durable"] is True
