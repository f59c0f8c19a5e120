"""The fold (SPEC §6): task state and standing are a function of the set of events."""

from __future__ import annotations

import itertools
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from journal_core import EVENT_TYPES
from journal_core.fold import (
    STATUS_VERBS,
    FoldEvent,
    Known,
    Standing,
    TaskFold,
    TaskState,
    as_fold_events,
    canonical,
    canonical_key,
    effects,
    fold_task,
)

TASK = "tj-fold000000"


class Story:
    """Events of one task, each a second after the last, ids in the same order."""

    def __init__(self) -> None:
        self.events: list[FoldEvent] = []

    def add(self, kind: str, text: str = "", *, at: int | None = None, **fields: Any) -> str:
        number = len(self.events) if at is None else at
        event_id = f"01KQ{number:022d}"
        event = {
            "event_id": event_id,
            "type": kind,
            "timestamp": f"2026-12-01T10:{number // 60:02d}:{number % 60:02d}.000Z",
            "text": text or f"{kind} {number}",
            "author": "agent",
            "refs": {},
            "meta": {},
            **fields,
        }
        self.events.extend(as_fold_events([event]))
        return event_id

    def fold(self) -> TaskFold:
        return fold_task(TASK, self.events)


# --- task state ---------------------------------------------------------------------------


def test_the_open_names_the_task_and_sets_its_goal_and_parent() -> None:
    story = Story()
    story.add(
        "open",
        "Fix the flaky test",
        meta={"title": "Flaky test", "goal": "Green CI", "parent_id": "tj-parent"},
    )
    state = story.fold().state
    assert (state.title, state.goal, state.parent_id, state.status) == (
        "Flaky test",
        "Green CI",
        "tj-parent",
        "open",
    )
    assert (state.opened, state.titled, state.event_count) == (True, True, 1)


def test_an_event_before_the_open_stands_in_for_the_title_until_the_open_names_it() -> None:
    story = Story()
    story.add("finding", "The fixture leaks")
    assert story.fold().state.title == "The fixture leaks"
    story.add("open", "Flaky test")
    assert story.fold().state.title == "Flaky test"


def test_a_rename_replaces_the_title_and_a_second_open_does_not() -> None:
    story = Story()
    story.add("open", "First")
    story.add("rename", "", meta={"title": "Second"})
    story.add("open", "Third")
    assert story.fold().state.title == "Second"


def test_a_redirect_without_a_goal_makes_its_text_the_goal() -> None:
    story = Story()
    story.add("open", "Flaky test", meta={"goal": "Fix the test"})
    story.add("redirect", "Rewrite the fixture instead")
    assert story.fold().state.goal == "Rewrite the fixture instead"


def test_a_redirect_with_a_goal_sets_that_goal() -> None:
    story = Story()
    story.add("open", "Flaky test", meta={"goal": "Fix the test"})
    story.add("redirect", "The fixture leaks", meta={"goal": "Fix the fixture"})
    assert story.fold().state.goal == "Fix the fixture"


def test_a_second_close_wins_over_the_first() -> None:
    story = Story()
    story.add("open", "Task")
    story.add("close", "Gave up", meta={"outcome_tag": "abandoned"})
    story.add("close", "Done after all", meta={"outcome": "Shipped", "outcome_tag": "done"})
    state = story.fold().state
    assert (state.status, state.outcome, state.outcome_tag) == ("closed", "Shipped", "done")


def test_a_reopen_of_an_open_task_leaves_it_open() -> None:
    story = Story()
    story.add("open", "Task")
    story.add("reopen", "Again")
    state = story.fold().state
    assert (state.status, state.outcome) == ("open", None)


def test_a_reopen_clears_the_outcome() -> None:
    story = Story()
    story.add("open", "Task")
    story.add("close", "Done")
    story.add("reopen", "Not quite")
    state = story.fold().state
    assert (state.status, state.outcome, state.outcome_tag) == ("open", None, None)


def test_a_duplicate_line_is_counted_once() -> None:
    story = Story()
    story.add("open", "Task")
    story.add("finding", "A finding")
    fold = fold_task(TASK, [*story.events, story.events[1]])
    assert fold.state.event_count == 2
    assert len(fold.events) == 2


def test_a_late_close_is_applied_in_time_order_not_line_order() -> None:
    story = Story()
    story.add("open", "Task")
    story.add("reopen", "Back to it", at=20)
    story.add("close", "Done", at=10)  # older, appended after the reopen
    state = story.fold().state
    assert state.status == "open"
    assert state.last_event_at == "2026-12-01T10:00:20.000Z"


