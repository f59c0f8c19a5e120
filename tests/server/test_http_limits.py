"""The HTTP transport's bounds: a request must arrive whole in time, connections and MCP
sessions are capped, and a flood of failures logs a few lines, not megabytes.

Everything runs on 127.0.0.1 against the real program, with raw sockets for the clients
that never finish (slowloris: headers and part of a body, then nothing)."""

from __future__ import annotations

import contextlib
import functools
import json
import selectors
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx2
import pytest

from journal_core import Journal, Settings
from server.app import build_server
from server.http import HttpLimits, build_http_app
from tests.server.test_http import (
    INITIALIZE,
    MCP_HEADERS,
    PROGRAM,
    START_TIMEOUT_S,
    free_port,
    in_thread,
    initialize,
    program_env,
    wait_until_listening,
)

# Safety nets against a hung test, never measures: a bounded wait for what must happen.
CLOSE_TIMEOUT_S = 60.0

BODY = json.dumps(INITIALIZE).encode()
TOKEN = "s3cret-token-for-tests"  # noqa: S105  (a test server's, on loopback)


@contextmanager
def program(
    journal: Path, *args: str, open_files: int | None = None, stderr: IO[bytes] | int
) -> Iterator[str]:
    """The real task-journal-mcp over HTTP on a free port, with at most `open_files`
    descriptors; yields its /mcp URL once it listens."""
    port = free_port()
    command = [str(PROGRAM), "--transport", "streamable-http", "--port", str(port), *args]
    if open_files is not None:
        # Lower the limit in a small launcher that then becomes the server (exec).
        launcher = (
            "import os, resource, sys; "
            f"resource.setrlimit(resource.RLIMIT_NOFILE, ({open_files}, {open_files})); "
            "os.execv(sys.argv[1], sys.argv[1:])"
        )
        command = [sys.executable, "-c", launcher, *command]
    child = subprocess.Popen(
        command,
        env=program_env(journal),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    try:
        wait_until_listening(child, port)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        child.terminate()
        child.wait(START_TIMEOUT_S)


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])


def slow_request(url: str, token: str | None = None, *, expect: bool = False) -> socket.socket:
    """A connection that sends a request's headers (with ``token``, if given) and the
    first bytes of its body, then nothing more. With ``expect``, it asks for a 100
    Continue and returns once the server, reading the body, has sent it."""
    sock = socket.create_connection(("127.0.0.1", port_of(url)), timeout=CLOSE_TIMEOUT_S)
    authorization = "" if token is None else f"Authorization: Bearer {token}\r\n"
    if expect:
        authorization += "Expect: 100-continue\r\n"
    head = (
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Accept: application/json, text/event-stream\r\nContent-Length: {len(BODY)}\r\n"
        f"{authorization}\r\n"
    )
    with contextlib.suppress(OSError):  # already refused and closed by the server
        sock.sendall(head.encode() + BODY[:10])
    if expect:
        assert sock.recv(4096).startswith(b"HTTP/1.1 100 Continue\r\n")
    return sock


def idle_connection(url: str) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port_of(url)), timeout=CLOSE_TIMEOUT_S)


def answers_until_closed(socks: list[socket.socket]) -> list[bytes]:
    """What each socket receives until the server closes it (bounded by CLOSE_TIMEOUT_S);
    a socket still open at the deadline gets b"still open"."""
    received = dict.fromkeys(socks, b"")
    socks_by_fd = {sock.fileno(): sock for sock in socks}
    with selectors.DefaultSelector() as selector:
        for sock in socks:
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ)
        deadline = time.monotonic() + CLOSE_TIMEOUT_S
        open_count = len(socks)
        while open_count and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=1.0):
                sock = socks_by_fd[key.fd]
                try:
                    chunk = sock.recv(4096)
                except (ConnectionResetError, BlockingIOError):
                    chunk = b""
                if chunk:
                    received[sock] += chunk
                else:
                    selector.unregister(sock)
                    open_count -= 1
                    received[sock] += b"<closed>"
    for sock in socks:
        sock.close()
    return [data if data.endswith(b"<closed>") else b"still open" for data in received.values()]


def status_line(answer: bytes) -> str:
    return answer.split(b"\r\n", 1)[0].decode()


def test_request_that_never_arrives_whole_is_answered_408_and_closed(journal_path: Path) -> None:
    with program(journal_path, "--request-timeout", "1", stderr=subprocess.DEVNULL) as url:
        answers = answers_until_closed([slow_request(url) for _ in range(5)])
        after = initialize(url)
    assert [status_line(answer) for answer in answers] == ["HTTP/1.1 408 Request Timeout"] * 5
    assert after.status_code == 200


def test_connection_that_sends_nothing_is_closed_after_the_request_timeout(
    journal_path: Path,
) -> None:
    with program(journal_path, "--request-timeout", "1", stderr=subprocess.DEVNULL) as url:
        [answer] = answers_until_closed([idle_connection(url)])
    assert status_line(answer) == "HTTP/1.1 408 Request Timeout"


