"""The hand-written part of the relevance set: events worth finding, and the queries
that should find them, judged by hand.

Each fact is ``(key, task, type, text, extra)``; ``extra`` may name the fact a fact
supersedes or corrects (by key), refs, or a decision's alternatives. Each judgment is
``(query, keys of the relevant events)``: what an agent asking that would want in its
first five hits. A withdrawn event (superseded, corrected) is never judged relevant:
its replacement is.
"""

from __future__ import annotations

from typing import Any

TASKS = {
    "upload": "Flaky S3 upload in the sync worker",
    "auth": "Token refresh races with logout",
    "proxy": "502s from the nginx upstream",
    "parser": "Config parser drops trailing commas",
    "ci": "CI pipeline takes 40 minutes",
    "cache": "Redis cache stampede on deploy",
    "migrate": "Postgres migration locks the orders table",
    "search": "Search index rebuild is slow",
    "mobile": "Android app crashes on rotation",
    "billing": "Invoice totals off by one cent",
    "logging": "Log volume doubled after release",
    "deps": "Upgrade to Python 3.12",
}

Fact = tuple[str, str, str, str, dict[str, Any]]

FACTS: list[Fact] = [
    # upload
    (
        "up-hyp",
        "upload",
        "hypothesis",
        "The upload fails when the multipart part size drops below 5 MiB",
        {},
    ),
    (
        "up-find",
        "upload",
        "finding",
        "S3 rejects multipart parts smaller than 5 MiB except the last one; "
        "our chunker sends 4 MiB parts",
        {"refs": {"files": ["sync/chunker.py"]}},
    ),
    (
        "up-rej-retry",
        "upload",
        "rejection",
        "Retrying the upload hides the race between the chunker and the manifest writer",
        {},
    ),
    (
        "up-dec",
        "upload",
        "decision",
        "Raise the part size to 8 MiB and compute it from the file size",
        {
            "meta": {
                "alternatives": [
                    {
                        "option": "presigned URLs",
                        "chosen": False,
                        "rationale": "they expire before large files finish",
                    },
                    {"option": "8 MiB parts", "chosen": True},
                ]
            }
        },
    ),
    (
        "up-evid",
        "upload",
        "evidence",
        "1,000 uploads of 2 GB files passed with 8 MiB parts, none failed",
        {},
    ),
    # auth
    (
        "au-find-old",
        "auth",
        "finding",
        "The refresh token is cached for 60 seconds after logout",
        {},
    ),
    (
        "au-corr",
        "auth",
        "correction",
        "The refresh token stays cached for 300 seconds after logout, not 60",
        {"corrects": "au-find-old"},
    ),
    (
        "au-hyp",
        "auth",
        "hypothesis",
        "Logout does not revoke the refresh token in the session store",
        {},
    ),
    (
        "au-answer",
        "auth",
        "finding",
        "Logout deletes the access token only; the refresh token survives in Redis",
        {"refs_events": ["au-hyp"]},
    ),
    ("au-dec-old", "auth", "decision", "Wrap the token refresh in a mutex per user", {}),
    (
        "au-dec",
        "auth",
        "decision",
        "Revoke refresh tokens at logout with a Redis DEL in the same transaction",
        {"supersedes": "au-dec-old"},
    ),
    (
        "au-con",
        "auth",
        "constraint",
        "Mobile clients keep a refresh token for 30 days; "
        "revocation must not log them out elsewhere",
        {},
    ),
    # proxy
    (
        "px-find",
        "proxy",
        "finding",
        "nginx keepalive_timeout is 75 s while the Node upstream closes idle sockets after 5 s",
        {"refs": {"files": ["deploy/nginx.conf"]}},
    ),
    (
        "px-rej",
        "proxy",
        "rejection",
        "Retrying 502s at the load balancer doubles the load during incidents",
        {},
    ),
    (
        "px-dec",
        "proxy",
        "decision",
        "Set the upstream keepalive timeout to 65 s in Node, above the nginx idle timeout",
        {},
    ),
    (
        "px-evid",
        "proxy",
        "evidence",
        "502 rate fell from 0.4% to 0.01% after the keepalive change",
        {},
    ),
    (
        "px-hyp",
        "proxy",
        "hypothesis",
        "The 502s come from TLS handshakes timing out under load",
        {},
    ),
    (
        "px-hyp-answer",
        "proxy",
        "rejection",
        "TLS handshake timing is fine; handshakes take 12 ms at p99, not the cause of the 502s",
        {"refs_events": ["px-hyp"]},
    ),
    # parser
    (
        "pa-find",
        "parser",
        "finding",
        "The tokenizer treats a trailing comma before a closing brace as end of input",
        {"refs": {"files": ["config/lexer.rs"]}},
    ),
    (
        "pa-dec",
        "parser",
        "decision",
        "Accept trailing commas in arrays and objects, as JSON5 does",
        {},
    ),
    (
        "pa-rej",
        "parser",
        "rejection",
        "Switching to serde_json would drop comments, which users rely on",
        {},
    ),
    (
        "pa-test",
        "parser",
        "evidence",
        "Added 40 parser tests for trailing commas and nested comments; all pass",
        {"refs": {"files": ["config/tests/trailing.rs"]}},
    ),
    # ci
    (
        "ci-find",
        "ci",
        "finding",
        "Half of the CI time is spent installing dependencies without a cache",
        {},
    ),
    ("ci-dec", "ci", "decision", "Cache the pip wheels keyed on the lock file hash", {}),
    (
        "ci-rej",
        "ci",
        "rejection",
        "Splitting the test suite into 8 shards made flaky tests fail more often",
        {},
    ),
    (
        "ci-evid",
        "ci",
        "evidence",
        "Pipeline time went from 40 to 14 minutes with the wheel cache",
        {},
    ),
    (
        "ci-flaky",
        "ci",
        "finding",
        "test_upload_resume is flaky because it depends on wall clock time",
        {"refs": {"files": ["tests/test_upload_resume.py"]}},
    ),
    # cache
    (
        "ca-find",
        "cache",
        "finding",
        "Every pod clears the Redis cache at startup, so a deploy empties it at once",
        {},
    ),
    (
        "ca-dec",
        "cache",
        "decision",
        "Warm the cache from a snapshot before the pod takes traffic",
        {},
    ),
    ("ca-rej", "cache", "rejection", "A longer TTL would serve stale prices for hours", {}),
    (
        "ca-hyp",
        "cache",
        "hypothesis",
        "Request coalescing would stop the stampede without a warm-up",
        {},
    ),
    # migrate
    (
        "mi-find",
        "migrate",
        "finding",
        "ALTER TABLE orders ADD COLUMN with a default rewrites the table on Postgres 10",
        {},
    ),
    (
        "mi-dec",
        "migrate",
        "decision",
        "Add the column without a default, backfill in batches of 10,000, then set the default",
        {},
    ),
    (
        "mi-rej",
        "migrate",
        "rejection",
        "pg_repack needs twice the disk space we have on the primary",
        {},
    ),
    (
        "mi-con",
        "migrate",
        "constraint",
        "The orders table must stay writable; the checkout cannot pause more than 2 seconds",
        {},
    ),
    # search
    (
        "se-find",
        "search",
        "finding",
        "The index rebuild rewrites every task row at each 16 MiB step",
        {},
    ),
    (
        "se-dec",
        "search",
        "decision",
        "Write task rows once at the end of the rebuild instead of at every step",
        {},
    ),
    (
        "se-evid",
        "search",
        "evidence",
        "Rebuild time fell from 22 s to 14 s on a million events",
        {},
    ),
    (
        "se-rej",
        "search",
        "rejection",
        "Dropping the secondary indexes during the rebuild breaks reads that run meanwhile",
        {},
    ),
    # mobile
    (
        "mo-find",
        "mobile",
        "finding",
        "The activity is recreated on rotation and the ViewModel holds a stale context",
        {},
    ),
    (
        "mo-dec",
        "mobile",
        "decision",
        "Keep the upload state in a ViewModel scoped to the navigation graph",
        {},
    ),
    (
        "mo-rej",
        "mobile",
        "rejection",
        "Locking the screen orientation is not acceptable for tablets",
        {},
    ),
    (
        "mo-evid",
        "mobile",
        "evidence",
        "No crash in 500 rotations on a Pixel 7 with the scoped ViewModel",
        {},
    ),
    # billing
    (
        "bi-find-old",
        "billing",
        "finding",
        "Invoice totals are summed as floats in the PDF renderer",
        {},
    ),
    (
        "bi-corr",
        "billing",
        "correction",
        "Totals are rounded per line item before summing, which loses a cent; "
        "floats are not the cause",
        {"corrects": "bi-find-old"},
    ),
    (
        "bi-dec",
        "billing",
        "decision",
        "Sum exact decimal amounts and round once, at the invoice total",
        {},
    ),
    (
        "bi-con",
        "billing",
        "constraint",
        "Issued invoices must never change; the fix applies to new invoices only",
        {},
    ),
    # logging
    (
        "lo-find",
        "logging",
        "finding",
        "Debug logging was left on in the payment service after the release",
        {},
    ),
    (
        "lo-dec",
        "logging",
        "decision",
        "Sample health check logs at 1% and drop debug logs in production",
        {},
    ),
    (
        "lo-rej",
        "logging",
        "rejection",
        "Raising the log retention cost more than the storage savings of compression",
        {},
    ),
    # deps
    ("de-find", "deps", "finding", "distutils is gone in Python 3.12 and setup.py imports it", {}),
    ("de-dec", "deps", "decision", "Move the build to pyproject.toml with hatchling", {}),
    ("de-rej", "deps", "rejection", "Pinning setuptools below 60 only postpones the failure", {}),
    ("de-evid", "deps", "evidence", "The test suite passes on 3.12 with hatchling builds", {}),
    (
        "de-dec-later",
        "deps",
        "decision",
        "Use presigned URLs for the artifact uploads after all, with a 6 hour expiry",
        {"meta": {"alternatives": [{"option": "presigned URLs", "chosen": True}]}},
    ),
]

