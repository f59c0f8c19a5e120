"""Search queries (SPEC §7): the user's syntax parsed by our code, then given to FTS5.

A query is words that must all match, ``"a phrase"``, ``prefix*``, ``a OR b`` and
``-word`` to exclude. Nothing the user types reaches the engine as syntax: each
word or phrase becomes a quoted FTS5 string made of its own tokens, so quotes,
``NEAR``, ``^``, column filters, SQL or NUL characters are only ever words.

Tokens follow FTS5's ``unicode61`` tokenizer (``remove_diacritics 2``): a token
is a run of letters, digits and marks, folded to lower case without accents;
everything else separates tokens. The index then stems each token as FTS5's
``porter`` does (``journal_core.stem``), so a word matches its English
inflections (``retry`` finds ``Retrying`` and ``retried``); a word of another
language is rarely changed by it, and matches word for word. Code is searchable
by its parts because of the tokens: ``test_token_refresh`` is the tokens ``test token refresh`` and
``src/auth/refresh.rs`` is ``src auth refresh rs``. A query word with
separators in it becomes the phrase of its parts, so ``refresh.rs`` finds the
path and ``token`` finds the identifier, and the index needs no extra tokens.

The same tokens and the same matching rules are applied here in Python, for
snippets and for searching without FTS5 (a scan): ``matches`` is the
specification the FTS5 query must agree with, and the tests check that it does.

Ranking (``rank``): BM25 from the engine orders the matches, and among the best
``EXACT_WINDOW`` of them, those holding the query's words as typed come before
those that match only by an inflection.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, TypeVar

import msgspec

from journal_core.errors import InvalidQuery
from journal_core.stem import stem

MAX_QUERY_CHARS: Final = 1000
MAX_SEARCH_LIMIT: Final = 100
SNIPPET_CHARS: Final = 200
# The columns of a searchable document, in the full-text table's order, and how much
# a match in each weighs in the BM25 score.
COLUMNS: Final = ("text", "title", "goal", "refs", "rejected")
WEIGHTS: Final = (1.0, 2.0, 1.5, 1.0, 1.0)
# How many of the best matches by BM25 are put in order of exactness (see ``rank``).
EXACT_WINDOW: Final = 200

# Letters and digits; marks are folded away (see ``tokens``), the rest separates.
_TOKEN_RE: Final = re.compile(r"[^\W_]+")
_SPACE_RE: Final = re.compile(r"\s+")
_ELLIPSIS: Final = "…"


class Term(msgspec.Struct, frozen=True):
    """One word or phrase: tokens that must follow each other; the last one may be a prefix."""

    parts: tuple[str, ...]
    prefix: bool = False


class Query(msgspec.Struct, frozen=True):
    """Every group must match (a group matches when one of its terms does), no exclusion may."""

    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()


def tokens(text: str) -> list[str]:
    """The tokens of ``text`` as the ``unicode61`` tokenizer makes them."""
    return [_fold(match.group()) for match in _TOKEN_RE.finditer(text)]


def _fold(token: str) -> str:
    if token.isascii():
        return token.lower()
    decomposed = unicodedata.normalize("NFD", token.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def parse(query: object) -> Query:
    """The user's query as groups of terms; raises ``InvalidQuery`` for one that asks nothing.

    Never fails on syntax: an unterminated quote runs to the end, a dangling ``OR``
    or ``-`` is a plain word or nothing.
    """
    if not isinstance(query, str):
        raise InvalidQuery("query", f"must be a string, got {query!r}")
    if not query.strip():
        raise InvalidQuery("query", "is empty; give the words to look for")
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidQuery(
            "query", f"is {len(query)} characters, over the {MAX_QUERY_CHARS}-character limit"
        )
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    join_next = False  # an OR was just read: the next term joins the last group
    for word, quoted, negated, prefix in _lexemes(query):
        # A leading or doubled OR is the word "or".
        is_operator = word == "OR" and not (quoted or negated or prefix)
        if is_operator and groups and not join_next:
            join_next = True
            continue
        parts = tuple(tokens(word))
        if not parts:
            continue
        term = Term(parts, prefix)
        if negated:
            excluded.append(term)
            join_next = False
        elif join_next:
            groups[-1].append(term)
            join_next = False
        else:
            groups.append([term])
    if join_next:  # a trailing OR is the word "or"
        groups.append([Term(("or",))])
    if not groups:
        raise InvalidQuery(
            "query", "has no word to look for (only exclusions or punctuation); add a word"
        )
    return Query(tuple(tuple(group) for group in groups), tuple(excluded))


def _lexemes(query: str) -> Iterable[tuple[str, bool, bool, bool]]:
    """``(text, quoted, negated, prefix)`` for each word or quoted phrase."""
    position, end = 0, len(query)
    while position < end:
        if query[position].isspace():
            position += 1
            continue
        negated = False
        while position < end and query[position] == "-":
            negated = True
            position += 1
        if position < end and query[position] == '"':
            close = query.find('"', position + 1)
            if close < 0:
                close = end
            text = query[position + 1 : close]
            position = close + 1
            prefix = position < end and query[position] == "*"
            if prefix:
                position += 1
            yield text, True, negated, prefix
            continue
        start = position
        while position < end and not query[position].isspace() and query[position] != '"':
            position += 1
        text = query[start:position]
        yield text.rstrip("*"), False, negated, text.endswith("*")


# --- the engine's syntax -------------------------------------------------------------


def to_fts(query: Query, column: str | None = None) -> str:
    """The FTS5 expression of ``query``, optionally restricted to one column.

    Every term is a quoted string of tokens (no quotes can be in a token), so the
    expression is well-formed whatever the user typed.
    """
    positive = " AND ".join(
        "(" + " OR ".join(_fts_term(term) for term in group) + ")" for group in query.groups
    )
    expression = f"({positive})"
    if query.excluded:
        expression += " NOT (" + " OR ".join(_fts_term(term) for term in query.excluded) + ")"
    if column is not None:
        expression = "{" + column + "} : (" + expression + ")"
    return expression


def _fts_term(term: Term) -> str:
    return '"' + " ".join(term.parts) + '"' + ("*" if term.prefix else "")


def plain_words(query: Query) -> Query:
    """The same words, all required, no operators: what a query the engine refuses becomes."""
    terms = [term for group in query.groups for term in group]
    return Query(tuple((Term(term.parts, term.prefix),) for term in terms))


# --- the same rules in Python ------------------------------------------------------


def document(event: Mapping[str, Any]) -> dict[str, str]:
    """The searchable columns of an event: its text, its title and goal (as written on
    this event), its refs, and a decision's rejected alternatives."""
    return dict(zip(COLUMNS, document_row(event), strict=True))


