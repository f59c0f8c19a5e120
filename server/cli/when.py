"""Times as people type them (``--since 3d``) and as they read them (local, "2 hours ago").

The core takes and gives RFC 3339 UTC only; people think in local dates and in spans
back from now, as ``git log --since`` lets them. A time without a zone is local time.
"""

import argparse
import datetime as dt
import re
from typing import Final

from journal_core import format_timestamp

__all__ = ["TIME_HELP", "ago_text", "local_text", "parse_time", "time_argument"]

TIME_HELP: Final = (
    "TIME is a date (2026-12-02, local midnight), a local time (2026-12-02T10:00), "
    "a span back from now (30m, 12h, 3d, 2w), today, yesterday, or an RFC 3339 time "
    "(2026-12-02T10:00:00Z)"
)

_SPAN: Final = re.compile(r"(\d{1,6})([mhdw])")
_SPAN_SECONDS: Final = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_time(text: str, now: dt.datetime) -> dt.datetime:
    """The instant ``text`` names, read against ``now`` (``datetime.now().astimezone()``).

    Raises ``ValueError`` with a sentence for the person when it names none.
    """
    word = text.strip().lower()
    # Local midnights are found on the wall clock, then given their own offset, which a
    # daylight-saving change may make differ from now's.
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    if word == "today":
        return midnight.astimezone()
    if word == "yesterday":
        return (midnight - dt.timedelta(days=1)).astimezone()
    if span := _SPAN.fullmatch(word):
        return now - dt.timedelta(seconds=int(span[1]) * _SPAN_SECONDS[span[2]])
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a time; {TIME_HELP}") from None
    # A naive time is the person's local time; astimezone() reads it so.
    return moment if moment.tzinfo is not None else moment.astimezone()


def time_argument(text: str) -> str:
    """argparse ``type`` for ``--since``/``--until``: the RFC 3339 UTC time the core takes."""
    try:
        return format_timestamp(parse_time(text, dt.datetime.now().astimezone()))
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    except OverflowError:
        raise argparse.ArgumentTypeError(f"{text!r} is too far from now") from None


def _instant(timestamp: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(timestamp)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def local_text(timestamp: str, *, seconds: bool = True) -> str:
    """An event's RFC 3339 timestamp in local time, ``2026-12-02 14:03:09 +0100``.

    A timestamp that is not RFC 3339 (a foreign line's) is shown as it is.
    """
    moment = _instant(timestamp)
    if moment is None:
        return timestamp
    local = moment.astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S %z" if seconds else "%Y-%m-%d %H:%M")


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}" if number == 1 else f"{number} {unit}s"


def ago_text(timestamp: str, now: dt.datetime) -> str:
    """How long before ``now`` the timestamp was, as people say it: ``3 hours ago``."""
    moment = _instant(timestamp)
    if moment is None:
        return "at an unknown time"
    seconds = (now - moment).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    if seconds < 1:
        return "just now"
    if seconds < 60:
        span = _count(int(seconds), "second")
    elif seconds < 90 * 60:
        span = _count(round(seconds / 60), "minute")
    elif seconds < 36 * 3600:
        span = _count(round(seconds / 3600), "hour")
    elif seconds < 14 * 86400:
        span = _count(round(seconds / 86400), "day")
    elif seconds < 10 * 7 * 86400:
        span = _count(round(seconds / (7 * 86400)), "week")
    elif seconds < 365 * 86400:
        span = _count(round(seconds / (30 * 86400)), "month")
    else:
        span = _count(round(seconds / (365 * 86400)), "year")
    return f"in {span}" if future else f"{span} ago"
