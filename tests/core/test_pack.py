"""Resume packs as a pure function: golden tests, one rule each, without files."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journal_core import InvalidQuery
from journal_core.pack import (
    Pack,
    build_pack,
    build_resume,
    estimate_tokens,
    export_pr,
)

TASK = "tj-8f3k2m9q1z"


class Row(msgspec.Struct, frozen=True, kw_only=True):
    """A task as the index lists it (a subtask, or an open task for a resume)."""

    task_id: str
    title: str
    status: str = "open"
    event_count: int = 1
    last_event_at: str = "2026-11-25T18:00:00.000Z"


class Story:
    """A task's events as a journal holds them, oldest first, with ids and times in order."""

    def __init__(self, task_id: str = TASK) -> None:
        self.task_id = task_id
        self.events: list[dict[str, Any]] = []

    def add(self, type: str, text: str, **fields: Any) -> str:
        n = len(self.events)
        event_id = f"01KMZ3T4J8Q7W2E5R6T7Y{n:05d}"
        event: dict[str, Any] = {
            "event_id": event_id,
            "schema_version": "1.0",
            "task_id": self.task_id,
            "type": type,
            "timestamp": f"2026-11-25T17:{n // 60 % 60:02d}:{n % 60:02d}.000Z",
            "author": "agent",
            "source": "chat",
            "text": text,
            "refs": fields.pop("refs", {}),
            "status": fields.pop("status", "confirmed"),
            "meta": fields.pop("meta", {}),
            **fields,
        }
        self.events.append(event)
        return event_id

    def open(self, title: str = "Flaky upload test", **meta: Any) -> str:
        return self.add("open", "Started on it", meta={"title": title, **meta})

    def pack(self, **options: Any) -> Pack:
        subtasks = options.pop("subtasks", ())
        return build_pack(self.task_id, self.events, subtasks, **options)


def section(markdown: str, heading: str) -> list[str]:
    """The lines of the section whose heading starts with ``heading`` ([] when absent)."""
    lines = markdown.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(f"## {heading}")]
    if not starts:
        return []
    body = []
    for line in lines[starts[0] + 1 :]:
        if line.startswith("## ") or not line.strip():
            break
        body.append(SHORT_ID.sub("- ", line, count=1))
    return body


# An item's short event id (see test_every_actionable_item_carries_its_short_id).
SHORT_ID = re.compile(r"^- [0-9A-HJKMNP-TV-Z]{12} ")


def headings(markdown: str) -> list[str]:
    return [line[3:] for line in markdown.splitlines() if line.startswith("## ")]


# --- the header -------------------------------------------------------------------------


def test_the_title_line_comes_first_with_the_status() -> None:
    story = Story()
    story.open("Flaky upload test")
    pack = story.pack()
    assert pack.markdown.splitlines()[0] == "# Flaky upload test [open]"
    assert (pack.title, pack.status, pack.event_count) == ("Flaky upload test", "open", 1)


def test_the_goal_comes_right_after_the_title() -> None:
    story = Story()
    story.open(goal="Make the upload test pass on every run")
    story.add("decision", "Retry the upload once")
    lines = story.pack().markdown.splitlines()
    assert lines[2] == "Goal: Make the upload test pass on every run"
    assert story.pack().goal == "Make the upload test pass on every run"


def test_a_redirect_replaces_the_goal() -> None:
    story = Story()
    story.open(goal="Fix the flaky test")
    story.add("redirect", "The test is fine; the fixture leaks", meta={"goal": "Fix the fixture"})
    assert story.pack().goal == "Fix the fixture"
    assert "Goal: Fix the fixture" in story.pack().markdown


def test_a_redirect_without_a_goal_makes_its_text_the_goal() -> None:
    story = Story()
    story.open(goal="Fix the flaky test")
    story.add("redirect", "Rewrite the fixture instead")
    assert story.pack().goal == "Rewrite the fixture instead"


