"""The real `task-journal-mcp` program as a child, spoken to in raw JSON-RPC lines.

Raw lines rather than `mcp.Client`, because the fault tests need what a client library
will not do: close stdin in the middle of a call, send garbage, read responses in the
order the server sends them.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

PROGRAM = Path(sys.executable).with_name("task-journal-mcp")
REPO_ROOT = Path(__file__).resolve().parents[2]
# A safety net against a hung child, not a measure of speed.
REPLY_TIMEOUT_S = 60.0


def server_env(journal: Path, **extra: str) -> dict[str, str]:
    """This environment without TASK_JOURNAL_* settings, plus the journal and `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASK_JOURNAL_")}
    return {**env, "TASK_JOURNAL_PATH": str(journal), **extra}


class StdioServer:
    """A running server child; `with StdioServer(...) as server:` stops it on the way out."""

    def __init__(
        self,
        journal: Path,
        *,
        env: Mapping[str, str] = {},
        argv: Sequence[str] = (str(PROGRAM),),
    ) -> None:
        self.journal = journal
        # A file, not a pipe, so that a chatty child never blocks; closed by stop().
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        self.child = subprocess.Popen(
            list(argv),
            cwd=REPO_ROOT,
            env=server_env(journal, **env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        self._replies: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._next_id = 100
        threading.Thread(target=self._read, args=(self.child.stdout,), daemon=True).start()

    def __enter__(self) -> StdioServer:
        try:
            self.initialize()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- speaking ---------------------------------------------------------------------

    def initialize(self) -> dict[str, Any]:
        reply = self.request(
            "initialize",
            {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "fault-tests", "version": "0"},
            },
        )
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return reply

    def send(self, message: dict[str, Any] | bytes) -> None:
        """Write one message (a dict, as one JSON line) or raw bytes to the child's stdin."""
        assert self.child.stdin is not None
        data = message if isinstance(message, bytes) else json.dumps(message).encode() + b"\n"
        self.child.stdin.write(data)
        self.child.stdin.flush()

    def send_request(self, method: str, params: dict[str, Any]) -> int:
        """Send a request without waiting; return its id."""
        self._next_id += 1
        self.send({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params})
        return self._next_id

    def send_call(self, tool: str, arguments: dict[str, Any]) -> int:
        return self.send_request("tools/call", {"name": tool, "arguments": arguments})

    def reply(self) -> dict[str, Any]:
        """The next response the child writes (notifications skipped)."""
        while True:
            message = self._replies.get(timeout=REPLY_TIMEOUT_S)
            if message is None:
                raise EOFError(f"the server closed stdout; its stderr: {self.stderr()}")
            if "id" in message:
                return message

    def reply_to(self, request_id: int) -> dict[str, Any]:
        """The response to `request_id`; responses to other ids before it are dropped."""
        while True:
            message = self.reply()
            if message["id"] == request_id:
                return message

    def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Send a request and return its `result`; fail on a JSON-RPC error."""
        message = self.reply_to(self.send_request(method, params))
        assert "result" in message, message
        result: dict[str, Any] = message["result"]
        return result

    def call(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """Call a tool and return its result (check `isError` yourself)."""
        return self.request("tools/call", {"name": tool, "arguments": arguments})

    def append(self, **arguments: Any) -> dict[str, Any]:
        """append_event that must succeed; returns its structured result."""
        result = self.call("append_event", arguments)
        assert not result.get("isError"), result
        content: dict[str, Any] = result["structuredContent"]
        return content

    # --- the process ------------------------------------------------------------------

    def close_stdin(self) -> None:
        assert self.child.stdin is not None
        self.child.stdin.close()

    def wait(self) -> int:
        return self.child.wait(REPLY_TIMEOUT_S)

    def alive(self) -> bool:
        return self.child.poll() is None

    def stop(self) -> None:
        if self.child.stdin is not None and not self.child.stdin.closed:
            self.child.stdin.close()
        try:
            self.child.wait(REPLY_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.child.kill()
            self.child.wait()
        if self.child.stdout is not None:
            self.child.stdout.close()
        self._stderr.close()

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def _read(self, stdout: IO[bytes]) -> None:
        for line in stdout:
            self._replies.put(json.loads(line))
        self._replies.put(None)


def error_text(result: dict[str, Any]) -> str:
    """The message of a tool error result."""
    assert result.get("isError") is True, result
    return "".join(part["text"] for part in result["content"] if part["type"] == "text")


def journal_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of the journal, parsed; fails on any line that is not whole JSON."""
    data = path.read_bytes()
    assert data == b"" or data.endswith(b"\n"), data[-200:]
    return [json.loads(line) for line in data.splitlines()]
