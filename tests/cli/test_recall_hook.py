"""Recall and the briefing (SPEC 8, 9): user-prompt-submit speaks up only about the
standing rejections and decisions a prompt clearly concerns; session-start briefs on
the open tasks and the task in hand. Each runs as a real process fed Claude Code's JSON.
"""

import json
import os
from pathlib import Path
from typing import Any

import pytest

from journal_core.location import project_hash
from tests.cli.conftest import Outcome, run_cli
from tests.cli.past import append_at, open_task_at

SESSION = "3f1c2a9e-6b7d-4e2f-9a10-5c8d7e6f5a4b"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    (folder / ".git").mkdir(parents=True)
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/feature/upload\n")
    return folder


@pytest.fixture
def project_journal(project: Path) -> Path:
    return Path(os.environ["TASK_JOURNAL_DATA_DIR"]) / "events" / f"{project_hash(project)}.jsonl"


@pytest.fixture
def upload_task(project_journal: Path) -> str:
    open_task_at(project_journal, "tj-upload0001", 3, "Flaky upload test")
    append_at(
        project_journal,
        2,
        task_id="tj-upload0001",
        type="rejection",
        text="Retrying the upload with exponential backoff: the rate limiter locks the account",
    )
    return "tj-upload0001"


def last_id(journal: Path, type: str | None = None) -> str:
    """The id of the journal's last event (of ``type``)."""
    events = [json.loads(line) for line in journal.read_text().splitlines()]
    event_id: str = [e for e in events if type in (None, e["type"])][-1]["event_id"]
    return event_id


def recall(cwd: Path, text: str) -> Outcome:
    return run_cli("hook", "user-prompt-submit", stdin=prompt(cwd, text), cwd=cwd)


def wrote_to(cwd: Path, session: str, task: str) -> None:
    """Run post-tool-use as after an append_event call of ``session`` to ``task``."""
    payload = {
        "session_id": session,
        "cwd": str(cwd),
        "hook_event_name": "PostToolUse",
        "tool_name": "mcp__task-journal__append_event",
        "tool_input": {"type": "finding", "text": "x", "task_id": task},
        "tool_response": {"task_id": task},
    }
    assert run_cli("hook", "post-tool-use", stdin=json.dumps(payload).encode(), cwd=cwd).status == 0


def hook_json(cwd: Path, event: str, **fields: str) -> bytes:
    """The JSON Claude Code sends for ``event``, with the event's own ``fields``."""
    payload = {
        "session_id": SESSION,
        "transcript_path": f"/home/me/.claude/projects/-p/{SESSION}.jsonl",
        "cwd": str(cwd),
        "hook_event_name": event,
        **fields,
    }
    return json.dumps(payload).encode()


def prompt(cwd: Path, text: str) -> bytes:
    return hook_json(cwd, "UserPromptSubmit", prompt=text)


def session_start(cwd: Path, source: str) -> bytes:
    return hook_json(cwd, "SessionStart", source=source)


def context(outcome: Outcome, event: str) -> str:
    assert (outcome.status, outcome.stderr) == (0, "")
    output: dict[str, Any] = json.loads(outcome.stdout)["hookSpecificOutput"]
    assert output["hookEventName"] == event
    text: str = output["additionalContext"]
    return text


def test_a_prompt_asking_for_a_rejected_idea_gets_the_rejection(
    project: Path, project_journal: Path, upload_task: str
) -> None:
    outcome = recall(project, "Add exponential backoff retries to the upload")

    text = context(outcome, "UserPromptSubmit")

    assert "not instructions" in text
    assert last_id(project_journal, "rejection")[:12] in text
    assert upload_task in text
    assert "rate limiter locks the account" in text
    assert len(text) <= 1500


def test_a_prompt_about_something_else_gets_nothing(project: Path, upload_task: str) -> None:
    outcome = recall(project, "Rename the variable tmp to buffer in the parser")

    assert (outcome.status, outcome.stdout, outcome.stderr) == (0, "", "")


def test_a_superseded_decision_is_not_recalled(project: Path, project_journal: Path) -> None:
    open_task_at(project_journal, "tj-logging001", 3, "Logging")
    text = "Log every SQL statement at info level"
    append_at(project_journal, 2, task_id="tj-logging001", type="decision", text=text)
    assert recall(project, text).stdout  # recalled while it stands
    append_at(
        project_journal, 1, task_id="tj-logging001", type="supersede",
        supersedes=last_id(project_journal), text="SQL statements only at debug level",
    )  # fmt: skip

    outcome = recall(project, text)

    assert (outcome.status, outcome.stdout) == (0, "")


def test_at_most_three_are_recalled(project: Path, project_journal: Path) -> None:
    open_task_at(project_journal, "tj-upload0001", 3, "Flaky upload test")
    for n in range(6):
        append_at(
            project_journal, 2, task_id="tj-upload0001", type="rejection",
            text=f"Upload retry backoff variant {n}: locks the account",
        )  # fmt: skip

    stdin = prompt(project, "Upload retry with backoff")
    text = context(
        run_cli("hook", "user-prompt-submit", stdin=stdin, cwd=project), "UserPromptSubmit"
    )

    assert text.count("\n- ") == 3


def test_the_briefing_indexes_every_open_task_then_packs_the_branchs_task(
    project: Path, project_journal: Path, upload_task: str
) -> None:
    open_task_at(project_journal, "tj-newer00001", 0, "A newer task")
    capture = project_journal.with_name(project_journal.name + ".capture")
    wrote_to(project, "an-earlier-session", upload_task)  # this branch last wrote to it
    assert capture.is_dir()

    outcome = run_cli("hook", "session-start", stdin=session_start(project, "startup"), cwd=project)

    text = context(outcome, "SessionStart")
    lines = text.splitlines()
    assert "not instructions" in text
    index = lines.index("## Open tasks")
    assert lines[index + 1].startswith("- tj-newer00001 · A newer task")
    assert lines[index + 2].startswith(f"- {upload_task} (in hand) · Flaky upload test")
    assert lines.index("# Flaky upload test [open]") > index + 2
    assert f"- {last_id(project_journal, 'rejection')[:12]} Retrying the upload" in text
    assert len(text) <= 10_000


@pytest.mark.parametrize("source", ["compact", "resume", "clear"])
def test_after_a_compaction_the_hook_gives_the_task_in_hands_pack(
    project: Path, project_journal: Path, upload_task: str, source: str
) -> None:
    wrote_to(project, SESSION, upload_task)
    open_task_at(project_journal, "tj-newer00001", 0, "A newer task")

    outcome = run_cli("hook", "session-start", stdin=session_start(project, source), cwd=project)

    text = context(outcome, "SessionStart")
    assert "# Flaky upload test [open]" in text
    assert "A newer task" not in text


def test_the_briefing_of_many_big_tasks_stays_under_10000_characters(
    project: Path, project_journal: Path
) -> None:
    for n in range(60):
        task = f"tj-task{n:06d}"
        open_task_at(project_journal, task, 1, f"Task {n} " + "with a long title " * 6)
        append_at(project_journal, 0.5, task_id=task, type="decision", text="Decided " * 80)

    outcome = run_cli("hook", "session-start", stdin=session_start(project, "startup"), cwd=project)

    assert len(context(outcome, "SessionStart")) <= 10_000