def test_a_closed_task_shows_its_outcome() -> None:
    story = Story()
    story.open()
    story.add("close", "Done", meta={"outcome": "Fixed by a retry", "outcome_tag": "done"})
    pack = story.pack()
    assert (pack.status, pack.outcome) == ("closed", "Fixed by a retry")
    assert pack.markdown.splitlines()[0].endswith("[closed]")
    assert "Outcome (done): Fixed by a retry" in pack.markdown


def test_a_reopened_task_shows_no_outcome() -> None:
    story = Story()
    story.open()
    story.add("close", "Done", meta={"outcome": "Fixed", "outcome_tag": "done"})
    story.add("reopen", "It failed again", meta={"reason": "flaked on CI"})
    pack = story.pack()
    assert (pack.status, pack.outcome) == ("open", None)
    assert "Outcome" not in pack.markdown


def test_a_rename_changes_the_title() -> None:
    story = Story()
    story.open("Flaky test")
    story.add("rename", "Upload fixture leak", meta={"title": "Upload fixture leak"})
    assert story.pack().title == "Upload fixture leak"


# --- the rules of the lists ---------------------------------------------------------------


def test_a_superseded_decision_leaves_the_active_list() -> None:
    story = Story()
    story.open()
    old = story.add("decision", "Retry the upload three times")
    story.add("decision", "Retry the upload once", supersedes=old)
    assert section(story.pack().markdown, "Active decisions") == ["- Retry the upload once"]


def test_a_superseded_finding_leaves_the_findings() -> None:
    story = Story()
    story.open()
    old = story.add("finding", "Fails on Tuesdays")
    story.add("supersede", "That was a coincidence", supersedes=old)
    assert section(story.pack().markdown, "Findings") == []


def test_a_corrected_event_shows_its_correction_marked() -> None:
    story = Story()
    story.open()
    wrong = story.add("finding", "The timeout is 5 s")
    story.add("correction", "The timeout is 30 s", corrects=wrong)
    assert section(story.pack().markdown, "Findings") == ["- [corrected] The timeout is 30 s"]


def test_the_newest_correction_wins() -> None:
    story = Story()
    story.open()
    wrong = story.add("constraint", "Python 3.10")
    story.add("correction", "Python 3.11", corrects=wrong)
    story.add("correction", "Python 3.12", corrects=wrong)
    assert section(story.pack().markdown, "Constraints") == ["- [corrected] Python 3.12"]


def test_a_decision_corrected_by_a_rejection_is_corrected_away() -> None:
    story = Story()
    story.open()
    decision = story.add("decision", "Mock the network")
    story.add("rejection", "Mocks hide the real bug", corrects=decision)
    markdown = story.pack().markdown
    assert section(markdown, "Active decisions") == []
    assert section(markdown, "Rejected") == ["- Mocks hide the real bug"]


def test_a_decision_shows_the_alternatives_considered() -> None:
    story = Story()
    story.open()
    alternatives = [
        {"option": "sidecar lock", "chosen": True, "rationale": "works on NFS"},
        {"option": "flock on the data file", "chosen": False, "rationale": "Rust tool differs"},
    ]
    story.add("decision", "Use the sidecar lock", meta={"alternatives": alternatives})
    assert section(story.pack().markdown, "Active decisions") == [
        "- Use the sidecar lock",
        "  - chosen: sidecar lock: works on NFS",
        "  - not chosen: flock on the data file: Rust tool differs",
    ]


def test_rejections_say_what_not_to_retry_and_why() -> None:
    story = Story()
    story.open()
    story.add("rejection", "Raising the timeout: it only hides the leak")
    assert section(story.pack().markdown, "Rejected") == [
        "- Raising the timeout: it only hides the leak"
    ]


def test_a_hypothesis_is_open_until_something_refers_to_it() -> None:
    story = Story()
    story.open()
    story.add("hypothesis", "The fixture leaks a socket", confidence=0.6)
    assert section(story.pack().markdown, "Open hypotheses") == [
        "- The fixture leaks a socket (confidence 0.6)"
    ]