def test_events_with_one_timestamp_are_ordered_by_event_id() -> None:
    events = as_fold_events(
        [
            {"event_id": "01KB", "type": "close", "timestamp": "2026-12-01T10:00:00.000Z"},
            {"event_id": "01KA", "type": "open", "timestamp": "2026-12-01T10:00:00.000Z"},
        ]
    )
    assert [event.event_id for event in canonical(events)] == ["01KA", "01KB"]
    assert fold_task(TASK, events).state.status == "closed"


def test_fields_of_the_wrong_type_are_read_as_absent() -> None:
    events = as_fold_events(
        [
            {"event_id": "01KA", "type": "open", "timestamp": "t1", "text": 5, "meta": [1]},
            {"event_id": "01KB", "type": "redirect", "timestamp": "t2", "text": None},
            {"event_id": 7, "type": None, "timestamp": None, "refs": "x", "corrects": 3},
        ]
    )
    fold = fold_task(TASK, events)
    assert (fold.state.title, fold.state.goal, fold.state.event_count) == ("", None, 3)


# --- standing -----------------------------------------------------------------------------


def test_an_event_nothing_names_is_active() -> None:
    story = Story()
    story.add("open", "Task")
    decision = story.add("decision", "Use filelock")
    standing = story.fold().standing(decision)
    assert (standing.standing, standing.standing_by, standing.holds) == ("active", None, True)


def test_a_supersede_withdraws_the_event_it_names() -> None:
    story = Story()
    story.add("open", "Task")
    old = story.add("decision", "Use flock")
    new = story.add("decision", "Use filelock", supersedes=old)
    standing = story.fold().standing(old)
    assert (standing.standing, standing.standing_by, standing.holds) == ("superseded", new, False)


def test_a_supersede_chain_withdraws_each_link() -> None:
    story = Story()
    story.add("open", "Task")
    first = story.add("decision", "A")
    second = story.add("decision", "B", supersedes=first)
    third = story.add("decision", "C", supersedes=second)
    fold = story.fold()
    assert fold.standing(first).standing_by == second
    assert fold.standing(second).standing_by == third
    assert fold.holds(third)


def test_a_correction_amends_the_event_with_its_text() -> None:
    story = Story()
    story.add("open", "Task")
    finding = story.add("finding", "keepalive_timeout is 60 s")
    correction = story.add("correction", "keepalive_timeout is 75 s", corrects=finding)
    standing = story.fold().standing(finding)
    assert (standing.standing, standing.standing_by, standing.correction, standing.holds) == (
        "corrected",
        correction,
        "keepalive_timeout is 75 s",
        True,
    )


def test_a_corrected_correction_passes_its_correction_on() -> None:
    story = Story()
    story.add("open", "Task")
    finding = story.add("finding", "60 s")
    first = story.add("correction", "75 s", corrects=finding)
    story.add("correction", "90 s", corrects=first)
    fold = story.fold()
    assert fold.standing(finding).correction == "90 s"
    assert [event.text for event in fold.amendments(finding)] == ["75 s", "90 s"]


def test_the_newest_correction_wins() -> None:
    story = Story()
    story.add("open", "Task")
    finding = story.add("finding", "60 s")
    story.add("correction", "75 s", corrects=finding)
    newest = story.add("correction", "90 s", corrects=finding)
    standing = story.fold().standing(finding)
    assert (standing.standing_by, standing.correction) == (newest, "90 s")


def test_an_event_of_another_type_correcting_one_withdraws_it() -> None:
    story = Story()
    story.add("open", "Task")
    decision = story.add("decision", "Use flock")
    rejection = story.add("rejection", "flock fails on NFS", corrects=decision)
    standing = story.fold().standing(decision)
    assert (standing.standing, standing.standing_by, standing.correction, standing.holds) == (
        "corrected",
        rejection,
        "flock fails on NFS",
        False,
    )


def test_a_finding_naming_a_hypothesis_answers_it() -> None:
    story = Story()
    story.add("open", "Task")
    hypothesis = story.add("hypothesis", "The fixture leaks")
    finding = story.add("finding", "It does", refs={"events": [hypothesis]})
    standing = story.fold().standing(hypothesis)
    assert (standing.standing, standing.standing_by, standing.holds) == ("answered", finding, True)


