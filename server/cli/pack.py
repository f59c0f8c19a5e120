"""``pack``, ``resume`` and ``export-pr``: a task, or the open tasks, as a briefing."""

import argparse

from journal_core import (
    COMPACT_TOKENS,
    FULL_TOKENS,
    MAX_BUDGET_TOKENS,
    MIN_BUDGET_TOKENS,
    PACK_MODES,
    RESUME_TOKENS,
)
from server.cli.command import (
    EXIT_OK,
    PROG,
    AddCommand,
    add_json,
    emit,
    note,
    open_journal,
    say_if_no_journal,
    settings_of,
)
from server.cli.ids import TASK_HELP, resolve_task
from server.cli.render import json_text, visible_document

_BUDGETS = f"{MIN_BUDGET_TOKENS} to {MAX_BUDGET_TOKENS}"


def register(add: AddCommand) -> None:
    pack = add(
        "pack",
        "Print a task as a briefing to resume from (Markdown).",
        f"""\
  {PROG} pack tj-8f3k2m9q1z
  {PROG} pack tj-8f3k2m9q1z --mode full > briefing.md
  {PROG} pack tj-8f3k2m9q1z --budget 2000 --json | jq -r .markdown

The briefing: title and status, goal, outcome, active decisions, constraints, rejections,
open hypotheses, findings, evidence, artifacts, subtasks, lifecycle, recent events.
Tokens are counted as UTF-8 bytes / 4. When the briefing is cut to fit, its last line
says what was left out (and "truncated" is true with --json).""",
        _pack,
    )
    pack.add_argument("task", metavar="TASK", help=TASK_HELP)
    pack.add_argument(
        "--mode",
        choices=PACK_MODES,
        default="compact",
        help=f"compact (default, about {COMPACT_TOKENS} tokens, long texts shortened) or full "
        f"(texts whole, up to {FULL_TOKENS} tokens)",
    )
    pack.add_argument(
        "--budget", type=int, metavar="TOKENS", help=f"an exact budget instead ({_BUDGETS})"
    )
    add_json(pack)

    resume = add(
        "resume",
        "Print the briefing of the open tasks, most recently active first.",
        f"""\
  {PROG} resume
  {PROG} resume --budget 3000

The newest task as a compact pack, the others one line each. Prints nothing (and says
so on stderr) when no task is open.""",
        _resume,
    )
    resume.add_argument(
        "--budget",
        type=int,
        default=RESUME_TOKENS,
        metavar="TOKENS",
        help=f"at most this many tokens ({_BUDGETS}; default {RESUME_TOKENS})",
    )
    add_json(resume)

    export_pr = add(
        "export-pr",
        "Print a pull request description drawn from a task (Markdown).",
        f"""\
  {PROG} export-pr tj-8f3k2m9q1z
  gh pr create --title "Fix the flaky upload test" --body "$({PROG} export-pr tj-8f3k2m9q1z)"

Summary (the goal), Changes (decisions), Why this approach (rejections and the
alternatives not chosen), Verification (evidence), affected files, commits.""",
        _export_pr,
    )
    export_pr.add_argument("task", metavar="TASK", help=TASK_HELP)


def _pack(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    if say_if_no_journal(args, settings):
        return EXIT_OK
    with open_journal(settings) as journal:
        task_id = resolve_task(journal, args.task)
        pack = journal.task_pack(task_id, mode=args.mode, budget_tokens=args.budget)
    emit(json_text(pack) if args.json else visible_document(pack.markdown.rstrip("\n")))
    return EXIT_OK


def _resume(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    if say_if_no_journal(args, settings):
        return EXIT_OK
    with open_journal(settings) as journal:
        resume = journal.resume(budget_tokens=args.budget)
    if args.json:
        emit(json_text(resume))
    elif resume.markdown:
        emit(visible_document(resume.markdown.rstrip("\n")))
    else:
        note("no open task in this journal")
    return EXIT_OK


def _export_pr(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    if say_if_no_journal(args, settings):
        return EXIT_OK
    with open_journal(settings) as journal:
        text = journal.export_pr(resolve_task(journal, args.task))
    emit(visible_document(text.rstrip("\n")))
    return EXIT_OK