@pytest.mark.parametrize("answer", ["finding", "decision", "rejection"])
def test_a_hypothesis_is_answered_by_one_naming_it_in_refs(answer: str) -> None:
    story = Story()
    story.open()
    guess = story.add("hypothesis", "The fixture leaks a socket")
    story.add(answer, "It does", refs={"events": [guess]})
    assert section(story.pack().markdown, "Open hypotheses") == []


@pytest.mark.parametrize("link", ["corrects", "supersedes"])
def test_a_hypothesis_is_answered_by_a_finding_correcting_or_superseding_it(link: str) -> None:
    story = Story()
    story.open()
    guess = story.add("hypothesis", "The fixture leaks a socket")
    story.add("finding", "It leaks a file handle, not a socket", **{link: guess})
    assert section(story.pack().markdown, "Open hypotheses") == []


@pytest.mark.parametrize(
    ("answer", "names_it"),
    [
        pytest.param("finding", False, id="a-later-finding-naming-nothing"),
        pytest.param("evidence", True, id="evidence-naming-it"),
        pytest.param("constraint", True, id="a-constraint-naming-it"),
    ],
)
def test_a_hypothesis_stays_open_when_nothing_answers_it(answer: str, names_it: bool) -> None:
    story = Story()
    story.open()
    guess = story.add("hypothesis", "The fixture leaks a socket")
    story.add(answer, "Something else", refs={"events": [guess]} if names_it else {})
    assert section(story.pack().markdown, "Open hypotheses") == ["- The fixture leaks a socket"]


def test_findings_and_evidence_come_newest_first() -> None:
    story = Story()
    story.open()
    story.add("finding", "first finding")
    story.add("evidence", "weak evidence", evidence_strength="weak")
    story.add("finding", "second finding")
    story.add("evidence", "strong evidence", evidence_strength="strong")
    markdown = story.pack().markdown
    assert section(markdown, "Findings") == ["- second finding", "- first finding"]
    assert section(markdown, "Evidence") == ["- strong evidence (strong)", "- weak evidence (weak)"]


def test_suggested_events_are_marked() -> None:
    story = Story()
    story.open()
    story.add("decision", "Pin the fixture's port", status="suggested")
    markdown = story.pack().markdown
    assert section(markdown, "Active decisions") == ["- ? Pin the fixture's port"]
    assert "(? marks suggested items, not yet confirmed.)" in markdown


def test_artifacts_are_gathered_from_every_event_once_each() -> None:
    story = Story()
    story.open()
    story.add("finding", "a", refs={"files": ["tests/test_upload.py"], "commits": ["a1b2c3d"]})
    story.add("decision", "b", refs={"files": ["tests/test_upload.py", "tests/conftest.py"]})
    linked = story.add("hypothesis", "c")
    story.add("evidence", "d", refs={"commits": ["a1b2c3d"], "events": [linked]})
    assert section(story.pack().markdown, "Artifacts") == [
        "- file `tests/test_upload.py`",
        "- commit `a1b2c3d`",
        "- file `tests/conftest.py`",
        f"- event `{linked[:12]}`",
    ]


def test_the_artifacts_left_out_are_counted_as_they_are_listed() -> None:
    # Refs another tool wrote: items not strings (one that does not hash), blank, padded,
    # repeated; refs or a kind's list of another type.
    story = Story()
    story.open()
    story.add(
        "finding", "a", refs={"events": ["01KA ", "  "], "files": [" a.py", 3, "a.py", ["c.py"]]}
    )
    story.add("finding", "b", refs=["not", "a", "dict"])
    story.add("evidence", "c", refs={"commits": "abc", "files": ["b.py", None, "a.py "]})
    story.add("decision", "keep " * 80)  # kept before the artifacts, whatever the budget
    listed = ["- file `a.py`", "- event `01KA`", "- file `b.py`"]
    assert section(story.pack().markdown, "Artifacts") == listed
    for budget in range(100, 300, 4):
        markdown = story.pack(mode="full", budget_tokens=budget).markdown
        kept = section(markdown, "Artifacts")
        left_out = re.search(r"artifacts (\d+)", markdown)
        assert kept == listed[: len(kept)]
        assert len(kept) + (int(left_out.group(1)) if left_out else 0) == len(listed)