def test_evidence_naming_a_hypothesis_does_not_answer_it() -> None:
    story = Story()
    story.add("open", "Task")
    hypothesis = story.add("hypothesis", "The fixture leaks")
    story.add("evidence", "Leak seen once", refs={"events": [hypothesis]})
    assert story.fold().standing(hypothesis).standing == "active"


def test_a_later_decision_choosing_the_option_overturns_a_rejection() -> None:
    story = Story()
    story.add("open", "Task")
    rejection = story.add("rejection", "Presigned URLs: they expire mid-upload")
    decision = story.add(
        "decision",
        "Use presigned URLs with a long expiry",
        meta={"alternatives": [{"option": "presigned URLs", "chosen": True}]},
    )
    standing = story.fold().standing(rejection)
    assert (standing.mark, standing.standing, standing.standing_by, standing.holds) == (
        "overturned",
        "superseded",
        decision,
        False,
    )


def test_a_decision_added_after_a_whole_fold_may_overturn_by_an_option_new_to_the_task() -> None:
    # Folded whole, the rejections are indexed by the words of the options chosen so far.
    story = Story()
    story.add("open", "Task")
    story.add(
        "decision", "Use a proxy", meta={"alternatives": [{"option": "a proxy", "chosen": True}]}
    )
    rejection = story.add("rejection", "Presigned URLs: they expire mid-upload")
    fold = story.fold()
    story.add(
        "decision",
        "Use presigned URLs after all",
        meta={"alternatives": [{"option": "presigned URLs", "chosen": True}]},
    )
    assert rejection in fold.add(story.events[-1])
    assert not fold.holds(rejection)


