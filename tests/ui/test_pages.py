"""The viewer's pages in a real browser: each loads, links lead on, search finds, and a
CLI append shows on an open page without a reload."""

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.ui.conftest import Viewer, Watched, start_viewer, stop_viewer, watch
from tests.ui.journals import story_journal

# `make screenshots` sets this to docs/: the pages as the README shows them.
SCREENSHOTS = os.environ.get("TASK_JOURNAL_SCREENSHOTS")
WIDE = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Viewer, dict[str, str]]]:
    journal = tmp_path_factory.mktemp("story") / "journal.jsonl"
    ids = story_journal(journal)
    viewer = start_viewer(journal)
    yield viewer, ids
    stop_viewer(viewer)


@pytest.fixture
def viewer(story: tuple[Viewer, dict[str, str]]) -> Viewer:
    return story[0]


@pytest.fixture
def ids(story: tuple[Viewer, dict[str, str]]) -> dict[str, str]:
    return story[1]


@pytest.fixture
def wide(browser: Browser, viewer: Viewer) -> Iterator[Watched]:
    watched = watch(browser, viewer.url, viewport=WIDE)
    yield watched
    watched.page.context.close()
    assert watched.trouble() == []


def _shoot(watched: Watched, name: str) -> None:
    if SCREENSHOTS:
        watched.page.screenshot(path=str(Path(SCREENSHOTS) / name), full_page=False)


def test_tasks_page_lists_open_tasks_with_their_marks(wide: Watched, viewer: Viewer) -> None:
    page = wide.page
    page.goto(viewer.url)
    tasks = page.locator(".task")
    expect(tasks.first).to_be_visible()
    assert tasks.count() == 4
    story = page.locator(".task", has_text="Large uploads fail on staging")
    expect(story.locator(".mark-question")).to_have_text("1 open question")
    expect(
        page.locator(".task", has_text="Release notes tidy-up").locator(".mark-stale")
    ).to_be_visible()
    _shoot(wide, "ui-tasks.png")


def test_following_a_task_link_opens_its_timeline_with_links_drawn(
    wide: Watched, viewer: Viewer, ids: dict[str, str]
) -> None:
    page = wide.page
    page.goto(viewer.url)
    page.get_by_role("link", name="Large uploads fail on staging").click()
    expect(page).to_have_url(f"{viewer.url}tasks/{ids['task']}")
    expect(page.locator("h1")).to_have_text("Large uploads fail on staging")
    expect(page.locator(".goal")).to_contain_text("Uploads of any size finish")
    superseded = page.locator(f"#e-{ids['decision']}")
    expect(superseded.locator(".standing")).to_contain_text("superseded")
    answered = page.locator(f"#e-{ids['hypothesis']}")
    expect(answered.locator(".standing")).to_contain_text("answered")
    expect(page.locator(".correction")).to_contain_text("4.3 GB")
    expect(page.locator(".chip-file", has_text="deploy/nginx.conf")).to_be_visible()
    lines = page.locator(".event.type-evidence > .text").inner_text()
    assert lines == "A 7 GB upload finished in 3 min 10 s;\npeak memory 180 MB"
    # supersedes, corrects and answers, each drawn as a curve between two events
    expect(page.locator("svg.links path")).to_have_count(3)
    expect(page.locator(".pack-section h3").first).to_have_text("Active decisions")
    _shoot(wide, "ui-task.png")


def test_search_finds_words_and_shows_where_each_hit_stands(wide: Watched, viewer: Viewer) -> None:
    page = wide.page
    page.goto(viewer.url + "search")
    page.get_by_label("Search words").fill("memory limit")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(f"{viewer.url}search?q=memory+limit")
    hits = page.locator(".hit")
    expect(hits.first).to_be_visible()
    expect(page.locator(".hit mark").first).to_be_visible()
    superseded = page.locator(".hit", has_text="Raise the worker memory")
    expect(superseded.locator(".standing")).to_contain_text("superseded")
    superseded.locator("a.task-title").click()
    expect(page.locator("h1")).to_have_text("Large uploads fail on staging")


def test_rejected_page_shows_what_was_ruled_out(wide: Watched, viewer: Viewer) -> None:
    page = wide.page
    page.goto(viewer.url + "rejected?q=memory")
    expect(page.locator(".hit")).to_have_count(1)
    expect(page.locator(".hit .type")).to_have_text("rejection")
    page.goto(viewer.url + "search?q=multipart&all=1")
    expect(page.get_by_label("all projects")).to_be_checked()
    expect(page.locator(".hit").first).to_be_visible()
    page.goto(viewer.url + "search?q=upload+memory")
    _shoot(wide, "ui-search.png")