def test_subtasks_are_listed_with_their_status() -> None:
    story = Story()
    story.open()
    subtasks = [
        Row(task_id="tj-aaaaaaaaaa", title="Fix the fixture", status="closed"),
        Row(task_id="tj-bbbbbbbbbb", title="Add a regression test"),
    ]
    assert section(story.pack(subtasks=subtasks).markdown, "Subtasks") == [
        "- tj-aaaaaaaaaa [closed] Fix the fixture",
        "- tj-bbbbbbbbbb [open] Add a regression test",
    ]


def test_the_lifecycle_lists_state_changes_with_times() -> None:
    story = Story()
    story.open("Flaky test")
    story.add("finding", "not lifecycle")
    story.add("close", "Done", meta={"outcome": "Fixed", "outcome_tag": "done"})
    story.add("reopen", "Again", meta={"reason": "flaked on CI"})
    assert section(story.pack().markdown, "Lifecycle") == [
        "- 2026-11-25T17:00:00.000Z opened: Flaky test",
        "- 2026-11-25T17:00:02.000Z closed (done): Fixed",
        "- 2026-11-25T17:00:03.000Z reopened: flaked on CI",
    ]


def test_recent_events_come_newest_first_five_in_compact_mode() -> None:
    story = Story()
    story.open()
    for n in range(8):
        story.add("finding", f"finding {n}")
    recent = section(story.pack().markdown, "Recent events")
    assert len(recent) == 5
    assert recent[0] == "- 2026-11-25T17:00:08.000Z finding: finding 7"


def test_empty_sections_are_left_out() -> None:
    story = Story()
    story.open()
    story.add("finding", "Only a finding")
    assert headings(story.pack().markdown) == [
        "Findings (newest first)",
        "Lifecycle",
        "Recent events (newest first)",
    ]


def test_sections_come_in_the_contract_order() -> None:
    story = Story()
    story.open()
    guess = story.add("hypothesis", "h", refs={"files": ["a.py"]})
    story.add("evidence", "e", refs={"events": [guess]})
    story.add("finding", "f")
    story.add("rejection", "r")
    story.add("constraint", "c")
    story.add("decision", "d")
    markdown = story.pack(subtasks=[Row(task_id="tj-cccccccccc", title="sub")]).markdown
    assert [heading.split(" (")[0] for heading in headings(markdown)] == [
        "Active decisions",
        "Constraints",
        "Rejected",
        "Open hypotheses",
        "Findings",
        "Evidence",
        "Artifacts",
        "Subtasks",
        "Lifecycle",
        "Recent events",
    ]


def test_compact_mode_shortens_long_texts_and_full_mode_keeps_them() -> None:
    story = Story()
    story.open()
    story.add("finding", "word " * 200)
    [compact] = section(story.pack().markdown, "Findings")
    assert compact.endswith("…")
    assert len(compact) < 320
    full = story.pack(mode="full")
    assert ("word " * 199 + "word") in full.markdown
    assert not full.truncated


def test_a_multiline_text_stays_inside_its_list_item_in_full_mode() -> None:
    story = Story()
    story.open()
    story.add("finding", "First line\n\n## Not a heading\nlast line")
    markdown = story.pack(mode="full").markdown
    assert "## Not a heading" not in markdown.splitlines()
    assert "  \\## Not a heading" in markdown.splitlines()


# --- the budget -----------------------------------------------------------------------


def busy_story() -> Story:
    story = Story()
    story.open(goal="Make the upload test pass")
    for n in range(40):
        story.add("finding", f"finding number {n} about the upload fixture and its socket")
    for n in range(5):
        story.add("decision", f"decision {n}: keep the retry")
        story.add("rejection", f"rejection {n}: raising the timeout hides the leak")
    return story