def test_a_task_choosing_many_options_overturns_the_rejections_of_each() -> None:
    # Many words of options: the rejections are split into words rather than searched for
    # each; folding the whole and event by event must still agree.
    story = Story()
    story.add("open", "Task")
    rejections = [story.add("rejection", f"Option{number} tool: too slow") for number in range(40)]
    decisions = [
        story.add(
            "decision",
            f"Use option{number}",
            meta={"alternatives": [{"option": f"option{number} tool", "chosen": True}]},
        )
        for number in range(0, 40, 2)
    ]
    whole = story.fold()
    by_event = TaskFold(TASK)
    for event in story.events:
        by_event.add(event)
    for fold in (whole, by_event):
        assert [fold.standing(rejection).standing_by for rejection in rejections] == [
            decisions[number // 2] if number % 2 == 0 else None for number in range(40)
        ]


def test_a_decision_that_did_not_choose_the_option_leaves_the_rejection_standing() -> None:
    story = Story()
    story.add("open", "Task")
    rejection = story.add("rejection", "Presigned URLs: they expire mid-upload")
    story.add(
        "decision",
        "Proxy the uploads",
        meta={"alternatives": [{"option": "presigned URLs", "chosen": False}]},
    )
    assert story.fold().holds(rejection)


def test_a_later_decision_choosing_a_rejected_alternative_overturns_it() -> None:
    story = Story()
    story.add("open", "Task")
    first = story.add(
        "decision",
        "Proxy the uploads",
        meta={
            "alternatives": [
                {"option": "Proxy", "chosen": True},
                {"option": "Presigned URLs", "chosen": False},
            ]
        },
    )
    story.add(
        "decision",
        "Presigned after all",
        meta={"alternatives": [{"option": "presigned urls", "chosen": True}]},
    )
    assert story.fold().overturned_options(first) == ["Presigned URLs"]


def test_an_event_names_only_events_before_it() -> None:
    story = Story()
    story.add("open", "Task")
    later = "01KQ0000000000000000000009"
    story.add("decision", "Supersedes a later one", supersedes=later)
    story.add("decision", "The later one", at=9)
    assert story.fold().holds(later)


def test_a_withdrawal_wins_over_a_later_correction() -> None:
    story = Story()
    story.add("open", "Task")
    decision = story.add("decision", "Use flock")
    newer = story.add("decision", "Use filelock", supersedes=decision)
    correction = story.add("correction", "Use flock(2)", corrects=decision)
    standing = story.fold().standing(decision)
    assert (standing.standing, standing.standing_by, standing.amended_by) == (
        "superseded",
        newer,
        correction,
    )


def test_effects_work_over_what_an_index_knows() -> None:
    hypothesis = Known(event_id="01KA", type="hypothesis")
    finding = as_fold_events(
        [{"event_id": "01KB", "type": "finding", "refs": {"events": ["01KA", "01KZ"]}}]
    )[0]
    changed = effects(finding, {"01KA": hypothesis}.get)
    assert changed == {"01KA": Standing(mark="answered", standing_by="01KB")}


def test_adding_an_event_that_does_not_follow_is_refused() -> None:
    story = Story()
    story.add("open", "Task", at=5)
    story.add("finding", "Older", at=1)
    fold = TaskFold(TASK)
    fold.add(story.events[0])
    assert not fold.follows(story.events[1])
    try:
        fold.add(story.events[1])
    except ValueError:
        pass
    else:
        raise AssertionError("an event out of order was taken")


# --- the property -------------------------------------------------------------------------

KINDS = EVENT_TYPES


@st.composite
def task_events(draw: st.DrawFn) -> list[dict[str, Any]]:
    """The events of one task: any types, times that repeat and go back, events that
    name earlier (or later, or unknown) events, options that overturn rejections."""
    count = draw(st.integers(1, 14))
    ids = [f"01KQ{number:022d}" for number in range(count)]
    events = []
    for event_id in ids:
        kind = draw(st.sampled_from(KINDS))
        named = st.none() | st.sampled_from([*ids, "01KQ9999999999999999999999"])
        refs = draw(st.lists(st.sampled_from(ids), max_size=2))
        event: dict[str, Any] = {
            "event_id": event_id,
            "type": kind,
            "timestamp": f"2026-12-01T10:00:{draw(st.integers(0, 9)):02d}.000Z",
            "text": draw(st.sampled_from(["presigned URLs are slow", "use a proxy", "x"])),
            "author": "agent",
            "refs": {"events": refs} if refs else {},  # an empty dict names nothing
            "meta": {},
        }
        if (target := draw(named)) is not None:
            event["corrects" if draw(st.booleans()) else "supersedes"] = target
        if kind == "decision":
            event["meta"]["alternatives"] = [
                {"option": draw(st.sampled_from(["presigned URLs", "a proxy"])), "chosen": chosen}
                for chosen in draw(st.lists(st.booleans(), max_size=2))
            ]
        if kind in ("open", "redirect", "close", "rename") and draw(st.booleans()):
            event["meta"].update(goal="g", title="t", outcome="o")
        events.append(event)
    return events


def _answers(fold: TaskFold) -> tuple[Any, ...]:
    return (
        msgspec.to_builtins(fold.state),
        msgspec.to_builtins(fold.changed()),
        [event.event_id for event in fold.events],
        {event.event_id: fold.overturned_options(event.event_id) for event in fold.events},
    )


# Half the profile's examples: each folds two tasks.
EXAMPLES = max(10, settings().max_examples // 2)


@given(task_events(), st.randoms(use_true_random=False), st.data())
@settings(max_examples=EXAMPLES, deadline=None)
def test_any_line_order_with_duplicates_folds_alike(
    events: list[dict[str, Any]], random: Any, data: st.DataObject
) -> None:
    lines = as_fold_events(events)
    shuffled = [*lines, *data.draw(st.lists(st.sampled_from(lines), max_size=4))]
    random.shuffle(shuffled)
    assert _answers(fold_task(TASK, shuffled)) == _answers(fold_task(TASK, lines))


@given(task_events(), st.booleans())
@settings(max_examples=EXAMPLES, deadline=None)
def test_folding_event_by_event_gives_what_folding_the_whole_gives(
    events: list[dict[str, Any]], id_twice: bool
) -> None:
    if id_twice:  # one event id at two times: two events, each named by what follows it
        events[-1]["event_id"] = events[0]["event_id"]
    lines = canonical(as_fold_events(events))
    fold = TaskFold(TASK)
    standings: dict[str, Standing] = {}
    for event in lines:
        standings.update(fold.add(event))
    whole = fold_task(TASK, lines)
    assert _answers(whole) == _answers(fold)
    assert msgspec.to_builtins(standings) == msgspec.to_builtins(whole.standings())
    for kinds in (("decision",), ("rejection",), ("open", "rename", "close", "reopen")):
        assert whole.of_types(*kinds) == [event for event in lines if event.type in kinds]
    for kind in ("decision", "rejection", "hypothesis", "finding"):
        holding = [event for event in lines if event.type == kind and fold.holds(event.event_id)]
        assert whole.holding_count(kind) == fold.holding_count(kind) == len(holding)


@given(task_events(), st.randoms(use_true_random=False), st.data())
@settings(max_examples=EXAMPLES, deadline=None)
def test_a_fold_given_the_standings_an_index_keeps_answers_as_folding_them_does(
    events: list[dict[str, Any]], random: Any, data: st.DataObject
) -> None:
    """An index keeps the standings the fold gave; a pack hands them back to skip the work.
    The fold then answers alike, and goes on alike as events are added."""
    lines = as_fold_events(events)
    whole = fold_task(TASK, lines)
    shuffled = list(lines)
    random.shuffle(shuffled)
    given_them = fold_task(TASK, shuffled, whole.standings())
    assert _answers(given_them) == _answers(whole)
    for kind in ("decision", "rejection", "hypothesis", "finding"):
        assert given_them.holding_count(kind) == whole.holding_count(kind)
    later = data.draw(task_events())
    for event in canonical(as_fold_events(later)):
        event.event_id = "01KZ" + event.event_id[4:]  # new ids, after every event so far
        event.timestamp = "2026-12-02" + event.timestamp[10:]
        if given_them.follows(event):
            assert given_them.add(event) == whole.add(event)
    assert _answers(given_them) == _answers(whole)


def test_a_fold_takes_the_standings_it_is_given_without_working_them_out() -> None:
    lines = as_fold_events(
        [
            {"event_id": "01KQ1", "type": "finding", "timestamp": "2026-12-01T10:00:01Z"},
            {"event_id": "01KQ2", "type": "finding", "timestamp": "2026-12-01T10:00:02Z"},
        ]
    )
    said = {"01KQ1": Standing(mark="superseded", standing_by="01KQ2")}
    assert fold_task(TASK, lines, said).standings() == said
    assert fold_task(TASK, lines).standings() == {}


def test_a_fold_of_an_id_at_two_times_works_the_standings_out_whatever_it_is_given() -> None:
    """An index keeps one standing per line, and reads an id's by the id: for an id at two
    times that is not the fold's answer, so the fold works it out."""
    lines = as_fold_events(
        [
            {"event_id": "01KQ1", "type": "finding", "timestamp": "2026-12-01T10:00:01Z"},
            {"event_id": "01KQ2", "type": "finding", "timestamp": "2026-12-01T10:00:02Z"},
            {"event_id": "01KQ1", "type": "finding", "timestamp": "2026-12-01T10:00:03Z"},
        ]
    )
    said = {"01KQ2": Standing(mark="superseded", standing_by="01KQ1")}
    assert fold_task(TASK, lines, said).standings() == {}


@given(task_events(), st.randoms(use_true_random=False))
@settings(max_examples=EXAMPLES, deadline=None)
def test_a_late_event_taken_as_it_is_changes_only_what_folding_the_whole_changes(
    events: list[dict[str, Any]], random: Any
) -> None:
    lines = as_fold_events(events)
    random.shuffle(lines)
    state, seen = TaskState(task_id=TASK), list[FoldEvent]()
    for event in lines:
        key = canonical_key(event)
        if key in {canonical_key(other) for other in seen}:
            continue  # a duplicate: counted once
        before = fold_task(TASK, seen).standings()
        later = [other for other in seen if canonical_key(other) > key]
        seen.append(event)
        if state.take(event, key):
            continue
        if state.take_late(event, key, later):
            whole = fold_task(TASK, seen)
            assert msgspec.to_builtins(state) == msgspec.to_builtins(whole.state)
            assert whole.standings() == before  # the late event among the active
        else:
            state = fold_task(TASK, seen).state
    assert msgspec.to_builtins(state) == msgspec.to_builtins(fold_task(TASK, lines).state)


def test_every_order_of_a_correction_chain_folds_alike() -> None:
    story = Story()
    story.add("open", "Task")
    finding = story.add("finding", "60 s")
    first = story.add("correction", "75 s", corrects=finding)
    story.add("correction", "90 s", corrects=first)
    answers = {
        fold_task(TASK, order).standing(finding).correction
        for order in itertools.permutations(story.events)
    }
    assert answers == {"90 s"}


@given(
    before=st.lists(st.sampled_from(EVENT_TYPES), max_size=6),
    kind=st.sampled_from([*EVENT_TYPES, "a-newer-writers-type"]),
)
def test_only_the_status_verbs_change_whether_a_task_is_opened_and_its_status(
    before: list[str], kind: str
) -> None:
    # Admission passes over a late event of any other type (journal_core/admission.py).
    story = Story()
    for made in before:
        story.add(made)
    state = fold_task(TASK, story.events).state
    story.add(kind)
    after = fold_task(TASK, story.events).state
    if kind not in STATUS_VERBS:
        assert (after.opened, after.status) == (state.opened, state.status)
