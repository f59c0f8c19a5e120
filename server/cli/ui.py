"""``ui``: the viewer (SPEC 11), served until interrupted."""

import argparse
import os
import sys

from server.cli.command import (
    EXIT_JOURNAL,
    EXIT_OK,
    EXIT_REFUSED,
    PROG,
    AddCommand,
    note,
    open_journal,
    settings_of,
)


def register(add: AddCommand) -> None:
    ui = add(
        "ui",
        "Serve a read-only, live web page of the journal (tasks, timelines, search).",
        f"""\
  {PROG} ui --open
  {PROG} ui --host 0.0.0.0 --token "$(python -c 'import secrets; print(secrets.token_urlsafe(32))')"

Loopback only unless a token is given; then every request must carry it (a browser
opens the URL printed with ?token= once and keeps it in a cookie).""",
        _ui,
    )
    ui.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    ui.add_argument("--port", type=int, default=None, help="port (default 8766)")
    ui.add_argument(
        "--token",
        "--auth-token",
        dest="token",
        metavar="TOKEN",
        default=os.environ.get("TASK_JOURNAL_TOKEN"),
        help="token every request must carry (default $TASK_JOURNAL_TOKEN)",
    )
    ui.add_argument("--open", action="store_true", help="open the page in a browser")


def _ui(args: argparse.Namespace) -> int:
    # The web stack (mcp's starlette and uvicorn, jinja2) is loaded only for this command.
    from server.http import CannotListen, UnsafeBind, listen, serve_http
    from server.ui import DEFAULT_PORT, build_app, viewer_url

    port = DEFAULT_PORT if args.port is None else args.port
    with open_journal(settings_of(args)) as journal:
        try:
            app = build_app(journal, host=args.host, token=args.token)
        except UnsafeBind as err:
            note(f"error: {err}")
            return EXIT_REFUSED
        try:
            sockets = listen(args.host, port)
        except CannotListen as err:
            note(f"error: {err}")
            return EXIT_JOURNAL
        url = viewer_url(args.host, sockets[0].getsockname()[1])
        note(f"viewer of {journal.path} on {url} (Ctrl-C stops it)")
        sys.stderr.flush()
        if args.open:
            import webbrowser

            webbrowser.open(url + (f"?token={args.token}" if args.token else ""))
        serve_http(app, sockets)
    return EXIT_OK
