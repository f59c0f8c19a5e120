"""task-journal statusline: one line for Claude Code's status bar, never an error."""

import json
import os
import time
from pathlib import Path

from journal_core import current_open_tasks
from tests.cli.conftest import run_cli
from tests.cli.past import append_at, open_task_at
from tests.core.journal_lines import line


def test_shows_the_latest_open_task_the_open_count_and_the_stale_count(journal: Path) -> None:
    open_task_at(journal, "tj-old0000001", 30, "Idle for a month")
    open_task_at(journal, "tj-busy000001", 20, "Opened long ago, touched today")
    open_task_at(journal, "tj-new0000001", 1, "Opened yesterday")
    open_task_at(journal, "tj-done000001", 40, "Closed")
    append_at(journal, 39, task_id="tj-done000001", type="close", text="Merged")
    append_at(journal, 0, task_id="tj-busy000001", type="finding", text="Still failing")

    outcome = run_cli("statusline")

    assert (outcome.status, outcome.stderr) == (0, "")
    assert outcome.stdout == "[tj-busy000001 · open: 3 · stale: 1]\n"


def test_a_task_idle_exactly_seven_days_is_stale(journal: Path) -> None:
    open_task_at(journal, "tj-week000001", 7.01, "A week idle")

    assert run_cli("statusline").stdout == "[tj-week000001 · open: 1 · stale: 1]\n"


def test_no_open_task_shows_the_counts_alone(journal: Path) -> None:
    open_task_at(journal, "tj-done000001", 2, "Closed")
    append_at(journal, 1, task_id="tj-done000001", type="close", text="Merged")

    assert run_cli("statusline").stdout == "[open: 0 · stale: 0]\n"


def test_no_journal_prints_nothing(journal: Path) -> None:
    outcome = run_cli("statusline")

    assert (outcome.status, outcome.stdout, outcome.stderr) == (0, "", "")
    assert not journal.exists()


def test_an_unreadable_journal_prints_nothing_and_exits_0(journal: Path) -> None:
    journal.mkdir(parents=True)  # a folder where the file should be

    outcome = run_cli("statusline")

    assert (outcome.status, outcome.stdout) == (0, "")
    assert outcome.stderr.startswith("task-journal: warning: statusline: ")


def test_the_per_project_journal_is_the_working_directorys(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    created = run_cli("create", "Project task", cwd=project).stdout.strip()

    outcome = run_cli("statusline", cwd=project)

    assert outcome.stdout == f"[{created} · open: 1 · stale: 0]\n"
    assert run_cli("statusline", cwd=tmp_path).stdout == ""


def test_the_index_read_directly_and_the_journal_agree_as_the_journal_changes(
    journal: Path,
) -> None:
    open_task_at(journal, "tj-old0000001", 30, "Idle for a month")
    open_task_at(journal, "tj-new0000001", 1, "Opened yesterday")
    # The first run catches the index up; the second reads it directly.
    first, second = run_cli("statusline").stdout, run_cli("statusline").stdout
    append_at(journal, 0, task_id="tj-new0000001", type="close", text="Done")
    after_close = run_cli("statusline").stdout

    assert first == second == "[tj-new0000001 · open: 2 · stale: 1]\n"
    assert after_close == run_cli("statusline").stdout == "[tj-old0000001 · open: 1 · stale: 1]\n"


def test_an_index_of_a_replaced_journal_is_not_read(journal: Path, tmp_path: Path) -> None:
    open_task_at(journal, "tj-old0000001", 3, "In the journal first")
    assert run_cli("statusline").stdout == "[tj-old0000001 · open: 1 · stale: 0]\n"
    replacement = tmp_path / "replacement.jsonl"
    open_task_at(replacement, "tj-new0000001", 9, "Shorter")
    # Smaller, of another inode: the index was made from the file it replaces.
    replacement.replace(journal)

    assert run_cli("statusline").stdout == "[tj-new0000001 · open: 1 · stale: 1]\n"


def test_a_bad_setting_is_refused_even_where_the_index_could_answer(journal: Path) -> None:
    open_task_at(journal, "tj-old0000001", 3, "A task")
    run_cli("statusline")

    outcome = run_cli("statusline", env={**os.environ, "TASK_JOURNAL_DURABILITY": "sometimes"})

    assert (outcome.status, outcome.stdout) == (0, "")
    assert "'sometimes' is not one of: always, flush" in outcome.stderr


def big_journal_without_index(journal: Path) -> None:
    """A journal of over a mebibyte (more than a status line catches up) and no index."""
    journal.parent.mkdir(parents=True, exist_ok=True)
    lines = [line(type="open", task_id="tj-big0000001", text="A big journal")]
    lines += [line(task_id="tj-big0000001", text="x" * 400) for _ in range(3000)]
    journal.write_bytes(b"".join(lines))


def wait_for_the_index(journal: Path) -> None:
    # The background builder's end, not its speed: the bound only stops a hung test.
    for _ in range(1200):
        if current_open_tasks(journal) is not None:
            return
        time.sleep(0.1)
    raise AssertionError("no background process built the index")


def test_with_no_index_on_a_big_journal_it_says_so_and_builds_it_aside(journal: Path) -> None:
    big_journal_without_index(journal)

    first = run_cli("statusline")

    assert (first.status, first.stdout) == (0, "[task-journal: indexing the journal…]\n")
    wait_for_the_index(journal)
    assert run_cli("statusline").stdout == "[tj-big0000001 · open: 1 · stale: 1]\n"


def test_session_start_does_not_wait_for_the_index_either(journal: Path) -> None:
    big_journal_without_index(journal)
    hook_input = json.dumps(
        {"cwd": str(journal.parent), "hook_event_name": "SessionStart"}
    ).encode()

    first = run_cli("hook", "session-start", "--journal", str(journal), stdin=hook_input)

    assert first.status == 0
    context = json.loads(first.stdout)["hookSpecificOutput"]["additionalContext"]
    assert "being built in the background" in context
    wait_for_the_index(journal)
    again = run_cli("hook", "session-start", "--journal", str(journal), stdin=hook_input)
    assert "A big journal" in json.loads(again.stdout)["hookSpecificOutput"]["additionalContext"]
