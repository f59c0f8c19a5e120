"""The MCP server and command line over journal_core.

``main`` is the ``task-journal-mcp`` entry point. The MCP SDK is imported only
once the journal is known to be usable: importing it takes most of a second,
and ``server.cli`` (a sibling module that imports this package) must not pay it.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from journal_core import DURABILITY_MODES, Journal, JournalError, Settings

__all__ = ["__version__", "main"]

try:
    __version__ = version("task-journal-mcp")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"

PROG = "task-journal-mcp"

logger = logging.getLogger(__name__)

# Exit statuses: 2 for a usage or configuration mistake (as argparse does), 1 for a
# journal that cannot be used, 130 for an interrupt.
EXIT_USAGE = 2
EXIT_UNUSABLE = 1
EXIT_INTERRUPTED = 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Serve a durable, append-only task journal to MCP clients (Claude Code, "
            "Claude Desktop, Cursor, VS Code). Speaks MCP on stdin/stdout by default; "
            "logs go to stderr."
        ),
        epilog=(
            "The journal is --journal, else $TASK_JOURNAL_PATH, else the per-project "
            "journal <data dir>/events/<project hash>.jsonl, the data dir being "
            "$TASK_JOURNAL_DATA_DIR, else $XDG_DATA_HOME/task-journal, else "
            "~/.local/share/task-journal."
        ),
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}", help="print the version"
    )
    parser.add_argument("--journal", metavar="PATH", help="the journal file to use")
    parser.add_argument(
        "--project-dir",
        metavar="DIR",
        help="find the project root (for the per-project journal) from DIR, not the working "
        "directory",
    )
    parser.add_argument(
        "--durability",
        choices=DURABILITY_MODES,
        help="always: answer an append once it is on stable storage (the default, or "
        "$TASK_JOURNAL_DURABILITY); flush: once written, made durable by the flush tool",
    )
    parser.add_argument(
        "--transport",
        choices=("stdio", "streamable-http"),
        default="stdio",
        help="stdio (default) or streamable-http (serves /mcp on --host:--port)",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address for streamable-http (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=8765, help="port for streamable-http (default 8765)"
    )
    parser.add_argument(
        "--auth-token",
        metavar="TOKEN",
        default=os.environ.get("TASK_JOURNAL_TOKEN"),
        help="bearer token streamable-http clients must send (default $TASK_JOURNAL_TOKEN)",
    )
    parser.add_argument(
        "--log-level",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        default="WARNING",
        help="how much to log on stderr (default WARNING)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the MCP server until its client goes away; return the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=args.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = Settings.from_env(
            journal=args.journal, project_dir=args.project_dir, durability=args.durability
        )
    except JournalError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    journal = Journal(settings)
    try:
        journal.open()
    except JournalError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return EXIT_UNUSABLE
    # Index the journal in the background, so that a big one does not make the client's
    # first call wait; calls that come sooner wait for the index as they would anyway.
    threading.Thread(target=_build_index, args=(journal,), name="index", daemon=True).start()
    try:
        return _serve(journal, args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    finally:
        journal.close()


def _build_index(journal: Journal) -> None:
    try:
        journal.build_index()
    except JournalError as err:  # the first call will meet it again and report it
        logger.warning("could not index the journal: %s", err)


def _serve(journal: Journal, args: argparse.Namespace) -> int:
    from server.app import build_server

    server = build_server(journal)
    where = "" if args.transport == "stdio" else f" on http://{args.host}:{args.port}/mcp"
    print(
        f"{PROG} {__version__}: journal {journal.path}, durability "
        f"{journal.settings.durability}, transport {args.transport}{where}",
        file=sys.stderr,
        flush=True,
    )
    if args.transport == "stdio":
        server.run()
        return 0
    from server.http import UnsafeBind, serve_http

    try:
        serve_http(server, host=args.host, port=args.port, auth_token=args.auth_token)
    except UnsafeBind as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    return 0
