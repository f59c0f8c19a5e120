"""Over stdio, every request gets an answer, even one the SDK cannot read: a JSON-RPC
error with the request's id when the line shows it, else with id null."""

import json
from pathlib import Path
from typing import Any

import anyio
import pytest

from tests.server.test_startup import RawStdio

pytestmark = pytest.mark.anyio

PARSE_ERROR = -32700
INVALID_REQUEST = -32600

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "0"},
    },
}


def call(request_id: int, arguments_json: str) -> str:
    return (
        f'{{"jsonrpc": "2.0", "id": {request_id}, "method": "tools/call", "params": '
        f'{{"name": "append_event", "arguments": {arguments_json}}}}}'
    )


def meta_nested(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


UNREADABLE = [  # line, the id its answer must carry, the error code
    pytest.param(
        call(11, f'{{"type": "open", "text": "x", "meta": {meta_nested(200)}}}'),
        11,
        PARSE_ERROR,
        id="meta-nested-200-levels",
    ),
    pytest.param(
        call(12, '{"type": "open", "text": "lone \\ud800 surrogate"}'),
        12,
        PARSE_ERROR,
        id="lone-surrogate-escape",
    ),
    pytest.param(
        call(13, '{"type": "open", "text": "x", "meta": {"n": ' + "7" * 4301 + "}}"),
        13,
        PARSE_ERROR,
        id="int-of-4301-digits",
    ),
    pytest.param(
        '{"jsonrpc": "2.0", "id": "req-14", "method": 5}',
        "req-14",
        INVALID_REQUEST,
        id="json-but-not-a-request",
    ),
    pytest.param(
        call(18, f'{{"type": "open", "text": "x", "meta": {meta_nested(1000)}}}'),
        18,
        PARSE_ERROR,
        id="meta-nested-1000-levels",
    ),
    pytest.param(
        '{"jsonrpc": "2.0", "method": "tools/call", "params": '
        + meta_nested(100_000)
        + ', "id": "after-100000-levels"}',
        "after-100000-levels",
        PARSE_ERROR,
        id="id-after-100000-levels",
    ),
    pytest.param(
        '{"jsonrpc": "2.0", "id": 19, "method": "ping", "params": ' + meta_nested(5000),
        None,
        PARSE_ERROR,
        id="nested-5000-levels-and-cut-short",
    ),
    pytest.param("this is not json", None, PARSE_ERROR, id="not-json"),
    pytest.param(
        '{"jsonrpc": "2.0", "id": '
        + "9" * 30
        + ', "method": "ping", "params": '
        + meta_nested(300)
        + "}",
        None,
        PARSE_ERROR,
        id="id-too-long-to-send-back",
    ),
    pytest.param(
        '{"jsonrpc": "2.0", "id": 17, "method": "ping", "params": {',
        None,
        PARSE_ERROR,
        id="cut-short",
    ),
]


async def start(
    server_command: Path, journal_path: Path, child_env: dict[str, str]
) -> tuple[anyio.abc.Process, RawStdio]:
    process = await anyio.open_process(
        [str(server_command), "--journal", str(journal_path)], env=child_env
    )
    raw = RawStdio(process)
    await raw.send(json.dumps(INITIALIZE))
    await raw.answer(0)
    await raw.send('{"jsonrpc": "2.0", "method": "notifications/initialized"}')
    return process, raw


async def next_message(raw: RawStdio) -> dict[str, Any]:
    """The next message on stdout, whatever its id."""
    assert raw.process.stdout is not None
    with anyio.fail_after(30):
        while b"\n" not in raw.buffer:
            raw.buffer += await raw.process.stdout.receive()
    line, raw.buffer = raw.buffer.split(b"\n", 1)
    message: dict[str, Any] = json.loads(line)
    return message


async def test_every_request_the_sdk_cannot_read_gets_an_error_answer(
    server_command: Path, journal_path: Path, child_env: dict[str, str]
) -> None:
    # One child for the whole table: each unreadable line, then a ping that shows the
    # server still serves, answered in that order.
    answers: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    process, raw = await start(server_command, journal_path, child_env)
    async with process:
        for n, case in enumerate(UNREADABLE):
            line = case.values[0]
            assert isinstance(line, str)
            await raw.send(line)
            answer = await next_message(raw)
            await raw.send(f'{{"jsonrpc": "2.0", "id": {1000 + n}, "method": "ping"}}')
            answers[str(case.id)] = (answer, await raw.answer(1000 + n))
        assert process.stdin is not None
        await process.stdin.aclose()
        await raw.rest()
        assert await process.wait() == 0
    for case in UNREADABLE:
        _, request_id, code = case.values
        answer, pong = answers[str(case.id)]
        assert answer["id"] == request_id, case.id
        assert answer["error"]["code"] == code, case.id
        prefix = "Parse error: " if code == PARSE_ERROR else "Invalid Request: "
        assert answer["error"]["message"].startswith(prefix), case.id
        assert pong["result"] == {}, case.id
    assert not journal_path.exists()  # nothing written, so nothing created (SPEC 5)


async def test_unreadable_notification_and_blank_line_get_no_answer(
    server_command: Path, journal_path: Path, child_env: dict[str, str]
) -> None:
    process, raw = await start(server_command, journal_path, child_env)
    async with process:
        await raw.send("")
        for depth in (300, 5000):
            await raw.send(
                '{"jsonrpc": "2.0", "method": "notifications/progress", "params": '
                + meta_nested(depth)
                + "}"
            )
        await raw.send('{"jsonrpc": "2.0", "id": 5, "method": "ping"}')
        first = await next_message(raw)
        assert process.stdin is not None
        await process.stdin.aclose()
        await raw.rest()
        assert await process.wait() == 0
    assert first == {"jsonrpc": "2.0", "id": 5, "result": {}}
