"""Journal text is text: foreign lines whose every field is markup, script, a
``javascript:`` link or a bidi override are shown as written, and nothing runs, opens a
dialog or fetches anything."""

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.ui.conftest import Viewer, Watched, start_viewer, stop_viewer, watch
from tests.ui.journals import HOSTILE, hostile_line, hostile_lines, story_journal


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Viewer, list[str]]]:
    journal = tmp_path_factory.mktemp("hostile") / "journal.jsonl"
    story_journal(journal)
    task_ids = hostile_lines(journal)
    viewer = start_viewer(journal)
    yield viewer, task_ids
    stop_viewer(viewer)


@pytest.fixture(scope="module")
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context()
    yield context
    context.close()


def _task_path(task_id: str) -> str:
    return "tasks/" + quote(task_id, safe="")


def _visit(context: BrowserContext, viewer: Viewer, path: str) -> Watched:
    watched = watch(context, viewer.url)
    watched.page.goto(viewer.url + path)
    expect(watched.page.locator("main")).to_be_visible()
    return watched


def _nothing_ran(watched: Watched, *expected: str) -> None:
    """No element that runs or loads made it into the page, and nothing fired."""
    page = watched.page
    page.wait_for_timeout(200)  # time for anything that would fire late (onerror, onload)
    assert page.locator("main :is(script, img, iframe, style, svg:not(.links))").count() == 0
    page.close()
    assert watched.trouble() == list(expected)


@pytest.mark.parametrize("n", [pytest.param(n, id=text[:24]) for n, text in enumerate(HOSTILE)])
def test_a_hostile_task_page_shows_its_text_and_runs_nothing(
    context: BrowserContext, hostile: tuple[Viewer, list[str]], n: int
) -> None:
    viewer, task_ids = hostile
    watched = _visit(context, viewer, _task_path(task_ids[n]))
    page = watched.page
    event = page.locator(".event.type-decision")
    expect(event.locator(".text").first).to_contain_text(f"hostile{n}")
    shown = page.locator("main").inner_text()
    printable = HOSTILE[n].isprintable()
    if printable:
        # Every field holds the text, and it reads back exactly as written.
        assert shown.count(HOSTILE[n]) >= 5, shown
    else:
        # Control and bidi characters are shown as escapes, never obeyed.
        assert "\\u202e" in shown or "\\x07" in shown, shown
    _nothing_ran(watched)


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("?status=any", id="tasks"),
        pytest.param("search?q=hostile", id="search"),
        pytest.param("search?q=hostile&all=1", id="search all projects"),
        pytest.param("rejected?q=" + quote("<script>"), id="rejected"),
        pytest.param("?q=" + quote("<img src=x onerror=alert(1)>"), id="filter words"),
    ],
)
def test_hostile_text_in_lists_and_queries_runs_nothing(
    context: BrowserContext, hostile: tuple[Viewer, list[str]], path: str
) -> None:
    _nothing_ran(_visit(context, hostile[0], path))


def test_an_unknown_hostile_task_id_is_a_404_that_runs_nothing(
    context: BrowserContext, hostile: tuple[Viewer, list[str]]
) -> None:
    viewer, _ = hostile
    watched = watch(context, viewer.url)
    page = watched.page
    url = viewer.url + "tasks/" + quote('"><script>alert(1)</script>', safe="")
    response = page.goto(url)
    assert response is not None
    assert response.status == 404
    expect(page.locator(".message")).to_contain_text('"><script>alert(1)</script>')
    the_404 = (
        "console error: Failed to load resource: the server responded with a status of "
        f"404 (Not Found) ({url})"
    )
    _nothing_ran(watched, the_404)


def test_hostile_task_links_lead_to_their_own_pages(
    context: BrowserContext, hostile: tuple[Viewer, list[str]]
) -> None:
    viewer, task_ids = hostile
    watched = _visit(context, viewer, "?status=any")
    page = watched.page
    hrefs = page.locator("a.task-title").evaluate_all("links => links.map(a => a.href)")
    assert all(href.startswith(viewer.url + "tasks/") for href in hrefs), hrefs
    page.get_by_role("link", name=HOSTILE[5]).click()  # javascript:alert('link')
    expect(page.locator(".crumbs .id")).to_have_text(task_ids[5])
    _nothing_ran(watched)


def test_hostile_text_arriving_live_is_text_and_runs_nothing(
    context: BrowserContext, hostile: tuple[Viewer, list[str]]
) -> None:
    viewer, task_ids = hostile
    watched = _visit(context, viewer, _task_path(task_ids[0]))
    page = watched.page
    expect(page.locator("#live")).to_have_attribute("data-state", "on")
    with viewer.journal.open("a", encoding="utf-8") as journal:  # a teammate's synced lines
        for text in HOSTILE[:6]:
            journal.write(hostile_line(task_ids[0], "finding", text, text))
    arrived = page.locator(".event.type-finding > .text")
    expect(arrived).to_have_count(6)
    assert sorted(arrived.all_inner_texts()) == sorted(HOSTILE[:6])
    _nothing_ran(watched)
