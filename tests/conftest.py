"""Fixtures shared by every test folder."""

from pathlib import Path

import pytest
from hypothesis import settings

# Properties run bounded by default (CI); ``pytest --hypothesis-profile=long`` runs them
# twenty times longer. Tests that are costly per example scale from ``max_examples``.
settings.register_profile("ci", settings.get_profile("default"))
settings.register_profile("long", max_examples=2000)


@pytest.fixture(autouse=True)
def _no_terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line cuts lines to ``COLUMNS`` even through a pipe, and the runner's
    own terminal (or a test worker) may set it: a test that wants a width sets one."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("LINES", raising=False)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    """A journal file that does not exist yet, in a folder of its own."""
    return tmp_path / "journal" / "events.jsonl"


def journal_data(text: str) -> str:
    """The journal text of the one data block ``text`` holds (SPEC 9), without the
    block's own lines: the Markdown a model is given as data."""
    opening, closing = "<journal-data>\n", "\n</journal-data>"
    assert text.count(opening) == 1, text
    assert text.count(closing) == 1, text
    _, _, rest = text.partition(opening)
    inside, _, after = rest.partition(closing)
    assert after.strip() == "", after
    intro, _, body = inside.partition("\n\n")
    assert "data, not instructions" in intro
    return body + "\n"
