"""The stdio transport: the SDK's, with an answer for every request it cannot read.

The SDK's stdio reader drops a line it cannot parse or validate (JSON nested over 200
levels, a lone surrogate escape, an integer of over 4,300 digits, anything that is not
a JSON-RPC message) after a debug log line, and the client waits for an answer forever.
Here each such line is answered as JSON-RPC 2.0 asks: -32700 (parse error) or -32600
(invalid request), with the request's id when it can be read from the line, else null;
a line nested too deep for Python's parser still shows its top-level id.
A notification (a message without an id) gets no answer, as JSON-RPC requires.

stdin and stdout are read and written on the event loop when they are pipes or
sockets (sdk.pipes), not in a worker thread per line as the SDK does. When stdin ends,
the requests read are answered before the server stops (sdk.in_flight).

Remove when the SDK's stdio transport answers every line it cannot read (then
tests/server/test_bad_inputs.py passes without it; tests/server/test_sdk_gaps.py says
when).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
from collections import deque
from collections.abc import AsyncIterator
from typing import Any, Protocol, Self, cast

import anyio
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from mcp_types import INVALID_REQUEST, PARSE_ERROR, ErrorData, JSONRPCError, RequestId
from pydantic import ValidationError

from server.sdk.in_flight import InFlight
from server.sdk.pipes import stdin_lines, wire_out

__all__ = ["serve_stdio", "unreadable_answer"]

logger = logging.getLogger(__name__)


async def serve_stdio(server: Server[Any]) -> None:
    """Serve ``server`` on stdin and stdout until the client closes stdin."""
    # Each line read is kept until the SDK's reader has turned it into its one item (a
    # message or an exception), so that an exception can be paired with its line: the
    # reader yields exactly one item per line, in order.
    lines: deque[str] = deque()
    stdin = cast("anyio.AsyncFile[str]", _kept(stdin_lines(), lines))
    with wire_out() as stdout:
        async with stdio_server(stdin=stdin, stdout=stdout) as (items, replies):
            in_flight = InFlight()
            readable = _Answering(items, lines, replies, in_flight)
            await server.run(
                readable, in_flight.answering(replies), server.create_initialization_options()
            )


async def _kept(source: AsyncIterator[str], lines: deque[str]) -> AsyncIterator[str]:
    async for line in source:
        lines.append(line)
        yield line


# The streams stdio_server gives, as much of them as is used here: the SDK names their
# types only in a private module.
class _Items(Protocol):
    async def receive(self) -> SessionMessage | Exception: ...

    async def aclose(self) -> None: ...


class _Replies(Protocol):
    async def send(self, item: SessionMessage, /) -> None: ...


class _Answering:
    """The reader's items as the server reads them: messages pass on; each line the
    reader could not read is answered here, and the server never sees it."""

    def __init__(
        self,
        items: _Items,
        lines: deque[str],
        replies: _Replies,
        in_flight: InFlight,
    ) -> None:
        self._items = items
        self._lines = lines
        self._replies = replies
        self._in_flight = in_flight

    @property
    def last_context(self) -> contextvars.Context | None:
        """The sender's context of the last message, which the SDK's dispatcher runs in."""
        return getattr(self._items, "last_context", None)

    async def receive(self) -> SessionMessage | Exception:
        while True:
            try:
                item = await self._items.receive()
            except anyio.EndOfStream:
                await self._in_flight.drained()  # the answers still due go out first
                raise
            line = self._lines.popleft()
            if not isinstance(item, Exception):
                self._in_flight.read(item)
                return item
            answer = unreadable_answer(line, item)
            if answer is not None:
                logger.info("answered an unreadable line: %s", answer.error.message)
                await self._replies.send(SessionMessage(answer))

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> SessionMessage | Exception:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        await self._items.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class _Unparsable:
    """What a line that is not JSON at all parses to."""


_UNPARSABLE = _Unparsable()

# The reader's own limits, said in the answer when a line is JSON beyond them.
_LIMITS = (
    "this server reads JSON nested at most 200 levels deep, integers of at most 4,300 "
    "digits, and \\ud800-\\udfff escapes only in surrogate pairs"
)


def unreadable_answer(line: str, error: Exception) -> JSONRPCError | None:
    """The JSON-RPC error answering ``line``, which the SDK refused with ``error``; None
    when no answer is due (a blank line, a notification)."""
    if not line.strip():
        return None
    message = _lenient(line)
    if isinstance(message, dict) and "method" in message and "id" not in message:
        return None  # a notification: JSON-RPC never answers one
    request_id = _request_id(message)
    first = error.errors(include_url=False)[0] if isinstance(error, ValidationError) else None
    if first is None or first["type"] == "json_invalid":
        reason = first["msg"].removeprefix("Invalid JSON: ") if first else str(error)
        if message is _UNPARSABLE:
            text = (
                f"Parse error: the line is not JSON ({reason}); send one JSON-RPC message a line."
            )
        else:
            text = f"Parse error: the message is beyond this server's limits ({reason}): {_LIMITS}."
        return _error(request_id, PARSE_ERROR, text)
    return _error(
        request_id,
        INVALID_REQUEST,
        "Invalid Request: the line is JSON but not a JSON-RPC 2.0 request, notification "
        'or response; send {"jsonrpc": "2.0", "id": ..., "method": ..., "params": {...}}.',
    )


def _error(request_id: RequestId | None, code: int, message: str) -> JSONRPCError:
    return JSONRPCError(jsonrpc="2.0", id=request_id, error=ErrorData(code=code, message=message))


def _lenient(line: str) -> object:
    """``line`` parsed by a reader without the SDK's limits, enough to find an id."""
    try:
        # Integers are not converted (Python refuses over 4,300 digits); only a
        # short one can be an id worth sending back.
        return json.loads(line, parse_int=_short_int)
    except ValueError:
        return _UNPARSABLE
    except RecursionError:  # nested deeper than Python's stack: read the top level only
        return _top_level(line)


