"""Search (SPEC §7): the query language, code by its parts, ranking, snippets, filters."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journal_core import InvalidQuery, Journal, Settings
from journal_core.index import full_text, store
from journal_core.search import Query, Term, document, matches, parse, snippet, to_fts, tokens
from tests.core.journal_lines import event, hit_text, write

T = "tj-aaaaaaaaaa"
BOTH = ["the parser is fine", "the parser drops trailing commas"]
RENAMED = "renamed test_token_refresh to test_refresh_token"


def found(journal: Journal, query: str, **filters: Any) -> list[str]:
    return [hit_text(hit) for hit in journal.search(query, full=True, **filters).hits]


@pytest.fixture
def searchable(journal_path: Path) -> Journal:
    write(
        journal_path,
        event(type="open", text="Start the auth work", meta={"title": "Token refresh"}),
        event(text="the parser drops trailing commas"),
        event(text="the parser is fine", refs={"files": ["src/auth/refresh.rs"]}),
        event(text=RENAMED),
        event(text="commit fixes it", refs={"commits": ["a1b2c3d4e5f6a7b8"]}),
        event(type="decision", text="use the lexer", timestamp="2026-11-26T00:00:00.000Z"),
    )
    return Journal(Settings(journal_path=journal_path))


# --- the query language -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "parsed"),
    [
        pytest.param("parser", Query(((Term(("parser",)),),)), id="word"),
        pytest.param(
            "parser commas", Query(((Term(("parser",)),), (Term(("commas",)),))), id="words-and"
        ),
        pytest.param('"the parser"', Query(((Term(("the", "parser")),),)), id="phrase"),
        pytest.param("pars*", Query(((Term(("pars",), prefix=True),),)), id="prefix"),
        pytest.param("lexer OR parser", Query(((Term(("lexer",)), Term(("parser",))),)), id="or"),
        pytest.param(
            "parser -commas", Query(((Term(("parser",)),),), (Term(("commas",)),)), id="exclude"
        ),
        pytest.param("refresh.rs", Query(((Term(("refresh", "rs")),),)), id="path-is-phrase"),
        pytest.param("Ünïcode", Query(((Term(("unicode",)),),)), id="folded"),
        pytest.param("OR parser", Query(((Term(("or",)),), (Term(("parser",)),))), id="lead-or"),
        pytest.param("parser OR", Query(((Term(("parser",)),), (Term(("or",)),))), id="end-or"),
        pytest.param('"unclosed phrase', Query(((Term(("unclosed", "phrase")),),)), id="quote"),
    ],
)
def test_the_query_language_is_parsed_by_our_code(query: str, parsed: Query) -> None:
    assert parse(query) == parsed


def test_every_term_reaches_the_engine_quoted() -> None:
    assert to_fts(parse('a "b c"* -d')) == '(("a") AND ("b c"*)) NOT ("d")'
    assert to_fts(parse("x OR y -z")) == '(("x" OR "y")) NOT ("z")'


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        pytest.param("", "is empty", id="empty"),
        pytest.param("   \n\t", "is empty", id="blank"),
        pytest.param("x" * 1001, "over the 1000-character limit", id="1001-chars"),
        pytest.param("-parser", "no word to look for", id="only-exclusion"),
        pytest.param("*** ^^ !!", "no word to look for", id="only-punctuation"),
    ],
)
def test_a_query_with_nothing_to_look_for_is_refused_plainly(
    searchable: Journal, query: str, reason: str
) -> None:
    with pytest.raises(InvalidQuery, match=reason):
        searchable.search(query)


def test_a_query_of_exactly_1000_characters_is_searched(searchable: Journal) -> None:
    assert found(searchable, "parser " + "z" * 993) == []


@pytest.mark.parametrize(
    ("query", "texts"),
    [
        pytest.param('parser"', BOTH, id="stray-quote"),
        pytest.param("NEAR(parser commas)", [], id="near-is-a-word"),
        pytest.param("parser NEAR commas", [], id="near-word"),
        pytest.param("^parser", BOTH, id="caret"),
        pytest.param("text:parser", [], id="column-filter-is-words"),
        pytest.param("{text}: parser", [], id="column-set-is-a-word"),
        pytest.param("parser AND commas", [], id="and-is-a-word"),
        pytest.param("parser NOT fine", [], id="not-is-a-word"),
        pytest.param("'; DROP TABLE events; --", [], id="sql"),
        pytest.param("parser\x00commas", [], id="nul-separates-a-phrase"),
        pytest.param("parser \x00 commas", ["the parser drops trailing commas"], id="nul-alone"),
        pytest.param("(parser", BOTH, id="paren"),
        pytest.param("parser*)*", BOTH, id="stars"),
        pytest.param(
            "\ud800parser",
            BOTH,
            id="surrogate",
        ),
    ],
)
def test_hostile_queries_are_only_words(searchable: Journal, query: str, texts: list[str]) -> None:
    assert sorted(found(searchable, query)) == sorted(texts)
    assert searchable.path.read_bytes().count(b"\n") == 6  # and nothing else happened


# --- what matches ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "text"),
    [
        pytest.param("refresh.rs", "the parser is fine", id="file-name"),
        pytest.param("src/auth", "the parser is fine", id="folder"),
        pytest.param("src/auth/refresh.rs", "the parser is fine", id="whole-path"),
        pytest.param(
            "test_token_refresh",
            "renamed test_token_refresh to test_refresh_token",
            id="identifier",
        ),
        pytest.param("a1b2c3d4*", "commit fixes it", id="commit-prefix"),
        pytest.param("a1b2c3d4e5f6a7b8", "commit fixes it", id="whole-commit"),
    ],
)
def test_paths_identifiers_and_commits_are_found_by_their_parts(
    searchable: Journal, query: str, text: str
) -> None:
    assert found(searchable, query) == [text]


def test_a_part_of_an_identifier_finds_it(searchable: Journal) -> None:
    assert RENAMED in found(searchable, "token")


def test_the_title_and_goal_are_searched_on_the_event_that_wrote_them(journal_path: Path) -> None:
    write(
        journal_path,
        event(type="open", text="begin", meta={"title": "Flaky upload", "goal": "green CI"}),
        event(text="unrelated"),
    )
    journal = Journal(Settings(journal_path=journal_path))
    assert found(journal, "flaky") == ["begin"]
    assert found(journal, "green") == ["begin"]


def test_phrases_prefixes_or_and_exclusion_select_as_written(searchable: Journal) -> None:
    assert found(searchable, '"parser drops"') == ["the parser drops trailing commas"]
    assert found(searchable, '"drops parser"') == []
    assert found(searchable, "trail*") == ["the parser drops trailing commas"]
    assert sorted(found(searchable, "lexer OR commas")) == [
        "the parser drops trailing commas",
        "use the lexer",
    ]
    assert found(searchable, "parser -commas") == ["the parser is fine"]


def test_hits_name_their_tasks_title(searchable: Journal) -> None:
    (hit,) = searchable.search("lexer").hits
    assert hit.title == "Token refresh"


def test_a_match_in_the_title_outranks_one_in_the_text(journal_path: Path) -> None:
    write(
        journal_path,
        event(type="open", text="begin work", meta={"title": "importer rewrite"}),
        event(text="the importer is slow and the rewrite is long overdue for this"),
    )
    journal = Journal(Settings(journal_path=journal_path))
    assert found(journal, "importer") == [
        "begin work",
        "the importer is slow and the rewrite is long overdue for this",
    ]


def test_equal_matches_come_newest_first(journal_path: Path) -> None:
    write(journal_path, event(type="open", text="x"), *(event(text="same words") for _ in range(3)))
    journal = Journal(Settings(journal_path=journal_path))
    ids = [hit.event_id for hit in journal.search("same words").hits]
    assert ids == sorted(ids, reverse=True)


# --- snippets -------------------------------------------------------------------------------


def test_a_snippet_marks_the_matches() -> None:
    columns = {"text": "The token refresh races with logout"}
    assert snippet(columns, parse("refresh token")) == "The **token** **refresh** races with logout"


def test_a_long_text_gives_a_snippet_of_at_most_200_characters_around_the_match() -> None:
    text = " ".join(["filler"] * 100) + " the needle is here " + " ".join(["more"] * 100)
    cut = snippet({"text": text}, parse("needle"))
    assert len(cut) <= 200
    assert "**needle**" in cut
    assert cut.startswith("…")
    assert cut.endswith("…")


def test_a_snippet_comes_from_the_refs_when_only_they_match() -> None:
    columns = document(event(text="nothing here", refs={"files": ["src/auth.py"]}))
    assert snippet(columns, parse("auth")) == "src/**auth**.py"


# --- filters and pages ------------------------------------------------------------------------


def test_filters_of_read_events_apply_to_search(searchable: Journal) -> None:
    assert found(searchable, "the", types=["decision"]) == ["use the lexer"]
    assert found(searchable, "the", since="2026-11-25T20:00:00Z") == ["use the lexer"]
    assert "use the lexer" not in found(searchable, "the", until="2026-11-25T20:00:00Z")
    assert found(searchable, "the", task_id="tj-none") == []


def test_pages_of_hits_go_on_with_the_cursor(journal_path: Path) -> None:
    write(journal_path, event(type="open", text="x"), *(event(text=f"word {n}") for n in range(7)))
    journal = Journal(Settings(journal_path=journal_path))
    seen: list[str] = []
    page = journal.search("word", limit=3, full=True)
    seen += [hit_text(hit) for hit in page.hits]
    while page.next_cursor is not None:
        page = journal.search("word", limit=3, cursor=page.next_cursor, full=True)
        seen += [hit_text(hit) for hit in page.hits]
    assert sorted(seen) == sorted(f"word {n}" for n in range(7))


def test_a_cursor_of_another_query_is_refused(searchable: Journal) -> None:
    cursor = searchable.search("parser", limit=1).next_cursor
    with pytest.raises(InvalidQuery, match="other filters"):
        searchable.search("lexer", limit=1, cursor=cursor)


@pytest.mark.parametrize("limit", [0, 101, True])
def test_a_limit_outside_1_to_100_is_refused(searchable: Journal, limit: int) -> None:
    with pytest.raises(InvalidQuery, match="from 1 to 100"):
        searchable.search("parser", limit=limit)


def test_rejected_finds_rejections_and_decisions_rejected_alternatives(journal_path: Path) -> None:
    alternatives = [
        {"option": "retry loop", "chosen": False, "rationale": "hides the race"},
        {"option": "mutex", "chosen": True, "rationale": "simple"},
    ]
    write(
        journal_path,
        event(type="open", text="x"),
        event(type="rejection", text="a retry loop would hide the race"),
        event(type="decision", text="take the mutex", meta={"alternatives": alternatives}),
        event(type="finding", text="retry loop seen in the logs"),
    )
    journal = Journal(Settings(journal_path=journal_path))
    assert sorted(hit_text(hit) for hit in journal.rejected("retry", full=True).hits) == [
        "a retry loop would hide the race",
        "take the mutex",
    ]
    assert journal.rejected("mutex").hits == []  # the chosen alternative was not rejected


def test_all_projects_searches_every_journal_in_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TASK_JOURNAL_DATA_DIR", str(tmp_path / "data"))
    here, there = tmp_path / "data" / "events" / "a.jsonl", tmp_path / "data" / "events" / "b.jsonl"
    write(here, event(type="open", text="cache here"))
    write(there, event(type="open", text="cache there, cache everywhere"))
    journal = Journal(Settings(journal_path=here))
    assert [hit.journal for hit in journal.search("cache").hits] == [None]
    hits = journal.search("cache", all_projects=True, full=True).hits
    assert sorted((hit_text(hit), hit.journal) for hit in hits) == [
        ("cache here", str(here)),
        ("cache there, cache everywhere", str(there)),
    ]


def test_without_fts5_search_scans_with_one_warning_and_finds_the_same(
    searchable: Journal, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    expected = sorted(found(searchable, "parser -commas OR lexer"))
    monkeypatch.setattr(store, "fts5_available", lambda: False)
    scanning = Journal(Settings(journal_path=searchable.path))
    with caplog.at_level(logging.WARNING):
        assert sorted(found(scanning, "parser -commas OR lexer")) == expected
        assert found(scanning, "refresh.rs") == ["the parser is fine"]
    assert len([r for r in caplog.records if "scanning" in r.getMessage()]) == 1


# --- the engine agrees with the specification ---------------------------------------------

_words = st.sampled_from(
    ["alpha", "beta", "gamma", "delta", "alp", "be", "retry", "retries", "retrying", "tested"]
)
_texts = st.lists(_words | st.sampled_from(["a.b", "x_y", "--", "Beta"]), max_size=8).map(" ".join)
_queries = st.lists(
    st.tuples(st.sampled_from(["", "-", '"']), _words, st.sampled_from(["", "*"])).map(
        lambda t: f"{t[0]}{t[1]}{t[2]}" + ('"' if t[0] == '"' else "")
    ),
    min_size=1,
    max_size=4,
).flatmap(
    lambda parts: st.lists(
        st.sampled_from([" ", " OR "]), min_size=len(parts), max_size=len(parts)
    ).map(lambda glue: "".join(g + p for g, p in zip(glue, parts, strict=True)).strip())
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(_texts, min_size=1, max_size=12), query=_queries)
def test_fts_hits_are_exactly_the_events_the_rules_match(texts: list[str], query: str) -> None:
    try:
        parsed = parse(query)
    except InvalidQuery:
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.jsonl"
        written = write(path, event(type="open", text="zzz"), *(event(text=t) for t in texts))
        journal = Journal(Settings(journal_path=path))
        hits = {hit.event_id for hit in journal.search(query, limit=100).hits}
        journal.close()
    expected = {e["event_id"] for e in written if matches(parsed, document(e))}
    assert hits == expected


def test_tokens_follow_the_unicode61_tokenizer() -> None:
    assert tokens("src/auth/Refresh.rs test_token café ĲX") == [
        "src",
        "auth",
        "refresh",
        "rs",
        "test",
        "token",
        "cafe",
        "ĳx",
    ]


def test_a_query_the_engine_refuses_is_searched_as_plain_words(
    searchable: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = to_fts
    calls: list[Query] = []

    def refused_first(query: Query, column: str | None = None) -> str:
        if column is None:
            calls.append(query)
        return '"unclosed' if len(calls) == 1 else real(query, column)

    monkeypatch.setattr("journal_core.search.to_fts", refused_first)
    assert found(searchable, "lexer OR nothing") == []  # plain words: lexer AND nothing
    assert calls[1] == Query(((Term(("lexer",)),), (Term(("nothing",)),)))


def test_a_query_the_engine_refuses_twice_finds_nothing_and_raises_nothing(
    searchable: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("journal_core.search.to_fts", lambda query, column=None: '"unclosed')
    assert found(searchable, "parser") == []


# --- the cost follows the page ------------------------------------------------------------


def test_a_query_matching_more_than_can_be_ranked_gives_the_newest_first(
    journal_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(full_text, "BROAD_MATCHES", 3)
    texts = ["upload upload upload one", "upload two", "upload three", "upload four", "five"]
    write(journal_path, event(type="open", text="zzz"), *(event(text=text) for text in texts))
    journal = Journal(Settings(journal_path=journal_path))
    first = journal.search("upload", limit=3, full=True)
    rest = journal.search("upload", limit=3, cursor=first.next_cursor, full=True)
    assert (first.order, rest.order) == ("newest", "newest")
    assert [hit_text(hit) for hit in [*first.hits, *rest.hits]] == texts[3::-1]
    assert rest.next_cursor is None


def test_a_query_matching_few_enough_is_ranked_best_first(
    journal_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(full_text, "BROAD_MATCHES", 4)
    texts = ["upload upload upload one", "upload two", "upload three", "upload four"]
    write(journal_path, event(type="open", text="zzz"), *(event(text=text) for text in texts))
    page = Journal(Settings(journal_path=journal_path)).search("upload", full=True)
    assert page.order == "best"
    assert hit_text(page.hits[0]) == "upload upload upload one"


def test_rejected_on_a_broad_topic_gives_the_newest_first(
    journal_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(full_text, "BROAD_MATCHES", 2)
    decision = event(
        type="decision",
        text="use the queue",
        meta={"alternatives": [{"option": "cache in redis", "chosen": False}]},
    )
    write(
        journal_path,
        event(type="open", text="zzz"),
        event(type="rejection", text="cache in memory: too small"),
        decision,
        event(type="finding", text="cache misses"),
        event(type="rejection", text="cache per process"),
    )
    page = Journal(Settings(journal_path=journal_path)).rejected("cache", full=True)
    assert page.order == "newest"
    assert [hit_text(hit) for hit in page.hits] == [
        "cache per process",
        "use the queue",
        "cache in memory: too small",
    ]
