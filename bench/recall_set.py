"""The labelled set recall is measured on: a journal as a project keeps one, and prompts
a user might type, each labelled with the rejections and decisions it concerns (half of
them concern none).

``build(journal)`` writes the journal's events; ``PROMPTS`` pairs each prompt with the
keys of the events that recall should bring up for it. A key names an event of
``TASKS``; ``ids`` maps keys to the event ids written.
"""

from __future__ import annotations

import time
from typing import Any

from journal_core import Journal
from journal_core.events import new_event

# (title, goal, events): each event (key or None, type, text, meta).
TASKS: list[tuple[str, str, list[tuple[str | None, str, str, dict[str, Any]]]]] = [
    (
        "Flaky upload test",
        "Make test_upload pass reliably in CI",
        [
            (None, "hypothesis", "The upload test fails because the S3 mock is shared", {}),
            (None, "finding", "Fails only when run after test_auth, never alone", {}),
            (
                "sleep",
                "rejection",
                "Adding a sleep before the upload assertion: it only hides "
                "the race and makes the suite slower",
                {},
            ),
            (
                "retry-decorator",
                "rejection",
                "Marking test_upload with a flaky retry decorator: "
                "retries mask the ordering bug instead of fixing it",
                {},
            ),
            (
                "fresh-mock",
                "decision",
                "Give every test its own S3 mock through a function scoped fixture",
                {"reason": "shared mock state leaked between tests"},
            ),
            (None, "evidence", "200 runs in random order, all green", {}),
        ],
    ),
    (
        "Token refresh",
        "Access tokens are refreshed before they expire, without user-visible errors",
        [
            (
                "backoff",
                "rejection",
                "Retrying the refresh request with exponential backoff in "
                "the client: the identity server rate limiter then locks the account",
                {},
            ),
            (
                "refresh-lock",
                "decision",
                "Serialize token refresh behind one in-process lock so "
                "concurrent requests share a single refresh",
                {},
            ),
            (
                "jwt-localstorage",
                "rejection",
                "Storing the JWT in localStorage: any XSS can read "
                "it; keep it in an httpOnly cookie",
                {},
            ),
            (None, "finding", "Refresh fails when two tabs refresh at the same second", {}),
            ("skew", "constraint", "Clock skew up to 90 seconds must be tolerated", {}),
        ],
    ),
    (
        "Search speed",
        "Search answers in under 50 ms at a million events",
        [
            (
                "elastic",
                "rejection",
                "Moving search to Elasticsearch: another server to run for a single-user tool",
                {},
            ),
            (
                "fts5",
                "decision",
                "Use SQLite FTS5 with the unicode61 tokenizer for full-text search",
                {
                    "alternatives": [
                        {"option": "FTS5", "chosen": True, "rationale": "built into Python"},
                        {"option": "Whoosh", "chosen": False, "rationale": "unmaintained"},
                    ]
                },
            ),
            (
                "trigram",
                "rejection",
                "The trigram tokenizer: the index grows three times larger and ranking gets worse",
                {},
            ),
            (None, "finding", "Prefix queries on short stems are slow at a million rows", {}),
            (
                "page-cache",
                "rejection",
                "Caching whole search result pages in memory: stale "
                "after every append and unbounded",
                {},
            ),
        ],
    ),
    (
        "Release packaging",
        "Ship wheels for Linux and macOS",
        [
            (
                "poetry",
                "rejection",
                "Switching the build to Poetry: the lock format breaks our "
                "pip-compile hash workflow",
                {},
            ),
            (
                "pyinstaller",
                "rejection",
                "A PyInstaller single binary: 80 MB and blocked by "
                "macOS Gatekeeper without notarization",
                {},
            ),
            (
                "hatch",
                "decision",
                "Build with hatchling and publish with trusted publishing from GitHub Actions",
                {},
            ),
            (None, "finding", "The macOS arm64 runner is twice as slow", {}),
        ],
    ),
    (
        "Database migrations",
        "Schema changes apply without downtime",
        [
            (
                "alembic-autogen",
                "rejection",
                "Relying on Alembic autogenerate for migrations: it "
                "missed the partial index and renamed columns as drop plus add",
                {},
            ),
            (
                "expand-contract",
                "decision",
                "Expand then contract: add the new column, backfill "
                "in batches, switch reads, drop the old column a release later",
                {},
            ),
            (
                "orm-backfill",
                "rejection",
                "Backfilling through the ORM one row at a time: six hours on the production table",
                {},
            ),
            (None, "hypothesis", "The lock on the orders table comes from the foreign key", {}),
        ],
    ),
    (
        "Frontend state",
        "One source of truth for the dashboard state",
        [
            (
                "redux",
                "rejection",
                "Adding Redux for the dashboard: too much ceremony for four pieces of state",
                {},
            ),
            (
                "url-state",
                "decision",
                "Keep filter state in the URL query string so views can be shared and reloaded",
                {},
            ),
            (
                "polling",
                "rejection",
                "Polling the API every second for live updates: it "
                "hammers the server; use server-sent events",
                {},
            ),
            (None, "finding", "The chart rerenders on every keystroke in the filter box", {}),
        ],
    ),
    (
        "Logging cleanup",
        "Logs are structured and quiet by default",
        [
            (
                "print-debug",
                "rejection",
                "Leaving print statements for debugging in the "
                "request handlers: they bypass the log level",
                {},
            ),
            (
                "structlog",
                "decision",
                "Use structlog with JSON output in production and console output locally",
                {},
            ),
            ("old-decision", "decision", "Log every SQL statement at info level", {}),
            (None, "supersede", "Log SQL statements only at debug level", {}),
        ],
    ),
]

