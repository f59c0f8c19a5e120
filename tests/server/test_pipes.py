"""stdin and stdout of the stdio transport. stdin's lines come from a pipe on the event
loop, without a thread, split and decoded as the SDK's text wrapper would; from a file,
in a thread. Answers go to a stdout pipe on the event loop, whole, while anything
else printed to stdout goes to stderr."""

import contextlib
import io
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import anyio.to_thread
import pytest

from server.sdk.pipes import stdin_lines, wire_out

pytestmark = pytest.mark.anyio


@pytest.fixture
def pipe(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """A pipe in the place of stdin; yields its write end."""
    read_end, write_end = os.pipe()
    reader = os.fdopen(read_end, "r")
    monkeypatch.setattr(sys, "stdin", reader)
    yield write_end
    reader.close()
    with contextlib.suppress(OSError):  # the test closed it
        os.close(write_end)


async def read_all(pieces: list[bytes], write_end: int) -> list[str]:
    """What the server reads when ``pieces`` are written one by one, then the pipe closed."""
    lines: list[str] = []

    async def write() -> None:
        for piece in pieces:
            os.write(write_end, piece)
            await anyio.sleep(0.01)  # each piece its own read
        os.close(write_end)

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(write)
        async for line in stdin_lines():
            lines.append(line)
    return lines


def as_text_wrapper_reads(data: bytes) -> list[str]:
    """The lines the SDK's wrapper (UTF-8, errors replaced, universal newlines) gives."""
    return list(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="replace"))


PIECES = [
    pytest.param([b'{"a": 1}\n{"b": 2}\n'], id="whole-lines"),
    pytest.param([b'{"a": ', b"1}\n{", b'"b": 2}\n'], id="lines-across-reads"),
    pytest.param(["é€😀\n".encode()[:3], "é€😀\n".encode()[3:]], id="utf8-across-reads"),
    pytest.param([b"one\r\ntwo\rthree\n"], id="crlf-and-lone-cr"),
    pytest.param([b"one\r", b"\ntwo\r", b"three"], id="cr-at-a-read-end"),
    pytest.param([b"bad \xff\xfe bytes\n"], id="invalid-utf8"),
    pytest.param([b"last line without newline"], id="no-final-newline"),
    pytest.param([b"\n\n"], id="blank-lines"),
]


async def no_thread(*args: object, **kwargs: object) -> None:
    raise AssertionError("a pipe is read and written without a worker thread")


@pytest.mark.parametrize("pieces", PIECES)
async def test_a_pipe_reads_as_the_sdks_wrapper_would(
    pipe: int, pieces: list[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(anyio.to_thread, "run_sync", no_thread)
    assert await read_all(pieces, pipe) == as_text_wrapper_reads(b"".join(pieces))


async def test_a_socket_as_stdin_is_read_on_the_loop_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(anyio.to_thread, "run_sync", no_thread)
    ours, theirs = socket.socketpair()
    with ours, theirs:
        monkeypatch.setattr(sys, "stdin", ours)
        theirs.sendall(b'{"a": 1}\n{"b":')
        lines = stdin_lines()
        assert await anext(lines) == '{"a": 1}\n'
        theirs.sendall(b" 2}\n")
        theirs.shutdown(socket.SHUT_WR)
        assert [line async for line in lines] == ['{"b": 2}\n']


async def test_a_long_line_in_many_reads_comes_whole(pipe: int) -> None:
    line = b'{"text": "' + b"x" * 1_000_000 + b'"}\n'
    chunks = [line[n : n + 50_000] for n in range(0, len(line), 50_000)]
    assert await read_all(chunks, pipe) == [line.decode()]


async def test_the_pipe_is_left_blocking_as_found(pipe: int) -> None:
    read_end = sys.stdin.fileno()
    assert os.get_blocking(read_end)
    await read_all([b"x\n"], pipe)
    assert os.get_blocking(read_end)


async def test_a_file_as_stdin_is_read_in_a_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "requests"
    data.write_bytes(b"one\r\ntwo\n")
    with data.open() as stdin:
        monkeypatch.setattr(sys, "stdin", stdin)
        assert [line async for line in stdin_lines()] == ["one\n", "two\n"]


def test_the_server_answers_requests_from_a_file_as_stdin(
    tmp_path: Path, server_command: Path, child_env: dict[str, str]
) -> None:
    requests = tmp_path / "requests.jsonl"
    requests.write_text(
        '{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": '
        '"2025-06-18", "capabilities": {}, "clientInfo": {"name": "file", "version": "0"}}}\n'
        '{"jsonrpc": "2.0", "method": "notifications/initialized"}\n'
        '{"jsonrpc": "2.0", "id": 2, "method": "tools/list"}\n'
    )
    with requests.open("rb") as stdin:
        done = subprocess.run(
            [str(server_command), "--journal", str(tmp_path / "j.jsonl")],
            stdin=stdin,
            capture_output=True,
            env=child_env,
            timeout=60,
            check=True,
        )
    answers = done.stdout.decode().splitlines()
    assert [answer.split('"id":', 1)[1][:1] for answer in answers] == ["1", "2"]
    assert '"append_event"' in answers[1]


@contextlib.contextmanager
def std_fds(stdout_fd: int, stderr_fd: int) -> Iterator[None]:
    """fd 1 and fd 2 of this process pointed elsewhere, and put back."""
    saved = os.dup(1), os.dup(2)
    os.dup2(stdout_fd, 1)
    os.dup2(stderr_fd, 2)
    try:
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)


async def test_answers_go_to_the_pipe_and_stray_output_to_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(anyio.to_thread, "run_sync", no_thread)
    read_end, write_end = os.pipe()
    with (tmp_path / "stderr").open("w+b") as stderr, std_fds(write_end, stderr.fileno()):
        monkeypatch.setattr(sys, "stdout", open(1, "w", closefd=False))  # noqa: SIM115
        with wire_out() as wire:
            assert wire is not None
            os.write(1, b"stray\n")
            await wire.write('{"jsonrpc": "2.0", "id": 1, "result": {}}\n')
            await wire.flush()
        os.write(1, b"after\n")  # fd 1 is the pipe again, blocking as it was
        assert os.get_blocking(1)
        stderr.seek(0)
        assert stderr.read() == b"stray\n"
    os.close(write_end)
    with os.fdopen(read_end, "rb") as wire_end:
        assert wire_end.read() == b'{"jsonrpc": "2.0", "id": 1, "result": {}}\nafter\n'


async def test_an_answer_larger_than_the_pipe_arrives_whole_to_a_slow_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_end, write_end = os.pipe()
    received = bytearray()

    def drain() -> None:
        while chunk := os.read(read_end, 16_384):
            received.extend(chunk)
            time.sleep(0.001)

    answers = [f'{{"id": {n}, "text": "{"é" * 300_000}"}}\n' for n in range(3)]
    reader = threading.Thread(target=drain)
    reader.start()
    with (tmp_path / "stderr").open("w+b") as stderr, std_fds(write_end, stderr.fileno()):
        os.close(write_end)
        monkeypatch.setattr(sys, "stdout", open(1, "w", closefd=False))  # noqa: SIM115
        with wire_out() as wire:
            assert wire is not None
            for answer in answers:
                await wire.write(answer)
    reader.join(timeout=30)
    os.close(read_end)
    assert received.decode() == "".join(answers)


async def test_a_file_as_stdout_is_left_to_the_sdk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (tmp_path / "out").open("w") as out:
        monkeypatch.setattr(sys, "stdout", out)
        with wire_out() as wire:
            assert wire is None
