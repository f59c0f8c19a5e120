"""Who may read the viewer: loopback by default, a token otherwise; the checks of the MCP
HTTP transport on Host and Origin; reading only; a strict Content-Security-Policy."""

import http.client
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.ui.conftest import CLI, Viewer, start_viewer, stop_viewer, watch
from tests.ui.journals import story_journal

EVERY_ADDRESS = "0.0.0.0"  # noqa: S104  (refused before it is bound)
TOKEN = "s3cret-token-for-tests"  # noqa: S105  (a test's token)


@pytest.fixture(scope="module")
def journal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("access") / "journal.jsonl"
    story_journal(path)
    return path


@pytest.fixture(scope="module")
def open_viewer(journal: Path) -> Iterator[Viewer]:
    viewer = start_viewer(journal)
    yield viewer
    stop_viewer(viewer)


@pytest.fixture(scope="module")
def locked_viewer(journal: Path) -> Iterator[Viewer]:
    viewer = start_viewer(journal, "--token", TOKEN)
    yield viewer
    stop_viewer(viewer)


def _get(
    viewer: Viewer, path: str, method: str = "GET", **headers: str
) -> http.client.HTTPResponse:
    host, port = viewer.url.removeprefix("http://").rstrip("/").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request(method, path, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_a_non_loopback_host_without_a_token_refuses_to_start(journal: Path) -> None:
    done = subprocess.run(
        [CLI, "--journal", str(journal), "ui", "--host", EVERY_ADDRESS, "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "refusing to serve the journal on non-loopback host '0.0.0.0' without a token" in (
        done.stderr
    )


def test_with_a_token_a_request_without_it_gets_401(locked_viewer: Viewer) -> None:
    for path in ("/", "/search?q=memory", "/live", "/static/viewer.css"):
        assert _get(locked_viewer, path).status == 401, path
    assert _get(locked_viewer, "/", Authorization="Bearer wrong").status == 401
    assert _get(locked_viewer, "/", Cookie="task_journal_token=wrong").status == 401
    assert _get(locked_viewer, "/", Authorization=f"Bearer {TOKEN}").status == 200


def test_a_browser_brings_the_token_once_and_keeps_it_in_a_cookie(
    browser: Browser, locked_viewer: Viewer
) -> None:
    watched = watch(browser, locked_viewer.url)
    page = watched.page
    page.goto(f"{locked_viewer.url}search?q=memory&token={TOKEN}")
    expect(page).to_have_url(f"{locked_viewer.url}search?q=memory")  # the token left the URL
    expect(page.locator(".hit").first).to_be_visible()
    page.get_by_role("link", name="Tasks", exact=True).click()
    expect(page.locator(".task").first).to_be_visible()
    expect(page.locator("#live")).to_have_attribute("data-state", "on")
    cookie = page.context.cookies()[0]
    assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"]) == (
        "task_journal_token",
        True,
        "Strict",
    )
    page.context.close()
    assert watched.trouble() == []


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        pytest.param({"Host": "evil.example"}, 421, id="foreign host"),
        pytest.param({"Host": "evil.example:8766"}, 421, id="foreign host and port"),
        pytest.param({"Origin": "http://evil.example"}, 403, id="foreign origin"),
        pytest.param({"Origin": "null"}, 403, id="null origin"),
        pytest.param({"Origin": "http://127.0.0.1:8766"}, 200, id="loopback origin"),
    ],
)
def test_host_and_origin_are_checked_as_the_mcp_transport_does(
    open_viewer: Viewer, headers: dict[str, str], status: int
) -> None:
    assert _get(open_viewer, "/", **headers).status == status


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_nothing_can_be_written(open_viewer: Viewer, method: str) -> None:
    for path in ("/", "/tasks/x", "/search", "/live"):
        assert _get(open_viewer, path, method).status == 405, path


def test_every_answer_carries_a_strict_content_security_policy(open_viewer: Viewer) -> None:
    for path in ("/", "/search?q=a", "/tasks/none", "/static/viewer.js", "/nothing-here"):
        policy = _get(open_viewer, path).getheader("Content-Security-Policy") or ""
        assert "script-src 'self';" in policy, path
        assert "style-src 'self';" in policy, path
        assert "default-src 'none'" in policy, path
        assert "unsafe-inline" not in policy, path
