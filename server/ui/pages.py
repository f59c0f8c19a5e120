"""The viewer's routes: four pages, the live stream and the static files; GET only.

Each page is read from the journal in a worker thread (Starlette runs a plain ``def``
endpoint in its thread pool) and rendered by Jinja2 with autoescaping on, so journal
text is always text. The ``shown`` finalizer also turns control characters (bidi
overrides, C0/C1 controls, lone surrogates) into visible escapes in every ``{{ }}``.
"""

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape
from sse_starlette import EventSourceResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from journal_core import Journal, JournalError, visible, visible_document
from server.ui import views
from server.ui.remembered import TaskMemory

__all__ = ["LIVE_POLL_SECONDS", "build_routes"]

LIVE_POLL_SECONDS = 0.25
"""How often the live stream looks at the journal's size: well within SPEC 11's seconds."""

_STATIC = Path(__file__).parent / "static"
_PARTS = ("timeline", "overview")  # what a task page's script fetches again, by part


def _shown(value: Any) -> Any:
    # Markup is what the templates made (a macro's output), already escaped.
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value)
    return value


def _document(text: str) -> Markup:
    """Text of several lines: escaped here, line breaks and tabs kept (the page shows
    them), every other control character shown as an escape."""
    return escape(visible_document(text))


def _task_url(task_id: str) -> str:
    # Every character but unreserved ones escaped, "/" too: the id is one path segment
    # (read back whole by the {task_id:path} route).
    return "/tasks/" + quote(task_id.encode("utf-8", "surrogatepass"), safe="")


def _page_url(path: str, **params: str | None) -> str:
    kept = {key: value for key, value in params.items() if value}
    return path + ("?" + urlencode(kept) if kept else "")


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("server.ui", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_shown,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["task_url"] = _task_url
    env.filters["document"] = _document
    env.globals["page_url"] = _page_url
    return env


def build_routes(journal: Journal) -> Starlette:
    """The viewer of ``journal``, unguarded (``server.ui.guards`` adds the checks)."""
    env = _environment()
    memory = TaskMemory(journal)

    def page(endpoint: Callable[[Request], Response]) -> Callable[[Request], Response]:
        """``endpoint`` with the journal's size taken before it reads anything: an
        append that lands while the page is read is then news to the live page."""

        def sized(request: Request) -> Response:
            request.state.journal_size = views.journal_size(journal.path)
            return endpoint(request)

        return sized

    def render(request: Request, name: str, code: int = 200, **context: Any) -> HTMLResponse:
        html = env.get_template(name).render(
            journal_size=request.state.journal_size,
            journal_name=journal.path.name,
            path=request.url.path,
            request_cursor=request.query_params.get("cursor"),
            **context,
        )
        headers = {"Cache-Control": "no-store"}
        return HTMLResponse(html, status_code=code, headers=headers)

    def refused(request: Request, err: JournalError, **context: Any) -> HTMLResponse:
        return render(request, "error.html", 400, message=str(err), **context)

    def tasks(request: Request) -> Response:
        status = request.query_params.get("status") or "open"
        if status not in views.STATUSES:
            status = "open"
        query = request.query_params.get("q") or None
        cursor = request.query_params.get("cursor") or None
        context: dict[str, Any] = {"status": status, "q": query or "", "section": "tasks"}
        try:
            rows, next_cursor = views.tasks_page(
                memory, status, query, cursor, dt.datetime.now(dt.UTC)
            )
        except JournalError as err:
            return refused(request, err, **context)
        return render(request, "tasks.html", rows=rows, next_cursor=next_cursor, **context)

    def task(request: Request) -> Response:
        task_id: str = request.path_params["task_id"]
        cursor = request.query_params.get("cursor") or None
        part = request.query_params.get("part")
        # A live page asks for its timeline first (the new event shows at once), then
        # for the overview, which takes the task's whole history to build.
        parts: tuple[str, ...] = (part,) if part is not None and part in _PARTS else _PARTS
        try:
            overview = views.task_overview(memory, task_id) if "overview" in parts else None
            timeline = views.task_timeline(memory, task_id, cursor) if "timeline" in parts else None
        except JournalError as err:
            return refused(request, err, section="tasks")
        if ("overview" in parts and overview is None) or ("timeline" in parts and timeline is None):
            return render(
                request,
                "error.html",
                404,
                message=f"No task {task_id} in this journal.",
                section="tasks",
            )
        name = "task.html" if parts == _PARTS else "task_part.html"
        return render(request, name, overview=overview, timeline=timeline, section="tasks")

    def finder(rejected: bool) -> Callable[[Request], Response]:
        section = "rejected" if rejected else "search"

        def find(request: Request) -> Response:
            query = request.query_params.get("q", "")
            every = request.query_params.get("all") == "1"
            cursor = request.query_params.get("cursor") or None
            context: dict[str, Any] = {"q": query, "all": every, "section": section}
            if not query.strip():
                return render(request, "search.html", hits=None, next_cursor=None, **context)
            try:
                hits, next_cursor = views.hits_page(
                    memory, query, rejected=rejected, all_projects=every, cursor=cursor
                )
            except JournalError as err:
                return refused(request, err, **context)
            return render(request, "search.html", hits=hits, next_cursor=next_cursor, **context)

        return find

    async def live(request: Request) -> Response:
        return EventSourceResponse(_sizes(journal.path), ping=15)

    return Starlette(
        routes=[
            Route("/", page(tasks), methods=["GET", "HEAD"]),
            Route("/tasks/{task_id:path}", page(task), methods=["GET", "HEAD"]),
            Route("/search", page(finder(rejected=False)), methods=["GET", "HEAD"]),
            Route("/rejected", page(finder(rejected=True)), methods=["GET", "HEAD"]),
            Route("/live", live, methods=["GET"]),
            Mount("/static", StaticFiles(directory=_STATIC), name="static"),
        ]
    )


async def _sizes(path: Path) -> AsyncIterator[dict[str, str]]:
    """The journal's size now and at each change: a page fetches its content again when
    the size differs from the one it was read at. Any writer's append changes it."""
    last = -1
    while True:
        size = views.journal_size(path)
        if size != last:
            last = size
            yield {"event": "journal", "data": str(size)}
        await asyncio.sleep(LIVE_POLL_SECONDS)
