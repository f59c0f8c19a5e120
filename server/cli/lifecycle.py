"""The Rust ``task-journal`` tool's task commands, with its words and flags.

``create``, ``event``, ``close``, ``reopen``, ``goal`` and ``external`` write one event
each. Scripts and hooks written for the Rust tool call these as they are, so the flags
and what is printed (the new task's id for ``create``, the event's id for the others)
follow it. What the Rust tool keeps only in its SQLite state (a goal, an outcome,
external references) goes into the event's ``meta`` here, so that rebuilding any index
from the journal loses nothing.
"""

import argparse
from typing import Any

from journal_core import EVENT_TYPES, OUTCOME_TAGS, new_event
from server.cli.arguments import BadArgument
from server.cli.command import (
    CLI_SOURCE,
    EXIT_OK,
    PROG,
    AddCommand,
    add_author,
    add_json,
    emit,
    open_journal,
    settings_of,
)
from server.cli.ids import TASK_HELP, UnknownTaskId, resolve_event, resolve_task
from server.cli.render import json_text, visible


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
    # field_flags: what each command's errors call the core's fields (words.error_text).
    create.set_defaults(
        field_flags={"title": "TITLE", "meta.title": "TITLE", "text": "TITLE or --context"}
    )
    create.add_argument("--goal", help="one sentence: what the task is to achieve")
    create.add_argument(
        "--private",
        action="store_true",
        help="keep the task on this machine: sync never sends its events (meta.private)",
    )
    create.add_argument("--context", help="the open event's text (default: the title)")
    create.add_argument(
        "--parent", metavar="TASK", help=f"make it a subtask of this task: {TASK_HELP}"
    )
    _add_author(create)

    event = add(
        "event",
        "Append one event to a task and print its event id (the Rust tool's form).",
        f"""\
  {PROG} event tj-8f3k2m9q1z --type decision --text "Keep the sidecar lock"
  {PROG} event tj-8f3k --type correction --text "It was 30 s" --corrects 01KMZ3T4J8Q7

For every other option (refs, meta, confidence, stdin text) use '{PROG} append'.""",
        _event,
    )
    event.add_argument("task", metavar="TASK", help=TASK_HELP)
    event.set_defaults(field_flags={"type": "--type", "text": "--text"})
    event.add_argument(
        "--type", required=True, metavar="TYPE", help=f"one of: {' '.join(EVENT_TYPES[1:])}"
    )
    event.add_argument("--text", required=True, help="what happened")
    for flag, what in (("--corrects", "corrects"), ("--supersedes", "replaces")):
        event.add_argument(
            flag,
            metavar="EVENT",
            help=f"the event this one {what}: its id, or a unique start of it (as show prints)",
        )
    _add_author(event)

    close = add(
        "close",
        "Close a task with its outcome; print the close event's id.",
        f"""\
  {PROG} close tj-8f3k2m9q1z --outcome "Merged in #42" --outcome-tag done
  {PROG} close tj-8f3k2m9q1z --outcome-tag abandoned --reason "Upstream fixed it\"""",
        _close,
    )
    close.add_argument("task", metavar="TASK", help=TASK_HELP)
    close.set_defaults(
        field_flags={
            "text": "--outcome",
            "meta.outcome": "--outcome",
            "meta.outcome_tag": "--outcome-tag",
            "meta.reason": "--reason",
        }
    )
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
    reopen.add_argument("task", metavar="TASK", help=TASK_HELP)
    reopen.set_defaults(field_flags={"text": "--reason", "meta.reason": "--reason"})
    reopen.add_argument("--reason", help="one line: why it is back")
    _add_author(reopen)

    goal = add(
        "goal",
        "Set a task's goal (a redirect event with meta.goal); print its event id.",
        f"""\
  {PROG} goal tj-8f3k2m9q1z "CI green ten runs in a row\"""",
        _goal,
    )
    goal.add_argument("task", metavar="TASK", help=TASK_HELP)
    goal.set_defaults(field_flags={"text": "GOAL", "goal": "GOAL", "meta.goal": "GOAL"})
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
    external.add_argument("task", metavar="TASK", help=TASK_HELP)
    external.set_defaults(field_flags={"meta.external": "--add"})
    external.add_argument(
        "--add", required=True, metavar="REF", help="the reference, like github:#42"
    )
    _add_author(external)


def _add_author(parser: argparse.ArgumentParser) -> None:
    add_author(parser)
    add_json(parser)


def _write(
    args: argparse.Namespace,
    *,
    print_task: bool = False,
    events: tuple[tuple[str, str | None], ...] = (),
    **fields: Any,
) -> int:
    """Build the event from ``fields``, append it, print its id (or the result with --json).

    ``fields["task_id"]`` and ``meta.parent_id`` may be a unique start of a task id, and
    ``events`` pairs each event-id field with what was typed for it; all are looked up
    before anything is written, so a refused command does not even create the journal.
    """
    settings = settings_of(args)
    with open_journal(settings) as journal:
        if fields.get("task_id") is not None:
            fields["task_id"] = resolve_task(journal, fields["task_id"])
        meta = fields.get("meta")
        if meta and "parent_id" in meta:
            try:
                meta["parent_id"] = resolve_task(journal, meta["parent_id"])
            except UnknownTaskId as err:
                raise BadArgument("--parent", f"names {err}") from err
        for field, given in events:
            if given is not None:
                flag = "--" + field
                fields[field] = resolve_event(journal, given, flag, fields.get("task_id"))
        event = new_event(author=args.author, source=CLI_SOURCE, limits=settings.limits, **fields)
        journal.open()
        result = journal.append(event)
    if args.json:
        emit(json_text(result))
    else:
        emit(visible(result.task_id if print_task else result.event_id))
    return EXIT_OK


def _create(args: argparse.Namespace) -> int:
    return _write(
        args,
        print_task=True,
        type="open",
        text=args.context if args.context is not None else args.title,
        title=args.title,
        goal=args.goal,
        meta={
            **({} if args.parent is None else {"parent_id": args.parent}),
            **({"private": True} if args.private else {}),
        }
        or None,
    )


def _event(args: argparse.Namespace) -> int:
    if args.type == "open":
        # The core's refusal would speak of --task, which this command does not have.
        raise BadArgument("--type", f"open starts a new task: use `{PROG} create TITLE`")
    return _write(
        args,
        type=args.type,
        text=args.text,
        task_id=args.task,
        events=(("corrects", args.corrects), ("supersedes", args.supersedes)),
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
    if not args.add.strip():
        raise BadArgument("--add", "must not be empty; give a reference like github:#42")
    return _write(
        args,
        type="finding",
        text=f"External reference: {args.add}",
        task_id=args.task,
        meta={"external": [args.add]},
    )
