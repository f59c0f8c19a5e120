"""Reading tasks where the index lacks much of the journal (SPEC §6, first use).

A first ``tasks``, ``read --task`` or ``show`` on a big journal with no index would wait
for the whole build of its structure (about 15 s at a million events), and so would a
server's first ``read_events`` of a task while its own build runs. Where the index lacks
more than ``FIRST_USE_BYTES``, ``read --task``, ``show`` and ``read_events`` of a task
read an excerpt of the journal that holds the task's lines instead
(``journal_core.excerpt``), and ``tasks`` folds the tasks from a scan of the journal
(``Journal.task_scan``): each answers as the index would. After a command, a detached
process builds the index (``server.cli.background``) for the commands after it; a
server builds it itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING

from server.cli.background import build_in_background, index_lacks
from server.cli.ids import UnknownTaskId

if TYPE_CHECKING:
    from journal_core import Journal, TaskScan

CursorOf = Callable[[str | None], str | None]


@contextmanager
def task_source(
    journal: Journal, given: str | None, cursor: str | None = None, *, then_build: bool = True
) -> Iterator[tuple[Journal, CursorOf]]:
    """The journal to read the task ``given`` names from (``None``: no one task), and what
    makes a cursor of its pages one of ``journal``'s: ``journal`` itself, or an excerpt of
    it. A page after the first (``cursor``) is read from the journal the cursor is of.
    ``then_build``: start the detached builder after an excerpt's answer (a command's; a
    server has its own build under way)."""
    from journal_core import task_excerpt

    if given is None or cursor is not None or not _far_behind(journal):
        yield journal, _same
        return
    building = _then_build(journal) if then_build else nullcontext()
    with building, task_excerpt(journal.path, given) as excerpt:
        if excerpt is None:  # none to be had: the journal itself answers
            yield journal, _same
            return
        try:
            yield excerpt.journal, excerpt.cursor
        except UnknownTaskId as err:  # the excerpt's path is no one's business
            raise UnknownTaskId(err.given, journal.path) from None


@contextmanager
def task_lister(journal: Journal) -> Iterator[Journal | TaskScan]:
    """What lists the journal's tasks: ``journal`` itself, or a scan of it."""
    if not _far_behind(journal):
        yield journal
        return
    with _then_build(journal), journal.task_scan() as scan:
        yield scan


def _far_behind(journal: Journal) -> bool:
    from journal_core import FIRST_USE_BYTES

    # Once caught up (a server's build done, an append made), not asked again: asking
    # opens the index once more, a cost for every read of a long-lived server.
    return not journal.index_caught_up and index_lacks(journal.path, FIRST_USE_BYTES)


@contextmanager
def _then_build(journal: Journal) -> Iterator[None]:
    """Start the background build once the answer is made, not beside it (on a small
    machine the two would share its cores)."""
    try:
        yield
    finally:
        build_in_background(journal.path)


def _same(cursor: str | None) -> str | None:
    return cursor
