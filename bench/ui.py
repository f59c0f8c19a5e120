"""How fast the viewer answers on a big journal, and how soon an append shows: one table.

Reuses ``bench/find.py``'s journal (1,000,000 events across 10,000 tasks, cached under
``bench/data/``), on a copy, and adds one task of 10,000 events to it as another writer
would. Rows:

- server time of ``/`` (the first page of open tasks), ``/tasks/<id>`` of the 10,000-event
  task and ``/search?q=<two words>``: the whole ASGI app (guards, journal reads,
  rendering) called in process, warm, median and p95 of ``--runs``;
- a fresh ``task-journal ui`` process (start-up, imports, the index opened) to its first
  ``/`` answered, and that first request alone, median of ``--cold``;
- a real ``task-journal append`` to the moment its text is on an open page in Chromium
  (a real ``task-journal ui`` on loopback), median of ``--appends``.

Run: ``python bench/ui.py [--events 1000000] [--tasks 10000] [--runs 21]``; a smaller
``--events`` makes a quick run. Machine load shows in the numbers: the load average is
printed with the table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from urllib.request import urlopen

sys.path.insert(0, str(Path(__file__).resolve().parent))
import find
from starlette.types import ASGIApp, Message

from journal_core import Journal, Settings
from journal_core.events import encode_line, new_event
from server.ui import build_app

CHROMIUM = os.environ.get("TASK_JOURNAL_CHROMIUM", "/usr/bin/chromium")
CLI = str(Path(sys.executable).parent / "task-journal")
BIG_TASK_EVENTS = 10_000


def add_big_task(path: Path) -> str:
    """One task of BIG_TASK_EVENTS events, appended raw; its id."""
    opened = new_event(type="open", text="one very long task", title="A very long task")
    with path.open("ab") as file:
        file.write(encode_line(opened))
        for n in range(BIG_TASK_EVENTS - 1):
            kind = ("finding", "evidence", "hypothesis", "decision")[n % 4]
            event = new_event(type=kind, text=f"step {n} of the long task", task_id=opened.task_id)
            file.write(encode_line(event))
    return opened.task_id


async def get(app: ASGIApp, url: str) -> int:
    """GET ``url`` from ``app`` as uvicorn would hand it over; the status."""
    parts = urlsplit(url)
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8766")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8766),
    }
    status = 0

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


def server_times(journal: Journal, urls: list[str], runs: int) -> list[list[float]]:
    """Milliseconds per request of each URL, through the whole app, in process."""
    app = build_app(journal, host="127.0.0.1", token=None, environ={})

    async def measure() -> list[list[float]]:
        times: list[list[float]] = []
        for url in urls:
            assert await get(app, url) == 200, url  # warm: the index caught up, pages read
            took = []
            for _ in range(runs):
                started = time.perf_counter()
                status = await get(app, url)
                took.append((time.perf_counter() - started) * 1000)
                assert status == 200, url
            times.append(sorted(took))
        return times

    return asyncio.run(measure())


def start_viewer(path: Path) -> tuple[subprocess.Popen[str], str]:
    """A real ``task-journal ui`` on a free port, once it says where: it and its URL."""
    viewer = subprocess.Popen(
        [CLI, "--journal", str(path), "ui", "--port", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert viewer.stderr is not None
    found = re.search(r"on (http://\S+/) ", viewer.stderr.readline())
    assert found, "the viewer did not start"
    return viewer, found.group(1)


def stop(viewer: subprocess.Popen[str]) -> None:
    viewer.terminate()
    viewer.wait()
    assert viewer.stderr is not None
    viewer.stderr.close()


def cold_first_page(path: Path, runs: int) -> tuple[list[float], list[float]]:
    """Milliseconds from starting a fresh ``task-journal ui`` to its first ``/``
    answered, and of that first request alone, sorted."""
    whole, first = [], []
    for _ in range(runs):
        started = time.perf_counter()
        viewer, url = start_viewer(path)
        asked = time.perf_counter()
        try:
            with urlopen(url, timeout=60) as response:  # noqa: S310  (our own viewer)
                response.read()
        finally:
            stop(viewer)
        done = time.perf_counter()
        whole.append((done - started) * 1000)
        first.append((done - asked) * 1000)
    return sorted(whole), sorted(first)


def append_to_page(path: Path, task_id: str, appends: int) -> list[float]:
    """Milliseconds from starting a real CLI append to its text on an open page."""
    from playwright.sync_api import sync_playwright

    viewer, url = start_viewer(path)
    took = []
    try:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page()
            page.goto(url + "tasks/" + quote(task_id, safe=""))
            page.wait_for_selector("#live[data-state=on]")
            for n in range(appends):
                text = f"appended while watched {n}"
                started = time.perf_counter()
                subprocess.run(
                    [CLI, "--journal", str(path), "append", "finding", text, "--task", task_id],
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
                page.wait_for_selector(f"text={text}", timeout=30_000)
                took.append((time.perf_counter() - started) * 1000)
            browser.close()
    finally:
        stop(viewer)
    return sorted(took)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--appends", type=int, default=5)
    parser.add_argument("--cold", type=int, default=5, help="fresh viewers started")
    args = parser.parse_args()

    find.DATA.mkdir(exist_ok=True)
    source = find.DATA / f"find-v{find.GENERATOR_VERSION}-{args.events}-{args.tasks}.jsonl"
    if not source.exists():
        started = time.perf_counter()
        find.generate(source, args.events, args.tasks)
        print(f"generated {source.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    work = find.DATA / "ui-work.jsonl"
    find.drop_index(work)
    shutil.copyfile(source, work)
    big_task = add_big_task(work)
    journal = Journal(Settings(journal_path=work))
    started = time.perf_counter()
    journal.build_index()
    print(f"index built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    words = journal.read_events(limit=1).events[0]["text"].split()[:2]
    query = " ".join(words)
    urls = ["/", "/tasks/" + quote(big_task, safe=""), "/search?q=" + quote(query)]
    times = server_times(journal, urls, args.runs)
    journal.close()
    cold, cold_request = cold_first_page(work, args.cold)
    appended = append_to_page(work, big_task, args.appends)

    size = work.stat().st_size
    print(
        f"journal: {args.events + BIG_TASK_EVENTS:,} events, {args.tasks + 1:,} tasks, "
        f"{size / 1e6:.0f} MB; python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}; server times: median (p95) of {args.runs}, "
        f"warm, in process"
    )

    def p95(values: list[float]) -> float:
        return values[max(0, int(len(values) * 0.95) - 1)]

    rows = [
        (
            f"`/` server time, {args.events:,} events, {args.tasks:,} tasks",
            times[0],
            "< 300 ms",
        ),
        (f"`/tasks/<id>` of a {BIG_TASK_EVENTS:,}-event task", times[1], "< 300 ms"),
        (f"`/search?q={query}`", times[2], "< 300 ms"),
    ]
    table = [
        (name, f"{statistics.median(took):,.0f} ms ({p95(took):,.0f} ms)", target)
        for name, took, target in rows
    ]
    table.append(
        (
            f"a fresh `task-journal ui` to its first `/` answered (median of {args.cold})",
            f"{statistics.median(cold):,.0f} ms (of it the request "
            f"{statistics.median(cold_request):,.0f} ms)",
            "-",
        )
    )
    table.append(
        (
            f"a CLI append to its appearance on an open page (median of {args.appends})",
            f"{statistics.median(appended) / 1000:,.2f} s",
            "< 3 s",
        )
    )
    header = ("measure", "result", "target")
    widths = [max(len(row[i]) for row in [header, *table]) for i in range(3)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in table:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")


if __name__ == "__main__":
    main()
