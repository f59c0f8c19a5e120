"""``task-journal statusline``: one line for Claude Code's status bar (SPEC §9).

Claude Code runs it at every redraw of the bar, so it must answer in well under 100 ms
on a journal of a million events, and never fail: a problem is one warning on stderr
and exit status 0. Most of that time would be start-up, msgspec alone taking 40 ms to
import; so when the index already holds the whole journal, the open tasks are read from
it directly (``journal_core.index.state``) and neither msgspec nor the store is loaded.
Otherwise (lines appended since it was caught up) ``Journal`` answers, catching the
index up first, as every other reader does; unless the index lacks more of the journal
than a status line can wait for (no index yet on a big journal): then it says it is
indexing, and a background process builds the index (``server.cli.background``).
"""

import argparse
import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path

from journal_core import (
    current_open_tasks,
    durability_of,
    lock_timeout_of,
    resolve_journal_path,
    sync_status,
    visible,
)
from server.cli.background import index_far_behind
from server.cli.command import (
    EXIT_OK,
    PROG,
    AddCommand,
    emit,
    note,
    show_library_warnings,
    warning_text,
)

STALE_DAYS = 7
"""A task idle this many days or more counts as stale (the Rust tool's default)."""


def register(add: AddCommand) -> None:
    statusline = add(
        "statusline",
        "Print one line for Claude Code's status bar: the latest open task and counts.",
        f"""\
  {PROG} statusline      # [tj-x9rz1f0k2m · open: 3 · stale: 1]
  {PROG} install-hooks --statusline

"stale" counts the open tasks idle for {STALE_DAYS} days or more; "unsent" (shown once
the journal was synced) the events not yet sent by `{PROG} sync`. Prints nothing when
there is no journal; on any problem, a warning on stderr and still exit status 0.""",
        _statusline,
    )
    # Set up only if the journal library is loaded (see _open_tasks).
    statusline.set_defaults(library_warnings=False)


def days_idle(last_event_at: str, now: dt.datetime) -> int:
    """Whole days from ``last_event_at`` (RFC 3339) to ``now``; 0 for a time in the future
    or one that is not RFC 3339 (a foreign writer's), which never makes a task stale."""
    try:
        last = dt.datetime.fromisoformat(last_event_at)
    except ValueError:
        return 0
    if last.tzinfo is None:
        return 0
    return max((now - last).days, 0)


def _statusline(args: argparse.Namespace) -> int:
    try:
        line = _status_text(args)
    except Exception as err:  # a broken status bar helps nobody
        note(f"warning: statusline: {warning_text(err)}")
        return EXIT_OK
    if line:
        emit(line)
    return EXIT_OK


def _status_text(args: argparse.Namespace) -> str:
    path = resolve_journal_path(args.journal, args.project_dir)
    if not os.path.lexists(path):
        return ""
    now = dt.datetime.now(dt.UTC)
    tasks = _open_tasks(args, path)
    if tasks is None:
        return "[task-journal: indexing the journal…]"
    stale = sum(1 for _, last_event_at in tasks if days_idle(last_event_at, now) >= STALE_DAYS)
    parts = [f"open: {len(tasks)}", f"stale: {stale}"]
    if tasks:
        parts.insert(0, visible(tasks[0][0]))
    synced = sync_status(path)
    if synced is not None and synced.unsent:
        parts.append(f"unsent: {synced.unsent}{'+' if synced.unsent_at_least else ''}")
    return "[" + " · ".join(parts) + "]"


def _open_tasks(args: argparse.Namespace, path: Path) -> Sequence[tuple[str, str]] | None:
    """``(task id, last event time)`` of the open tasks, the most recently active first;
    ``None`` when the index is too far behind to catch up now (a background process
    does it)."""
    # Refused as every command refuses them, though reading needs neither.
    durability_of(args.durability or os.environ.get("TASK_JOURNAL_DURABILITY"))
    lock_timeout_of(os.environ.get("TASK_JOURNAL_LOCK_TIMEOUT"))
    quick = current_open_tasks(path)
    if quick is not None:
        return quick
    if index_far_behind(path):
        return None
    from server.cli.command import open_journal, settings_of, task_pages

    show_library_warnings()
    with open_journal(settings_of(args)) as journal:
        return [
            (task.task_id, task.last_event_at)
            for page in task_pages(journal, status="open")
            for task in page.tasks
        ]