def test_recent_events_are_cut_first() -> None:
    story = busy_story()
    whole = story.pack(mode="full")
    assert not whole.truncated
    # Just under the whole pack: only recent events need to go.
    budget = estimate_tokens(whole.markdown) - 30
    pack = story.pack(mode="full", budget_tokens=budget)
    assert pack.truncated
    assert 0 < len(section(pack.markdown, "Recent events")) < 20
    assert section(pack.markdown, "Findings") == section(whole.markdown, "Findings")
    assert section(pack.markdown, "Lifecycle") == section(whole.markdown, "Lifecycle")


def test_older_findings_go_before_decisions_and_rejections() -> None:
    story = busy_story()
    pack = story.pack(budget_tokens=300)
    assert pack.truncated
    findings = section(pack.markdown, "Findings")
    assert len(findings) < 40
    # What is left of the findings is the newest.
    assert findings == [
        f"- finding number {39 - n} about the upload fixture and its socket"
        for n in range(len(findings))
    ]
    assert len(section(pack.markdown, "Active decisions")) == 5
    assert len(section(pack.markdown, "Rejected")) == 5
    assert section(pack.markdown, "Recent events") == []
    assert section(pack.markdown, "Lifecycle") == []


def test_a_cut_pack_says_what_it_left_out() -> None:
    pack = busy_story().pack(budget_tokens=300)
    last = pack.markdown.splitlines()[-1]
    assert last.startswith(
        "_Cut to fit 300 tokens; left out: recent events 5, lifecycle 1, findings "
    )


def test_the_goal_survives_the_smallest_budget() -> None:
    pack = busy_story().pack(budget_tokens=100)
    assert pack.markdown.splitlines()[2] == "Goal: Make the upload test pass"
    assert estimate_tokens(pack.markdown) <= 100


def test_a_header_longer_than_the_budget_is_cut_mid_text_and_says_so() -> None:
    story = Story()
    story.open("T" * 200, goal="G" * 1000)
    story.add("decision", "Keep the retry")
    pack = story.pack(budget_tokens=100)
    assert pack.truncated
    assert len(pack.markdown.encode()) <= 400
    assert pack.markdown.startswith("# " + "T" * 100)
    assert pack.markdown.splitlines()[-1] == (
        "_Cut to fit 100 tokens; left out: recent events 2, lifecycle 1, decisions 1._"
    )


@pytest.mark.parametrize("budget", [99, 20_001, True, "600", 1.5])
def test_a_budget_outside_100_to_20000_is_refused(budget: Any) -> None:
    with pytest.raises(InvalidQuery, match="budget_tokens"):
        Story().pack(budget_tokens=budget)


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(InvalidQuery, match="'compact' or 'full'"):
        Story().pack(mode="short")


event_types = st.sampled_from(
    [
        "hypothesis",
        "finding",
        "evidence",
        "decision",
        "rejection",
        "constraint",
        "correction",
        "supersede",
        "redirect",
        "rename",
        "close",
        "reopen",
    ]
)
texts = st.text(min_size=1, max_size=400)


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(st.tuples(event_types, texts, st.booleans(), st.integers(0, 50)), max_size=60),
    title=texts,
    goal=st.none() | st.text(min_size=1, max_size=3000),
    budget=st.integers(100, 2_000),
    mode=st.sampled_from(["compact", "full"]),
)
def test_a_pack_never_exceeds_its_budget(
    steps: list[tuple[str, str, bool, int]],
    title: str,
    goal: str | None,
    budget: int,
    mode: str,
) -> None:
    story = Story()
    story.open(title, **({} if goal is None else {"goal": goal}))
    for kind, text, suggested, target in steps:
        earlier = story.events[target % len(story.events)]["event_id"]
        fields: dict[str, Any] = {"status": "suggested" if suggested else "confirmed"}
        if kind == "correction":
            fields["corrects"] = earlier
        elif kind == "supersede":
            fields["supersedes"] = earlier
        else:
            fields["refs"] = {"events": [earlier], "files": [text[:40]]}
        story.add(kind, text, **fields)
    pack = story.pack(mode=mode, budget_tokens=budget)
    assert estimate_tokens(pack.markdown) <= budget
    whole = story.pack(mode=mode, budget_tokens=20_000)
    if not whole.truncated and estimate_tokens(whole.markdown) <= budget:
        assert pack == whole


