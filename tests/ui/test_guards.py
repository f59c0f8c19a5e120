"""The viewer checks Host and Origin itself, to the letter of the MCP SDK's middleware
with the MCP HTTP transport's settings: the SDK takes a second to import, and the viewer
starts without it. In process, without a browser: the guards are called as uvicorn
calls them."""

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from mcp.server.transport_security import TransportSecurityMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import Message, Receive, Scope, Send

from server.http import transport_security
from server.ui.guards import guarded

EVERY_ADDRESS = "0.0.0.0"  # noqa: S104  (a name to check, never bound)

_HOSTS = [
    None,
    "127.0.0.1",
    "127.0.0.1:8766",
    "localhost:1",
    "[::1]:80",
    "127.0.0.1.evil.example",
    "127.0.0.1evil",
    "evil.example",
    "team.example:443",
    "192.0.2.7:8766",
]
_ORIGINS = [
    None,
    "http://127.0.0.1:8766",
    "https://localhost",
    "http://[::1]:9",
    "null",
    "file://",
    "ftp://127.0.0.1",
    "http://127.0.0.1.evil.example",
    "http://evil.example",
    "https://team.example:8443",
    "http://192.0.2.7",
]


@pytest.mark.parametrize(
    ("bound", "extra"),
    [("127.0.0.1", []), (EVERY_ADDRESS, ["team.example"]), ("192.0.2.7", []), ("::1", [])],
)
def test_the_viewer_answers_every_host_and_origin_as_the_mcp_transport_would(
    bound: str, extra: list[str]
) -> None:
    sdk = TransportSecurityMiddleware(transport_security(bound, extra))

    async def passed(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("passed")(scope, receive, send)

    viewer = guarded(passed, host=bound, token=None, extra_hosts=extra)

    async def answers(scope: Scope) -> tuple[int, int]:
        refusal = await sdk.validate_request(Request(scope))
        statuses: list[int] = []

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        await viewer(scope, receive, send)
        return (200 if refusal is None else refusal.status_code), statuses[0]

    for host in _HOSTS:
        for origin in _ORIGINS:
            given = {"host": host, "origin": origin}
            headers = [(k.encode(), v.encode()) for k, v in given.items() if v is not None]
            scope = {"type": "http", "method": "GET", "path": "/", "headers": headers}
            expected, got = asyncio.run(answers(scope))
            assert got == expected, given


# `task-journal ui` up to the point it would serve: the modules it loaded by then.
_SERVED_MODULES = """
import json, sys
import server.http

def serve_http(app, sockets):
    for listening in sockets:
        listening.close()
    print(json.dumps(sorted(sys.modules)))

server.http.serve_http = serve_http
from server.cli import main
sys.exit(main(["--journal", sys.argv[1], "ui", "--port", "0"]))
"""


def test_the_viewer_starts_without_loading_the_mcp_sdk(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SERVED_MODULES, str(tmp_path / "journal.jsonl")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    loaded = {name.split(".")[0] for name in json.loads(done.stdout)}
    assert {"uvicorn", "jinja2", "starlette", "sse_starlette"} <= loaded
    assert {"mcp", "pydantic"} & loaded == set()
