"""What arrives on stdin cannot corrupt the journal or kill the server: a client that
goes away in the middle of a call, garbage instead of JSON-RPC, a 10 MB request."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.faults.stdio_server import (
    PROGRAM,
    REPLY_TIMEOUT_S,
    StdioServer,
    error_text,
    journal_lines,
    server_env,
)


def test_stdin_closed_during_a_call_leaves_the_event_whole_on_disk(journal_path: Path) -> None:
    text = "a long finding " * 4000  # about 60 KB: a write that takes a moment
    with StdioServer(journal_path) as server:
        task_id = server.append(type="open", text="the client is about to vanish")["task_id"]
        server.send_call("append_event", {"type": "finding", "task_id": task_id, "text": text})
        server.close_stdin()
        assert server.wait() == 0
    events = journal_lines(journal_path)
    assert [(event["type"], event["text"]) for event in events[1:]] == [("finding", text)]


# Each kind of garbage, sent in turn to one server (a server per kind would cost a start each).
GARBAGE = {
    "plain text": b"this is not json\n",
    "not UTF-8": b"\xff\xfe\x00\x80 not utf-8\n",
    "truncated JSON": b'{"jsonrpc": "2.0", "id": 7, "method": \n',
    "empty batch": b"[]\n",
    "not a message": b'{"id": 8}\n',
    "unknown method": b'{"jsonrpc": "2.0", "id": 9, "method": "no/such/method"}\n',
    "blank lines": b"\n\n\n",
    "lone surrogate": b'{"jsonrpc": "2.0", "id": 10, "method": "tools/call", "params": {"name": '
    b'"append_event", "arguments": {"type": "open", "text": "\\ud800"}}}\n',
}


def test_garbage_on_stdin_does_not_kill_the_server(journal_path: Path) -> None:
    opened = []
    with StdioServer(journal_path) as server:
        for kind, garbage in GARBAGE.items():
            server.send(garbage)
            opened.append(server.append(type="open", text=f"after {kind}")["event_id"])
            assert server.alive(), kind
    assert [event["event_id"] for event in journal_lines(journal_path)] == opened


def test_ten_megabyte_request_is_refused_and_nothing_is_written(journal_path: Path) -> None:
    with StdioServer(journal_path) as server:
        refused = server.call("append_event", {"type": "open", "text": "x" * 10_000_000})
        opened = server.append(type="open", text="the server still serves")
    assert "'text': is over the 65536-byte limit" in error_text(refused)
    assert [event["event_id"] for event in journal_lines(journal_path)] == [opened["event_id"]]


APPENDS_IN_FLIGHT = 8


def _piped_session(journal_path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """initialize, initialized and a run of appends written at once, then stdin closed, as
    `(...) | task-journal-mcp` does; the replies the server sent and the journal's events."""
    messages: list[dict[str, Any]] = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "a pipe", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
    ]
    messages += [
        {
            "jsonrpc": "2.0",
            "id": 2 + number,
            "method": "tools/call",
            "params": {
                "name": "append_event",
                "arguments": {"type": "open", "text": f"piped {number}"},
            },
        }
        for number in range(APPENDS_IN_FLIGHT)
    ]
    done = subprocess.run(
        [str(PROGRAM)],
        input=b"".join(json.dumps(message).encode() + b"\n" for message in messages),
        capture_output=True,
        env=server_env(journal_path),
        timeout=REPLY_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    replies = [json.loads(line) for line in done.stdout.splitlines()]
    return replies, journal_lines(journal_path)


def test_requests_in_flight_when_stdin_closes_are_all_answered(tmp_path: Path) -> None:
    for run in range(3):
        journal_path = tmp_path / f"run{run}.jsonl"

        replies, events = _piped_session(journal_path)

        assert sorted(reply["id"] for reply in replies) == list(range(1, 2 + APPENDS_IN_FLIGHT))
        answered = {reply["result"]["structuredContent"]["event_id"] for reply in replies[1:]}
        assert answered == {event["event_id"] for event in events}
