"""The Streamable HTTP transport: loopback by default, a bearer token for anything else.

The journal holds whatever agents wrote into it, so the HTTP face is closed by default:
it binds 127.0.0.1, refuses a non-loopback address unless a token is set, checks the
token on every request, and keeps the SDK's DNS-rebinding protection (Host and Origin
checks) on whatever the address.

It is bounded too (HttpLimits): a request must arrive whole within a time limit, and
connections and MCP sessions are capped, so that clients that connect and never finish
a request cannot hold the server's file descriptors and starve real calls. At the cap,
a new connection takes the place of the one that has waited longest without a request
in progress that proved itself (its headers arrived, with the token when one is set):
slow or idle unauthenticated connections cost a real client nothing, since they make
room for it instead of taking it.
"""

import asyncio
import errno
import hmac
import ipaddress
import logging
import os
import resource
import socket
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import h11
import uvicorn
from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from server.limits import HttpLimits

if TYPE_CHECKING:  # the SDK takes a second to import: the viewer serves without it
    from mcp.server import MCPServer
    from mcp.server.transport_security import TransportSecuritySettings

__all__ = [
    "ALLOWED_HOSTS_ENV",
    "BearerTokenMiddleware",
    "CannotListen",
    "HttpLimits",
    "UnsafeBind",
    "allowed_names",
    "build_http_app",
    "carries_token",
    "check_bind",
    "extra_hosts",
    "is_loopback",
    "listen",
    "mcp_url",
    "serve_http",
    "transport_security",
]

ALLOWED_HOSTS_ENV = "TASK_JOURNAL_ALLOWED_HOSTS"
"""Extra Host names (comma-separated) a non-loopback server answers to, any port."""

logger = logging.getLogger(__name__)

_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
_WILDCARD_BINDS = ("", "0.0.0.0", "::")  # noqa: S104  (names to recognise, not to bind)


_DEFAULT_LIMITS = HttpLimits()

# File descriptors kept for what is not a connection: the journal, its lock and
# index, the listening sockets, stdio, the event loop's own.
_RESERVED_FDS = 32


class UnsafeBind(ValueError):
    """The HTTP settings would expose the journal unprotected; str() says why and what to do."""


class CannotListen(Exception):
    """The HTTP address cannot be listened on (port in use, unknown host); str() says which."""


def is_loopback(host: str) -> bool:
    """True when `host` names only this machine (a loopback address or "localhost")."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        # A host name other than localhost may resolve anywhere: treat it as exposed.
        return False


def check_bind(host: str, auth_token: str | None) -> None:
    """Refuse settings that would serve the journal to the network without a token."""
    if auth_token is not None and not auth_token.strip():
        raise UnsafeBind(
            "the HTTP auth token is empty: pass a long random --auth-token "
            "(or set TASK_JOURNAL_TOKEN), or unset it to serve on loopback only"
        )
    if auth_token is not None and (odd := _first_unsendable(auth_token)) is not None:
        # Clients send such characters in different encodings (Latin-1 from browsers and
        # Node, UTF-8 from curl, none at all from httpx): refused here, rather than
        # served with a token that matches for some clients and never for others.
        raise UnsafeBind(
            f"the HTTP auth token holds {odd!r}, which is not a visible ASCII character, "
            "so clients would not send it alike: use letters, digits and punctuation "
            'only (python -c "import secrets; print(secrets.token_urlsafe(32))" makes one)'
        )
    if auth_token is None and not is_loopback(host):
        raise UnsafeBind(
            f"refusing to serve the journal on non-loopback host {host!r} without a token: "
            "pass --auth-token (or set TASK_JOURNAL_TOKEN) so that every request must carry "
            "'Authorization: Bearer <token>', or bind 127.0.0.1"
        )


def _first_unsendable(token: str) -> str | None:
    """The first character of `token` outside visible ASCII (! to ~), if any."""
    return next((char for char in token if not "!" <= char <= "~"), None)


def _host_for_header(host: str) -> str:
    """The form a host takes in a Host header: IPv6 literals in brackets."""
    try:
        if ipaddress.ip_address(host.strip("[]")).version == 6:
            return f"[{host.strip('[]')}]"
    except ValueError:
        pass
    return host


def allowed_names(host: str, extra_hosts: Sequence[str] = ()) -> list[str]:
    """The host names requests may name (in Host and Origin, any port): the loopback
    names, the bound host and ``extra_hosts``.

    A wildcard bind (0.0.0.0, ::) names no host, so only loopback names and `extra_hosts`
    pass the Host check: a browser page on another origin is refused either way.
    """
    names = list(_LOOPBACK_HOSTS)
    if host not in _WILDCARD_BINDS and not is_loopback(host):
        names.append(_host_for_header(host))
    names.extend(_host_for_header(name.strip()) for name in extra_hosts if name.strip())
    return names


def transport_security(host: str, extra_hosts: Sequence[str] = ()) -> "TransportSecuritySettings":
    """The SDK's DNS-rebinding protection, accepting the ``allowed_names``."""
    from mcp.server.transport_security import TransportSecuritySettings

    names = allowed_names(host, extra_hosts)
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[pattern for name in names for pattern in (name, f"{name}:*")],
        allowed_origins=[
            pattern
            for name in names
            for scheme in ("http", "https")
            for pattern in (f"{scheme}://{name}", f"{scheme}://{name}:*")
        ],
    )