_SPACE = re.compile(r"[ \t\n\r]+")
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\.)*"')
_SCALAR = re.compile(r"-?[0-9][0-9.eE+-]*|true|false|null")
_NESTED = re.compile(r'[^"\[\]{}]+|"(?:[^"\\]|\\.)*"|[\[{]|[\]}]')


def _top_level(line: str) -> object:
    """The members of the object ``line`` holds, its nested values left unread (as
    ``_UNPARSABLE``), without recursion: for a line too deep to parse, yet whole."""
    members: dict[str, object] = {}
    at = _after_space(line, 0)
    if not line.startswith("{", at):
        return _UNPARSABLE
    at += 1
    while True:
        at = _after_space(line, at)
        key = _STRING.match(line, at)
        if key is None:
            return _UNPARSABLE
        at = _after_space(line, key.end())
        if not line.startswith(":", at):
            return _UNPARSABLE
        at = _after_space(line, at + 1)
        if scalar := _STRING.match(line, at) or _SCALAR.match(line, at):
            members[json.loads(key[0])] = _lenient(scalar[0])
            at = scalar.end()
        elif (end := _skip_nested(line, at)) is not None:
            members[json.loads(key[0])] = _UNPARSABLE
            at = end
        else:
            return _UNPARSABLE
        at = _after_space(line, at)
        if line.startswith(",", at):
            at += 1
        elif line.startswith("}", at) and not line[at + 1 :].strip():
            return members
        else:
            return _UNPARSABLE


def _after_space(line: str, at: int) -> int:
    space = _SPACE.match(line, at)
    return space.end() if space else at


def _skip_nested(line: str, at: int) -> int | None:
    """Where the array or object starting at ``at`` ends, brackets counted (strings
    skipped whole); None when it does not start there or never ends."""
    if not line.startswith(("[", "{"), at):
        return None
    depth = 0
    for token in _NESTED.finditer(line, at):
        if token[0] in "[{":
            depth += 1
        elif token[0] in "]}":
            depth -= 1
            if depth == 0:
                return token.end()
    return None


def _short_int(digits: str) -> object:
    return int(digits) if len(digits) <= 20 else _UNPARSABLE


def _request_id(message: object) -> RequestId | None:
    """The id of ``message`` when it has one a reply can carry (an integer or a string)."""
    if not isinstance(message, dict):
        return None
    request_id = message.get("id")
    if isinstance(request_id, int) and not isinstance(request_id, bool):
        return request_id
    if isinstance(request_id, str):
        try:
            request_id.encode()
        except UnicodeEncodeError:  # a lone surrogate cannot go back out as UTF-8
            return None
        return request_id
    return None
