"""The bounds of the HTTP transport, apart from it so that reading the command line
does not import the web server."""

from dataclasses import dataclass

__all__ = ["HttpLimits"]


@dataclass(frozen=True)
class HttpLimits:
    """What HTTP clients may hold at once, and for how long an unfinished request."""

    max_connections: int = 64
    """Open connections; one more is answered 503 and closed at once. A client holds a
    few: its event stream (GET) and one per call in flight."""
    max_sessions: int = 32
    """MCP sessions; a request that would open one more is answered 503."""
    request_timeout: float = 10.0
    """Seconds a request may take to arrive whole (headers and body) from its first
    byte, or from the connection's opening; past them it is answered 408 and closed."""
