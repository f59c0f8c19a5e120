"""The viewer (SPEC 11): a read-only web page of the journal, live, safe against its text.

``build_app`` gives the ASGI app; ``task-journal ui`` (``server.cli.ui``) serves it with
the MCP HTTP transport's listener and limits. Pages are rendered on the server by
Jinja2 with autoescaping; the only script, ``static/viewer.js``, shows times in the
browser's own zone, draws the links between events and fetches a page's content again
when the journal grows (a task page: its timeline first, then its overview). Every
asset ships in this package: the page works offline.
"""

import os
from collections.abc import Mapping

from starlette.types import ASGIApp

from journal_core import Journal
from server.http import check_bind, extra_hosts
from server.ui.guards import guarded
from server.ui.pages import build_routes

__all__ = ["DEFAULT_PORT", "build_app", "viewer_url"]

DEFAULT_PORT = 8766


def build_app(
    journal: Journal,
    *,
    host: str,
    token: str | None,
    environ: Mapping[str, str] = os.environ,
) -> ASGIApp:
    """The viewer of ``journal`` as served on ``host``; raises ``server.http.UnsafeBind``
    for a non-loopback host without a token (or a token no browser can send)."""
    check_bind(host, token)
    return guarded(build_routes(journal), host=host, token=token, extra_hosts=extra_hosts(environ))


def viewer_url(host: str, port: int) -> str:
    """The address a person opens: a wildcard bind is reached on loopback."""
    from server.http import mcp_url

    shown = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host  # noqa: S104
    return mcp_url(shown, port).removesuffix("mcp")
