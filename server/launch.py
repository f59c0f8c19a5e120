"""``task-journal-mcp``: its options, and serving the journal until the client goes away.

The MCP SDK is imported only once the journal is known to be usable: importing it takes
most of a second. Nor the journal library, nor the server's own settings, nor logging:
this module imports them in ``main``.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from server.version import VersionAction, package_version

if TYPE_CHECKING:
    from journal_core import Journal

PROG = "task-journal-mcp"

# Exit statuses, the same classes as task-journal's: 2 for a usage or configuration
# mistake (as argparse does), 3 when the server cannot serve (the journal cannot be
# used, the port is taken), 130 for an interrupt.
EXIT_USAGE = 2
EXIT_UNUSABLE = 3
EXIT_INTERRUPTED = 130

# A request timeout past an hour is a mistake, and far past it overflows the event loop.
_MAX_TIMEOUT_S = 3600.0


_DESCRIPTION = """\
Serve a durable, append-only task journal to MCP clients (Claude Code, Claude Desktop,
Cursor, VS Code). Speaks MCP on stdin/stdout by default; logs go to stderr."""

_EPILOG = f"""\
The journal is --journal, else $TASK_JOURNAL_PATH, else the per-project journal
<data dir>/events/<project hash>.jsonl, the data dir being $TASK_JOURNAL_DATA_DIR,
else $XDG_DATA_HOME/task-journal, else ~/.local/share/task-journal.

exit status (as for task-journal):
  0  the client closed stdin (stdio transport)
  {EXIT_USAGE}  bad option or configuration (as a bad $TASK_JOURNAL_* value), or an HTTP
     setting that would expose the journal
  {EXIT_UNUSABLE}  cannot serve: the journal cannot be opened or created, or the HTTP port
     is in use
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C)"""


def _parser() -> argparse.ArgumentParser:
    from journal_core import DURABILITY_MODES
    from server.limits import HttpLimits

    parser = argparse.ArgumentParser(
        prog=PROG,
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,  # a prefix of a long option is refused, never expanded
    )
    parser.add_argument("--version", action=VersionAction, help="print the version")
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
    limits = HttpLimits()
    parser.add_argument(
        "--max-connections",
        type=_positive_int,
        default=limits.max_connections,
        metavar="N",
        help="streamable-http: open connections at most; more are answered 503 "
        f"(default {limits.max_connections}, fewer if the open-file limit is low)",
    )
    parser.add_argument(
        "--max-sessions",
        type=_positive_int,
        default=limits.max_sessions,
        metavar="N",
        help=f"streamable-http: MCP sessions at most (default {limits.max_sessions})",
    )
    parser.add_argument(
        "--request-timeout",
        type=_positive_seconds,
        default=limits.request_timeout,
        metavar="SECONDS",
        help="streamable-http: time for a request to arrive whole, headers and body; a "
        f"slower one is answered 408 and closed (default {limits.request_timeout:g})",
    )
    parser.add_argument(
        "--log-level",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        default="WARNING",
        help="how much to log on stderr (default WARNING)",
    )
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= _MAX_TIMEOUT_S:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of seconds above 0 and at most {_MAX_TIMEOUT_S}"
        )
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the MCP server until its client goes away; return the exit status."""
    import logging

    from journal_core import Journal, JournalError, Settings
    from server.logs import RepeatFilter

    args = _parser().parse_args(argv)
    stderr = logging.StreamHandler(sys.stderr)
    stderr.addFilter(RepeatFilter())  # an error in a loop is one line a minute, not a flood
    logging.basicConfig(
        handlers=[stderr],
        level=args.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = Settings.from_env(
            journal=args.journal, project_dir=args.project_dir, durability=args.durability
        )
    except JournalError as err:
        return _error(err, EXIT_USAGE)
    journal = Journal(settings)
    try:
        journal.check()  # creates nothing: the first append makes the journal (SPEC 5)
    except JournalError as err:
        return _error(err, EXIT_UNUSABLE)
    try:
        return _serve(journal, args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    finally:
        journal.close()


def _index_in_background(journal: Journal) -> None:
    """Index the journal in a thread, so that a big one does not make the client's first
    call wait; calls that come sooner wait for the index as they would anyway.

    Called only once the SDK is imported and the server built: a build running beside
    those imports holds the GIL and makes initialize several times slower.
    """
    import threading

    if not journal.exists():
        return  # nothing to index, and no index file before the first append (SPEC 5)
    threading.Thread(target=_build_index, args=(journal,), name="index", daemon=True).start()


def _build_index(journal: Journal) -> None:
    import logging

    from journal_core import JournalError

    try:
        journal.build_index()
    except JournalError as err:  # the first call will meet it again and report it
        logging.getLogger(__name__).warning("could not index the journal: %s", err)


def _serve(journal: Journal, args: argparse.Namespace) -> int:
    import logging

    from server.app import build_server
    from server.limits import HttpLimits

    server = build_server(journal)
    if args.transport == "stdio":
        _index_in_background(journal)
        _announce(journal, "stdio")
        try:
            server.run()
        except* BrokenPipeError:
            # The client went away without closing our stdin first: nothing is left to
            # answer, and appends already made are on disk. Not an error worth a traceback.
            logging.getLogger(__name__).info("the client closed the server's stdout; stopping")
        return 0
    from server.http import CannotListen, UnsafeBind, build_http_app, listen, mcp_url, serve_http

    limits = HttpLimits(
        max_connections=args.max_connections,
        max_sessions=args.max_sessions,
        request_timeout=args.request_timeout,
    )
    # Both checks come before the start-up line, which promises a server that is listening.
    try:
        app = build_http_app(server, host=args.host, auth_token=args.auth_token, limits=limits)
    except UnsafeBind as err:
        return _error(err, EXIT_USAGE)
    try:
        sockets = listen(args.host, args.port)
    except CannotListen as err:
        return _error(err, EXIT_UNUSABLE)
    _index_in_background(journal)
    _announce(journal, f"{args.transport} on {mcp_url(args.host, args.port)}")
    serve_http(app, sockets, limits, args.auth_token)
    return 0


def _announce(journal: Journal, transport: str) -> None:
    """The start-up line on stderr: what a client's MCP log shows of this server."""
    print(
        f"{PROG} {package_version()}: journal {journal.path}, durability "
        f"{journal.settings.durability}, transport {transport}",
        file=sys.stderr,
        flush=True,
    )


def _error(err: Exception, status: int) -> int:
    print(f"{PROG}: error: {err}", file=sys.stderr)
    return status
