"""The Streamable HTTP transport: loopback by default, a bearer token for anything else,
DNS-rebinding protection (Host and Origin checks) always on, oversized bodies refused."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO, Any

import httpx2
import pytest
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from starlette.types import ASGIApp

from journal_core import Journal, Settings
from server.app import build_server
from server.http import UnsafeBind, build_http_app, check_bind, mcp_url

PROGRAM = Path(sys.executable).with_name("task-journal-mcp")
TOKEN = "s3cret-token-for-tests"  # noqa: S105 (a test token)
# A safety net against a hung start, not a measure of speed.
START_TIMEOUT_S = 30.0
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "test_http", "version": "0"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


# --- running the transport ----------------------------------------------------------


@contextmanager
def in_thread(app: ASGIApp) -> Iterator[str]:
    """Serve `app` with uvicorn on a free 127.0.0.1 port in a thread; yield its /mcp URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the HTTP server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        server.should_exit = True
        thread.join(START_TIMEOUT_S)
        sock.close()


@contextmanager
def as_program(
    *args: str, env: Mapping[str, str], port: int, stderr: IO[bytes] | int = subprocess.DEVNULL
) -> Iterator[None]:
    """Run the real `task-journal-mcp --transport streamable-http`; return once it listens."""
    child = subprocess.Popen(
        [str(PROGRAM), "--transport", "streamable-http", "--port", str(port), *args],
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    try:
        wait_until_listening(child, port)
        yield
    finally:
        child.terminate()
        child.wait(START_TIMEOUT_S)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def program_env(journal: Path, **extra: str) -> dict[str, str]:
    """This environment without any TASK_JOURNAL_* setting, plus the journal and `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASK_JOURNAL_")}
    return {**env, "TASK_JOURNAL_PATH": str(journal), **extra}


def wait_until_listening(child: subprocess.Popen[bytes], port: int) -> None:
    """Return once ``child`` listens on ``port``; raise if it exits or takes too long."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while not listening_addresses(port):
        if child.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the server did not start (exit status {child.poll()})")
        time.sleep(0.05)


def listening_addresses(port: int) -> set[str]:
    """Hex local addresses (as /proc/net/tcp{,6} print them) listening on TCP `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as rows:
            next(rows)
            for row in rows:
                local, state = row.split()[1], row.split()[3]
                address, _, hex_port = local.partition(":")
                if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                    found.add(address)
    return found


def initialize(url: str, **headers: str) -> httpx2.Response:
    """POST an MCP initialize request with extra `headers`."""
    return httpx2.post(url, json=INITIALIZE, headers={**MCP_HEADERS, **headers}, timeout=30)


def journal_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


@pytest.fixture
def journal(journal_path: Path) -> Iterator[Journal]:
    journal = Journal(Settings(journal_path=journal_path))
    journal.open()
    yield journal
    journal.close()


def served(
    journal: Journal, *, host: str = "127.0.0.1", token: str | None = None, **env: str
) -> AbstractContextManager[str]:
    """The journal's server on a thread, its app built as task-journal-mcp builds it for `host`."""
    return in_thread(
        build_http_app(build_server(journal), host=host, auth_token=token, environ=env)
    )


# --- which addresses need a token -----------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1"])
def test_loopback_hosts_need_no_token(host: str) -> None:
    check_bind(host, None)


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("0.0.0.0", id="all-ipv4"),  # noqa: S104
        pytest.param("::", id="all-ipv6"),
        pytest.param("192.168.1.20", id="lan-address"),
        pytest.param("journal.example.org", id="host-name"),
    ],
)
def test_non_loopback_host_without_token_is_refused(host: str) -> None:
    with pytest.raises(UnsafeBind, match="--auth-token"):
        check_bind(host, None)


def test_non_loopback_host_with_token_is_allowed() -> None:
    check_bind("192.168.1.20", TOKEN)


