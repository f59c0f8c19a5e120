"""task-journal pack, resume and export-pr: Markdown for people, the struct with --json."""

import json
import re
from pathlib import Path

import pytest

from tests.cli.conftest import CallMain, run_cli


@pytest.fixture
def goal_task(journal: Path, call_main: CallMain) -> str:
    """An open task with a goal, a decision on a file, a rejection and strong evidence."""
    outcome = call_main(
        "append", "open", "CI fails 1 in 5", "--title", "Flaky upload", "--goal", "Pass every run"
    )
    assert outcome.status == 0, outcome.stderr
    task_id = outcome.stdout.split()[1]
    call_main("append", "decision", "Retry once", "--task", task_id, "--ref-file", "up.py")
    call_main("append", "rejection", "A longer timeout hides the leak", "--task", task_id)
    call_main(
        "append", "evidence", "200 runs green", "--task", task_id, "--evidence-strength", "strong"
    )
    return task_id


def test_append_goal_lands_in_meta_goal(journal: Path, call_main: CallMain) -> None:
    call_main("append", "open", "Start", "--goal", "Ship the importer")
    assert json.loads(journal.read_text())["meta"]["goal"] == "Ship the importer"


def test_append_goal_on_a_finding_is_refused(task_id: str, call_main: CallMain) -> None:
    outcome = call_main("append", "finding", "x", "--task", task_id, "--goal", "y")
    assert outcome.status == 2
    assert "'redirect'" in outcome.stderr


def test_pack_prints_the_markdown(goal_task: str, call_main: CallMain) -> None:
    outcome = call_main("pack", goal_task)
    assert (outcome.status, outcome.stderr) == (0, "")
    lines = re.sub(r"(?m)^- [0-9A-Z]{12} ", "- ", outcome.stdout).splitlines()  # ids aside
    assert lines[0] == "# Flaky upload [open]"
    assert lines[2] == "Goal: Pass every run"
    assert "- Retry once" in lines
    assert "- A longer timeout hides the leak" in lines


def test_pack_json_is_the_struct(goal_task: str, call_main: CallMain) -> None:
    pack = json.loads(call_main("pack", goal_task, "--mode", "full", "--json").stdout)
    assert sorted(pack) == [
        "event_count",
        "goal",
        "markdown",
        "outcome",
        "status",
        "task_id",
        "title",
        "truncated",
    ]
    assert (pack["task_id"], pack["event_count"], pack["truncated"]) == (goal_task, 4, False)


def test_pack_keeps_to_the_budget(goal_task: str, call_main: CallMain) -> None:
    for n in range(40):
        call_main("append", "finding", f"finding {n} " + "detail " * 10, "--task", goal_task)
    pack = json.loads(call_main("pack", goal_task, "--budget", "150", "--json").stdout)
    assert pack["truncated"] is True
    assert len(pack["markdown"].encode()) <= 600


@pytest.mark.parametrize(
    ("args", "words"),
    [
        pytest.param(["tj-nothere00"], "no task 'tj-nothere00'", id="unknown-task"),
        pytest.param(
            ["TASK", "--budget", "99"],
            "error: --budget must be a whole number from 100 to 20000, got 99\n",
            id="budget-too-small",
        ),
        pytest.param(["TASK", "--mode", "short"], "invalid choice", id="unknown-mode"),
    ],
)
def test_pack_refusals_exit_2(
    task_id: str, call_main: CallMain, args: list[str], words: str
) -> None:
    outcome = call_main("pack", *[task_id if arg == "TASK" else arg for arg in args])
    assert outcome.status == 2
    assert outcome.stdout == ""
    assert words in outcome.stderr


def test_resume_briefs_on_the_open_tasks(goal_task: str, call_main: CallMain) -> None:
    other = call_main("append", "open", "other", "--title", "Other task").stdout.split()[1]
    call_main("append", "finding", "the goal task moves again", "--task", goal_task)
    outcome = call_main("resume")
    lines = outcome.stdout.splitlines()
    assert lines[0].startswith("2 open tasks in this journal, most recently active first;")
    assert "# Flaky upload [open]" in lines
    assert any(line.startswith(f"- {other} · Other task") for line in lines)


def test_resume_with_no_open_task_prints_nothing(task_id: str, call_main: CallMain) -> None:
    call_main("close", task_id, "--outcome", "Merged")
    outcome = call_main("resume")
    assert (outcome.status, outcome.stdout) == (0, "")
    assert outcome.stderr == "task-journal: no open task in this journal\n"


def test_resume_json(goal_task: str, call_main: CallMain) -> None:
    resume = json.loads(call_main("resume", "--budget", "500", "--json").stdout)
    assert resume["task_count"] == 1
    assert len(resume["markdown"].encode()) <= 2000


def test_export_pr_prints_the_description(goal_task: str, call_main: CallMain) -> None:
    outcome = call_main("export-pr", goal_task)
    assert outcome.status == 0
    assert outcome.stdout == (
        "# Flaky upload\n\n"
        "## Summary\n\nPass every run\n\n"
        "State: open (work in progress)\n\n"
        "## Changes\n\n- Retry once\n\n"
        "## Why this approach\n\n- A longer timeout hides the leak\n\n"
        "## Verification\n\n- 200 runs green (strong)\n\n"
        "## Affected files\n\n- `up.py`\n\n"
        f"Task journal: {goal_task}\n"
    )


def test_pack_runs_as_its_own_process(goal_task: str, journal: Path) -> None:
    outcome = run_cli("--journal", str(journal), "pack", goal_task)
    assert outcome.status == 0, outcome.stderr
    assert outcome.stdout.startswith("# Flaky upload [open]\n")


def test_export_pr_event_text_cannot_break_the_descriptions_markdown(
    journal: Path, call_main: CallMain
) -> None:
    outcome = call_main(
        "append", "open", "x", "--title", "Fence", "--goal", "See:\n```python\nretry(upload)"
    )
    task_id = outcome.stdout.split()[1]
    call_main("append", "decision", "Wrap it:\n~~~\nunclosed", "--task", task_id)
    call_main(
        "append",
        "decision",
        "## Changes\n<!-- hides the rest",
        "--task",
        task_id,
        "--ref-file",
        "odd`name.py",
    )
    call_main("append", "rejection", "```", "--task", task_id)

    outcome = call_main("export-pr", task_id)

    assert outcome.status == 0, outcome.stderr
    lines = outcome.stdout.splitlines()
    headings = [line for line in lines if line.startswith("#")]
    assert headings == [
        "# Fence",
        "## Summary",
        "## Changes",
        "## Why this approach",
        "## Affected files",
    ]
    # Nothing a text holds opens a fence, a block or a comment that runs past it.
    starts = [line.lstrip() for line in lines]
    assert not [line for line in starts if line.startswith(("```", "~~~", "<"))]
    assert "- `` odd`name.py ``" in lines
    assert lines[-1] == f"Task journal: {task_id}"
