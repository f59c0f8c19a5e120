"""Starting the installed server: options, start-up line, clean stdout, refusing a bad journal."""

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.abc import Process
from mcp import Client, StdioServerParameters

from journal_core import Journal
from journal_core.location import project_hash
from server import __version__, main
from tests.server.conftest import call_ok

pytestmark = pytest.mark.anyio


def run_server(
    command: Path, *args: str, env: dict[str, str], stdin: str = "", via: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """Run the server (started by the `via` command, if any) to its end; with empty stdin a
    stdio server stops at once."""
    return subprocess.run(
        [*via, str(command), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_version_prints_the_package_version(
    server_command: Path, child_env: dict[str, str]
) -> None:
    done = run_server(server_command, "--version", env=child_env)
    assert done.returncode == 0
    assert done.stdout == f"task-journal-mcp {__version__}\n"


def test_help_lists_every_option(server_command: Path, child_env: dict[str, str]) -> None:
    done = run_server(server_command, "--help", env=child_env)
    assert done.returncode == 0
    for option in (
        "--journal",
        "--project-dir",
        "--durability",
        "--transport",
        "--host",
        "--port",
        "--version",
    ):
        assert option in done.stdout


def test_help_states_the_exit_statuses_task_journal_shares(
    server_command: Path, child_env: dict[str, str]
) -> None:
    done = run_server(server_command, "--help", env=child_env)
    assert done.returncode == 0
    assert "\n  2  bad option or configuration" in done.stdout
    assert "\n  3  cannot serve: the journal cannot be opened or created" in done.stdout


def test_start_up_line_names_version_journal_durability_and_transport(
    server_command: Path, journal_path: Path, child_env: dict[str, str]
) -> None:
    done = run_server(
        server_command, "--journal", str(journal_path), "--durability", "flush", env=child_env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert done.stderr.splitlines()[0] == (
        f"task-journal-mcp {__version__}: journal {journal_path}, durability flush, transport stdio"
    )


def test_default_journal_is_the_per_project_one_under_the_data_dir(
    server_command: Path, tmp_path: Path, child_env: dict[str, str]
) -> None:
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    (project / "src").mkdir()
    done = run_server(server_command, "--project-dir", str(project / "src"), env=child_env)
    assert done.returncode == 0, done.stderr
    expected = (
        Path(child_env["TASK_JOURNAL_DATA_DIR"]) / "events" / f"{project_hash(project)}.jsonl"
    )
    assert f"journal {expected}," in done.stderr
    assert not Path(child_env["TASK_JOURNAL_DATA_DIR"]).exists()  # the first append makes it


@pytest.mark.parametrize(
    "make_bad",
    [
        pytest.param(lambda p: p.mkdir(parents=True), id="journal-is-a-folder"),
        pytest.param(lambda p: p.parent.write_text("a file"), id="journal-folder-is-a-file"),
    ],
)
def test_unusable_journal_stops_the_start_with_a_clear_message(
    server_command: Path, journal_path: Path, child_env: dict[str, str], make_bad: Any
) -> None:
    make_bad(journal_path)
    done = run_server(server_command, "--journal", str(journal_path), env=child_env)
    assert done.returncode == 3
    assert done.stdout == ""
    assert done.stderr.startswith(f"task-journal-mcp: error: cannot use the journal {journal_path}")
    assert "Traceback" not in done.stderr


def bound_by_file_modes() -> tuple[str, ...]:
    """The command to start a child through so that file modes bind it even as root: setpriv
    drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, with which root ignores them."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.fail("running as root: setpriv (util-linux) is needed to drop root's override")
    return (setpriv, "--bounding-set=-dac_override,-dac_read_search", "--")


def test_read_only_folder_stops_the_start_with_a_clear_message(
    server_command: Path, journal_path: Path, child_env: dict[str, str]
) -> None:
    journal_path.parent.mkdir(mode=0o500)
    done = run_server(
        server_command, "--journal", str(journal_path), env=child_env, via=bound_by_file_modes()
    )
    assert done.returncode == 3
    assert "cannot use the journal" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(f"task-journal-mcp: error: cannot use the journal {journal_path}")
    assert "Permission denied" in done.stderr


def test_bad_durability_from_the_environment_is_a_usage_error(
    server_command: Path, journal_path: Path, child_env: dict[str, str]
) -> None:
    env = {**child_env, "TASK_JOURNAL_DURABILITY": "sometimes"}
    done = run_server(server_command, "--journal", str(journal_path), env=env)
    assert done.returncode == 2
    assert "durability" in done.stderr
    assert "'sometimes'" in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_option_is_a_usage_error(server_command: Path, child_env: dict[str, str]) -> None:
    done = run_server(server_command, "--durability", "sometimes", env=child_env)
    assert done.returncode == 2
    assert "invalid choice: 'sometimes'" in done.stderr


class RawStdio:
    """Speaks JSON-RPC to a server child line by line, reading each answer before the next."""

    def __init__(self, process: Process) -> None:
        self.process = process
        self.buffer = b""

    async def send(self, text: str) -> None:
        assert self.process.stdin is not None
        await self.process.stdin.send(text.encode() + b"\n")

    async def answer(self, request_id: int) -> dict[str, Any]:
        """The response to ``request_id``; every line seen on stdout must be a JSON-RPC message."""
        assert self.process.stdout is not None
        with anyio.fail_after(30):
            while True:
                while b"\n" in self.buffer:
                    line, self.buffer = self.buffer.split(b"\n", 1)
                    message: dict[str, Any] = json.loads(line)
                    assert message["jsonrpc"] == "2.0"
                    if message.get("id") == request_id:
                        return message
                self.buffer += await self.process.stdout.receive()

    async def rest(self) -> None:
        """Read stdout to its end; every remaining line must be a JSON-RPC message too."""
        assert self.process.stdout is not None
        with anyio.fail_after(30):
            async for chunk in self.process.stdout:
                self.buffer += chunk
        for line in self.buffer.splitlines():
            assert json.loads(line)["jsonrpc"] == "2.0"


def call_line(request_id: int, arguments_json: str) -> str:
    # Written by hand: NaN is not JSON, but Python-made JSON can carry it.
    return (
        f'{{"jsonrpc": "2.0", "id": {request_id}, "method": "tools/call", "params": '
        f'{{"name": "append_event", "arguments": {arguments_json}}}}}'
    )


async def test_stdout_carries_only_protocol_messages_and_nan_is_refused(
    server_command: Path, journal_path: Path, child_env: dict[str, str]
) -> None:
    command = [str(server_command), "--journal", str(journal_path), "--log-level", "DEBUG"]
    async with await anyio.open_process(command, env=child_env) as process:
        raw = RawStdio(process)
        await raw.send(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {
                        "protocolVersion": "2025-06-18",
                        "capabilities": {},
                        "clientInfo": {"name": "raw", "version": "0"},
                    },
                }
            )
        )
        assert (await raw.answer(1))["result"]["serverInfo"]["name"] == "task-journal"
        await raw.send('{"jsonrpc": "2.0", "method": "notifications/initialized"}')
        await raw.send(call_line(2, '{"type": "open", "text": "start", "title": "T"}'))
        task_id = (await raw.answer(2))["result"]["structuredContent"]["task_id"]
        before = journal_path.read_bytes()
        await raw.send(
            call_line(
                3, f'{{"type": "finding", "task_id": "{task_id}", "text": "x", "confidence": NaN}}'
            )
        )
        await raw.send(
            call_line(
                4,
                f'{{"type": "finding", "task_id": "{task_id}", "text": "x", '
                '"meta": {"score": NaN}}',
            )
        )
        nan_confidence = (await raw.answer(3))["result"]
        nan_meta = (await raw.answer(4))["result"]
        assert process.stdin is not None
        await process.stdin.aclose()
        await raw.rest()
        assert await process.wait() == 0
    assert nan_confidence["isError"] is True
    assert "confidence" in nan_confidence["content"][0]["text"]
    assert nan_meta["isError"] is True
    assert "JSON has no NaN" in nan_meta["content"][0]["text"]
    assert journal_path.read_bytes() == before


async def test_python_dash_m_server_serves_the_same_tools(
    journal_path: Path, child_env: dict[str, str]
) -> None:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "server", "--journal", str(journal_path)], env=child_env
    )
    async with Client(params) as client:
        listed = await client.list_tools()
        opened = await call_ok(client, "append_event", {"type": "open", "text": "via -m"})
    assert sorted(tool.name for tool in listed.tools) == [
        "append_event",
        "flush",
        "list_tasks",
        "read_events",
        "search_events",
        "task_pack",
    ]
    assert opened["task_id"] in journal_path.read_text()


def test_client_closing_stdout_early_stops_the_server_without_a_traceback(
    server_command: Path, child_env: dict[str, str], journal_path: Path
) -> None:
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "0"},
        },
    }
    child = subprocess.Popen(
        [str(server_command), "--journal", str(journal_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_env,
    )
    assert child.stdin is not None
    assert child.stdout is not None
    child.stdin.write(json.dumps(initialize).encode() + b"\n")
    child.stdin.flush()
    assert json.loads(child.stdout.readline())["id"] == 1
    child.stdout.close()  # the client stops reading; the next answer meets a broken pipe
    child.stdin.write(b'{"jsonrpc": "2.0", "id": 2, "method": "tools/list"}\n')
    child.stdin.flush()
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 0
    assert "Traceback" not in stderr.decode()


class _ServerThatStopsAtOnce:
    def run(self) -> None:
        """Serve nothing: the client is gone as soon as it came."""


def test_index_build_starts_only_once_the_server_is_built(
    monkeypatch: pytest.MonkeyPatch, journal_path: Path
) -> None:
    # An index build started before the SDK's imports fights them for the GIL and makes
    # initialize several times slower on a big journal.
    release = threading.Event()
    monkeypatch.setattr(Journal, "build_index", lambda self: release.wait(30))
    threads_while_building: list[str] = []

    def build_server(journal: Journal) -> _ServerThatStopsAtOnce:
        threads_while_building.extend(thread.name for thread in threading.enumerate())
        return _ServerThatStopsAtOnce()

    monkeypatch.setattr("server.app.build_server", build_server)
    try:
        assert main(["--journal", str(journal_path)]) == 0
    finally:
        release.set()
    assert threads_while_building
    assert "index" not in threads_while_building
