"""What people type that argparse alone cannot check: bytes that are not UTF-8, JSON objects.

Each check raises a ``JournalError`` whose message is one sentence naming the flag, so a
bad argument ends as exit 2 with one line on stderr, never as a traceback.
"""

import argparse
from collections.abc import Callable
from typing import Any, Final

from journal_core import JournalError

__all__ = ["BadArgument", "at_least", "check_utf8_arguments", "json_object"]

# Paths for the operating system, where bytes that are not UTF-8 are a valid name.
_OS_PATH_DESTS: Final = frozenset({"journal", "project_dir"})


class BadArgument(JournalError):
    """A command-line argument was refused before anything reached the journal."""

    def __init__(self, flag: str, reason: str) -> None:
        self.flag = flag
        self.reason = reason
        super().__init__(f"{flag} {reason}")


def _flag_of(parser: argparse.ArgumentParser, dest: str) -> str:
    for action in parser._actions:
        if action.dest == dest:
            return action.option_strings[0] if action.option_strings else str(action.metavar)
    return dest


def check_utf8_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse an argument holding bytes that are not UTF-8.

    Python hands such bytes over as lone surrogates (``$'\\xff'`` becomes ``'\\udcff'``),
    which no event can hold; ``parser`` is the command's, to name the flag.
    """
    for dest, value in vars(args).items():
        if dest in _OS_PATH_DESTS:
            continue
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, str):
                continue
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raw = item.encode("utf-8", "surrogateescape")
                raise BadArgument(
                    _flag_of(parser, dest),
                    f"holds bytes that are not UTF-8 ({raw!r}); the journal holds UTF-8 text only",
                ) from None


class _HugeNumber(ValueError):
    pass


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        # Past Python's limit of digits for a conversion (4,300 by default).
        raise _HugeNumber(f"holds a number of {len(text)} digits, too long to store") from None


def json_object(flag: str, text: str) -> dict[str, Any]:
    """The JSON object ``text`` holds; ``BadArgument`` naming ``flag`` otherwise.

    No JSON text makes this fail in another way: nesting too deep for the parser, a
    number too long to convert and escapes of lone surrogates (``"\\ud800"``, valid JSON
    but not Unicode) are each refused with a sentence of their own.
    """
    import json  # here: the commands that take no JSON flag (the status line) skip it

    example = 'like \'{"reason": "..."}\''
    try:
        value = json.loads(text, parse_int=_whole_number)
    except _HugeNumber as err:
        raise BadArgument(flag, str(err)) from None
    except json.JSONDecodeError as err:
        raise BadArgument(flag, f"is not valid JSON ({err.msg} at character {err.pos})") from None
    except RecursionError:
        raise BadArgument(flag, "is nested too deep; keep it to a few levels") from None
    if not isinstance(value, dict):
        raise BadArgument(flag, f"must be a JSON object, {example}")
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BadArgument(
            flag, "holds a \\u escape of a lone surrogate, which is not Unicode text"
        ) from None
    except RecursionError:
        raise BadArgument(flag, "is nested too deep; keep it to a few levels") from None
    return value


def at_least(least: int, unit: str) -> Callable[[str], int]:
    """argparse ``type`` for a count of ``unit`` (days, events): a whole number, ``least``
    or more."""

    def count(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of {unit}") from None
        if number < least:
            raise argparse.ArgumentTypeError(f"{number} is too few; give {least} or more {unit}")
        return number

    return count
