"""Times as people type them for --since/--until, and as human output shows them."""

import argparse
import datetime as dt
from collections.abc import Callable

import pytest

from server.cli.when import ago_text, local_text, parse_time, time_argument

# 2026-12-02 15:20:30 in Paris (UTC+1 in winter).
NOW = dt.datetime(2026, 12, 2, 14, 20, 30, tzinfo=dt.UTC)


@pytest.fixture
def paris(zone: Callable[[str], None]) -> dt.datetime:
    zone("Europe/Paris")
    return NOW.astimezone()


@pytest.mark.parametrize(
    ("typed", "instant"),
    [
        pytest.param("2026-12-02", "2026-12-01T23:00:00+00:00", id="a-date-is-local-midnight"),
        pytest.param("2026-12-02T10:00", "2026-12-02T09:00:00+00:00", id="a-local-time"),
        pytest.param("2026-12-02 10:00", "2026-12-02T09:00:00+00:00", id="a-space-for-the-T"),
        pytest.param("2026-07-01", "2026-06-30T22:00:00+00:00", id="a-summer-date"),
        pytest.param("2026-12-02T10:00:00Z", "2026-12-02T10:00:00+00:00", id="rfc-3339-utc"),
        pytest.param("2026-12-02T10:00:00+05:30", "2026-12-02T04:30:00+00:00", id="an-offset"),
        pytest.param("today", "2026-12-01T23:00:00+00:00", id="today"),
        pytest.param("Yesterday", "2026-11-30T23:00:00+00:00", id="yesterday"),
        pytest.param("30m", "2026-12-02T13:50:30+00:00", id="minutes"),
        pytest.param("12h", "2026-12-02T02:20:30+00:00", id="hours"),
        pytest.param("3d", "2026-11-29T14:20:30+00:00", id="days"),
        pytest.param("2w", "2026-11-18T14:20:30+00:00", id="weeks"),
    ],
)
def test_people_type_dates_spans_and_words(paris: dt.datetime, typed: str, instant: str) -> None:
    assert parse_time(typed, paris).astimezone(dt.UTC).isoformat() == instant


def test_yesterday_is_local_midnight_across_a_daylight_saving_change(
    zone: Callable[[str], None],
) -> None:
    zone("Europe/Paris")
    # Clocks went back on 2026-10-25: yesterday's midnight was in summer time.
    now = dt.datetime(2026, 10, 26, 12, 0, tzinfo=dt.UTC).astimezone()

    assert parse_time("yesterday", now).astimezone(dt.UTC).isoformat() == (
        "2026-10-24T22:00:00+00:00"
    )


@pytest.mark.parametrize("typed", ["tomorrow", "3 days", "2026-13-01", "d3", ""])
def test_what_names_no_time_is_refused_with_what_would(paris: dt.datetime, typed: str) -> None:
    with pytest.raises(ValueError, match="is not a time; TIME is a date") as refused:
        parse_time(typed, paris)

    assert str(refused.value).startswith(f"{typed!r} is not a time;")


def test_the_core_gets_rfc_3339_utc_with_milliseconds(paris: dt.datetime) -> None:
    assert time_argument("2026-12-02T10:00") == "2026-12-02T09:00:00.000Z"


def test_a_span_too_long_for_the_calendar_is_refused(paris: dt.datetime) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="'999999w' is too far from now"):
        time_argument("999999w")


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        pytest.param(0.2, "just now", id="now"),
        pytest.param(1, "1 second ago", id="one-second"),
        pytest.param(59, "59 seconds ago", id="seconds"),
        pytest.param(60, "1 minute ago", id="one-minute"),
        pytest.param(89 * 60, "89 minutes ago", id="minutes"),
        pytest.param(2 * 3600, "2 hours ago", id="hours"),
        pytest.param(3 * 86400, "3 days ago", id="days"),
        pytest.param(21 * 86400, "3 weeks ago", id="weeks"),
        pytest.param(120 * 86400, "4 months ago", id="months"),
        pytest.param(800 * 86400, "2 years ago", id="years"),
        pytest.param(-120, "in 2 minutes", id="a-clock-ahead"),
    ],
)
def test_how_long_ago_is_said_as_people_say_it(seconds: float, said: str) -> None:
    then = NOW - dt.timedelta(seconds=seconds)
    timestamp = then.strftime("%Y-%m-%dT%H:%M:%S.") + f"{then.microsecond // 1000:03d}Z"

    assert ago_text(timestamp, NOW) == said


def test_a_timestamp_that_is_not_rfc_3339_is_shown_as_it_is(paris: dt.datetime) -> None:
    assert local_text("yesterday-ish") == "yesterday-ish"
    assert ago_text("yesterday-ish", NOW) == "at an unknown time"