# --- resume and export-pr ---------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    titles=st.lists(texts, min_size=1, max_size=80),
    hidden=st.integers(0, 1_000),
    finding=texts,
    budget=st.integers(100, 3_000),
)
def test_a_resume_never_exceeds_its_budget(
    titles: list[str], hidden: int, finding: str, budget: int
) -> None:
    story = Story()
    story.open(titles[0], goal=finding)
    for _ in range(10):
        story.add("finding", finding)
    rows = [Row(task_id=f"tj-{n:010d}", title=title) for n, title in enumerate(titles)]
    resume = build_resume(rows, story.events, budget_tokens=budget, task_count=len(rows) + hidden)
    assert estimate_tokens(resume.markdown) <= budget
    assert resume.task_count == len(rows) + hidden


def test_resume_of_no_open_task_is_empty() -> None:
    resume = build_resume([], [])
    assert (resume.markdown, resume.task_count) == ("", 0)


def test_resume_packs_the_newest_task_and_lists_the_others() -> None:
    story = Story()
    story.open("Newest task", goal="Ship it")
    story.add("decision", "Keep the retry")
    tasks = [
        Row(task_id=TASK, title="Newest task", event_count=2),
        Row(task_id="tj-aaaaaaaaaa", title="Older task", event_count=7),
    ]
    resume = build_resume(tasks, story.events)
    lines = resume.markdown.splitlines()
    assert lines[0].startswith("2 open tasks in this journal, most recently active first;")
    assert section(resume.markdown, "Open tasks") == [
        f"- {TASK} (in hand) · Newest task · 2 events · last 2026-11-25T18:00:00.000Z",
        "- tj-aaaaaaaaaa · Older task · 7 events · last 2026-11-25T18:00:00.000Z",
    ]
    assert lines.index("# Newest task [open]") > lines.index("## Open tasks")
    assert "Goal: Ship it" in lines
    assert resume.task_count == 2
    assert not resume.truncated


def test_resume_counts_one_event_in_the_singular() -> None:
    story = Story()
    story.open("Newest task")
    tasks = [
        Row(task_id=TASK, title="Newest task", event_count=1),
        Row(task_id="tj-aaaaaaaaaa", title="Older task", event_count=1),
    ]
    resume = build_resume(tasks, story.events)
    assert section(resume.markdown, "Open tasks") == [
        f"- {TASK} (in hand) · Newest task · 1 event · last 2026-11-25T18:00:00.000Z",
        "- tj-aaaaaaaaaa · Older task · 1 event · last 2026-11-25T18:00:00.000Z",
    ]


def test_resume_stays_within_its_budget_and_counts_the_tasks_it_left_out() -> None:
    story = busy_story()
    tasks = [Row(task_id=TASK, title="Newest")] + [
        Row(task_id=f"tj-{n:010d}", title=f"Task number {n}") for n in range(200)
    ]
    resume = build_resume(tasks, story.events, budget_tokens=500, task_count=250)
    assert estimate_tokens(resume.markdown) <= 500
    assert resume.truncated
    *shown, last = section(resume.markdown, "Open tasks")
    assert last == f"- … and {250 - len(shown)} more (list the open tasks to see them)"


def test_export_pr_draws_each_section_from_its_events() -> None:
    story = Story()
    story.open("Flaky upload test", goal="Make the upload test pass on every run")
    story.add(
        "decision",
        "Retry the upload once",
        refs={"files": ["src/upload.py"], "commits": ["a1b2c3d"]},
        meta={
            "alternatives": [
                {"option": "a longer timeout", "chosen": False, "rationale": "hides the leak"}
            ]
        },
    )
    story.add("rejection", "Mocking the network: hides the real bug")
    story.add(
        "evidence",
        "200 runs green on CI",
        evidence_strength="strong",
        refs={"files": ["src/upload.py", "tests/test_upload.py"]},
    )
    text = export_pr(TASK, story.events)
    assert text == (
        "# Flaky upload test\n\n"
        "## Summary\n\nMake the upload test pass on every run\n\n"
        "State: open (work in progress)\n\n"
        "## Changes\n\n- Retry the upload once\n\n"
        "## Why this approach\n\n- Mocking the network: hides the real bug\n"
        "- Not a longer timeout: hides the leak\n\n"
        "## Verification\n\n- 200 runs green on CI (strong)\n\n"
        "## Affected files\n\n- `src/upload.py`\n- `tests/test_upload.py`\n\n"
        "## Commits\n\n- a1b2c3d\n\n"
        f"Task journal: {TASK}\n"
    )


