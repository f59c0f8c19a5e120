"""Fixtures of the library tests: a journal in flush mode and one open task on it."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from journal_core import Journal, Settings, new_event


@pytest.fixture
def journal(journal_path: Path) -> Iterator[Journal]:
    j = Journal(Settings(journal_path=journal_path, durability="flush"))
    j.open()
    yield j
    j.close()


@pytest.fixture
def task_id(journal: Journal) -> str:
    return journal.append(new_event(type="open", text="a task", title="A task")).task_id
