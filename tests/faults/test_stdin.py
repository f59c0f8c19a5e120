"""What arrives on stdin cannot corrupt the journal or kill the server: a client that
goes away in the middle of a call, garbage instead of JSON-RPC, a 10 MB request."""

from __future__ import annotations

from pathlib import Path

from tests.faults.stdio_server import StdioServer, error_text, journal_lines


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
