"""Search matches English inflections (SPEC §7), ranks exact words first, and leaves code
and other languages matching word for word."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from journal_core import Journal, Settings
from journal_core.search import tokens
from journal_core.stem import stem
from tests.core.journal_lines import event, hit_text, write


def texts_found(path: Path, query: str) -> list[str]:
    journal = Journal(Settings(journal_path=path))
    try:
        return [hit_text(hit) for hit in journal.search(query, full=True).hits]
    finally:
        journal.close()


def journal_of(path: Path, *texts: str) -> Path:
    write(path, event(type="open", text="zzz"), *(event(text=text) for text in texts))
    return path


@pytest.mark.parametrize(
    ("query", "texts"),
    [
        pytest.param(
            "retry",
            ["Retrying the upload hides the race", "retried twice", "one retry", "retries: 3"],
            id="retry",
        ),
        pytest.param("retrying", ["retry 502s", "retried twice"], id="retrying"),
        pytest.param("test", ["the tests pass", "testing the parser", "a test"], id="test"),
        pytest.param("tests", ["one test", "testing it"], id="tests"),
        pytest.param("fail", ["it failed", "failing again", "fails", "a fail"], id="fail"),
        pytest.param("failed", ["fail fast", "failing"], id="failed"),
        pytest.param("index", ["the indexes", "indexed", "indexing", "an index"], id="index"),
        pytest.param("indexes", ["one index"], id="indexes"),
    ],
)
def test_a_word_finds_its_inflections(journal_path: Path, query: str, texts: list[str]) -> None:
    journal_of(journal_path, *texts, "nothing related")
    assert sorted(texts_found(journal_path, query)) == sorted(texts)


def test_retry_502_finds_retrying_502s(journal_path: Path) -> None:
    journal_of(journal_path, "Retrying 502s from the gateway", "a 404 page")
    assert texts_found(journal_path, "retry 502") == ["Retrying 502s from the gateway"]


def test_an_exact_match_ranks_above_an_inflected_one(journal_path: Path) -> None:
    # The inflected ones are newer and shorter (so better by BM25 alone): still after.
    journal_of(
        journal_path,
        "we retry the upload when the gateway answers with an error page",
        "retrying upload",
        "retried upload",
    )
    found = texts_found(journal_path, "retry")
    assert found[0] == "we retry the upload when the gateway answers with an error page"
    assert sorted(found[1:]) == ["retried upload", "retrying upload"]


def test_exact_words_of_every_group_rank_above_some(journal_path: Path) -> None:
    journal_of(journal_path, "upload retry", "uploads retry", "uploading retried")
    assert texts_found(journal_path, "upload retry") == [
        "upload retry",
        "uploads retry",
        "uploading retried",
    ]


@pytest.mark.parametrize(
    ("query", "text"),
    [
        pytest.param("refresh.rs", "see src/auth/refresh.rs", id="file"),
        pytest.param("src/auth", "see src/auth/refresh.rs", id="folder"),
        pytest.param("token", "renamed test_token_refresh", id="identifier-part"),
        pytest.param("test_token_refresh", "renamed test_token_refresh", id="identifier"),
        pytest.param("retries.py", "tests/test_retries.py is flaky", id="inflected-path"),
        pytest.param("a1b2c3d4", "commit a1b2c3d4 fixes it", id="commit"),
    ],
)
def test_paths_and_identifiers_still_match_by_their_parts(
    journal_path: Path, query: str, text: str
) -> None:
    journal_of(journal_path, text, "unrelated words")
    assert texts_found(journal_path, query) == [text]


@pytest.mark.parametrize(
    ("query", "texts", "not_found"),
    [
        pytest.param("Fehler", ["Der Fehler tritt auf"], ["Die Fehlermeldung"], id="german"),
        pytest.param("réseau", ["le réseau tombe", "LE RESEAU"], ["les réseaux"], id="french"),
        pytest.param("ошибка", ["ошибка в парсере"], ["ошибки в парсере"], id="russian"),
        pytest.param("接続", ["接続 が 切れる"], ["接続先"], id="japanese"),
        pytest.param("conexión", ["la conexión falla"], ["conectar de nuevo"], id="spanish"),
    ],
)
def test_other_languages_match_word_for_word(
    journal_path: Path, query: str, texts: list[str], not_found: list[str]
) -> None:
    journal_of(journal_path, *texts, *not_found)
    assert sorted(texts_found(journal_path, query)) == sorted(texts)


def test_snippets_mark_the_inflected_words_that_matched(journal_path: Path) -> None:
    journal_of(journal_path, "Retrying the upload hides the race")
    journal = Journal(Settings(journal_path=journal_path))
    [hit] = journal.search("retry upload").hits
    journal.close()
    assert hit.snippet == "**Retrying** the **upload** hides the race"


def test_python_stems_exactly_as_the_engine_does() -> None:
    """The stemmer of snippets and of scans agrees with FTS5's porter on a word list:
    the words of this project's code and documents, with common suffixes added."""
    pairs = engine_stems()
    assert len(pairs) > 10_000
    assert [(token, stem(token)) for token, _ in pairs] == pairs


def test_the_engine_keeps_the_first_letter_of_every_word_it_stems() -> None:
    """What snippets rely on to leave most words unstemmed."""
    pairs = engine_stems()
    assert [token for token, stemmed in pairs if stemmed[:1] != token[:1]] == []


def engine_stems() -> list[tuple[str, str]]:
    """(token, FTS5's porter stem of it) for the words of this project's code and
    documents, with common suffixes added."""
    root = Path(__file__).resolve().parents[2]
    words: set[str] = set()
    for path in [*root.glob("journal_core/*.py"), *root.glob("*.md"), *root.glob("docs/*.md")]:
        words.update(tokens(path.read_text(encoding="utf-8")))
    suffixes = ("s", "es", "ed", "ing", "ies", "ly", "ness", "ational", "ement", "ful", "y", "ll")
    words |= {word + suffix for word in sorted(words)[:3000] for suffix in suffixes}
    ordered = sorted(words)
    with contextlib.closing(sqlite3.connect(":memory:")) as conn:
        # The engine's tokens before and after stemming, row by row.
        for name, tokenizer in (("plain", "unicode61"), ("stemmed", "porter unicode61")):
            conn.execute(
                f"CREATE VIRTUAL TABLE {name} USING fts5 (w, tokenize = '{tokenizer} "
                "remove_diacritics 2')"
            )
            insert = f"INSERT INTO {name} (rowid, w) VALUES (?, ?)"  # noqa: S608 (our names)
            conn.executemany(insert, enumerate(ordered))
            conn.execute(f"CREATE VIRTUAL TABLE {name}_v USING fts5vocab ({name}, 'instance')")
        plain = dict(conn.execute("SELECT doc, term FROM plain_v"))
        stemmed = dict(conn.execute("SELECT doc, term FROM stemmed_v"))
    return [(plain[doc], stemmed[doc]) for doc in plain]


def test_an_index_of_the_previous_schema_is_built_again(journal_path: Path) -> None:
    journal_of(journal_path, "retrying the upload")
    index = Path(f"{journal_path}.index.sqlite")
    with contextlib.closing(sqlite3.connect(index)) as conn:
        conn.execute("CREATE TABLE state (id INTEGER PRIMARY KEY, schema INTEGER)")
        conn.execute("INSERT INTO state VALUES (1, 2)")
        conn.commit()
    assert texts_found(journal_path, "retry") == ["retrying the upload"]
