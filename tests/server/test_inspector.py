"""A real third-party client, the MCP Inspector's CLI: tools, resources and prompts."""

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from journal_core import Journal, Settings, new_event
from tests.conftest import journal_data

pytestmark = pytest.mark.slow

# The first run downloads the inspector from the npm registry.
NPX_TIMEOUT = 600
# Pinned: every release after 0.15.0 declares Node >= 22, and an unpinned npx takes the
# newest on a fresh machine. 0.15.0 is the last that runs on Node 20.
INSPECTOR = "@modelcontextprotocol/inspector@0.15.0"


@pytest.fixture
def npx() -> str:
    found = shutil.which("npx")
    if found is None:
        pytest.fail("npx is missing: install Node.js 20+ and npm to run the MCP Inspector test")
    return found


def inspector(
    npx: str, server_command: Path, journal_path: Path, env: dict[str, str], *method: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            npx,
            "-y",
            INSPECTOR,
            "--cli",
            "-e",
            f"TASK_JOURNAL_PATH={journal_path}",
            str(server_command),
            *method,
        ],
        capture_output=True,
        text=True,
        timeout=NPX_TIMEOUT,
        env={**env, "NO_UPDATE_NOTIFIER": "1"},
        check=False,
    )


def test_inspector_lists_the_tools(
    npx: str, server_command: Path, journal_path: Path, child_env: dict[str, str]
) -> None:
    done = inspector(npx, server_command, journal_path, child_env, "--method", "tools/list")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert sorted(tool["name"] for tool in listed["tools"]) == [
        "append_event",
        "flush",
        "list_tasks",
        "read_events",
        "search_events",
        "task_pack",
    ]


def test_inspector_appends_an_event(
    npx: str, server_command: Path, journal_path: Path, child_env: dict[str, str]
) -> None:
    done = inspector(
        npx,
        server_command,
        journal_path,
        child_env,
        "--method",
        "tools/call",
        "--tool-name",
        "append_event",
        "--tool-arg",
        "type=open",
        "text=Opened from the MCP Inspector",
        "title=Inspector",
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    task_id = answer["structuredContent"]["task_id"]
    [line] = journal_path.read_text().splitlines()
    written = json.loads(line)
    assert (written["task_id"], written["text"]) == (task_id, "Opened from the MCP Inspector")


def opened_task(journal_path: Path) -> str:
    """A journal holding one open task with a goal and a decision; its task id."""
    journal = Journal(Settings(journal_path=journal_path))
    journal.open()
    try:
        task_id = journal.append(
            new_event(type="open", text="Started", title="Inspected", goal="Be inspected")
        ).task_id
        journal.append(new_event(type="decision", text="Use the Inspector", task_id=task_id))
    finally:
        journal.close()
    return task_id


def test_inspector_lists_and_reads_the_resources(
    npx: str, server_command: Path, journal_path: Path, child_env: dict[str, str]
) -> None:
    task_id = opened_task(journal_path)
    listed = inspector(npx, server_command, journal_path, child_env, "--method", "resources/list")
    assert listed.returncode == 0, listed.stderr
    assert [r["uri"] for r in json.loads(listed.stdout)["resources"]] == ["journal://tasks"]
    templates = inspector(
        npx, server_command, journal_path, child_env, "--method", "resources/templates/list"
    )
    assert templates.returncode == 0, templates.stderr
    [template] = json.loads(templates.stdout)["resourceTemplates"]
    assert (template["uriTemplate"], template["mimeType"]) == (
        "journal://tasks/{task_id}",
        "text/markdown",
    )
    read = inspector(
        npx,
        server_command,
        journal_path,
        child_env,
        "--method",
        "resources/read",
        "--uri",
        f"journal://tasks/{task_id}",
    )
    assert read.returncode == 0, read.stderr
    [contents] = json.loads(read.stdout)["contents"]
    assert contents["mimeType"] == "text/markdown"
    assert journal_data(contents["text"]).startswith("# Inspected [open]\n")
    assert re.search(r"^- [0-9A-Z]{12} Use the Inspector$", contents["text"], re.MULTILINE)


def test_inspector_lists_and_gets_the_prompts(
    npx: str, server_command: Path, journal_path: Path, child_env: dict[str, str]
) -> None:
    task_id = opened_task(journal_path)
    listed = inspector(npx, server_command, journal_path, child_env, "--method", "prompts/list")
    assert listed.returncode == 0, listed.stderr
    prompts = {prompt["name"]: prompt for prompt in json.loads(listed.stdout)["prompts"]}
    assert sorted(prompts) == ["resume", "resume_task"]
    assert [a["name"] for a in prompts["resume_task"]["arguments"]] == ["task_id"]
    got = inspector(
        npx,
        server_command,
        journal_path,
        child_env,
        "--method",
        "prompts/get",
        "--prompt-name",
        "resume_task",
        "--prompt-args",
        f"task_id={task_id}",
    )
    assert got.returncode == 0, got.stderr
    [message] = json.loads(got.stdout)["messages"]
    assert "Goal: Be inspected" in message["content"]["text"].splitlines()


def test_inspector_calls_task_pack(
    npx: str, server_command: Path, journal_path: Path, child_env: dict[str, str]
) -> None:
    task_id = opened_task(journal_path)
    done = inspector(
        npx,
        server_command,
        journal_path,
        child_env,
        "--method",
        "tools/call",
        "--tool-name",
        "task_pack",
        "--tool-arg",
        f"task_id={task_id}",
    )
    assert done.returncode == 0, done.stderr
    pack = json.loads(done.stdout)["structuredContent"]
    assert (pack["title"], pack["goal"], pack["event_count"]) == ("Inspected", "Be inspected", 2)
    assert re.search(r"^- [0-9A-Z]{12} Use the Inspector$", pack["markdown"], re.MULTILINE)


def readme_inspector_examples() -> list[list[str]]:
    """The MCP Inspector command lines the README gives, split as a shell would."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    return [
        shlex.split(line)
        for line in readme.splitlines()
        if line.startswith(f"npx -y {INSPECTOR} --cli task-journal-mcp ")
    ]


def test_the_readmes_inspector_examples_work_and_set_numbers_as_numbers(
    npx: str, server_command: Path, journal_path: Path, child_env: dict[str, str]
) -> None:
    examples = readme_inspector_examples()
    assert [example[example.index("--method") + 1] for example in examples] == [
        "tools/list",
        "tools/call",
        "tools/call",
    ]
    answers = []
    for example in examples:
        # As typed, but with this npx, this server and a journal of the test's own.
        method = example[example.index("task-journal-mcp") + 1 :]
        done = inspector(npx, server_command, journal_path, child_env, *method)
        assert done.returncode == 0, (example, done.stdout, done.stderr)
        answers.append(json.loads(done.stdout))

    [written] = [json.loads(line) for line in journal_path.read_text().splitlines()]
    assert (written["text"], written["confidence"]) == ("Try the journal", 0.9)
    assert [event["event_id"] for event in answers[2]["structuredContent"]["events"]] == [
        written["event_id"]
    ]