@pytest.fixture
def story_live(wide: Watched, viewer: Viewer, ids: dict[str, str]) -> Page:
    """The story's task page with its live stream on, marked so that a reload shows."""
    page = wide.page
    page.goto(f"{viewer.url}tasks/{ids['task']}")
    expect(page.locator("#live")).to_have_attribute("data-state", "on")
    page.evaluate("window.notReloaded = true")
    return page


def test_a_cli_append_appears_on_an_open_page_without_a_reload(
    story_live: Page, viewer: Viewer, ids: dict[str, str]
) -> None:
    text = "Parts retried after a timeout are not duplicated"
    viewer.append("finding", text, "--task", ids["task"])
    arrived = story_live.locator(".event", has_text=text)
    expect(arrived).to_be_visible()
    expect(arrived).to_have_class("event type-finding standing-active fresh")
    assert story_live.evaluate("window.notReloaded") is True


def test_a_correction_arriving_live_marks_the_row_it_corrects(
    story_live: Page, viewer: Viewer, ids: dict[str, str]
) -> None:
    page = story_live
    text = "Chunks must stay at 5 MiB or more: S3 refuses smaller parts"
    viewer.append("correction", text, "--task", ids["task"], "--corrects", ids["constraint"])
    corrected = page.locator(f"#e-{ids['constraint']}")
    expect(corrected.locator(".standing")).to_contain_text("corrected")
    expect(corrected.locator(".correction")).to_contain_text("5 MiB")
    correction = page.locator(".event.type-correction", has_text="5 MiB")
    expect(correction.locator(".link-note")).to_contain_text("corrects")
    # the task's overview follows: what holds now says the corrected text
    expect(page.locator("#pack")).to_contain_text("5 MiB")
    assert page.evaluate("window.notReloaded") is True


def test_every_page_fits_a_phone_width(
    browser: Browser, viewer: Viewer, ids: dict[str, str]
) -> None:
    watched = watch(browser, viewer.url, viewport=PHONE, is_mobile=True, has_touch=True)
    page = watched.page
    for path in ("", f"tasks/{ids['task']}", "search?q=upload", "rejected?q=memory"):
        page.goto(viewer.url + path)
        expect(page.locator("main")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
    page.goto(f"{viewer.url}tasks/{ids['task']}")
    _shoot(watched, "ui-task-phone.png")
    page.context.close()
    assert watched.trouble() == []


def test_dark_mode_follows_the_system(browser: Browser, viewer: Viewer) -> None:
    watched = watch(browser, viewer.url, viewport=WIDE, color_scheme="dark")
    page = watched.page
    page.goto(viewer.url)
    background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert background == "rgb(18, 19, 22)"
    _shoot(watched, "ui-tasks-dark.png")
    page.context.close()
    assert watched.trouble() == []


def test_long_lists_come_in_pages(browser: Browser, tmp_path: Path) -> None:
    from journal_core import new_event
    from journal_core.events import encode_line

    journal_path = tmp_path / "many.jsonl"
    first = new_event(type="open", text="A long task", title="A long task")
    with journal_path.open("wb") as journal:  # as another writer would, quickly
        journal.write(encode_line(first))
        for n in range(130):
            finding = new_event(type="finding", text=f"finding {n}", task_id=first.task_id)
            journal.write(encode_line(finding))
        for n in range(60):
            journal.write(encode_line(new_event(type="open", text=f"t{n}", title=f"Task {n}")))
    viewer = start_viewer(journal_path)
    try:
        watched = watch(browser, viewer.url, viewport=WIDE)
        page = watched.page
        page.goto(viewer.url)
        expect(page.locator(".task")).to_have_count(50)
        page.get_by_role("link", name="Older →").click()
        expect(page.locator(".task")).to_have_count(11)
        page.get_by_role("link", name="A long task").click()
        expect(page.locator(".event")).to_have_count(100)
        page.get_by_role("link", name="Older →").click()
        expect(page.locator(".event")).to_have_count(31)
        expect(page.locator(".event").last).to_contain_text("A long task")
        page.context.close()
        assert watched.trouble() == []
    finally:
        stop_viewer(viewer)


def test_a_task_page_part_is_that_part_alone(viewer: Viewer, ids: dict[str, str]) -> None:
    url = f"{viewer.url}tasks/{ids['task']}"
    timeline = _read(url + "?part=timeline")
    assert 'id="timeline"' in timeline
    assert 'id="pack"' not in timeline
    assert 'id="head"' not in timeline
    overview = _read(url + "?part=overview")
    assert 'id="pack"' in overview
    assert 'id="head"' in overview
    assert 'id="timeline"' not in overview
    for part in ("timeline", "overview"):
        with pytest.raises(HTTPError) as missing:
            _read(f"{viewer.url}tasks/tj-nosuchtask?part={part}")
        missing.value.close()
        assert missing.value.code == 404


def _read(url: str) -> str:
    with urlopen(url, timeout=10) as response:  # noqa: S310  (the test's own viewer)
        body: bytes = response.read()
    return body.decode()