class BearerTokenMiddleware:
    """ASGI middleware answering 401 to any HTTP request without `Authorization: Bearer <token>`."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._token = token.encode("ascii")  # check_bind refused any other token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._authorized(scope):
            response = PlainTextResponse(
                "Unauthorized: send the journal's token as 'Authorization: Bearer <token>'",
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="task-journal"'},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        # Starlette decoded the header as Latin-1; encoding back gives the bytes received.
        given = Headers(scope=scope).get("authorization", "").encode("latin-1")
        return carries_token(given, self._token)


def carries_token(authorization: bytes, token: bytes) -> bool:
    """Whether an Authorization header's value is ``Bearer <token>``.

    The scheme is case-insensitive (RFC 9110). The token is compared as the bytes
    received with the token's ASCII bytes, in constant time, so that it cannot be
    guessed byte by byte from response times.
    """
    scheme, _, given = authorization.partition(b" ")
    return scheme.lower() == b"bearer" and hmac.compare_digest(given, token)


def extra_hosts(environ: Mapping[str, str]) -> list[str]:
    """The Host names of $TASK_JOURNAL_ALLOWED_HOSTS, for ``transport_security``."""
    return [name for name in environ.get(ALLOWED_HOSTS_ENV, "").split(",") if name.strip()]


def build_http_app(
    server: "MCPServer",
    *,
    host: str,
    auth_token: str | None,
    environ: Mapping[str, str] = os.environ,
    limits: HttpLimits = _DEFAULT_LIMITS,
) -> ASGIApp:
    """The ASGI app serving `server` at /mcp, with the checks `serve_http` promises.

    Raises UnsafeBind for settings that would expose the journal. Build it once per
    server: the SDK keeps one session manager per app.
    """
    check_bind(host, auth_token)
    app: ASGIApp = server.streamable_http_app(
        transport_security=transport_security(host, extra_hosts(environ)),
        host=host,
        max_sessions=limits.max_sessions,
    )
    if auth_token is not None:
        app = BearerTokenMiddleware(app, auth_token)
    return app


def mcp_url(host: str, port: int) -> str:
    """The URL clients reach the server at: http://host:port/mcp, an IPv6 host in brackets."""
    return f"http://{_host_for_header(host)}:{port}/mcp"


def listen(host: str, port: int) -> list[socket.socket]:
    """Listening sockets on `port` at every address `host` resolves to, bound as asyncio would.

    Bound here rather than by uvicorn so that a port in use is one clear error, raised as
    CannotListen before the server announces itself, and not uvicorn's log line and exit.
    """
    try:
        found = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as err:
        raise CannotListen(f"cannot serve on host {host!r}: {err.strerror}") from err
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(found):  # each address once
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            # As asyncio's create_server: a restarted server can take back its port at
            # once, and an IPv6 socket leaves the IPv4 addresses to their own sockets.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen()
    except OSError as err:
        for sock in sockets:
            sock.close()
        if err.errno == errno.EADDRINUSE:
            raise CannotListen(
                f"port {port} on {host} is in use (by another server?): pass another --port, "
                "or stop the program holding it"
            ) from err
        raise CannotListen(f"cannot listen on port {port} on {host}: {err.strerror}") from err
    return sockets


