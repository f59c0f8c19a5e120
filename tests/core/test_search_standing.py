"""Every search hit says where its event stands now (SPEC §7), from the fold; current_only
and rejected leave out what no longer stands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from journal_core import Journal, Settings
from tests.core.journal_lines import standing_story


@pytest.fixture
def story(journal_path: Path) -> dict[str, dict[str, Any]]:
    return standing_story(journal_path)


def standings(page: Any) -> dict[str, tuple[str, str | None, str | None]]:
    return {hit.event_id: (hit.standing, hit.standing_by, hit.correction) for hit in page.hits}


def test_each_hit_says_where_its_event_stands(
    journal_path: Path, story: dict[str, dict[str, Any]]
) -> None:
    journal = Journal(Settings(journal_path=journal_path))
    found = standings(journal.search("keepalive"))
    ids = {name: e["event_id"] for name, e in story.items()}
    assert found[ids["old_decision"]] == ("superseded", ids["new_decision"], None)
    assert found[ids["new_decision"]] == ("active", None, None)
    # The correction of a correction passes its text on.
    newest = story["recorrection"]["text"]
    assert found[ids["finding"]] == ("corrected", ids["correction"], newest)
    assert found[ids["correction"]] == ("corrected", ids["recorrection"], newest)
    assert found[ids["hypothesis"]] == ("answered", ids["answer"], None)


def test_current_only_leaves_out_all_but_active_hits(
    journal_path: Path, story: dict[str, dict[str, Any]]
) -> None:
    journal = Journal(Settings(journal_path=journal_path))
    found = standings(journal.search("keepalive", current_only=True))
    assert set(found) == {
        story[name]["event_id"] for name in ("open", "new_decision", "recorrection", "answer")
    }
    assert {standing for standing, _, _ in found.values()} == {"active"}


def test_rejected_gives_only_rejections_that_still_stand(
    journal_path: Path, story: dict[str, dict[str, Any]]
) -> None:
    journal = Journal(Settings(journal_path=journal_path))
    assert [hit.event_id for hit in journal.rejected("presigned").hits] == [
        story["standing"]["event_id"]
    ]
    every = standings(journal.rejected("presigned", withdrawn=True))
    assert every == {
        story["standing"]["event_id"]: ("active", None, None),
        story["overturned"]["event_id"]: ("superseded", story["chooser"]["event_id"], None),
    }


def test_a_decisions_rejected_alternative_a_later_decision_chose_is_left_out(
    journal_path: Path,
) -> None:
    from tests.core.journal_lines import event, write

    passed_over = event(
        type="decision",
        text="Use the queue",
        meta={"alternatives": [{"option": "cron polling", "chosen": False}]},
    )
    write(
        journal_path,
        event(type="open", text="Schedule the sync"),
        passed_over,
        event(
            type="decision",
            text="Back to polling",
            meta={"alternatives": [{"option": "cron polling", "chosen": True}]},
        ),
    )
    journal = Journal(Settings(journal_path=journal_path))
    assert journal.rejected("cron").hits == []
    assert [hit.event_id for hit in journal.rejected("cron", withdrawn=True).hits] == [
        passed_over["event_id"]
    ]
