"""The requests read but not yet answered, so that stdin's end waits for their answers.

When stdin ends, the SDK's dispatcher cancels every request still running: a client
that writes its requests and closes stdin (``(...) | task-journal-mcp``) may get no
answer for an append the server has already written. Here the end of stdin is passed on
to the dispatcher only once every request read has been answered (or cancelled by the
client), and at most ``DRAIN_S`` seconds later.

Remove when the SDK finishes in-flight requests at the end of its read stream (then
tests/faults/test_stdin.py::test_requests_in_flight_when_stdin_closes_are_all_answered
passes without it).
"""

from __future__ import annotations

import logging
from typing import Self

import anyio
from mcp.shared._stream_protocols import WriteStream
from mcp.shared.message import SessionMessage
from mcp_types import JSONRPCError, JSONRPCNotification, JSONRPCRequest, JSONRPCResponse

__all__ = ["DRAIN_S", "InFlight"]

logger = logging.getLogger(__name__)

DRAIN_S = 60.0
"""How long the end of stdin waits for the answers still due: a call that takes longer
(a journal busy for minutes) is cancelled, as it was before."""

_CANCELLED = "notifications/cancelled"


class InFlight:
    """The ids of the requests read and not yet answered."""

    def __init__(self) -> None:
        self._ids: set[str | int] = set()
        self._settled = anyio.Event()

    def read(self, item: SessionMessage | Exception) -> None:
        """Note a message the server is about to handle."""
        if isinstance(item, Exception):
            return
        message = item.message
        if isinstance(message, JSONRPCRequest):
            self._ids.add(message.id)
        elif isinstance(message, JSONRPCNotification) and message.method == _CANCELLED:
            # A cancelled request is never answered (the MCP spec): stop waiting for it.
            self.answered((message.params or {}).get("requestId"))

    def answering(self, replies: WriteStream[SessionMessage]) -> WriteStream[SessionMessage]:
        """``replies``, noting each answer that goes out through it."""
        return _Noting(replies, self)

    async def drained(self) -> None:
        """Return once every request read is answered, or after ``DRAIN_S`` seconds."""
        with anyio.move_on_after(DRAIN_S) as waited:
            while self._ids:
                await self._settled.wait()
                self._settled = anyio.Event()
        if waited.cancelled_caught:
            logger.warning(
                "stdin closed; %d request(s) still running after %g s are cancelled",
                len(self._ids),
                DRAIN_S,
            )

    def answered(self, request_id: object) -> None:
        """Note that the request ``request_id`` needs no more waiting for."""
        if isinstance(request_id, str | int) and request_id in self._ids:
            self._ids.discard(request_id)
            self._settled.set()


class _Noting:
    """A write stream that tells ``InFlight`` of each answer it carries."""

    def __init__(self, replies: WriteStream[SessionMessage], in_flight: InFlight) -> None:
        self._replies = replies
        self._in_flight = in_flight

    async def send(self, item: SessionMessage, /) -> None:
        await self._replies.send(item)
        if isinstance(item.message, JSONRPCResponse | JSONRPCError):
            self._in_flight.answered(item.message.id)

    async def aclose(self) -> None:
        await self._replies.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
