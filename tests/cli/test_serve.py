"""task-journal serve: the MCP server, on the journal and settings the command line names."""

import json
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from tests.cli.conftest import CLI, CallMain, run_cli

pytestmark = pytest.mark.anyio


@pytest.mark.slow
async def test_serve_runs_the_mcp_server_with_the_options_given(
    journal_path: Path, tmp_path: Path
) -> None:
    params = StdioServerParameters(
        command=str(CLI),
        args=["--durability", "flush", "serve", "--journal", str(journal_path)],
        env={"TASK_JOURNAL_DATA_DIR": str(tmp_path / "data")},
    )

    async with Client(params) as client:
        result = await client.call_tool(
            "append_event", {"type": "open", "text": "Served", "title": "Over stdio"}
        )

    assert not result.is_error, result.content
    assert result.structured_content is not None
    assert result.structured_content["durable"] is False  # --durability flush reached it
    [written] = [json.loads(line) for line in journal_path.read_bytes().splitlines()]
    assert written["event_id"] == result.structured_content["event_id"]


def test_serve_refuses_an_unknown_transport(journal: Path) -> None:
    outcome = run_cli("serve", "--transport", "carrier-pigeon")

    assert (outcome.status, outcome.stdout) == (2, "")
    assert "--transport" in outcome.stderr
    assert not journal.exists()


def test_serve_on_an_unusable_journal_exits_3_as_the_server_does(journal: Path) -> None:
    journal.mkdir(parents=True)  # a folder where the journal file should be

    outcome = run_cli("serve")

    assert (outcome.status, outcome.stdout) == (3, "")
    assert outcome.stderr.startswith(f"task-journal-mcp: error: cannot use the journal {journal}")


def test_serve_returns_the_status_of_a_value_the_server_refuses(
    journal: Path, call_main: CallMain
) -> None:
    outcome = call_main("serve", "--log-level", "LOUD")

    assert (outcome.status, outcome.stdout) == (2, "")
    assert "--log-level" in outcome.stderr
    assert not journal.exists()


@pytest.mark.parametrize("option", ["--max-connections", "--max-sessions", "--request-timeout"])
def test_serve_hands_the_http_limits_on_to_the_server(
    journal: Path, call_main: CallMain, option: str
) -> None:
    outcome = call_main("serve", "--transport", "streamable-http", option, "0")

    assert (outcome.status, outcome.stdout) == (2, "")
    assert f"argument {option}: '0' is not" in outcome.stderr
    assert not journal.exists()
