"""Fixtures shared by every test folder."""

from pathlib import Path

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    """A journal file that does not exist yet, in a folder of its own."""
    return tmp_path / "journal" / "events.jsonl"
