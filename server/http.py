"""The Streamable HTTP transport: loopback by default, a bearer token for anything else.

The journal holds whatever agents wrote into it, so the HTTP face is closed by default:
it binds 127.0.0.1, refuses a non-loopback address unless a token is set, checks the
token on every request, and keeps the SDK's DNS-rebinding protection (Host and Origin
checks) on whatever the address.
"""

import errno
import hmac
import ipaddress
import os
import socket
from collections.abc import Mapping, Sequence

import uvicorn
from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = [
    "ALLOWED_HOSTS_ENV",
    "BearerTokenMiddleware",
    "CannotListen",
    "UnsafeBind",
    "build_http_app",
    "check_bind",
    "is_loopback",
    "listen",
    "mcp_url",
    "serve_http",
    "transport_security",
]

ALLOWED_HOSTS_ENV = "TASK_JOURNAL_ALLOWED_HOSTS"
"""Extra Host names (comma-separated) a non-loopback server answers to, any port."""

_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
_WILDCARD_BINDS = ("", "0.0.0.0", "::")  # noqa: S104  (names to recognise, not to bind)


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
    if auth_token is None and not is_loopback(host):
        raise UnsafeBind(
            f"refusing to serve the journal on non-loopback host {host!r} without a token: "
            "pass --auth-token (or set TASK_JOURNAL_TOKEN) so that every request must carry "
            "'Authorization: Bearer <token>', or bind 127.0.0.1"
        )


def _host_for_header(host: str) -> str:
    """The form a host takes in a Host header: IPv6 literals in brackets."""
    try:
        if ipaddress.ip_address(host.strip("[]")).version == 6:
            return f"[{host.strip('[]')}]"
    except ValueError:
        pass
    return host


def transport_security(host: str, extra_hosts: Sequence[str] = ()) -> TransportSecuritySettings:
    """DNS-rebinding protection that accepts the loopback names, the bound host and `extra_hosts`.

    A wildcard bind (0.0.0.0, ::) names no host, so only loopback names and `extra_hosts`
    pass the Host check: a browser page on another origin is refused either way.
    """
    names = list(_LOOPBACK_HOSTS)
    if host not in _WILDCARD_BINDS and not is_loopback(host):
        names.append(_host_for_header(host))
    names.extend(_host_for_header(name.strip()) for name in extra_hosts if name.strip())
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
        self._token = token.encode()

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
        scheme, _, given = Headers(scope=scope).get("authorization", "").partition(" ")
        # The scheme is case-insensitive (RFC 9110); the token is compared in constant
        # time, so it cannot be guessed byte by byte from response times.
        return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), self._token)


def _extra_hosts(environ: Mapping[str, str]) -> list[str]:
    return [name for name in environ.get(ALLOWED_HOSTS_ENV, "").split(",") if name.strip()]


def build_http_app(
    server: MCPServer,
    *,
    host: str,
    auth_token: str | None,
    environ: Mapping[str, str] = os.environ,
) -> ASGIApp:
    """The ASGI app serving `server` at /mcp, with the checks `serve_http` promises.

    Raises UnsafeBind for settings that would expose the journal. Build it once per
    server: the SDK keeps one session manager per app.
    """
    check_bind(host, auth_token)
    app: ASGIApp = server.streamable_http_app(
        transport_security=transport_security(host, _extra_hosts(environ)), host=host
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


def serve_http(app: ASGIApp, sockets: list[socket.socket]) -> None:
    """Serve `app` (from `build_http_app`) on `sockets` (from `listen`) until interrupted.

    The sockets are closed on return.
    """
    # log_config=None: uvicorn's loggers follow the logging the entry point set up (stderr,
    # --log-level) rather than uvicorn's own; no access log, so no per-request lines.
    config = uvicorn.Config(app, log_config=None, access_log=False)
    try:
        uvicorn.Server(config).run(sockets=sockets)
    finally:
        for sock in sockets:
            sock.close()