@pytest.mark.parametrize("token", [pytest.param("", id="empty"), pytest.param("  ", id="blank")])
def test_blank_token_is_refused(token: str) -> None:
    with pytest.raises(UnsafeBind, match="empty"):
        check_bind("127.0.0.1", token)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("jöurnal-s3cret", id="latin-1-letter"),
        pytest.param("s3cret-€uro", id="beyond-latin-1"),
        pytest.param("two words", id="inner-space"),
    ],
)
def test_token_outside_visible_ascii_is_refused(token: str) -> None:
    # Clients encode such characters differently: the token would match for some only.
    with pytest.raises(UnsafeBind, match="not a visible ASCII character"):
        check_bind("127.0.0.1", token)


def test_program_refuses_a_non_ascii_token_at_start(journal_path: Path) -> None:
    done = subprocess.run(
        [str(PROGRAM), "--transport", "streamable-http", "--port", str(free_port())],
        env=program_env(journal_path, TASK_JOURNAL_TOKEN="jöurnal-s3cret"),  # noqa: S106
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
    )
    assert done.returncode == 2
    assert done.stderr == (
        "task-journal-mcp: error: the HTTP auth token holds 'ö', which is not a visible "
        "ASCII character, so clients would not send it alike: use letters, digits and "
        'punctuation only (python -c "import secrets; print(secrets.token_urlsafe(32))" '
        "makes one)\n"
    )


# --- the real program -------------------------------------------------------------------


@pytest.mark.slow
def test_program_binds_loopback_by_default(journal_path: Path) -> None:
    port = free_port()
    with as_program(env=program_env(journal_path), port=port):
        assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1, nothing else


def test_program_refuses_non_loopback_host_without_token(journal_path: Path) -> None:
    port = free_port()
    done = subprocess.run(
        [str(PROGRAM), "--transport", "streamable-http", "--host", "0.0.0.0", "--port", str(port)],  # noqa: S104
        env=program_env(journal_path),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
    )
    assert done.returncode == 2
    assert "--auth-token" in done.stderr
    assert "TASK_JOURNAL_TOKEN" in done.stderr
    assert not listening_addresses(port)


def test_program_exits_3_with_one_line_when_the_port_is_in_use(journal_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = subprocess.run(
            [str(PROGRAM), "--transport", "streamable-http", "--port", str(port)],
            env=program_env(journal_path),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S,
        )
    assert done.returncode == 3
    assert done.stderr.startswith(
        f"task-journal-mcp: error: port {port} on 127.0.0.1 is in use (by another server?)"
    )
    assert done.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("host", "url"),
    [
        pytest.param("127.0.0.1", "http://127.0.0.1:8765/mcp", id="ipv4"),
        pytest.param("localhost", "http://localhost:8765/mcp", id="host-name"),
        pytest.param("::1", "http://[::1]:8765/mcp", id="ipv6"),
        pytest.param("[::1]", "http://[::1]:8765/mcp", id="ipv6-in-brackets"),
    ],
)
def test_mcp_url_brackets_ipv6_hosts(host: str, url: str) -> None:
    assert mcp_url(host, 8765) == url


@pytest.mark.slow
def test_program_start_up_line_shows_an_ipv6_host_in_brackets(journal_path: Path) -> None:
    port = free_port()
    with tempfile.TemporaryFile() as stderr:
        with as_program("--host", "::1", env=program_env(journal_path), port=port, stderr=stderr):
            pass
        stderr.seek(0)
        start_up_line = stderr.readline().decode()
    assert start_up_line.endswith(f"transport streamable-http on http://[::1]:{port}/mcp\n")


@pytest.mark.slow
def test_program_takes_its_token_from_the_environment(journal_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    with as_program(env=program_env(journal_path, TASK_JOURNAL_TOKEN=TOKEN), port=port):
        assert initialize(url).status_code == 401
        assert initialize(url, Authorization=f"Bearer {TOKEN}").status_code == 200


# --- the bearer token -------------------------------------------------------------------


def test_request_without_token_is_refused_with_401(journal: Journal) -> None:
    with served(journal, token=TOKEN) as url:
        response = initialize(url)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in response.text


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("Bearer not-the-token", id="wrong-token"),
        pytest.param(f"Bearer {TOKEN}x", id="token-with-suffix"),
        pytest.param(f"Bearer {TOKEN[:-1]}", id="token-prefix"),
        pytest.param(f"Basic {TOKEN}", id="other-scheme"),
        pytest.param(TOKEN, id="no-scheme"),
        pytest.param("Bearer", id="scheme-only"),
    ],
)
def test_request_with_wrong_credentials_is_refused_with_401(
    journal: Journal, authorization: str
) -> None:
    with served(journal, token=TOKEN) as url:
        assert initialize(url, Authorization=authorization).status_code == 401


