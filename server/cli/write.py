"""``append``: the one command that writes an event, for people, scripts and hooks."""

import argparse
import sys

from journal_core import (
    EVENT_TYPES,
    EVIDENCE_STRENGTHS,
    SOURCES,
    STATUSES,
    InvalidEvent,
    Journal,
    TaskAlreadyOpen,
    did_you_mean,
    fold_lines,
    new_event,
)
from server.cli.arguments import BadArgument, json_object
from server.cli.command import (
    CLI_SOURCE,
    EXIT_OK,
    PROG,
    AddCommand,
    add_author,
    add_json,
    emit,
    note,
    open_journal,
    settings_of,
)
from server.cli.ids import resolve_event, resolve_task
from server.cli.render import json_text, visible


def register(add: AddCommand) -> None:
    _add_append_options(
        add(
            "append",
            "Append one event to the journal.",
            f"""\
  {PROG} append open "Port the importer to msgspec" --title "msgspec importer" \\
      --goal "Decode the importer's input with msgspec structs"
  {PROG} append decision "Keep the sidecar lock" --task tj-8f3k2m9q1z --ref-file writer.py
  git log -1 --format=%B | {PROG} append finding - --task tj-8f3k2m9q1z --author hook
  {PROG} append close "Merged" --task tj-8f3k2m9q1z --meta '{{"outcome_tag": "done"}}'

Prints "<event id> <task id>", or the whole result with --json. Repeating an append
with the same --idempotency-key writes nothing and prints the first event's ids.
The Rust tool's form, '{PROG} event TASK_ID --type TYPE --text TEXT', is 'event'.""",
            _append,
        )
    )


def _add_append_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "type", metavar="TYPE", type=event_type, help=f"one of: {' '.join(EVENT_TYPES)}"
    )
    parser.add_argument("text", metavar="TEXT", help='what happened; "-" reads it from stdin')
    parser.add_argument(
        "--task",
        metavar="TASK",
        help="the task: its id or a unique start of it (leave out with TYPE open for a new task)",
    )
    parser.add_argument("--title", help="the task's title (with open)")
    parser.add_argument(
        "--goal", help="what the task is for, in one sentence (with open, or redirect)"
    )
    add_author(parser)
    parser.add_argument(
        "--source", default=CLI_SOURCE, help=f"{', '.join(SOURCES)} (default: {CLI_SOURCE})"
    )
    for kind, what in (
        ("file", "a file"),
        ("commit", "a commit"),
        ("event", "an event (its id, or a unique start of it)"),
    ):
        parser.add_argument(
            f"--ref-{kind}",
            dest=f"ref_{kind}s",
            metavar=kind.upper(),
            action="append",
            help=f"{what} this event refers to (repeatable)",
        )
    parser.add_argument("--meta", metavar="JSON", help="a JSON object of extra fields")
    parser.add_argument(
        "--private",
        action="store_true",
        help="with open: keep the task on this machine, never sent by sync (meta.private)",
    )
    parser.add_argument(
        "--corrects",
        metavar="EVENT",
        help="the event this one corrects: its id, or a unique start of it (as show prints)",
    )
    parser.add_argument(
        "--supersedes", metavar="EVENT", help="the event this one replaces (id or unique start)"
    )
    parser.add_argument("--confidence", metavar="0..1", type=float, help="0.0 to 1.0")
    parser.add_argument(
        "--evidence-strength", metavar="STRENGTH", help=", ".join(EVIDENCE_STRENGTHS)
    )
    parser.add_argument(
        "--status", default="confirmed", help=f"{', '.join(STATUSES)} (default: confirmed)"
    )
    parser.add_argument(
        "--idempotency-key",
        metavar="KEY",
        help="appending again with this key writes nothing and returns the first event",
    )
    add_json(parser)


def event_type(text: str) -> str:
    """argparse ``type`` for an event type: says so when TYPE is what is wrong.

    ``append "some text"`` gives the text as TYPE; the error must be about TYPE, not
    about a missing TEXT.
    """
    if text in EVENT_TYPES:
        return text
    raise argparse.ArgumentTypeError(
        f"{text!r} is not an event type{did_you_mean(text, EVENT_TYPES)}; "
        f"give one of {', '.join(EVENT_TYPES)} before the text"
    )


def _event_text(text: str) -> str:
    if text != "-":
        return text
    try:
        # A trailing newline is how echo and heredocs end text, not part of it.
        return sys.stdin.buffer.read().decode("utf-8").rstrip("\n")
    except UnicodeDecodeError as err:
        raise InvalidEvent("text", f"stdin is not valid UTF-8 ({err.reason})") from err


def _already_open(journal: Journal, task_id: str) -> BadArgument:
    """An ``open`` of a task opened before, said according to the task's state now."""
    _, fold = fold_lines(task_id, journal.task_events(task_id))
    if fold.state.status == "closed":
        return BadArgument(
            "--task",
            f"{task_id} names a task that was opened before and is closed; to work on it "
            f'again, `{PROG} append reopen "why" --task {task_id}`',
        )
    return BadArgument(
        "--task",
        f"{task_id} names a task that is already open; add events to it with another "
        "TYPE, or leave out --task to start a new task",
    )


def _append(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    if args.type != "open" and args.task is None:
        raise BadArgument(
            "--task",
            f"is missing: a {args.type} belongs to a task; name it with --task "
            f"(`{PROG} tasks` lists them), or start a task with `{PROG} append open TEXT`",
        )
    refs = {}
    for key, flag, values in (
        ("files", "--ref-file", args.ref_files),
        ("commits", "--ref-commit", args.ref_commits),
        ("events", "--ref-event", args.ref_events),
    ):
        if values and not all(value.strip() for value in values):
            raise BadArgument(flag, "must not be empty")
        if values:
            refs[key] = values
    text = _event_text(args.text)
    meta = None if args.meta is None else json_object("--meta", args.meta)
    if args.private:
        meta = {**(meta or {}), "private": True}
    # Ids typed short are looked up before the event is built (its checks want whole
    # ids), in a journal not yet created: a refused append must not create one.
    with open_journal(settings) as journal:
        task_id = args.task
        if task_id is not None and args.type != "open":
            task_id = resolve_task(journal, task_id)
        corrects, supersedes = (
            None if given is None else resolve_event(journal, given, flag, task_id)
            for given, flag in ((args.corrects, "--corrects"), (args.supersedes, "--supersedes"))
        )
        if "events" in refs:
            refs["events"] = [
                resolve_event(journal, given, "--ref-event", task_id) for given in refs["events"]
            ]
        event = new_event(
            type=args.type,
            text=text,
            task_id=task_id,
            title=args.title,
            goal=args.goal,
            author=args.author,
            source=args.source,
            refs=refs or None,
            meta=meta,
            corrects=corrects,
            supersedes=supersedes,
            confidence=args.confidence,
            evidence_strength=args.evidence_strength,
            status=args.status,
            idempotency_key=args.idempotency_key,
            limits=settings.limits,
        )
        journal.open()
        try:
            result = journal.append(event)
        except TaskAlreadyOpen as err:
            raise _already_open(journal, err.task_id) from err
    if args.json:
        emit(json_text(result))
    else:
        # A repeated key answers with the first event's ids, which any writer may have
        # written: shown, like all human output, with controls made visible.
        emit(visible(f"{result.event_id} {result.task_id}"))
        if result.duplicate:
            note(
                "idempotency key already used: nothing was written; these are the first event's ids"
            )
    return EXIT_OK
