"""What stands between the viewer and a browser: the MCP HTTP transport's guards, a token
a browser can carry, and headers that keep journal text from ever running.

The bind check and the bearer token are the MCP HTTP transport's own (``server.http``);
so are the Host and Origin rules (the names ``server.http.allowed_names`` gives, any
port), checked here as the SDK's middleware checks them: importing the SDK for it
would take a second of the viewer's start-up. A browser cannot add an ``Authorization`` header to
a link it follows, so the token may also come as ``?token=`` once (answered with a
redirect that moves it into an HttpOnly cookie) or in that cookie; either is turned
into the header the bearer check reads.
"""

from collections.abc import Mapping, Sequence
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qsl, quote, urlencode

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.http import BearerTokenMiddleware, allowed_names

__all__ = ["CONTENT_SECURITY_POLICY", "TOKEN_COOKIE", "guarded"]

TOKEN_COOKIE = "task_journal_token"  # noqa: S105  (the cookie's name, not a secret)

# Scripts, styles, images and the live stream from this server only; nothing inline,
# no plugins, no frames, no forms posting anywhere else.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def guarded(app: ASGIApp, *, host: str, token: str | None, extra_hosts: list[str]) -> ASGIApp:
    """``app`` behind the checks, outermost first: the security headers on every answer,
    Host and Origin, then the token when one is set."""
    if token is not None:
        app = _TokenFromBrowser(BearerTokenMiddleware(_TokenToCookie(app), token))
    app = _HostAndOrigin(app, allowed_names(host, extra_hosts))
    return _SecurityHeaders(app)


class _SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)


class _HostAndOrigin:
    """DNS-rebinding protection: a Host header must name one of ``names`` (with any
    port or none), and an Origin, when sent, must be http or https on one of them."""

    def __init__(self, app: ASGIApp, names: Sequence[str]) -> None:
        self.app = app
        self.names = tuple(names)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = Headers(scope=scope)
            refusal = None
            if not self._names(headers.get("host")):
                refusal = PlainTextResponse("Invalid Host header", status_code=421)
            elif not self._origin_allowed(headers.get("origin")):
                refusal = PlainTextResponse("Invalid Origin header", status_code=403)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _names(self, host: str | None) -> bool:
        """Whether ``host`` (``name`` or ``name:port``) names one of the names."""
        if not host:
            return False
        return any(host == name or host.startswith(name + ":") for name in self.names)

    def _origin_allowed(self, origin: str | None) -> bool:
        if not origin:  # a same-origin request may send none
            return True
        scheme, _, host = origin.partition("://")
        return scheme in ("http", "https") and self._names(host)


class _TokenFromBrowser:
    """Hand the bearer check a token from ``?token=`` or the cookie when the request
    has no ``Authorization`` header of its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "authorization" not in Headers(scope=scope):
            given = _query(scope).get("token") or _cookies(scope).get(TOKEN_COOKIE)
            if given:
                header = (b"authorization", b"Bearer " + given.encode("latin-1", "replace"))
                scope = {**scope, "headers": [*scope["headers"], header]}
        await self.app(scope, receive, send)


class _TokenToCookie:
    """Past the bearer check: a request that brought the token in its URL is sent to the
    same URL without it, the token kept in a cookie, so it leaves the address bar."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = _query(scope)
        if scope["type"] != "http" or "token" not in query:
            await self.app(scope, receive, send)
            return
        rest = urlencode([(key, value) for key, value in query.items() if key != "token"])
        response = RedirectResponse(quote(scope["path"]) + (f"?{rest}" if rest else ""), 303)
        response.set_cookie(TOKEN_COOKIE, query["token"], httponly=True, samesite="strict")
        await response(scope, receive, send)


def _query(scope: Scope) -> Mapping[str, str]:
    return dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))


def _cookies(scope: Scope) -> Mapping[str, str]:
    cookie: SimpleCookie = SimpleCookie()
    try:
        cookie.load(Headers(scope=scope).get("cookie", ""))
    except CookieError:  # a malformed cookie header carries no token
        return {}
    return {name: morsel.value for name, morsel in cookie.items()}
