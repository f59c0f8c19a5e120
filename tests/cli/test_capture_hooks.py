"""Capture (SPEC §9): post-tool-use spools what the agent did; stop, session-end and
pre-compact turn it into one suggested finding per session, on the task in hand.

Each hook runs as Claude Code runs it: the installed command in a process of its own,
the event's JSON (as the hooks reference gives it) on stdin.
"""

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

from journal_core.location import project_hash
from tests.cli.conftest import Outcome, run_cli
from tests.cli.past import append_at, open_task_at

SESSION = "3f1c2a9e-6b7d-4e2f-9a10-5c8d7e6f5a4b"
OTHER_SESSION = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A real git repository with one commit."""
    folder = tmp_path / "project"
    folder.mkdir()
    git(folder, "init", "-q", "-b", "main")
    (folder / "README").write_text("hello\n")
    git(folder, "add", "README")
    git(folder, "commit", "-q", "-m", "first")
    return folder


@pytest.fixture
def project_journal(project: Path) -> Path:
    return Path(os.environ["TASK_JOURNAL_DATA_DIR"]) / "events" / f"{project_hash(project)}.jsonl"


@pytest.fixture
def task(project_journal: Path) -> str:
    open_task_at(project_journal, "tj-upload0001", 1, "Flaky upload test")
    return "tj-upload0001"


def git(folder: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "T",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "T",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    done = subprocess.run(
        ["git", *args], cwd=folder, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


# --- the JSON Claude Code sends, one fixture per event -------------------------------------


def common(event: str, cwd: Path, session: str) -> dict[str, Any]:
    return {
        "session_id": session,
        "transcript_path": f"/home/me/.claude/projects/-p/{session}.jsonl",
        "cwd": str(cwd),
        "hook_event_name": event,
    }


def post_tool_use(
    cwd: Path, tool: str, tool_input: dict[str, Any], response: Any, session: str = SESSION
) -> bytes:
    payload = common("PostToolUse", cwd, session)
    payload.update(tool_name=tool, tool_input=tool_input, tool_response=response)
    return json.dumps(payload).encode()


def write_tool(cwd: Path, path: Path, content: str = "x = 1\n", session: str = SESSION) -> bytes:
    return post_tool_use(
        cwd,
        "Write",
        {"file_path": str(path), "content": content},
        {"type": "create", "filePath": str(path), "content": content},
        session,
    )


def bash_tool(cwd: Path, command: str, stdout: str, session: str = SESSION) -> bytes:
    response = {"stdout": stdout, "stderr": "", "interrupted": False, "isImage": False}
    return post_tool_use(cwd, "Bash", {"command": command}, response, session)


def stop(cwd: Path, session: str = SESSION) -> bytes:
    return json.dumps({**common("Stop", cwd, session), "stop_hook_active": False}).encode()


def session_end(cwd: Path, session: str = SESSION) -> bytes:
    return json.dumps({**common("SessionEnd", cwd, session), "reason": "exit"}).encode()


def pre_compact(cwd: Path, session: str = SESSION) -> bytes:
    payload = {**common("PreCompact", cwd, session), "trigger": "auto", "custom_instructions": ""}
    return json.dumps(payload).encode()


def hook(name: str, stdin: bytes, cwd: Path, env: dict[str, str] | None = None) -> Outcome:
    outcome = run_cli("hook", name, stdin=stdin, cwd=cwd, env=env)
    assert outcome.status == 0
    return outcome


def events(journal: Path) -> list[dict[str, Any]]:
    if not journal.exists():
        return []
    return [json.loads(line) for line in journal.read_text().splitlines() if line]


def findings(journal: Path) -> list[dict[str, Any]]:
    return [event for event in events(journal) if event["author"] == "hook"]


# --- what is recorded ------------------------------------------------------------------------


def test_a_written_file_becomes_one_suggested_finding_with_its_relative_path(
    project: Path, project_journal: Path, task: str
) -> None:
    hook("post-tool-use", write_tool(project, project / "src" / "upload.py"), project)
    hook("post-tool-use", write_tool(project, project / "src" / "upload.py"), project)

    outcome = hook("stop", stop(project), project)

    assert (outcome.stdout, outcome.stderr) == ("", "")
    [finding] = findings(project_journal)
    assert finding["type"] == "finding"
    assert (finding["author"], finding["source"], finding["status"]) == (
        "hook",
        "hook",
        "suggested",
    )
    assert finding["task_id"] == task
    assert finding["meta"]["session_id"] == SESSION
    assert finding["refs"] == {"files": ["src/upload.py"]}
    assert "src/upload.py" in finding["text"]


def test_file_contents_are_never_recorded(project: Path, project_journal: Path, task: str) -> None:
    content = "PASSWORD = 'hunter2-do-not-record'"
    hook("post-tool-use", write_tool(project, project / "settings.py", content), project)
    edit = post_tool_use(
        project,
        "Edit",
        {"file_path": str(project / "app.py"), "old_string": content, "new_string": content},
        {"filePath": str(project / "app.py"), "oldString": content, "newString": content},
    )
    hook("post-tool-use", edit, project)
    hook("stop", stop(project), project)

    journal_dir = project_journal.parent
    everything = b"".join(path.read_bytes() for path in journal_dir.rglob("*") if path.is_file())
    assert b"hunter2" not in everything
    assert findings(project_journal)[0]["refs"]["files"] == ["settings.py", "app.py"]


def test_a_commit_made_through_the_bash_tool_is_recorded_with_its_id(
    project: Path, project_journal: Path, task: str
) -> None:
    (project / "upload.py").write_text("retries = 3\n")
    git(project, "add", "upload.py")
    printed = git(project, "commit", "-m", "Retry uploads three times")
    head = git(project, "rev-parse", "HEAD").strip()

    command = 'git add upload.py && git commit -m "Retry uploads three times"'
    hook("post-tool-use", bash_tool(project, command, printed), project)
    hook("stop", stop(project), project)

    [finding] = findings(project_journal)
    assert finding["refs"] == {"commits": [head]}
    assert head[:12] in finding["text"]


def test_a_failed_commit_records_nothing(project: Path, project_journal: Path, task: str) -> None:
    printed = "On branch main\nnothing to commit, working tree clean\n"
    hook("post-tool-use", bash_tool(project, "git commit -am wip", printed), project)
    hook("stop", stop(project), project)

    assert findings(project_journal) == []


@pytest.mark.parametrize(
    ("command", "output", "verdict", "summary"),
    [
        pytest.param(
            "python -m pytest -q",
            "..F.\nFAILED tests/test_upload.py::test_retry - assert 2 == 3\n"
            "========== 1 failed, 3 passed in 0.52s ==========\n",
            "failed",
            "1 failed, 3 passed in 0.52s",
            id="pytest-failed",
        ),
        pytest.param(
            "cargo test",
            "running 4 tests\ntest result: ok. 4 passed; 0 failed; 0 ignored; finished in 0.01s\n",
            "passed",
            "test result: ok. 4 passed; 0 failed; 0 ignored; finished in 0.01s",
            id="cargo-passed",
        ),
        pytest.param(
            "npm test",
            "PASS src/a.test.js\nTests:       2 passed, 2 total\nTime: 1 s\n",
            "passed",
            "Tests:       2 passed, 2 total",
            id="jest-passed",
        ),
    ],
)
def test_a_test_run_is_recorded_with_its_verdict_and_summary_line_only(
    project: Path, project_journal: Path, task: str, command: str, output: str, verdict: str,
    summary: str,
) -> None:  # fmt: skip
    hook("post-tool-use", bash_tool(project, command, output), project)
    hook("stop", stop(project), project)

    [finding] = findings(project_journal)
    assert f"A test run {verdict}: {summary}." in finding["text"]
    assert "test_retry" not in finding["text"]  # the output beyond the summary line


def test_other_tools_record_nothing(project: Path, project_journal: Path, task: str) -> None:
    read = post_tool_use(project, "Read", {"file_path": str(project / "README")}, {"file": {}})
    hook("post-tool-use", read, project)
    hook("post-tool-use", bash_tool(project, "ls -la", "README\n"), project)
    hook("stop", stop(project), project)

    assert findings(project_journal) == []


def test_a_file_outside_the_project_is_not_recorded(
    project: Path, project_journal: Path, task: str, tmp_path: Path
) -> None:
    hook("post-tool-use", write_tool(project, tmp_path / "elsewhere.txt"), project)
    hook("stop", stop(project), project)

    assert findings(project_journal) == []


# --- one finding per session, on the task in hand ----------------------------------------------


def test_two_sessions_at_once_keep_their_captures_apart(
    project: Path, project_journal: Path, task: str
) -> None:
    hook("post-tool-use", write_tool(project, project / "a.py", session=SESSION), project)
    hook("post-tool-use", write_tool(project, project / "b.py", session=OTHER_SESSION), project)
    hook("post-tool-use", write_tool(project, project / "c.py", session=SESSION), project)

    hook("stop", stop(project, SESSION), project)
    hook("stop", stop(project, OTHER_SESSION), project)

    by_session = {f["meta"]["session_id"]: f["refs"]["files"] for f in findings(project_journal)}
    assert by_session == {SESSION: ["a.py", "c.py"], OTHER_SESSION: ["b.py"]}


def test_a_later_flush_supersedes_the_sessions_earlier_finding(
    project: Path, project_journal: Path, task: str
) -> None:
    hook("post-tool-use", write_tool(project, project / "a.py"), project)
    hook("stop", stop(project), project)
    hook("post-tool-use", write_tool(project, project / "b.py"), project)

    hook("pre-compact", pre_compact(project), project)

    first, second = findings(project_journal)
    assert second["supersedes"] == first["event_id"]
    assert second["refs"]["files"] == ["a.py", "b.py"]
    pack = run_cli("pack", task, "--json", cwd=project).stdout
    standing = json.loads(pack)["markdown"].split("## Findings")[1].split("##")[0]
    assert standing.count("This session edited") == 1
    assert "b.py" in standing


def test_a_flush_with_nothing_new_writes_nothing(
    project: Path, project_journal: Path, task: str
) -> None:
    hook("post-tool-use", write_tool(project, project / "a.py"), project)
    hook("stop", stop(project), project)

    hook("stop", stop(project), project)
    hook("session-end", session_end(project), project)

    assert len(findings(project_journal)) == 1
    assert list((project_journal.parent / f"{project_journal.name}.capture").glob("*.jsonl")) == []


def test_the_finding_goes_to_the_task_the_session_last_wrote_to(
    project: Path, project_journal: Path
) -> None:
    open_task_at(project_journal, "tj-mine000001", 3, "The session's task")
    open_task_at(project_journal, "tj-newer00001", 0, "Another, more recent task")
    wrote = post_tool_use(
        project,
        "mcp__task-journal__append_event",
        {"type": "finding", "text": "Seen", "task_id": "tj-mine000001"},
        [{"type": "text", "text": json.dumps({"event_id": "01", "task_id": "tj-mine000001"})}],
    )
    hook("post-tool-use", wrote, project)
    hook("post-tool-use", write_tool(project, project / "a.py"), project)

    hook("stop", stop(project), project)

    [finding] = findings(project_journal)
    assert finding["task_id"] == "tj-mine000001"


def test_with_no_open_task_nothing_is_written_and_nothing_lost(
    project: Path, project_journal: Path
) -> None:
    open_task_at(project_journal, "tj-done000001", 2, "Done task")
    append_at(project_journal, 1, task_id="tj-done000001", type="close", text="Merged")
    hook("post-tool-use", write_tool(project, project / "a.py"), project)

    hook("session-end", session_end(project), project)
    assert findings(project_journal) == []

    open_task_at(project_journal, "tj-later000001", 0, "Opened later")
    hook("stop", stop(project), project)
    [finding] = findings(project_journal)
    assert (finding["task_id"], finding["refs"]["files"]) == ("tj-later000001", ["a.py"])


def test_a_killed_sessions_spool_is_written_by_the_next_flush(
    project: Path, project_journal: Path, task: str
) -> None:
    hook("post-tool-use", write_tool(project, project / "dead.py", session=OTHER_SESSION), project)
    spool = project_journal.with_name(project_journal.name + ".capture") / f"{OTHER_SESSION}.jsonl"
    an_hour_ago = time.time() - 3600
    os.utime(spool, (an_hour_ago, an_hour_ago))  # the session was killed an hour ago

    hook("stop", stop(project, SESSION), project)

    [finding] = findings(project_journal)
    assert finding["meta"]["session_id"] == OTHER_SESSION
    assert finding["refs"]["files"] == ["dead.py"]
    assert not spool.exists()


def test_a_live_sessions_spool_is_left_to_it(
    project: Path, project_journal: Path, task: str
) -> None:
    hook("post-tool-use", write_tool(project, project / "live.py", session=OTHER_SESSION), project)

    hook("stop", stop(project, SESSION), project)

    assert findings(project_journal) == []


# --- never fails the session -------------------------------------------------------------------


CAPTURE_HOOKS = ["post-tool-use", "stop", "session-end", "pre-compact", "user-prompt-submit"]


@pytest.mark.parametrize("name", CAPTURE_HOOKS)
@pytest.mark.parametrize(
    "stdin",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"{not json", id="not-json"),
        pytest.param(b'["cwd"]', id="not-an-object"),
        pytest.param(b'{"session_id": "s"}', id="no-cwd"),
        pytest.param(b'{"cwd": "' + b"x" * (65 << 20) + b'"}', id="huge"),
    ],
)
def test_bad_input_exits_0_with_one_warning(
    project: Path, project_journal: Path, task: str, name: str, stdin: bytes
) -> None:
    before = project_journal.read_bytes()

    outcome = hook(name, stdin, project)

    assert outcome.stdout == ""
    assert outcome.stderr.startswith(f"task-journal: warning: {name} hook: ")
    assert outcome.stderr.count("\n") == 1
    assert project_journal.read_bytes() == before


def test_a_busy_journal_exits_0_with_one_warning_and_loses_nothing(
    project: Path, project_journal: Path, task: str
) -> None:
    hook("post-tool-use", write_tool(project, project / "a.py"), project)
    env = {**os.environ, "TASK_JOURNAL_LOCK_TIMEOUT": "0.2"}

    with FileLock(f"{project_journal}.lock"):
        outcome = hook("stop", stop(project), project, env=env)

    assert outcome.stderr.startswith("task-journal: warning: stop hook: ")
    assert outcome.stderr.count("\n") == 1
    assert findings(project_journal) == []
    hook("stop", stop(project), project)
    assert findings(project_journal)[0]["refs"]["files"] == ["a.py"]


def test_a_missing_journal_records_nothing_and_creates_nothing(
    project: Path, project_journal: Path
) -> None:
    for name, stdin in [
        ("post-tool-use", write_tool(project, project / "a.py")),
        ("stop", stop(project)),
        ("session-end", session_end(project)),
    ]:
        outcome = hook(name, stdin, project)
        assert (outcome.stdout, outcome.stderr) == ("", "")

    assert not project_journal.parent.exists()


@pytest.mark.parametrize("name", ["stop", "session-end", "pre-compact"])
def test_an_unreadable_journal_exits_0_with_one_warning(
    project: Path, project_journal: Path, name: str
) -> None:
    project_journal.mkdir(parents=True)  # a folder where the file should be
    hook("post-tool-use", write_tool(project, project / "a.py"), project)

    outcome = hook(name, stop(project), project)

    assert outcome.stderr.startswith(f"task-journal: warning: {name} hook: ")
    assert outcome.stderr.count("\n") == 1


# --- task-journal capture, for other agents -----------------------------------------------------


def test_capture_takes_the_same_records_as_json_on_stdin(
    project: Path, project_journal: Path, task: str
) -> None:
    records = [
        {"file": str(project / "src" / "a.py")},
        {"commit": "0123456789abcdef0123456789abcdef01234567"},
        {"test": "passed", "summary": "12 passed in 0.3s"},
    ]
    stdin = "\n".join(json.dumps(record) for record in records).encode()

    outcome = run_cli("capture", "--session", "codex-1", "--end", stdin=stdin, cwd=project)

    assert outcome.status == 0, outcome.stderr
    [finding] = findings(project_journal)
    assert finding["refs"] == {
        "files": ["src/a.py"],
        "commits": ["0123456789abcdef0123456789abcdef01234567"],
    }
    assert finding["meta"]["session_id"] == "codex-1"
    assert outcome.stdout.split() == [finding["event_id"], task]


def test_capture_refuses_a_record_of_another_shape(
    project: Path, project_journal: Path, task: str
) -> None:
    outcome = run_cli("capture", "--session", "s", stdin=b'{"output": "all of it"}', cwd=project)

    assert outcome.status == 2
    assert "record 1" in outcome.stderr
    assert findings(project_journal) == []
