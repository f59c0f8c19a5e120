"""Claude Code's hooks (SPEC §9), and ``capture`` for any other agent.

Every hook reads the JSON Claude Code sends on stdin and never fails the session: any
problem is one warning on stderr and exit status 0. ``post-tool-use`` runs after every
tool call, so it touches neither the journal's lock nor its index: it appends to a
spool file (``journal_core.capture``). ``stop``, ``session-end`` and ``pre-compact``
turn the spool into one suggested finding; ``user-prompt-submit`` recalls what was
turned down before; ``session-start`` briefs the session.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

# Not server.cli.command: no hook loads argparse, and post-tool-use not the journal.
from server.cli.output import EXIT_OK, EXIT_REFUSED, PROG, emit, note, warning_text

if TYPE_CHECKING:
    import argparse

    from journal_core import Journal, Settings
    from server.cli.command import AddCommand

    # A hook's options (--journal, --project-dir, --durability) and the hook's JSON.
    Hook = Callable[[object, dict[str, Any]], None]

# The resume briefing's budget, as SPEC §8 sets it for the resume prompt.
_BRIEFING_TOKENS = 1500
# Claude Code keeps about this much of a hook's additionalContext.
_CONTEXT_CHARS = 10_000
# A flush waits this long at most for a busy journal: the session is waiting.
_HOOK_LOCK_TIMEOUT = 2.0
# Past this, stdin is not a hook's JSON (a Write's tool_response may hold a big file).
_MAX_STDIN = 64 << 20
# The journal's text follows inside data_block's block, which says it is data (SPEC 9).
_BRIEFING_HEAD = (
    "Task journal of this project (task-journal), for context: the open tasks recorded "
    "in earlier sessions, and the one this session most likely continues; use it if it "
    "helps with what the user asks.\n\n"
)
_REINJECT_HEAD = (
    "Task journal (task-journal), for context after the conversation was {what}: the "
    "task this session was on.\n\n"
)
_REINJECTED = {"compact": "compacted", "resume": "resumed", "clear": "cleared"}
# What the briefing says while the index is built in the background.
_INDEXING = (
    "The journal's index is being built in the background, so the open tasks are not "
    "listed this time; list_tasks and task_pack show them once it is done."
)


def register(add: AddCommand) -> None:
    import argparse

    from server.cli.command import add_journal_options

    hook = add(
        "hook",
        "Entry points for Claude Code hooks: briefing, recall and capture.",
        f"""\
  echo '{{"cwd": "'$PWD'", "hook_event_name": "SessionStart"}}' | {PROG} hook session-start
  {PROG} install-hooks     # puts them into ~/.claude/settings.json""",
        _usage,
    )
    events = hook.add_subparsers(title="hooks", metavar="HOOK", required=True)
    for name, (run, summary) in _HOOKS.items():
        sub = events.add_parser(
            name,
            help=summary,
            description=summary + " Reads Claude Code's hook JSON on stdin; always exits 0.",
            epilog=f'examples:\n  echo \'{{"cwd": "\'$PWD\'", "session_id": "s1"}}\' | '
            f"{PROG} hook {name}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        add_journal_options(sub, default=argparse.SUPPRESS)
        sub.set_defaults(run=_hook_runner(name, run))

    capture = add(
        "capture",
        "Record what an agent did (files, commits, test runs) from JSON on stdin; any "
        "agent's hook can feed it.",
        f"""\
  echo '{{"file": "src/app.py"}}' | {PROG} capture --session s1
  echo '{{"test": "failed", "summary": "2 failed, 10 passed"}}' | {PROG} capture --session s1
  {PROG} capture --session s1 --flush < /dev/null   # one suggested finding on the task in hand

stdin: one JSON record per line, or a JSON list of them: {{"file": PATH}},
{{"commit": ID}}, {{"test": "passed"|"failed", "summary": LINE}}, {{"task": TASK_ID}}.
See docs/hooks.md.""",
        _capture,
    )
    capture.add_argument("--session", required=True, help="the session the records belong to")
    capture.add_argument("--flush", action="store_true", help="then write the session's finding")
    capture.add_argument(
        "--end", action="store_true", help="then write the finding and forget the session"
    )


def run_bare(name: str) -> int | None:
    """Run hook ``name`` with no options given (as Claude Code runs it), without the
    parser; None when there is no such hook."""
    found = _HOOKS.get(name)
    if found is None:
        return None
    return _hook_runner(name, found[0])(SimpleNamespace())


def _usage(args: argparse.Namespace) -> int:
    note("error: name the hook, as in 'hook session-start' (see 'task-journal hook --help')")
    return EXIT_REFUSED


def _hook_runner(name: str, run: Hook) -> Callable[[object], int]:
    def hook(args: object) -> int:
        try:
            data = sys.stdin.buffer.read(_MAX_STDIN + 1)
            if len(data) > _MAX_STDIN:
                raise _BadPayload(f"stdin is over {_MAX_STDIN >> 20} MiB")
            run(args, _hook_payload(data))
        except Exception as err:  # any failure at all must leave the session alone
            note(f"warning: {name} hook: {warning_text(err)}; nothing done this time")
        return EXIT_OK

    return hook


class _BadPayload(Exception):
    """The hook's stdin is not the JSON Claude Code sends."""


def _hook_payload(stdin: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(stdin)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise _BadPayload(f"stdin is not the hook's JSON ({err})") from None
    if not isinstance(payload, dict):
        raise _BadPayload("stdin is not a JSON object")
    cwd = payload.get("cwd")
    if not isinstance(cwd, str) or not cwd:
        raise _BadPayload("the hook's JSON has no 'cwd'")
    if not os.path.isdir(cwd):
        raise _BadPayload(f"the hook's cwd {cwd!r} is not a folder")
    return payload


def _session_id(payload: Mapping[str, Any]) -> str | None:
    value = payload.get("session_id")
    return value if isinstance(value, str) and value else None


def _journal_path(args: object, payload: Mapping[str, Any]) -> Path:
    from journal_core import resolve_journal_path

    project_dir = getattr(args, "project_dir", None) or payload["cwd"]
    return resolve_journal_path(getattr(args, "journal", None), project_dir)


def _settings(args: object, payload: Mapping[str, Any]) -> Settings:
    """The journal's settings, for a hook that opens the journal (its warnings shown
    as the command line shows them)."""
    import msgspec

    from server.cli.output import show_library_warnings

    show_library_warnings()

    from journal_core import Settings

    project_dir = getattr(args, "project_dir", None) or payload["cwd"]
    settings = Settings.from_env(
        journal=getattr(args, "journal", None),
        project_dir=project_dir,
        durability=getattr(args, "durability", None),
    )
    return msgspec.structs.replace(
        settings, lock_timeout=min(settings.lock_timeout, _HOOK_LOCK_TIMEOUT)
    )


def _context(event: str, text: str) -> None:
    output = {"hookSpecificOutput": {"hookEventName": event, "additionalContext": text}}
    emit(json.dumps(output, ensure_ascii=False))


def _in_hand(journal: Journal, payload: Mapping[str, Any]) -> str | None:
    from journal_core import current_branch, task_in_hand

    return task_in_hand(
        journal, session_id=_session_id(payload), branch=current_branch(Path(payload["cwd"]))
    )


# --- the hooks ---------------------------------------------------------------------------


def _session_start(args: object, payload: dict[str, Any]) -> None:
    from server.cli.background import index_far_behind
    from server.cli.journal import open_journal

    settings = _settings(args, payload)
    if not settings.journal_path.exists():
        return
    if index_far_behind(settings.journal_path):
        _context("SessionStart", _BRIEFING_HEAD + _INDEXING)
        return
    with open_journal(settings) as journal:
        task = _in_hand(journal, payload)
        if task is None:
            return
        source = payload.get("source")
        if source in _REINJECTED:
            head = _REINJECT_HEAD.format(what=_REINJECTED[source])
            text = journal.task_pack(task, budget_tokens=_BRIEFING_TOKENS).markdown
        else:
            head = _BRIEFING_HEAD
            text = journal.resume(budget_tokens=_BRIEFING_TOKENS, task_id=task).markdown
    if text:
        from journal_core import data_block

        room = _CONTEXT_CHARS - len(head) - len(data_block(""))
        _context("SessionStart", head + data_block(text[:room]))


def _user_prompt_submit(args: object, payload: dict[str, Any]) -> None:
    from journal_core import recall, render_recall
    from server.cli.background import index_far_behind
    from server.cli.journal import open_journal

    prompt = payload.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return
    settings = _settings(args, payload)
    if not settings.journal_path.exists() or index_far_behind(settings.journal_path):
        return
    with open_journal(settings) as journal:
        text = render_recall(recall(journal, prompt))
    if text:
        _context("UserPromptSubmit", text)


def _post_tool_use(args: object, payload: dict[str, Any]) -> None:
    from journal_core import (
        current_branch,
        find_project_root,
        records_from_tool_use,
        remember_branch_task,
        spool_records,
    )

    session = _session_id(payload)
    path = _journal_path(args, payload)
    if session is None or not path.exists():
        return  # no journal, no task to tell: nothing worth a file
    cwd = Path(payload["cwd"])
    records = records_from_tool_use(payload, find_project_root(cwd))
    if not records:
        return
    spool_records(path, session, records)
    branch = current_branch(cwd)
    for record in records:
        if "task" in record and branch:
            remember_branch_task(path, branch, record["task"])


def _flusher(ended: bool) -> Hook:
    def flush(args: object, payload: dict[str, Any]) -> None:
        from journal_core import current_branch, flush_spools
        from server.cli.journal import open_journal

        session = _session_id(payload)
        settings = _settings(args, payload)
        if session is None or not settings.journal_path.exists():
            return
        with open_journal(settings) as journal:
            written = flush_spools(
                journal,
                session_id=session,
                branch=current_branch(Path(payload["cwd"])),
                ended=ended,
            )
            if written:
                journal.flush()

    return flush


_HOOKS: dict[str, tuple[Hook, str]] = {
    "session-start": (
        _session_start,
        "Print the open tasks and the task in hand as SessionStart context (after a "
        "compaction, resume or clear: the task in hand's pack).",
    ),
    "user-prompt-submit": (
        _user_prompt_submit,
        "Print the standing rejections and decisions that clearly concern the prompt.",
    ),
    "post-tool-use": (
        _post_tool_use,
        "Record files edited, commits made and test runs in the session's spool.",
    ),
    "stop": (_flusher(ended=False), "Write the session's spool as one suggested finding."),
    "session-end": (
        _flusher(ended=True),
        "Write the session's spool as one suggested finding, and forget the session.",
    ),
    "pre-compact": (
        _flusher(ended=False),
        "Write the session's spool as one suggested finding before the context is compacted.",
    ),
}


# --- capture, for any agent ----------------------------------------------------------------


def _capture(args: argparse.Namespace) -> int:
    from journal_core import (
        InvalidEvent,
        check_records,
        find_project_root,
        flush_spools,
        spool_records,
    )
    from server.cli.journal import open_journal, settings_of

    settings = settings_of(args)
    root = find_project_root(Path(args.project_dir or os.getcwd()))
    data = sys.stdin.buffer.read(_MAX_STDIN + 1)
    if len(data) > _MAX_STDIN:
        raise InvalidEvent("stdin", f"is over {_MAX_STDIN >> 20} MiB")
    records = check_records(data, root)
    if records:
        spool_records(settings.journal_path, args.session, records)
    if args.flush or args.end:
        with open_journal(settings) as journal:
            written = flush_spools(journal, session_id=args.session, branch=None, ended=args.end)
            if written:
                journal.flush()
        for result in written:
            emit(f"{result.event_id} {result.task_id}")
    return EXIT_OK