def test_export_pr_lists_only_what_decisions_and_evidence_touched() -> None:
    story = Story()
    story.open("Flaky upload test")
    story.add("finding", "The CI log shows a timeout", refs={"files": ["ci/run-1234.log"]})
    story.add(
        "hypothesis",
        "The retry loop in the client races",
        refs={"files": ["src/client.py"], "commits": ["0badc0de"]},
    )
    story.add("decision", "Reset the token cache", refs={"files": ["tests/conftest.py"]})
    story.add("evidence", "200 runs green", refs={"commits": ["a1b2c3d"]})

    text = export_pr(TASK, story.events)

    assert "## Affected files\n\n- `tests/conftest.py`\n\n## Commits\n\n- a1b2c3d\n\n" in text
    assert "ci/run-1234.log" not in text
    assert "src/client.py" not in text
    assert "0badc0de" not in text


def test_export_pr_says_a_task_was_reopened() -> None:
    story = Story()
    story.open("Flaky upload test")
    story.add("close", "Merged", meta={"outcome": "cache reset", "outcome_tag": "done"})
    closed = export_pr(TASK, story.events)
    story.add("reopen", "Fails again on the nightly run")

    reopened = export_pr(TASK, story.events)

    assert "State: closed (done)\n" in closed
    assert "State: open, reopened after it was closed: Fails again on the nightly run\n" in (
        reopened
    )
    assert "Outcome:" not in reopened


def test_the_lifecycle_loses_its_oldest_entries_first() -> None:
    story = Story()
    story.open("Flaky test")
    for n in range(30):
        story.add("rename", f"name {n}", meta={"title": f"Name number {n}"})
    pack = story.pack(mode="full", budget_tokens=300)
    lifecycle = section(pack.markdown, "Lifecycle")
    assert 0 < len(lifecycle) < 31
    assert lifecycle[-1].endswith("renamed: Name number 29")
    assert lifecycle[0].endswith(f"renamed: Name number {30 - len(lifecycle)}")


def test_every_actionable_item_carries_its_short_id() -> None:
    story = Story()
    story.open()
    kinds = ["decision", "constraint", "rejection", "hypothesis", "finding", "evidence"]
    ids = {kind: story.add(kind, f"A {kind}") for kind in kinds}

    markdown = story.pack(mode="full").markdown

    for kind, event_id in ids.items():
        assert f"- {event_id[:12]} A {kind}" in markdown.splitlines()


def test_resume_packs_the_task_in_hand_after_the_index_of_every_open_task() -> None:
    story = Story()
    story.open("Task in hand")
    story.add("decision", "Keep the retry")
    tasks = [
        Row(task_id="tj-aaaaaaaaaa", title="Newer task", event_count=7),
        Row(task_id=TASK, title="Task in hand", event_count=2),
    ]

    resume = build_resume(
        tasks, story.events, in_hand=TASK, notes={"tj-aaaaaaaaaa": "decision: Use FTS5"}
    )

    assert section(resume.markdown, "Open tasks") == [
        "- tj-aaaaaaaaaa · Newer task · 7 events · last 2026-11-25T18:00:00.000Z · "
        "decision: Use FTS5",
        f"- {TASK} (in hand) · Task in hand · 2 events · last 2026-11-25T18:00:00.000Z",
    ]
    assert "# Task in hand [open]" in resume.markdown.splitlines()
    assert "Keep the retry" in resume.markdown
