"""The word someone most likely meant: "did you mean" for a misspelt name."""

from collections.abc import Iterable

__all__ = ["did_you_mean"]


def did_you_mean(given: object, choices: Iterable[str]) -> str:
    """``" (did you mean 'finding'?)"`` for the choice closest to ``given``, or ``""``
    when none is close (difflib's ratio of at least 0.6, as git's suggestions feel)."""
    if not isinstance(given, str):
        return ""
    # Imported here: difflib costs milliseconds, and only a refusal needs it.
    import difflib

    close = difflib.get_close_matches(given.lower(), list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