JUDGMENTS: list[tuple[str, list[str]]] = [
    ("multipart part size", ["up-find", "up-dec", "up-hyp"]),
    ("retry upload", ["up-rej-retry"]),
    ("retrying the upload", ["up-rej-retry"]),
    ("chunker", ["up-find", "up-rej-retry"]),
    ("8 MiB parts", ["up-dec", "up-evid"]),
    ("presigned URLs", ["up-dec", "de-dec-later"]),
    ("large file uploads", ["up-evid", "up-dec"]),
    ("refresh token cached after logout", ["au-corr", "au-answer"]),
    ("how long is the refresh token cached", ["au-corr"]),
    ("revoke refresh token", ["au-dec", "au-con"]),
    ("logout revocation", ["au-dec", "au-hyp", "au-con"]),
    ("token refresh mutex", ["au-dec"]),
    ("session store", ["au-hyp", "au-answer"]),
    ("mobile refresh token 30 days", ["au-con"]),
    ("keepalive timeout", ["px-find", "px-dec", "px-evid"]),
    ("keepalive_timeout", ["px-find"]),
    ("nginx idle timeout", ["px-find", "px-dec"]),
    ("502", ["px-rej", "px-evid", "px-hyp-answer"]),
    ("retry 502", ["px-rej"]),
    ("TLS handshake", ["px-hyp", "px-hyp-answer"]),
    ("nginx.conf", ["px-find"]),
    ("trailing commas", ["pa-dec", "pa-find", "pa-test"]),
    ("trailing comma", ["pa-dec", "pa-find", "pa-test"]),
    ("JSON5", ["pa-dec"]),
    ("serde_json comments", ["pa-rej"]),
    ("lexer.rs", ["pa-find"]),
    ("parser tests", ["pa-test"]),
    ("dependency cache CI", ["ci-find", "ci-dec"]),
    ("pip wheel cache", ["ci-dec", "ci-evid"]),
    ("shard test suite", ["ci-rej"]),
    ("flaky test", ["ci-flaky", "ci-rej"]),
    ("test_upload_resume", ["ci-flaky"]),
    ("pipeline minutes", ["ci-evid", "ci-find"]),
    ("cache stampede", ["ca-hyp", "ca-find"]),
    ("warm the cache", ["ca-dec"]),
    ("TTL stale prices", ["ca-rej"]),
    ("request coalescing", ["ca-hyp"]),
    ("redis cache deploy", ["ca-find", "ca-dec"]),
    ("alter table default rewrite", ["mi-find"]),
    ("backfill in batches", ["mi-dec"]),
    ("pg_repack", ["mi-rej"]),
    ("orders table writable", ["mi-con", "mi-find"]),
    ("rebuild task rows", ["se-find", "se-dec"]),
    ("rebuild time million events", ["se-evid"]),
    ("drop indexes during rebuild", ["se-rej"]),
    ("rotation crash", ["mo-find", "mo-evid"]),
    ("ViewModel", ["mo-find", "mo-dec", "mo-evid"]),
    ("lock screen orientation", ["mo-rej"]),
    ("tablets", ["mo-rej"]),
    ("invoice totals rounding", ["bi-corr", "bi-dec"]),
    ("off by one cent", ["bi-corr", "bi-dec"]),
    ("decimal amounts", ["bi-dec"]),
    ("issued invoices", ["bi-con"]),
    ("debug logging", ["lo-find", "lo-dec"]),
    ("health check logs sampling", ["lo-dec"]),
    ("log retention compression", ["lo-rej"]),
    ("distutils", ["de-find"]),
    ("python 3.12", ["de-find", "de-evid"]),
    ("pyproject hatchling", ["de-dec", "de-evid"]),
    ("setuptools pin", ["de-rej"]),
    ("what did we decide about the keepalive", ["px-dec"]),
    ("rejected approaches for the upload", ["up-rej-retry"]),
]