def document_row(event: Mapping[str, Any]) -> tuple[str, str, str, str, str]:
    """``document`` as a tuple in ``COLUMNS`` order."""
    get = event.get
    return document_fields(get("type"), get("text"), get("meta"), get("refs"))


def document_fields(
    kind: object, text: object, meta: object, refs: object
) -> tuple[str, str, str, str, str]:
    """``document_row`` from the four fields it reads, as the line holds them; the index
    calls it for every line."""
    title = goal = rejected = ""
    if isinstance(meta, dict) and meta:
        title = _string(meta.get("title"))
        goal = _string(meta.get("goal"))
        if "alternatives" in meta:
            rejected = " ".join(_rejected_options(kind, meta["alternatives"]))
    return (
        _string(text),
        title,
        goal,
        " ".join(_ref_items(refs)) if refs and isinstance(refs, dict) else "",
        rejected,
    )


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""


def _ref_items(refs: object) -> list[str]:
    found: list[str] = []
    if isinstance(refs, dict):
        for kind in ("files", "commits", "events"):
            items = refs.get(kind)
            if isinstance(items, list):
                found += [item for item in items if isinstance(item, str)]
    return found


def _rejected_options(kind: object, alternatives: object) -> Iterable[str]:
    if kind != "decision" or not isinstance(alternatives, list):
        return
    for item in alternatives:
        if isinstance(item, dict) and item.get("chosen") is False:
            yield from (
                value
                for value in (item.get("option"), item.get("rationale"))
                if isinstance(value, str)
            )


def matches(query: Query, columns: Mapping[str, str], only: str | None = None) -> bool:
    """Whether a document matches, as the FTS5 expression ``to_fts(query, only)`` does."""
    tokenized = [
        [stem(token) for token in tokens(text)]
        for name, text in columns.items()
        if only in (None, name)
    ]
    return all(
        any(_term_in(term, column) for term in group for column in tokenized)
        for group in query.groups
    ) and not any(_term_in(term, column) for term in query.excluded for column in tokenized)


def _term_in(term: Term, column: Sequence[str], *, stemmed: bool = True) -> bool:
    """Whether the term's tokens follow each other in ``column`` (stems of tokens, or the
    tokens as written when not ``stemmed``)."""
    parts = [stem(part) for part in term.parts] if stemmed else term.parts
    size = len(parts)
    last = size - 1
    for start in range(len(column) - size + 1):
        if all(
            column[start + i].startswith(part)
            if term.prefix and i == last
            else column[start + i] == part
            for i, part in enumerate(parts)
        ):
            return True
    return False


def exact_groups(query: Query, columns: Mapping[str, str]) -> int:
    """How many of the query's groups match the document with their words as typed,
    not only by an inflection."""
    tokenized = [tokens(text) for text in columns.values() if text]
    return sum(
        any(_term_in(term, column, stemmed=False) for term in group for column in tokenized)
        for group in query.groups
    )


_H = TypeVar("_H")