def test_bearer_scheme_is_case_insensitive(journal: Journal) -> None:
    with served(journal, token=TOKEN) as url:
        assert initialize(url, Authorization=f"bearer {TOKEN}").status_code == 200


@pytest.mark.anyio
async def test_client_with_token_appends_to_the_journal(journal: Journal) -> None:
    with served(journal, host="192.168.1.20", token=TOKEN) as url:
        async with (
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as http,
            Client(streamable_http_client(url, http_client=http)) as client,
        ):
            result = await client.call_tool("append_event", {"type": "open", "text": "over HTTP"})
    assert not result.is_error
    assert result.structured_content is not None
    [event] = journal_lines(journal.path)
    assert event["event_id"] == result.structured_content["event_id"]
    assert event["text"] == "over HTTP"


# --- DNS-rebinding protection -----------------------------------------------------------


@pytest.mark.parametrize(
    "host_header",
    [
        pytest.param("attacker.example", id="foreign-name"),
        pytest.param("attacker.example:8765", id="foreign-name-with-port"),
        pytest.param("127.0.0.1.attacker.example", id="loopback-lookalike"),
    ],
)
def test_foreign_host_header_is_refused_with_421(journal: Journal, host_header: str) -> None:
    with served(journal) as url:
        assert initialize(url, Host=host_header).status_code == 421


@pytest.mark.parametrize(
    "origin",
    [
        pytest.param("http://attacker.example", id="foreign-origin"),
        pytest.param("https://127.0.0.1.attacker.example", id="loopback-lookalike"),
        pytest.param("null", id="opaque-origin"),
    ],
)
def test_foreign_origin_is_refused_with_403(journal: Journal, origin: str) -> None:
    with served(journal) as url:
        assert initialize(url, Origin=origin).status_code == 403


def test_loopback_origin_is_accepted(journal: Journal) -> None:
    with served(journal) as url:
        origin = url.removesuffix("/mcp").replace("127.0.0.1", "localhost")
        assert initialize(url, Origin=origin).status_code == 200


def test_rebinding_protection_holds_with_a_token(journal: Journal) -> None:
    with served(journal, host="192.168.1.20", token=TOKEN) as url:
        response = initialize(url, Authorization=f"Bearer {TOKEN}", Host="attacker.example")
    assert response.status_code == 421


@pytest.mark.parametrize(
    ("host", "host_header", "env"),
    [
        pytest.param("192.168.1.20", "192.168.1.20:8765", {}, id="bound-address"),
        pytest.param("fe80::1", "[fe80::1]:8765", {}, id="bound-ipv6-address"),
        pytest.param(
            "0.0.0.0",  # noqa: S104
            "journal.lan:8765",
            {"TASK_JOURNAL_ALLOWED_HOSTS": "journal.lan, 10.0.0.7"},
            id="allowed-by-environment",
        ),
    ],
)
def test_non_loopback_server_answers_to_its_own_names(
    journal: Journal, host: str, host_header: str, env: dict[str, str]
) -> None:
    with served(journal, host=host, token=TOKEN, **env) as url:
        response = initialize(url, Authorization=f"Bearer {TOKEN}", Host=host_header)
    assert response.status_code == 200


# --- size ------------------------------------------------------------------------------


def test_ten_megabyte_request_is_refused_with_413_and_nothing_written(journal: Journal) -> None:
    call = {
        "jsonrpc": "2.0",
        "id": 2,
        "method": "tools/call",
        "params": {"name": "append_event", "arguments": {"type": "open", "text": "x" * 10_000_000}},
    }
    with served(journal) as url:
        response = httpx2.post(url, json=call, headers=MCP_HEADERS, timeout=30)
    assert response.status_code == 413
    assert "too large" in response.text
    assert journal.path.read_bytes() == b""
