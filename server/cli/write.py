"""``append``: the one command that writes an event, for people, scripts and hooks."""

import argparse
import json
import sys
from typing import Any

from journal_core import (
    AUTHORS,
    EVENT_TYPES,
    EVIDENCE_STRENGTHS,
    SOURCES,
    STATUSES,
    InvalidEvent,
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
from server.cli.render import json_text


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
    parser.add_argument("type", metavar="TYPE", help=f"one of: {' '.join(EVENT_TYPES)}")
    parser.add_argument("text", metavar="TEXT", help='what happened; "-" reads it from stdin')
    parser.add_argument(
        "--task", metavar="TASK_ID", help="the task (leave out with TYPE open for a new one)"
    )
    parser.add_argument("--title", help="the task's title (with open)")
    parser.add_argument(
        "--goal", help="what the task is for, in one sentence (with open, or redirect)"
    )
    parser.add_argument("--author", default="agent", help=f"{', '.join(AUTHORS)} (default: agent)")
    parser.add_argument("--source", default="cli", help=f"{', '.join(SOURCES)} (default: cli)")
    for kind, what in (("file", "a file"), ("commit", "a commit"), ("event", "an event id")):
        parser.add_argument(
            f"--ref-{kind}",
            dest=f"ref_{kind}s",
            metavar=kind.upper(),
            action="append",
            help=f"{what} this event refers to (repeatable)",
        )
    parser.add_argument("--meta", metavar="JSON", help="a JSON object of extra fields")
    parser.add_argument("--corrects", metavar="EVENT_ID", help="the event this one corrects")
    parser.add_argument("--supersedes", metavar="EVENT_ID", help="the event this one replaces")
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


def _event_text(text: str) -> str:
    if text != "-":
        return text
    try:
        # A trailing newline is how echo and heredocs end text, not part of it.
        return sys.stdin.buffer.read().decode("utf-8").rstrip("\n")
    except UnicodeDecodeError as err:
        raise InvalidEvent("text", f"stdin is not valid UTF-8 ({err.reason})") from err


def _meta(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as err:
        raise InvalidEvent("meta", f"--meta is not valid JSON: {err}") from err
    if not isinstance(meta, dict):
        raise InvalidEvent("meta", 'must be a JSON object, like \'{"reason": "..."}\'')
    return meta


def _append(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    refs = {
        key: values
        for key, values in (
            ("files", args.ref_files),
            ("commits", args.ref_commits),
            ("events", args.ref_events),
        )
        if values
    }
    event = new_event(
        type=args.type,
        text=_event_text(args.text),
        task_id=args.task,
        title=args.title,
        goal=args.goal,
        author=args.author,
        source=args.source,
        refs=refs or None,
        meta=_meta(args.meta),
        corrects=args.corrects,
        supersedes=args.supersedes,
        confidence=args.confidence,
        evidence_strength=args.evidence_strength,
        status=args.status,
        idempotency_key=args.idempotency_key,
        limits=settings.limits,
    )
    with open_journal(settings, create=True) as journal:
        result = journal.append(event)
    if args.json:
        emit(json_text(result))
    else:
        emit(f"{result.event_id} {result.task_id}")
        if result.duplicate:
            note(
                "idempotency key already used: nothing was written; these are the first event's ids"
            )
    return EXIT_OK