def rank(
    query: Query, hits: Sequence[_H], document_of: Callable[[_H], Mapping[str, str]]
) -> list[_H]:
    """``hits`` (best first by BM25) with the best ``EXACT_WINDOW`` put in order of how
    many groups match as typed, most first, BM25 order kept within each.

    Only a window is reordered, so that the order of a page never depends on how many
    were asked for: page 2 goes on where page 1 stopped.
    """
    window = list(hits[:EXACT_WINDOW])
    exactness = [exact_groups(query, document_of(hit)) for hit in window]
    order = sorted(range(len(window)), key=lambda at: -exactness[at])  # stable
    return [window[at] for at in order] + list(hits[EXACT_WINDOW:])


def scan_score(query: Query, columns: Mapping[str, str]) -> float:
    """A rough relevance for searching without FTS5: weighted count of matched tokens."""
    wanted = {stem(part) for group in query.groups for term in group for part in term.parts}
    score = 0.0
    for name, weight in zip(COLUMNS, WEIGHTS, strict=True):
        column = [stem(token) for token in tokens(columns.get(name, ""))]
        if column:
            hits = sum(1 for token in column if token in wanted)
            score += weight * hits / len(column) ** 0.5
    return score


# --- snippets -------------------------------------------------------------------------


def snippet(columns: Mapping[str, str], query: Query, width: int = SNIPPET_CHARS) -> str:
    """At most ``width`` characters around the first match, matched words marked ``**``.

    Taken from the text when it matches, else from the other columns that do.
    """
    source = columns.get("text", "")
    if not _marks(source, query):
        matched = [columns[name] for name in COLUMNS[1:] if _marks(columns.get(name, ""), query)]
        if matched:
            source = " · ".join(matched)
    return _window(_SPACE_RE.sub(" ", source).strip(), query, width)


def _marks(text: str, query: Query) -> list[tuple[int, int]]:
    """The spans of the tokens of ``text`` that are a part of a wanted term (by stem)."""
    exact: set[str] = set()
    prefixes: list[str] = []
    for group in query.groups:
        for term in group:
            stems = [stem(part) for part in term.parts]
            exact.update(stems[:-1] if term.prefix else stems)
            if term.prefix:
                prefixes.append(stems[-1])
    # A stem starts with its word's first letter (the stemmer only changes endings):
    # words that start otherwise are not stemmed at all, which a fresh process pays for.
    firsts = {wanted[:1] for wanted in (*exact, *prefixes)}
    spans = []
    for match in _TOKEN_RE.finditer(text):
        folded = _fold(match.group())
        if folded[:1] not in firsts:
            continue
        token = stem(folded)
        if token in exact or any(token.startswith(prefix) for prefix in prefixes):
            spans.append(match.span())
    return spans


def _window(text: str, query: Query, width: int) -> str:
    spans = _marks(text, query)
    start = 0
    if spans and spans[0][0] > width // 4:
        # Some context before the first match, starting at a word.
        start = text.rfind(" ", 0, spans[0][0] - width // 5) + 1
    pieces: list[str] = [_ELLIPSIS] if start > 0 else []
    used = len(pieces)
    budget = width - 1  # room for a closing ellipsis
    position = start
    for span_start, span_end in spans:
        if span_end <= position:
            continue
        plain = text[position:span_start]
        marked = "**" + text[span_start:span_end] + "**"
        if used + len(plain) + len(marked) > budget:
            break
        pieces += [plain, marked]
        used += len(plain) + len(marked)
        position = span_end
    rest = text[position:]
    if used + len(rest) <= width:
        pieces.append(rest)
    else:
        pieces += [rest[: budget - used], _ELLIPSIS]
    return "".join(pieces)


class SearchHit(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One match as the front ends show it, compact: the event's id, type, task and time,
    its task's title, a snippet, and where the event stands now (SPEC §7, from the fold):
    ``standing`` (active, superseded, corrected, answered), ``standing_by`` (the event
    that did it) and, for a corrected one, ``correction`` (the text that now stands).
    ``event`` is the whole event when asked for (``full``); ``journal`` is set when all
    projects were searched."""

    event_id: str
    type: str
    task_id: str
    timestamp: str
    title: str
    snippet: str
    score: float
    standing: str
    standing_by: str | None
    correction: str | None = None
    event: dict[str, Any] | None = None
    journal: str | None = None


class SearchPage(msgspec.Struct, frozen=True, kw_only=True):
    """``order`` is ``best`` (BM25, exact words first) or ``newest``: a query matching
    too many events to rank (``store.BROAD_MATCHES``) gives its hits newest first."""

    hits: list[SearchHit]
    order: str
    next_cursor: str | None
    truncated: bool = False
    note: str | None = None


def check_search_limit(limit: object) -> int:
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_SEARCH_LIMIT:
        raise InvalidQuery(
            "limit", f"must be a whole number from 1 to {MAX_SEARCH_LIMIT}, got {limit!r}"
        )
    return limit
