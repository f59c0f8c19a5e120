"""Recall (SPEC §9): before the agent acts on a prompt, the standing rejections and
active decisions of the journal that clearly concern it.

Precision comes first: a prompt that concerns none of them must get nothing, since
every word recall says costs the agent attention. Candidates come from the full-text
index (the prompt's content words, each as a prefix, any of them); each candidate is
then kept only when enough of the prompt's content words are in it and they make up
enough of what it is about. The words are compared by a light stem, so ``retrying``
meets ``retries``; where the index stems words itself, candidates only get better.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import msgspec

from journal_core.search import tokens
from journal_core.untrusted import data_block, inline

if TYPE_CHECKING:
    from journal_core.journal import Journal

MAX_RECALLED: Final = 3
MAX_CHARS: Final = 1500
_CANDIDATES: Final = 40
_QUERY_WORDS: Final = 16
# A candidate is kept when at least this many of the prompt's content words are in it,
_MIN_MATCHED: Final = 2
# and they are at least this share of its own content words (or of the prompt's).
_MIN_SHARE: Final = 0.3
# and no more than this many words fewer than the closest candidate.
_SLACK: Final = 0
_ITEM_TEXT_CHARS: Final = 240
_WHY_CHARS: Final = 160

# Words that say nothing about a topic: English function words, and the words of a
# request itself ("can you try again to ...").
_STOPWORDS: Final = frozenset(
    """
    a about above after again against all also am an and any are as at be because
    been before being below between both but by can cannot could did do does doing
    done down during each few for from further get gets got had has have having he
    her here hers him his how i if in into is it its itself just let lets like me
    more most my no nor not now of off on once only or other our ours out over own
    same she should so some such than that the their theirs them then there these
    they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours yourself ok okay please
    thanks thank hi hey yes yeah sure want need needs try trying tried make makes
    making use using used go going look see think maybe instead again still really
    actually something anything thing things way one two new now today let's could
    can't don't won't it's i'm we're you're work works working time bit lot kind
    sort able help show tell give take put add fix change update write run check
    code file files the
    """.split()  # noqa: SIM905 (a word list reads better as prose)
)
_SUFFIXES: Final = (
    "ational", "ization", "fulness", "iveness", "ations", "ation", "ities", "ments",
    "ement", "ness", "ings", "ing", "edly", "ies", "ied", "ers", "ed", "er", "es",
    "ly", "s",
)  # fmt: skip


class Recalled(msgspec.Struct, frozen=True, kw_only=True):
    """One rejection or decision that concerns the prompt."""

    event_id: str
    type: str
    date: str
    task_id: str
    title: str
    text: str
    why: str | None
    matched: tuple[str, ...]


def stem(word: str) -> str:
    """A light stem: enough to meet ``retry``/``retries``/``retrying`` as one word."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if word.endswith(("i", "y")):
        word = word[:-1]
    return word


def content_stems(text: str) -> list[str]:
    """The stems of ``text``'s words that can say what it is about, in order, once each."""
    found: dict[str, None] = {}
    for token in tokens(text):
        if len(token) < 3 or token in _STOPWORDS or token.isdigit():
            continue
        found.setdefault(stem(token), None)
    return list(found)


def _matched(wanted: Sequence[str], have: Sequence[str]) -> tuple[str, ...]:
    """The stems of ``wanted`` that ``have`` holds (a stem of four letters or more also
    meets a longer word it starts: ``cach`` and ``cached``)."""
    have_set = set(have)
    found = []
    for word in wanted:
        if word in have_set or (
            len(word) >= 4
            and any(
                other.startswith(word) or word.startswith(other)
                for other in have
                if len(other) >= 4
            )
        ):
            found.append(word)
    return tuple(found)


def concerns(prompt_stems: Sequence[str], event_text: str) -> tuple[str, ...] | None:
    """The prompt's stems that ``event_text`` holds when it clearly concerns the prompt,
    else None: the rule that keeps recall quiet about what a prompt only brushes."""
    own = content_stems(event_text)
    if not own:
        return None
    matched = _matched(prompt_stems, own)
    if len(matched) < _MIN_MATCHED:
        return None
    share = max(len(matched) / len(own), len(matched) / max(len(prompt_stems), 1))
    return matched if share >= _MIN_SHARE else None


