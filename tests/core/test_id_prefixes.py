"""journal_core.ids: task and event ids taken whole or by a unique prefix."""

from typing import Any

import pytest

from journal_core import (
    AmbiguousId,
    IdPrefixTooShort,
    Journal,
    UnknownEvent,
    new_event,
    resolve_event_id,
    resolve_task_id,
)


def test_a_task_is_named_by_a_prefix_with_or_without_its_mark(journal: Journal) -> None:
    journal.append(new_event(type="open", text="a", task_id="tj-8f3k2m9q1z"))
    assert resolve_task_id(journal, "tj-8f3k2m") == "tj-8f3k2m9q1z"
    assert resolve_task_id(journal, "8f3k2m9q") == "tj-8f3k2m9q1z"
    assert resolve_task_id(journal, "tj-8f3k2m9q1z") == "tj-8f3k2m9q1z"


def test_an_unknown_task_comes_back_as_given(journal: Journal) -> None:
    assert resolve_task_id(journal, "tj-nothing1") == "tj-nothing1"


def test_a_task_prefix_shared_by_two_tasks_names_both(journal: Journal) -> None:
    for task in ("upload-one-1", "upload-one-2"):
        journal.append(new_event(type="open", text=task, task_id=task))
    with pytest.raises(AmbiguousId) as refused:
        resolve_task_id(journal, "upload-o")
    assert refused.value.candidates == ["upload-one-1", "upload-one-2"]
    with pytest.raises(IdPrefixTooShort):
        resolve_task_id(journal, "upload-")


def test_an_event_prefix_names_its_event_and_an_unknown_one_is_refused(journal: Journal) -> None:
    journal.append(new_event(type="open", text="a", task_id="t"))
    made = journal.append(new_event(type="finding", text="b", task_id="t"))
    assert resolve_event_id(journal, made.event_id[:20].lower(), "corrects") == made.event_id
    with pytest.raises(UnknownEvent):
        resolve_event_id(journal, "01JQYYYYYY", "corrects")
    with pytest.raises(IdPrefixTooShort):
        resolve_event_id(journal, made.event_id[:7], "corrects")


def test_a_whole_task_id_the_index_holds_is_taken_without_catching_it_up(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every append over MCP names its task through resolve_task_id: catching the index up
    # for it wrote the index at each append (about 1 ms, and 15 ms at the 99th centile).
    from journal_core.index.store import JournalStore

    journal.append(new_event(type="open", text="a", task_id="tj-8f3k2m9q1z"))
    assert resolve_task_id(journal, "tj-8f3k2m9q1z") == "tj-8f3k2m9q1z"
    catch_ups: list[int] = []
    catch_up = JournalStore._catch_up

    def counted(*args: Any) -> None:
        catch_ups.append(1)
        catch_up(*args)

    monkeypatch.setattr(JournalStore, "_catch_up", counted)
    for number in range(20):
        task = resolve_task_id(journal, "tj-8f3k2m9q1z")
        journal.append(new_event(type="finding", text=f"f{number}", task_id=task))
    assert catch_ups == []
    assert resolve_task_id(journal, "tj-8f3k2m") == "tj-8f3k2m9q1z"  # a prefix still works
