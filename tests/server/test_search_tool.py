"""search_events through a client: hits best first with snippets, plain refusals."""

import json
from pathlib import Path

import pytest
from mcp import Client

from tests.core.journal_lines import standing_story
from tests.server.conftest import call_ok

pytestmark = pytest.mark.anyio


async def test_search_events_finds_a_finding_by_its_words_and_a_file_by_its_name(
    client: Client,
) -> None:
    opened = await call_ok(
        client, "append_event", {"type": "open", "title": "Auth tokens", "text": "Start"}
    )
    task_id = opened["task_id"]
    finding = await call_ok(
        client,
        "append_event",
        {
            "type": "finding",
            "task_id": task_id,
            "text": "The token refresh races with logout",
            "refs": {"files": ["src/auth/refresh.rs"]},
        },
    )
    for query in ("token refresh", "refresh.rs", "src/auth"):
        page = await call_ok(client, "search_events", {"query": query})
        (hit,) = page["hits"]
        assert hit["event_id"] == finding["event_id"]
        assert hit["title"] == "Auth tokens"
        assert "journal" not in hit
        assert "event" not in hit  # compact unless full is true
    page = await call_ok(client, "search_events", {"query": "token refresh"})
    assert page["hits"][0]["snippet"] == "The **token** **refresh** races with logout"
    assert page["next_cursor"] is None


@pytest.mark.parametrize(
    ("query", "wording"),
    [
        pytest.param("", "is empty", id="empty"),
        pytest.param("x" * 1001, "over the 1000-character limit", id="too-long"),
    ],
)
async def test_search_events_refuses_an_unusable_query_in_a_sentence(
    in_process_client: Client, query: str, wording: str
) -> None:
    result = await in_process_client.call_tool("search_events", {"query": query})
    assert result.is_error
    text = result.content[0].text  # type: ignore[union-attr]
    assert wording in text
    assert "sqlite" not in text.lower()
    assert "fts5" not in text.lower()


async def test_search_events_over_all_projects_names_each_hits_journal(
    in_process_client: Client, journal_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TASK_JOURNAL_DATA_DIR", str(tmp_path / "data"))  # no other journals
    opened = await call_ok(
        in_process_client, "append_event", {"type": "open", "text": "Port the importer"}
    )
    page = await call_ok(
        in_process_client, "search_events", {"query": "importer", "all_projects": True}
    )
    (hit,) = page["hits"]
    assert hit["task_id"] == opened["task_id"]
    assert hit["journal"] == str(journal_path)


async def test_hits_are_compact_and_read_events_fetches_them_whole_by_id(
    client: Client,
) -> None:
    opened = await call_ok(client, "append_event", {"type": "open", "text": "Auth work"})
    texts = [f"token refresh attempt {n} " + "details " * 60 for n in range(20)]
    for text in texts:
        await call_ok(
            client,
            "append_event",
            {"type": "finding", "task_id": opened["task_id"], "text": text},
        )
    page = await call_ok(client, "search_events", {"query": "token refresh"})
    assert len(page["hits"]) == 20
    # Each hit is its fields and a snippet of at most 200 characters: under 450 bytes.
    assert all(len(json.dumps(hit)) < 450 for hit in page["hits"])
    hit = page["hits"][0]
    assert set(hit) == {
        "event_id",
        "type",
        "task_id",
        "timestamp",
        "title",
        "snippet",
        "score",
        "standing",
        "standing_by",
    }
    ids = [hit["event_id"] for hit in page["hits"][:3]]
    whole = await call_ok(client, "read_events", {"event_ids": [ids[0][:20], *ids[1:]]})
    assert [event["event_id"] for event in whole["events"]] == ids
    assert whole["events"][0]["text"] in texts
    full = await call_ok(client, "search_events", {"query": "token refresh", "full": True})
    assert full["hits"][0]["event"]["event_id"] == ids[0]
    assert len(json.dumps(full)) > 2 * len(json.dumps(page))


async def test_read_events_by_an_unknown_id_is_refused_by_name(client: Client) -> None:
    await call_ok(client, "append_event", {"type": "open", "text": "Auth work"})
    result = await client.call_tool("read_events", {"event_ids": ["01ZZZZ"]})
    assert result.is_error
    assert "no event '01ZZZZ'" in str(result.content)


async def test_every_hit_says_where_its_event_stands(client: Client, journal_path: Path) -> None:
    story = standing_story(journal_path)
    ids = {name: event["event_id"] for name, event in story.items()}
    page = await call_ok(client, "search_events", {"query": "keepalive"})
    found = {
        hit["event_id"]: (hit["standing"], hit["standing_by"], hit.get("correction"))
        for hit in page["hits"]
    }
    newest = story["recorrection"]["text"]
    assert found[ids["old_decision"]] == ("superseded", ids["new_decision"], None)
    assert found[ids["finding"]] == ("corrected", ids["correction"], newest)
    assert found[ids["correction"]] == ("corrected", ids["recorrection"], newest)
    assert found[ids["hypothesis"]] == ("answered", ids["answer"], None)
    current = await call_ok(client, "search_events", {"query": "keepalive", "current_only": True})
    assert {hit["standing"] for hit in current["hits"]} == {"active"}
    assert ids["old_decision"] not in {hit["event_id"] for hit in current["hits"]}


async def test_rejections_current_only_is_what_still_stands(
    client: Client, journal_path: Path
) -> None:
    story = standing_story(journal_path)
    arguments = {"query": "presigned", "types": ["rejection"]}
    standing = await call_ok(client, "search_events", {**arguments, "current_only": True})
    assert [hit["event_id"] for hit in standing["hits"]] == [story["standing"]["event_id"]]
    every = await call_ok(client, "search_events", arguments)
    assert {hit["event_id"]: hit["standing"] for hit in every["hits"]} == {
        story["standing"]["event_id"]: "active",
        story["overturned"]["event_id"]: "superseded",
    }