def test_at_the_cap_a_new_connection_takes_the_place_of_the_oldest_idle_one(
    journal_path: Path,
) -> None:
    with program(
        journal_path,
        "--max-connections",
        "3",
        "--request-timeout",
        "600",
        stderr=subprocess.DEVNULL,
    ) as url:
        oldest, *held = [idle_connection(url) for _ in range(3)]
        # The server accepts connections in the order they were made (the listen queue).
        newest = idle_connection(url)
        [displaced] = answers_until_closed([oldest])
        for sock in [*held, newest]:
            sock.setblocking(False)
            with pytest.raises(BlockingIOError):  # still open, nothing said
                sock.recv(1)
            sock.close()
    assert status_line(displaced) == "HTTP/1.1 503 Service Unavailable"
    assert displaced.endswith(b"Too many connections to this server; retry in a moment.\n<closed>")


def test_connections_serving_requests_with_the_token_are_kept_and_one_more_is_refused(
    journal_path: Path,
) -> None:
    with program(
        journal_path,
        "--auth-token",
        TOKEN,
        "--max-connections",
        "3",
        "--request-timeout",
        "600",
        stderr=subprocess.DEVNULL,
    ) as url:
        # Each held request is being served (its body read) before the next connection.
        held = [slow_request(url, token=TOKEN, expect=True) for _ in range(3)]
        [refused] = answers_until_closed([idle_connection(url)])
        for sock in held:
            sock.setblocking(False)
            with pytest.raises(BlockingIOError):
                sock.recv(1)
            sock.close()
    assert status_line(refused) == "HTTP/1.1 503 Service Unavailable"


def test_slow_connections_without_the_token_cost_requests_with_it_nothing(
    journal_path: Path,
) -> None:
    """80 connections that never finish (more than the cap of 64: idle ones, requests
    without a token, requests with a wrong one), opened before each of three requests
    that carry the token: every one of those is answered."""
    kinds: list[Callable[[str], socket.socket]] = [
        idle_connection,
        slow_request,
        functools.partial(slow_request, token="wrong-" + TOKEN),
    ]
    opened: list[socket.socket] = []
    statuses = []
    with program(journal_path, "--auth-token", TOKEN, stderr=subprocess.DEVNULL) as url:
        for _ in range(3):
            opened.extend(kinds[number % 3](url) for number in range(80))
            statuses.append(initialize(url, Authorization=f"Bearer {TOKEN}").status_code)
        for sock in opened:
            sock.close()
    assert statuses == [200] * 3


@pytest.mark.slow
def test_a_flood_of_slow_requests_under_a_low_open_file_limit_logs_little_and_serves_on(
    journal_path: Path,
) -> None:
    with tempfile.TemporaryFile() as stderr:
        with program(journal_path, "--request-timeout", "1", open_files=64, stderr=stderr) as url:
            answers = answers_until_closed([slow_request(url) for _ in range(300)])
            after = initialize(url)
        stderr.seek(0)
        log = stderr.read()
    assert "still open" not in {answer.decode(errors="replace") for answer in answers}
    assert {status_line(answer) for answer in answers} <= {
        "HTTP/1.1 408 Request Timeout",
        "HTTP/1.1 503 Service Unavailable",
        "<closed>",  # refused before it could be answered
    }
    assert after.status_code == 200
    assert b"serving at most 32 connections, not 64: the open-file limit is 64" in log
    assert len(log) < 20_000, log[-2000:]


def test_session_over_the_cap_is_answered_503(journal_path: Path) -> None:
    journal = Journal(Settings(journal_path=journal_path))
    journal.open()
    app = build_http_app(
        build_server(journal), host="127.0.0.1", auth_token=None, limits=HttpLimits(max_sessions=2)
    )
    try:
        with in_thread(app) as url:
            statuses = [initialize(url).status_code for _ in range(3)]
            listed = httpx2.post(
                url, json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, headers=MCP_HEADERS
            )
    finally:
        journal.close()
    assert statuses == [200, 200, 503]
    assert listed.status_code != 200  # no session: refused whatever the reason


@pytest.mark.parametrize(
    ("option", "value"),
    [
        pytest.param("--max-connections", "0", id="no-connections"),
        pytest.param("--max-sessions", "-1", id="negative-sessions"),
        pytest.param("--request-timeout", "0", id="zero-timeout"),
        pytest.param("--request-timeout", "nan", id="nan-timeout"),
        pytest.param("--request-timeout", "1e10", id="timeout-beyond-an-hour"),
    ],
)
def test_bad_limit_is_a_usage_error(journal_path: Path, option: str, value: str) -> None:
    done = subprocess.run(
        [str(PROGRAM), "--transport", "streamable-http", option, value],
        env=program_env(journal_path),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
    )
    assert done.returncode == 2
    assert f"argument {option}: {value!r} is not" in done.stderr
