"""append_event with arbitrary arguments: every call gets an answer; a refusal says why
and leaves the journal as it was, a success adds exactly its own whole line."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from anyio.from_thread import start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp_types import CallToolResult, TextContent

from journal_core import (
    AUTHORS,
    EVENT_TYPES,
    EVIDENCE_STRENGTHS,
    SOURCES,
    STATUSES,
    Journal,
    Settings,
)
from server.app import build_server

CallAppend = Callable[[dict[str, Any]], CallToolResult]

# Any code point the client can put in JSON: lone surrogates cannot be encoded by the
# client at all (test_stdin.py sends them as raw \ud800 escapes instead).
strings = st.text(st.characters(codec="utf-8"), max_size=60)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | strings,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(strings, children, max_size=3)
    ),
    max_leaves=8,
)
texts = strings | st.sampled_from(["", " ", "\n\t", "x" * 70_000, "\0", "\x7f"])


def one_of_or_anything(choices: tuple[str, ...]) -> st.SearchStrategy[Any]:
    return st.sampled_from(choices) | texts | json_values


def arguments(open_task: str) -> st.SearchStrategy[dict[str, Any]]:
    """Any subset of append_event's arguments, plausible or not, sometimes an unknown one."""
    ids = st.just(open_task) | st.just("tj-0000000000") | texts | json_values
    return st.fixed_dictionaries(
        {},
        optional={
            "type": one_of_or_anything(EVENT_TYPES),
            "text": texts | json_values,
            "task_id": ids,
            "title": texts | json_values,
            "author": one_of_or_anything(AUTHORS),
            "source": one_of_or_anything(SOURCES),
            "refs": st.dictionaries(
                st.sampled_from(["files", "commits", "events", "x"]), json_values
            )
            | json_values,
            "meta": st.dictionaries(texts, json_values, max_size=4) | json_values,
            "corrects": ids,
            "supersedes": ids,
            "confidence": st.floats() | json_values,
            "evidence_strength": one_of_or_anything(EVIDENCE_STRENGTHS),
            "status": one_of_or_anything(STATUSES),
            "idempotency_key": texts | json_values,
            "no_such_argument": json_values,
        },
    )


@pytest.fixture(scope="module")
def journal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Journal]:
    journal = Journal(Settings(journal_path=tmp_path_factory.mktemp("fuzz") / "events.jsonl"))
    journal.open()
    yield journal
    journal.close()


@pytest.fixture(scope="module")
def call_append(journal: Journal) -> Iterator[CallAppend]:
    """append_event through a real MCP session (JSON-RPC framing included), from sync code."""
    with (
        start_blocking_portal("asyncio") as portal,
        portal.wrap_async_context_manager(Client(build_server(journal), mode="legacy")) as client,
    ):
        yield lambda arguments: portal.call(client.call_tool, "append_event", arguments)


@pytest.fixture(scope="module")
def open_task(call_append: CallAppend) -> str:
    result = call_append({"type": "open", "text": "the task fuzzed events go to"})
    assert result.structured_content is not None
    task_id: str = result.structured_content["task_id"]
    return task_id


def test_any_arguments_get_an_answer_and_never_a_partial_write(
    journal: Journal, call_append: CallAppend, open_task: str
) -> None:
    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(args=arguments(open_task))
    def one_call(args: dict[str, Any]) -> None:
        before = journal.path.read_bytes()
        result = call_append(args)
        after = journal.path.read_bytes()
        if result.is_error:
            assert isinstance(result.content[0], TextContent)
            assert result.content[0].text.strip()
            assert after == before
            return
        content = result.structured_content
        assert content is not None
        if content["duplicate"]:
            assert after == before
            return
        new_lines = after.removeprefix(before).splitlines(keepends=True)
        assert after.startswith(before)
        assert len(new_lines) == 1
        assert new_lines[0].endswith(b"\n")
        event = json.loads(new_lines[0])
        assert event["event_id"] == content["event_id"]
        assert (event["type"], event["text"]) == (args["type"], args["text"])

    one_call()
