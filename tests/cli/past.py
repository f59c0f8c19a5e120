"""Events written with times in the past, as an old journal holds them."""

import datetime as dt
from pathlib import Path
from typing import Any

from journal_core import Event, Journal, Settings
from journal_core.events import format_timestamp, new_event_id


def append_at(journal_path: Path, days_ago: float, **fields: Any) -> None:
    """Append one event stamped ``days_ago`` days before now."""
    moment = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
    journal = Journal(Settings(journal_path=journal_path))
    try:
        journal.append(
            Event(event_id=new_event_id(moment), timestamp=format_timestamp(moment), **fields)
        )
    finally:
        journal.close()


def open_task_at(journal_path: Path, task_id: str, days_ago: float, title: str) -> None:
    append_at(
        journal_path, days_ago, task_id=task_id, type="open", text=title, meta={"title": title}
    )
