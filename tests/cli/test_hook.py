"""task-journal hook session-start, fed the JSON Claude Code sends on stdin.

The hook runs in a process of its own at every session start, so these tests run the
installed command as Claude Code does: stdin the hook's JSON, the working directory not
necessarily the project's, and any failure must still exit 0.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

from journal_core.location import project_hash
from tests.cli.conftest import Outcome, run_cli
from tests.cli.past import append_at, open_task_at


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder (a git work tree), with no journal yet."""
    folder = tmp_path / "project"
    (folder / ".git").mkdir(parents=True)
    (folder / "src").mkdir()
    return folder


@pytest.fixture
def project_journal(project: Path) -> Path:
    """Where the per-project journal of ``project`` lives (SPEC §4)."""
    return Path(os.environ["TASK_JOURNAL_DATA_DIR"]) / "events" / f"{project_hash(project)}.jsonl"


def payload(cwd: Path | str, source: str = "startup") -> bytes:
    """The SessionStart input as Claude Code writes it."""
    return json.dumps(
        {
            "session_id": "3f1c2a9e-6b7d-4e2f-9a10-5c8d7e6f5a4b",
            "transcript_path": f"/home/me/.claude/projects/-{str(cwd).strip('/').replace('/', '-')}"
            "/3f1c2a9e-6b7d-4e2f-9a10-5c8d7e6f5a4b.jsonl",
            "cwd": str(cwd),
            "hook_event_name": "SessionStart",
            "source": source,
        }
    ).encode()


def run_hook(stdin: bytes, cwd: Path, env: dict[str, str] | None = None) -> Outcome:
    return run_cli("hook", "session-start", stdin=stdin, cwd=cwd, env=env)


def context_of(outcome: Outcome) -> str:
    document: dict[str, Any] = json.loads(outcome.stdout)
    assert list(document) == ["hookSpecificOutput"]
    output = document["hookSpecificOutput"]
    assert output["hookEventName"] == "SessionStart"
    text: str = output["additionalContext"]
    return text


def test_prints_the_resume_briefing_of_the_projects_open_tasks(
    project: Path, project_journal: Path, tmp_path: Path
) -> None:
    open_task_at(project_journal, "tj-upload0001", 2, "Flaky upload test")
    append_at(project_journal, 1, task_id="tj-upload0001", type="decision", text="Reset the cache")

    # Claude Code may start the hook anywhere: the payload's cwd names the project.
    outcome = run_hook(payload(project), cwd=tmp_path)

    assert (outcome.status, outcome.stderr) == (0, "")
    context = context_of(outcome)
    assert "Flaky upload test" in context
    assert "tj-upload0001" in context
    assert "Reset the cache" in context


@pytest.mark.parametrize("source", ["startup", "resume", "clear", "compact"])
def test_every_session_source_gets_the_briefing(
    project: Path, project_journal: Path, source: str
) -> None:
    open_task_at(project_journal, "tj-upload0001", 0, "Flaky upload test")

    outcome = run_hook(payload(project, source), cwd=project)

    assert outcome.status == 0, outcome.stderr
    assert "Flaky upload test" in context_of(outcome)


def test_a_cwd_below_the_project_root_finds_the_projects_journal(
    project: Path, project_journal: Path
) -> None:
    open_task_at(project_journal, "tj-upload0001", 0, "Flaky upload test")

    outcome = run_hook(payload(project / "src"), cwd=project / "src")

    assert outcome.status == 0, outcome.stderr
    assert "tj-upload0001" in context_of(outcome)


def test_no_journal_prints_nothing_and_creates_nothing(
    project: Path, project_journal: Path
) -> None:
    outcome = run_hook(payload(project), cwd=project)

    assert (outcome.status, outcome.stdout, outcome.stderr) == (0, "", "")
    assert not project_journal.parent.exists()


def test_no_open_task_prints_nothing(project: Path, project_journal: Path) -> None:
    open_task_at(project_journal, "tj-upload0001", 3, "Flaky upload test")
    append_at(project_journal, 2, task_id="tj-upload0001", type="close", text="Merged")

    outcome = run_hook(payload(project), cwd=project)

    assert (outcome.status, outcome.stdout, outcome.stderr) == (0, "", "")