def serve_http(
    app: ASGIApp,
    sockets: list[socket.socket],
    limits: HttpLimits = _DEFAULT_LIMITS,
    auth_token: str | None = None,
) -> None:
    """Serve `app` (from `build_http_app`) on `sockets` (from `listen`) until interrupted,
    within `limits`; `auth_token` is the app's, which tells the connections that carry it
    from those that may make room for others. The sockets are closed on return.
    """
    limits = _within_open_file_limit(limits)
    # log_config=None: uvicorn's loggers follow the logging the entry point set up (stderr,
    # --log-level) rather than uvicorn's own; no access log, so no per-request lines.
    # backlog: asyncio accepts up to this many connections per wake-up, before any is
    # refused, so a burst cannot take many more descriptors than the cap allows.
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        http=_bounded_protocol(limits, auth_token),
        backlog=limits.max_connections,
    )
    try:
        uvicorn.Server(config).run(sockets=sockets)
    finally:
        for sock in sockets:
            sock.close()


def _within_open_file_limit(limits: HttpLimits) -> HttpLimits:
    """`limits` with at most as many connections as the open-file limit leaves room for.

    Past that limit accept() fails with EMFILE, and then nothing works, not even the
    journal's own files; refusing a connection costs a descriptor for a moment only.
    """
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or limits.max_connections <= soft - _RESERVED_FDS:
        return limits
    room = max(1, soft - _RESERVED_FDS)
    logger.warning(
        "serving at most %d connections, not %d: the open-file limit is %d (ulimit -n)",
        room,
        limits.max_connections,
        soft,
    )
    return replace(limits, max_connections=room)


def _plain_response(status: str, text: str) -> bytes:
    """A whole HTTP/1.1 response that closes the connection, written before any request
    is read, or instead of the answer to one that never arrived whole."""
    body = (text + "\n").encode()
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


_TOO_MANY_CONNECTIONS = _plain_response(
    "503 Service Unavailable", "Too many connections to this server; retry in a moment."
)
_REQUEST_TIMEOUT = _plain_response(
    "408 Request Timeout", "The request did not arrive whole in time; send it again."
)

# Once the client is done sending (or cannot send any more), its request is whole.
_REQUEST_ARRIVED = (h11.DONE, h11.MUST_CLOSE, h11.CLOSED, h11.ERROR)


class _BoundedProtocol(H11Protocol):
    """uvicorn's h11 protocol with the two bounds uvicorn lacks: a cap on open
    connections, enforced as each one opens, and a time limit on a request's arrival
    (uvicorn times out only an idle keep-alive connection, never one mid-request)."""

    limits: HttpLimits
    token: bytes | None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._deadline: asyncio.TimerHandle | None = None
        self._opened = self.loop.time()
        self._proven: object = None  # the request cycle that proved itself, if any
        others = [
            other
            for other in self.connections
            if isinstance(other, _BoundedProtocol)
            and other is not self
            and not other.transport.is_closing()
        ]
        if len(others) >= self.limits.max_connections:
            # Room for this one is made by closing the connection that has waited longest
            # without a proven request in progress; only when every other connection
            # carries one is this one refused.
            waiting = [other for other in others if other._evictable()]
            if not waiting:
                self._refuse(_TOO_MANY_CONNECTIONS)
                return
            min(waiting, key=lambda other: other._opened)._refuse(_TOO_MANY_CONNECTIONS)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not None and self._proven is not self.cycle and self._proves_itself():
            self._proven = self.cycle
        if self.conn.their_state in _REQUEST_ARRIVED:
            self._disarm()
        elif self._deadline is None:  # the first bytes of the next request on this connection
            self._arm()

    def _proves_itself(self) -> bool:
        """Whether the request whose headers just arrived may hold its place: any request
        when the server has no token, else one that carries it."""
        if self.token is None:
            return True
        given = dict(self.cycle.scope["headers"]).get(b"authorization", b"")
        return carries_token(given, self.token)

    def _evictable(self) -> bool:
        """Not serving a proven request: still waiting for one, idle between two, or
        serving one that did not prove itself."""
        cycle = self.cycle
        return cycle is None or cycle is not self._proven or cycle.response_complete

    def _refuse(self, answer: bytes) -> None:
        """Close the connection, first answering ``answer`` when no response has begun."""
        self._disarm()
        if self.transport.is_closing():
            return
        if self.cycle is None or not self.cycle.response_started:
            self.transport.write(answer)
        # Closing tells the application, if it is waiting for the body, that the client
        # is gone (http.disconnect); whatever it sends then is dropped.
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._deadline = self.loop.call_later(self.limits.request_timeout, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        self._refuse(_REQUEST_TIMEOUT)


def _bounded_protocol(limits: HttpLimits, auth_token: str | None) -> type[_BoundedProtocol]:
    """The protocol class uvicorn builds for each connection, bound to `limits`."""
    token = None if auth_token is None else auth_token.encode("ascii")
    return type("BoundedProtocol", (_BoundedProtocol,), {"limits": limits, "token": token})
