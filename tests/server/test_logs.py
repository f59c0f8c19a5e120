"""The server's log: an error that repeats is logged once a minute, saying how many
repeats it left out, not once per repeat."""

import logging

from server.logs import RepeatFilter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def record(message: str, *args: object, name: str = "asyncio") -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, message, args, None)


def test_repeats_within_the_interval_are_dropped() -> None:
    clock = Clock()
    repeats = RepeatFilter(60, clock=clock)
    passed = []
    for n in range(1000):
        clock.now = n * 0.01
        passed.append(repeats.filter(record("socket.accept() out of system resource %s", n)))
    assert passed == [True] + [False] * 999


def test_first_repeat_after_the_interval_says_how_many_were_dropped() -> None:
    clock = Clock()
    repeats = RepeatFilter(60, clock=clock)
    assert repeats.filter(record("accept() failed"))
    for _ in range(41):
        assert not repeats.filter(record("accept() failed"))
    clock.now = 61.0
    later = record("accept() failed")
    assert repeats.filter(later)
    assert later.getMessage() == ("accept() failed (41 more like it not logged since the last one)")


def test_different_messages_and_loggers_are_each_logged() -> None:
    repeats = RepeatFilter(60, clock=Clock())
    assert repeats.filter(record("one"))
    assert repeats.filter(record("two"))
    assert repeats.filter(record("one", name="uvicorn.error"))


def test_kinds_remembered_are_bounded() -> None:
    repeats = RepeatFilter(60, kinds=10, clock=Clock())
    for n in range(100):
        assert repeats.filter(record(f"session {n} ended"))
    # The oldest kinds were forgotten, so one comes through again.
    assert repeats.filter(record("session 0 ended"))
