"""The Rust ``task-journal`` tool's task commands, with its words and flags.

``create``, ``event``, ``close``, ``reopen``, ``goal`` and ``external`` write one event
each; ``stale`` lists the open tasks nobody touched for days. Scripts and hooks written
for the Rust tool call these as they are, so the flags and what is printed (the new
task's id for ``create``, the event's id for the others) follow it. What the Rust tool
keeps only in its SQLite state (a goal, an outcome, external references) goes into the
event's ``meta`` here, so that rebuilding any index from the journal loses nothing.
"""

import argparse
import datetime as dt
from typing import Any

from journal_core import (
    EVENT_TYPES,
    OUTCOME_TAGS,
    InvalidEvent,
    InvalidQuery,
    Journal,
    new_event,
)
from server.cli.command import (
    EXIT_OK,
    PROG,
    AddCommand,
    add_json,
    emit,
    note,
    open_journal,
    settings_of,
)
from server.cli.idle import IdleTask, idle_tasks
from server.cli.render import json_text

# What the Rust tool writes for events typed at its command line.
_AUTHOR = "user"
_SOURCE = "cli"


def register(add: AddCommand) -> None:
    create = add(
        "create",
        "Start a task: write its open event and print the new task's id.",
        f"""\
  {PROG} create "Fix the flaky upload test" --goal "CI green ten runs in a row"
  task=$({PROG} create "Port the importer")  # the id alone on stdout""",
        _create,
    )
    create.add_argument("title", metavar="TITLE", help="the task's title (one line)")
    create.add_argument("--goal", help="one sentence: what the task is to achieve")
    create.add_argument("--context", help="the open event's text (default: the title)")
    create.add_argument("--parent", metavar="TASK_ID", help="make it a subtask of this task")
    _add_author(create)

    event = add(
        "event",
        "Append one event to a task and print its event id (the Rust tool's form).",
        f"""\
  {PROG} event tj-8f3k2m9q1z --type decision --text "Keep the sidecar lock"
  {PROG} event tj-8f3k2m9q1z --type correction --text "It was 30 s" \\
      --corrects 01KMZ3T4J8Q7W2E5R6T7Y8V9H0

For every other option (refs, meta, confidence, stdin text) use '{PROG} append'.""",
        _event,
    )
    event.add_argument("task", metavar="TASK_ID", help="the task")
    event.add_argument(
        "--type", required=True, metavar="TYPE", help=f"one of: {' '.join(EVENT_TYPES[1:])}"
    )
    event.add_argument("--text", required=True, help="what happened")
    event.add_argument("--corrects", metavar="EVENT_ID", help="the event this one corrects")
    event.add_argument("--supersedes", metavar="EVENT_ID", help="the event this one replaces")
    _add_author(event)

    close = add(
        "close",
        "Close a task with its outcome; print the close event's id.",
        f"""\
  {PROG} close tj-8f3k2m9q1z --outcome "Merged in #42" --outcome-tag done
  {PROG} close tj-8f3k2m9q1z --outcome-tag abandoned --reason "Upstream fixed it\"""",
        _close,
    )
    close.add_argument("task", metavar="TASK_ID", help="the task")
    close.add_argument("--outcome", help="one line: what shipped, or why it stopped")
    close.add_argument("--outcome-tag", metavar="TAG", help=" | ".join(OUTCOME_TAGS))
    close.add_argument("--reason", help="why it is closed now")
    _add_author(close)

    reopen = add(
        "reopen",
        "Reopen a closed task; print the reopen event's id.",
        f"""\
  {PROG} reopen tj-8f3k2m9q1z --reason "The upload test fails again on main\"""",
        _reopen,
    )
    reopen.add_argument("task", metavar="TASK_ID", help="the task")
    reopen.add_argument("--reason", help="one line: why it is back")
    _add_author(reopen)

    goal = add(
        "goal",
        "Set a task's goal (a redirect event with meta.goal); print its event id.",
        f"""\
  {PROG} goal tj-8f3k2m9q1z "CI green ten runs in a row\"""",
        _goal,
    )
    goal.add_argument("task", metavar="TASK_ID", help="the task")
    goal.add_argument("text", metavar="GOAL", help="one sentence: what the task is to achieve")
    _add_author(goal)

    external = add(
        "external",
        "Tie a task to something outside the journal (an issue, a PR); print the event's id.",
        f"""\
  {PROG} external tj-8f3k2m9q1z --add github:#42
  {PROG} external tj-8f3k2m9q1z --add jira:UPL-7

Written as a finding whose meta.external lists the reference.""",
        _external,
    )
    external.add_argument("task", metavar="TASK_ID", help="the task")
    external.add_argument(
        "--add", required=True, metavar="REF", help="the reference, like github:#42"
    )
    _add_author(external)

    stale = add(
        "stale",
        "List open tasks with no event for DAYS days or more, longest idle first.",
        f"""\
  {PROG} stale
  {PROG} stale --days 30 --json | jq -r '.tasks[].task_id'

Close the abandoned ones with: {PROG} close TASK_ID --outcome-tag abandoned --reason WHY""",
        _stale,
    )
    stale.add_argument(
        "--days", type=_days, default=7, help="idle for at least this many days (default 7)"
    )
    add_json(stale)


