"""``sync``: share the journal with the team through the project's git remote (SPEC §10)."""

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from journal_core import NoRemote, SyncFailed
from server.cli.command import (
    EXIT_BAD_LINES,
    EXIT_OK,
    PROG,
    AddCommand,
    add_json,
    emit,
    note,
    open_journal,
    settings_of,
    warning_text,
)
from server.cli.render import json_text

if TYPE_CHECKING:
    from journal_core import SyncReport

# A sync that cannot finish (no remote, a push refused, another sync running) exits 1,
# as a check that found something wrong does: nothing was lost, the next sync resumes.
EXIT_SYNC_FAILED = EXIT_BAD_LINES
_LISTED = 10  # skipped lines named one by one on stderr, at most
_DEFAULT_TIMEOUT_S = 600.0
# A session hook waits this long at most for the remote: a slow one never holds a session.
HOOK_TIMEOUT_S = 5.0


def register(add: AddCommand) -> None:
    sync = add(
        "sync",
        "Exchange events with the team through a git remote: send this journal's new "
        "events, take in everyone else's.",
        f"""\
  {PROG} sync
  {PROG} sync --remote upstream --dry-run
  {PROG} sync --remote git@example.com:team/project.git --json
  {PROG} sync --pull        (take in the others' events only; --push: send ours only)

Each journal publishes its own events under refs/task-journal/<replica id> of the
remote and reads every other replica's; no branch, tag, index or work tree of the
repository changes. Events of tasks created with --private stay here. An event
that still holds a credential is not sent (exit 1) unless --allow-secrets.
Exit 1 when the sync could not finish: run it again, nothing is lost or doubled.""",
        _sync,
    )
    sync.add_argument(
        "--remote",
        metavar="NAME|URL",
        default="origin",
        help="a remote of the project's repository, or a URL (default: origin)",
    )
    sync.add_argument(
        "--dry-run",
        action="store_true",
        help="say what would be received and sent; write and push nothing",
    )
    half = sync.add_mutually_exclusive_group()
    half.add_argument(
        "--pull",
        dest="direction",
        action="store_const",
        const="pull",
        default="both",
        help="only take in the other replicas' events (a session's start)",
    )
    half.add_argument(
        "--push",
        dest="direction",
        action="store_const",
        const="push",
        help="only send this journal's new events (a session's end)",
    )
    sync.add_argument(
        "--allow-secrets",
        action="store_true",
        help="send events that still hold a credential (written before masking at append)",
    )
    sync.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=float,
        help="give up after this long (default: 600, or 5 with --hook)",
    )
    sync.add_argument(
        "--hook",
        action="store_true",
        help="as a Claude Code hook: the project from the hook's JSON on stdin, "
        f"--timeout {HOOK_TIMEOUT_S:g} unless given, nothing on stdout, exit 0 whatever "
        "happens, a failure warned about once until a sync succeeds again",
    )
    add_json(sync)


def _sync(args: argparse.Namespace) -> int:
    if args.hook:
        return _hook(args)
    try:
        report = _run(args, Path(args.project_dir or Path.cwd()), args.timeout)
    except SyncFailed as error:
        note(f"error: {error}")
        return EXIT_SYNC_FAILED
    for skipped in report.skipped[:_LISTED]:
        note(
            f"warning: skipped a line of replica {skipped.replica} "
            f"({skipped.where}): {skipped.reason}"
        )
    if len(report.skipped) > _LISTED:
        note(f"warning: and {len(report.skipped) - _LISTED} more lines skipped")
    for conflict in report.conflicts:
        note(
            f"warning: replica {conflict.replica} sent event {conflict.event_id} with other "
            "content than this journal's; kept this journal's"
        )
    if args.json:
        emit(json_text(report))
    else:
        received = f"{'would receive' if report.dry_run else 'received'} {report.received}"
        sent = f"{'would send' if report.dry_run else 'sent'} {report.sent}"
        said = {"both": [received, sent], "pull": [received], "push": [sent]}[report.direction]
        emit(f"{', '.join(said)} ({report.remote})")
    if report.held is not None:
        note(
            f"error: event {report.held.event_id} holds a credential "
            f"({', '.join(report.held.kinds)}); it and the events after it were not sent. "
            f"Send it anyway with `{PROG} sync --allow-secrets`"
        )
        return EXIT_SYNC_FAILED
    return EXIT_OK


def _run(args: argparse.Namespace, project: Path, timeout: float | None) -> "SyncReport":
    from journal_core import sync

    settings = settings_of(args)
    with open_journal(settings) as journal:
        return sync(
            journal,
            project_dir=project,
            remote=args.remote,
            dry_run=args.dry_run,
            allow_secrets=args.allow_secrets,
            timeout=_DEFAULT_TIMEOUT_S if timeout is None else timeout,
            direction=args.direction,
        )


def _hook(args: argparse.Namespace) -> int:
    """A session's sync: bounded in time, silent on stdout (a SessionStart hook's stdout
    is the model's context), never failing the session. A failure is said once: the
    same one again (an unreachable remote, each session) stays quiet until a sync
    succeeds."""
    project = Path(args.project_dir or _hook_cwd(sys.stdin.buffer.read()) or Path.cwd())
    marker = Path(f"{settings_of(args).journal_path}.sync") / "warned"
    try:
        report = _run(args, project, HOOK_TIMEOUT_S if args.timeout is None else args.timeout)
    except NoRemote:
        return EXIT_OK  # a project not shared through git: nothing to sync with
    except Exception as error:  # any failure at all must leave the session alone
        text = warning_text(error)
        try:
            said = marker.read_text()
        except OSError:
            said = ""
        if said != text:
            note(f"warning: sync: {text}; the session goes on without it")
            with contextlib.suppress(OSError):
                marker.write_text(text)
        return EXIT_OK
    with contextlib.suppress(OSError):
        marker.unlink()
    if report.held is not None:
        note(f"warning: sync: event {report.held.event_id} holds a credential; not sent")
    return EXIT_OK


def _hook_cwd(stdin: bytes) -> str | None:
    try:
        payload = json.loads(stdin)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    cwd = payload.get("cwd") if isinstance(payload, dict) else None
    return cwd if isinstance(cwd, str) and os.path.isdir(cwd) else None