def recall(journal: Journal, prompt: str) -> list[Recalled]:
    """The standing rejections and active decisions that clearly concern ``prompt``,
    at most three, the closest first."""
    stems = content_stems(prompt)
    if len(stems) < _MIN_MATCHED:
        return []
    query = " OR ".join(f"{word}*" for word in stems[:_QUERY_WORDS])
    page = journal.search(query, types=["rejection", "decision"], limit=_CANDIDATES, full=True)
    kept: list[tuple[int, float, int, Recalled]] = []
    for rank, hit in enumerate(page.hits):
        event = hit.event
        if event is None:  # full=True gives every hit its event
            continue
        text = _about(event)
        matched = concerns(stems, text)
        if matched is None:
            continue
        kept.append((-len(matched), -hit.score, rank, _recalled(event, hit.title, matched)))
    kept.sort(key=lambda item: item[:3])
    if kept:
        # Only those as close as the closest: a second event that shares fewer of the
        # prompt's words is about the neighbourhood, not about the prompt.
        kept = [item for item in kept if item[0] <= kept[0][0] + _SLACK]
    standing = _standing(journal, [item[3] for item in kept])
    return [item for item in (entry[3] for entry in kept) if item.event_id in standing][
        :MAX_RECALLED
    ]


def _about(event: Mapping[str, Any]) -> str:
    """What a rejection or decision is about: its text, and a decision's options."""
    parts = [event.get("text")]
    meta = event.get("meta")
    if isinstance(meta, dict):
        for alternative in meta.get("alternatives") or ():
            if isinstance(alternative, dict):
                parts.append(alternative.get("option"))
    return " ".join(part for part in parts if isinstance(part, str))


def _why(event: Mapping[str, Any]) -> str | None:
    meta = event.get("meta")
    if not isinstance(meta, dict):
        return None
    reason = meta.get("reason")
    if isinstance(reason, str) and reason.strip():
        return reason
    for alternative in meta.get("alternatives") or ():
        if isinstance(alternative, dict) and alternative.get("chosen") is True:
            rationale = alternative.get("rationale")
            if isinstance(rationale, str) and rationale.strip():
                return rationale
    return None


def _recalled(event: Mapping[str, Any], title: str, matched: tuple[str, ...]) -> Recalled:
    return Recalled(
        event_id=str(event.get("event_id", "")),
        type=str(event.get("type", "")),
        date=str(event.get("timestamp", ""))[:10],
        task_id=str(event.get("task_id", "")),
        title=title,
        text=str(event.get("text", "")),
        why=_why(event),
        matched=matched,
    )


def _standing(journal: Journal, found: Sequence[Recalled]) -> set[str]:
    """The ids among ``found`` that still stand: not superseded, corrected away or
    overturned (a rejection of an option a later decision chose)."""
    standing: set[str] = set()
    for task_id in dict.fromkeys(item.task_id for item in found):
        standing |= journal.holding(task_id, [i.event_id for i in found if i.task_id == task_id])
    return standing


# --- what the agent is shown ------------------------------------------------------------


def render_recall(found: Sequence[Recalled], limit: int = MAX_CHARS) -> str:
    """The recalled events as context for the agent, at most ``limit`` characters."""
    if not found:
        return ""
    head = "Task journal: earlier records that may concern this prompt.\n\n"
    room = limit - len(head) - len(data_block(""))
    lines: list[str] = []
    for item in found:
        kind = "rejected" if item.type == "rejection" else "decided"
        why = f" Why: {inline(item.why, _WHY_CHARS)}" if item.why else ""
        line = (
            f"- {item.event_id[:12]} · {item.date} · {item.task_id} "
            f"({inline(item.title, 60)}) · {kind}: "
            f"{inline(item.text, _ITEM_TEXT_CHARS)}{why}"
        )
        if len("\n".join([*lines, line])) > room:
            break
        lines.append(line)
    return head + data_block("\n".join(lines)) if lines else ""
