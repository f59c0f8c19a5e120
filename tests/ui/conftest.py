"""The viewer in a real browser: Debian's Chromium driven by Playwright, one per module.

The viewer runs as a real ``task-journal ui`` subprocess on a free port. Chromium is
Debian's (``apt-get install chromium``): Playwright's own download is not reachable
here. Without it these tests skip on a developer's machine and fail in CI (CI=true),
whose ``.ci/run`` installs it.
"""

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

CHROMIUM = os.environ.get("TASK_JOURNAL_CHROMIUM", "/usr/bin/chromium")
CLI = str(Path(sys.executable).parent / "task-journal")
_LISTENING = re.compile(r"on (http://\S+/) ")
# How long a check waits for the page to come right: generous, since a machine shared
# with other suites can be slow; a wait, never a measure of speed (bench/ui.py is).
expect.set_options(timeout=20_000)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not shutil.which(CHROMIUM):
        message = f"no Chromium at {CHROMIUM}: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must install it: see .ci/run)")
        pytest.skip(message)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    )
    yield browser
    browser.close()


@dataclass
class Watched:
    """A page with everything it did that it should not have: dialogs, console errors,
    page errors, and requests anywhere but the viewer."""

    page: Page
    base: str
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def trouble(self) -> list[str]:
        foreign = [url for url in self.requests if not url.startswith(self.base)]
        return self.dialogs + self.errors + [f"request to {url}" for url in foreign]


def watch(opener: Browser | BrowserContext, base: str, **context: object) -> Watched:
    """A new page, in a context of its own (from a browser) or in ``opener``."""
    page = opener.new_page(**context)  # type: ignore[arg-type]
    watched = Watched(page, base)

    def on_dialog(dialog: Dialog) -> None:
        watched.dialogs.append(f"dialog {dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            where = message.location.get("url", "")
            watched.errors.append(f"console {message.type}: {message.text} ({where})")

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    page.on("pageerror", lambda error: watched.errors.append(f"page error: {error}"))
    page.on("request", lambda request: watched.requests.append(request.url))
    return watched


@dataclass
class Viewer:
    process: subprocess.Popen[str]
    url: str
    journal: Path

    def append(self, *args: str) -> str:
        """A real ``task-journal append``, as another writer; returns what it printed."""
        done = subprocess.run(
            [CLI, "--journal", str(self.journal), "append", *args],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout


def start_viewer(journal: Path, *args: str) -> Viewer:
    """``task-journal ui`` on a free port, once it says where it listens."""
    process = subprocess.Popen(
        [CLI, "--journal", str(journal), "ui", "--port", "0", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    line = process.stderr.readline()
    found = _LISTENING.search(line)
    if found is None:
        process.kill()
        process.wait()
        raise AssertionError(f"the viewer did not start: {line}{process.stderr.read()}")
    return Viewer(process, found.group(1), journal)


def stop_viewer(viewer: Viewer) -> None:
    viewer.process.terminate()
    try:
        viewer.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        viewer.process.kill()
        viewer.process.wait()
    assert viewer.process.stderr is not None
    viewer.process.stderr.close()