# (prompt, keys of the events it concerns). Half concern none.
PROMPTS: list[tuple[str, set[str]]] = [
    # concerning one
    ("Just add a sleep before the upload assertion so the flaky test passes", {"sleep"}),
    ("Can we mark test_upload as flaky and retry it a few times?", {"retry-decorator"}),
    ("Add exponential backoff when the token refresh request fails", {"backoff"}),
    ("Store the JWT in localStorage so the SPA can read it", {"jwt-localstorage"}),
    ("Should we move search over to Elasticsearch?", {"elastic"}),
    ("Try the trigram tokenizer for better substring search", {"trigram"}),
    ("Cache the search result pages in memory to make repeated queries fast", {"page-cache"}),
    ("Let's switch the build to Poetry", {"poetry"}),
    ("Package the CLI as a single binary with PyInstaller", {"pyinstaller"}),
    ("Use alembic autogenerate to write the migration for the new column", {"alembic-autogen"}),
    ("Backfill the new column through the ORM row by row", {"orm-backfill"}),
    ("Let's add Redux to manage the dashboard state", {"redux"}),
    ("Poll the API every second to keep the dashboard live", {"polling"}),
    ("Add some print statements in the request handlers to debug this", {"print-debug"}),
    ("Should every test get its own S3 mock fixture?", {"fresh-mock"}),
    ("Two requests refresh the token at once; do we need a lock around refresh?", {"refresh-lock"}),
    ("Which tokenizer does the FTS5 search use?", {"fts5"}),
    ("How do we publish wheels, hatchling with trusted publishing?", {"hatch"}),
    ("Plan the column rename: expand, backfill in batches, then contract", {"expand-contract"}),
    ("Put the dashboard filter state in the URL query string", {"url-state"}),
    ("Switch logging to structlog with JSON output", {"structlog"}),
    ("Retry the upload test with a decorator and add a sleep too", {"retry-decorator", "sleep"}),
    # concerning none
    ("Rename the variable tmp to buffer in parser.py", set()),
    ("Write a README section about installation", set()),
    ("What does this regular expression match?", set()),
    ("Upgrade pytest to the latest version", set()),
    ("Add type hints to the config loader", set()),
    ("Fix the typo in the error message for a missing file", set()),
    ("Explain how the writer's group commit works", set()),
    ("Make the CLI print colours only on a terminal", set()),
    ("Add a --version flag", set()),
    ("Why is the CI job on Windows failing with a path error?", set()),
    ("Translate the help text into French", set()),
    ("Refactor the date parsing into its own module", set()),
    ("Add a test for an empty journal file", set()),
    ("Speed up the startup of the command line", set()),
    ("The upload button is misaligned on mobile", set()),
    ("Add a dark mode to the viewer", set()),
    ("Count the words in the changelog", set()),
    ("Document the token budget of packs", set()),
    ("Sort the task list by title", set()),
    ("Show the search hit count in the status line", set()),
    ("Bump the version to 0.5.0 and tag the release", set()),
    ("Log every SQL statement at info level", set()),  # superseded: must not come up
]


def build(journal: Journal) -> dict[str, str]:
    """Write the tasks' events; the event id of each key."""
    ids: dict[str, str] = {}
    for title, goal, items in TASKS:
        opened = journal.append(new_event(type="open", text=title, title=title, goal=goal))
        last: str | None = None
        for key, kind, text, meta in items:
            event = new_event(
                type=kind,
                text=text,
                task_id=opened.task_id,
                meta=meta,
                supersedes=last if kind == "supersede" else None,
            )
            time.sleep(0.002)  # one event per millisecond: canonical order is append order
            written = journal.append(event)
            if key is not None:
                ids[key] = written.event_id
            last = written.event_id
    return ids


def measure(journal: Journal, ids: dict[str, str]) -> tuple[float, float, list[str]]:
    """Precision and recall of recall over ``PROMPTS``, and the prompts it got wrong."""
    from journal_core.recall import recall

    keys = {event_id: key for key, event_id in ids.items()}
    right = given = wanted = found = 0
    wrong: list[str] = []
    for prompt, expected in PROMPTS:
        got = {keys.get(item.event_id, item.event_id) for item in recall(journal, prompt)}
        given += len(got)
        right += len(got & expected)
        wanted += len(expected)
        found += len(got & expected)
        if got != expected:
            wrong.append(f"{prompt!r}: got {sorted(got)}, wanted {sorted(expected)}")
    precision = right / given if given else 1.0
    return precision, found / wanted if wanted else 1.0, wrong