@pytest.mark.parametrize(
    "stdin",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"{not json", id="not-json"),
        pytest.param(b"\xff\xfe{}", id="not-utf8"),
        pytest.param(b'["cwd"]', id="not-an-object"),
        pytest.param(b'{"session_id": "x", "hook_event_name": "SessionStart"}', id="no-cwd"),
        pytest.param(b'{"cwd": 42}', id="cwd-not-a-string"),
        pytest.param(b'{"cwd": "/no/such/folder"}', id="cwd-missing"),
    ],
)
def test_bad_input_still_exits_0_with_a_warning(project: Path, stdin: bytes) -> None:
    outcome = run_hook(stdin, cwd=project)

    assert (outcome.status, outcome.stdout) == (0, "")
    assert outcome.stderr.startswith("task-journal: warning: session-start hook: ")
    assert outcome.stderr.count("\n") == 1
    assert "Traceback" not in outcome.stderr


def test_an_unreadable_journal_exits_0_with_a_warning(project: Path, project_journal: Path) -> None:
    project_journal.mkdir(parents=True)  # a folder where the file should be

    outcome = run_hook(payload(project), cwd=project)

    assert (outcome.status, outcome.stdout) == (0, "")
    assert "warning: session-start hook:" in outcome.stderr
    assert str(project_journal) in outcome.stderr


def test_a_bad_setting_exits_0_with_a_warning(project: Path, project_journal: Path) -> None:
    open_task_at(project_journal, "tj-upload0001", 0, "Flaky upload test")
    env = {**os.environ, "TASK_JOURNAL_DURABILITY": "sometimes"}

    outcome = run_hook(payload(project), cwd=project, env=env)

    assert (outcome.status, outcome.stdout) == (0, "")
    assert "sometimes" in outcome.stderr


def test_a_held_write_lock_does_not_stop_the_briefing(project: Path, project_journal: Path) -> None:
    open_task_at(project_journal, "tj-upload0001", 0, "Flaky upload test")
    env = {**os.environ, "TASK_JOURNAL_LOCK_TIMEOUT": "0.2"}

    with FileLock(f"{project_journal}.lock"):
        outcome = run_hook(payload(project), cwd=project, env=env)

    assert outcome.status == 0, outcome.stderr
    assert "Flaky upload test" in context_of(outcome)


def test_journal_option_wins_over_the_payloads_cwd(project: Path, journal: Path) -> None:
    open_task_at(journal, "tj-elsewhere1", 0, "Task in the named journal")

    outcome = run_cli(
        "--journal", str(journal), "hook", "session-start", stdin=payload(project), cwd=project
    )

    assert outcome.status == 0, outcome.stderr
    assert "tj-elsewhere1" in context_of(outcome)


def test_the_briefing_stays_within_its_budget(project: Path, project_journal: Path) -> None:
    open_task_at(project_journal, "tj-upload0001", 1, "Flaky upload test")
    for number in range(200):
        append_at(
            project_journal,
            0,
            task_id="tj-upload0001",
            type="finding",
            text=f"Finding {number}: " + "the upload stalls at 30 s " * 20,
        )

    outcome = run_hook(payload(project), cwd=project)

    # 1,500 tokens of about 4 bytes, plus the one-line head the hook puts before it.
    assert len(context_of(outcome).encode()) < 1500 * 4 + 300


def test_the_hook_and_the_statusline_do_not_load_the_mcp_sdk(
    project: Path, project_journal: Path
) -> None:
    open_task_at(project_journal, "tj-upload0001", 0, "Flaky upload test")
    script = (
        "import io, sys\n"
        "from server.cli import main\n"
        f"sys.stdin = io.TextIOWrapper(io.BytesIO({payload(project)!r}))\n"
        "main(['hook', 'session-start'])\n"
        "main(['statusline'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('mcp', 'anyio', 'pydantic', 'starlette', 'uvicorn', 'httpx'))\n"
        "print(heavy, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=project, capture_output=True, text=True, check=True
    )

    assert "tj-upload0001" in done.stdout
    assert done.stderr.strip() == "[]"