def _add_author(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--author", default=_AUTHOR, help="user (default), agent, classifier or hook"
    )
    add_json(parser)


def _days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from None
    if days < 0:
        raise argparse.ArgumentTypeError(f"{days} is negative; give 0 or more days")
    return days


def _write(args: argparse.Namespace, *, print_task: bool = False, **fields: Any) -> int:
    """Build the event from ``fields``, append it, print its id (or the result with --json)."""
    settings = settings_of(args)
    event = new_event(author=args.author, source=_SOURCE, limits=settings.limits, **fields)
    with open_journal(settings, create=True) as journal:
        if "parent_id" in event.meta:
            _require_task(journal, event.meta["parent_id"], "--parent")
        result = journal.append(event)
    if args.json:
        emit(json_text(result))
    else:
        emit(result.task_id if print_task else result.event_id)
    return EXIT_OK


def _require_task(journal: Journal, task_id: str, flag: str) -> None:
    """Refuse a task id that names no task of this journal (before anything is written)."""
    try:
        found = journal.read_events(task_id=task_id, types=["open"], limit=1).events
    except InvalidQuery:  # a task with no events at all
        found = []
    if not found:
        raise InvalidEvent(flag, f"no task {task_id!r} in this journal; see '{PROG} tasks'")


def _create(args: argparse.Namespace) -> int:
    return _write(
        args,
        print_task=True,
        type="open",
        text=args.context if args.context is not None else args.title,
        title=args.title,
        goal=args.goal,
        meta=None if args.parent is None else {"parent_id": args.parent},
    )


def _event(args: argparse.Namespace) -> int:
    return _write(
        args,
        type=args.type,
        text=args.text,
        task_id=args.task,
        corrects=args.corrects,
        supersedes=args.supersedes,
    )


def _close(args: argparse.Namespace) -> int:
    meta = {
        key: value
        for key, value in (
            ("outcome", args.outcome),
            ("outcome_tag", args.outcome_tag),
            ("reason", args.reason),
        )
        if value is not None
    }
    text = args.outcome or args.reason or f"Closed ({args.outcome_tag or 'no outcome given'})"
    return _write(args, type="close", text=text, task_id=args.task, meta=meta)


def _reopen(args: argparse.Namespace) -> int:
    meta = {} if args.reason is None else {"reason": args.reason}
    return _write(args, type="reopen", text=args.reason or "Reopened", task_id=args.task, meta=meta)


def _goal(args: argparse.Namespace) -> int:
    return _write(
        args,
        type="redirect",
        text=f"Goal: {args.text}",
        task_id=args.task,
        goal=args.text,
    )


def _external(args: argparse.Namespace) -> int:
    return _write(
        args,
        type="finding",
        text=f"External reference: {args.add}",
        task_id=args.task,
        meta={"external": [args.add]},
    )


def _stale(args: argparse.Namespace) -> int:
    now = dt.datetime.now(dt.UTC)
    with open_journal(settings_of(args)) as journal:
        stale = [task for task in idle_tasks(journal, now) if task.days_idle >= args.days]
    stale.sort(key=lambda task: task.days_idle, reverse=True)
    if args.json:
        emit(json_text({"days": args.days, "tasks": stale}))
        return EXIT_OK
    if not stale:
        note(f"no stale tasks: every open task had an event in the last {args.days} days")
        return EXIT_OK
    for line in _stale_lines(stale):
        emit(line)
    note(f"close the abandoned ones with: {PROG} close TASK_ID --outcome-tag abandoned")
    return EXIT_OK


def _stale_lines(tasks: list[IdleTask]) -> list[str]:
    width = max(len(task.task_id) for task in tasks)
    days_width = max(len(str(task.days_idle)) for task in tasks)
    return [
        f"{task.task_id:<{width}}  {task.days_idle:>{days_width}} days idle  "
        f"{task.last_event_at}  {task.title or '(untitled)'}"
        for task in tasks
    ]
