"""``serve``: the MCP server, handed on to task-journal-mcp's own ``main``."""

import argparse

from server import main as serve_main
from server.cli.command import EXIT_REFUSED, PROG, AddCommand

# What `serve` hands on to task-journal-mcp, which resolves and checks them itself.
_SERVE_OPTIONS = (
    "journal",
    "project_dir",
    "durability",
    "transport",
    "host",
    "port",
    "auth_token",
    "max_connections",
    "max_sessions",
    "request_timeout",
    "log_level",
)


def register(add: AddCommand) -> None:
    serve = add(
        "serve",
        "Run the MCP server on this journal (the same as task-journal-mcp).",
        f"""\
  {PROG} serve
  {PROG} --journal /srv/journal.jsonl serve --transport streamable-http --port 8765""",
        _serve,
    )
    serve.add_argument("--transport", help="stdio (default) or streamable-http")
    serve.add_argument("--host", help="address to bind for streamable-http (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port for streamable-http")
    serve.add_argument(
        "--auth-token",
        metavar="TOKEN",
        help="bearer token HTTP clients must send (default $TASK_JOURNAL_TOKEN)",
    )
    serve.add_argument("--max-connections", metavar="N", help="HTTP connections at most (64)")
    serve.add_argument("--max-sessions", metavar="N", help="MCP sessions over HTTP at most (32)")
    serve.add_argument(
        "--request-timeout",
        metavar="SECONDS",
        help="time for an HTTP request to arrive whole (default 10)",
    )
    serve.add_argument("--log-level", help="DEBUG, INFO, WARNING (default) or ERROR")


def _serve(args: argparse.Namespace) -> int:
    # serve_main imports mcp only now, when it is about to serve.
    argv = [
        f"--{name.replace('_', '-')}={value}"
        for name in _SERVE_OPTIONS
        if (value := getattr(args, name)) is not None
    ]
    try:
        return serve_main(argv)
    except SystemExit as exit_:
        # The server's own parser refusing a value (--log-level LOUD): its status, not an
        # exception out of main().
        return exit_.code if isinstance(exit_.code, int) else EXIT_REFUSED
