"""Credentials masked at append (SPEC §10): a journal travels to teammates by ``sync``.

The patterns are those of the kinds source hosts scan pushes for, each anchored on
the fixed prefix or framing its issuer gives it (``AKIA``, ``ghp_``, ``xoxb-``,
``-----BEGIN ... PRIVATE KEY-----``, a JWT's ``eyJ`` header and payload), so that
what merely looks random (a sha256, a commit id, a ULID, a UUID) is never touched:
precision first, since a masked word is lost for good. No library does this
without a long tail of dependencies or network calls (detect-secrets loads
plugins and entropy heuristics that flag hashes), hence this short table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

import msgspec

from journal_core.events import Event, Refs

# kind -> pattern; the whole match is replaced, except for ``url_credentials``, whose
# ``secret`` group (the user and password of a URL) is.
_PATTERNS: Final = {
    "private_key": r"-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----"
    r"[\s\S]*?(?:-----END[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----|\Z)",
    "aws_access_key": r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b",
    "aws_secret_key": r"(?i:aws_?secret_?access_?key)[\"']?\s*[:=]\s*[\"']?"
    r"[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])",
    "github_token": r"\b(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{82})\b",
    "gitlab_token": r"\bgl(?:pat|dt|rt|ptt|cbt|oas)-[A-Za-z0-9_-]{20,}",
    "slack_token": r"\bxox[abposre]-[A-Za-z0-9-]{10,}",
    "slack_webhook": r"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_-]{20,}",
    "google_api_key": r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])",
    "stripe_key": r"\b(?:sk|rk)_live_[A-Za-z0-9]{24,}",
    "anthropic_key": r"\bsk-ant-[a-z]+\d\d-[A-Za-z0-9_-]{80,}",
    "openai_key": r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}T3BlbkFJ[A-Za-z0-9_-]{16,}",
    "npm_token": r"\bnpm_[A-Za-z0-9]{36}\b",
    "pypi_token": r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}",
    "jwt": r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
    "url_credentials": r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://(?P<secret>[^\s/:@\[\]]+:[^\s/@]+)@",
}
_ANY: Final = re.compile("|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _PATTERNS.items()))
# Cheap first look: every pattern holds one of these; most text holds none.
_HINTS: Final = (
    "PRIVATE KEY",
    "AKIA",
    "ASIA",
    "ABIA",
    "ACCA",
    "ecret",
    "ECRET",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "gldt-",
    "glrt-",
    "glptt-",
    "glcbt-",
    "gloas-",
    "xox",
    "hooks.slack.com",
    "AIza",
    "_live_",
    "sk-",
    "npm_",
    "pypi-",
    "eyJ",
    "://",
)
# Letters from the most to the least common in prose: a hint is looked for at its rarest
# character (``_anchored``).
_LETTERS_BY_USE: Final = "etaoinsrhldcumfwgypbvkxjqz"


def _rarity(char: str) -> int:
    """How rarely ``char`` stands in a text (higher, rarer): prose is mostly lower-case
    letters, spaces and full stops, code and paths bring ``_``, ``-`` and ``:``."""
    if char.islower():
        return _LETTERS_BY_USE.index(char) if char in _LETTERS_BY_USE else 26
    return {" ": -2, ".": -1}.get(char, 30 if char.isupper() else 40)


def _anchored(hints: Iterable[str]) -> str:
    """A pattern that finds any of ``hints``, each by its rarest character with the rest
    of it around that one (look-behind and look-ahead), the hints of one character in
    one branch: the search then stops only where such a character stands, not at
    every ``e`` or ``s`` of the text as an alternation of the hints themselves does."""
    branches: dict[str, list[str]] = {}
    for hint in hints:
        at = max(range(len(hint)), key=lambda index: _rarity(hint[index]))
        before = f"(?<={re.escape(hint[: at + 1])})" if at else ""
        after = f"(?={re.escape(hint[at + 1 :])})" if at + 1 < len(hint) else ""
        branches.setdefault(hint[at], []).append(before + after)
    return "|".join(
        re.escape(char) + ("(?:" + "|".join(rest) + ")" if all(rest) else "")
        for char, rest in branches.items()
    )


# The same first look in one pass over the text, not one search per hint.
_ANY_HINT: Final = re.compile(_anchored(_HINTS))


def mark(kind: str) -> str:
    """What a secret of ``kind`` becomes."""
    return f"[redacted:{kind}]"


def redact_text(text: str) -> tuple[str, set[str]]:
    """``text`` with each credential replaced by ``[redacted:<kind>]``, and the kinds."""
    if _ANY_HINT.search(text) is None:
        return text, set()
    kinds: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        kind = match.lastgroup  # the kind's group: it ends after any group inside it
        assert kind is not None
        kinds.add(kind)
        if kind == "url_credentials":
            whole, secret = match.group(0), match.group("secret")
            return whole.replace(secret, mark(kind), 1)
        return mark(kind)

    return _ANY.sub(replace, text), kinds


def redact_value(value: Any) -> tuple[Any, set[str]]:
    """A JSON value with every string in it (keys left as they are) redacted."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        kinds: set[str] = set()
        out: dict[str, Any] = {}
        for key, item in value.items():
            out[key], found = redact_value(item)
            kinds |= found
        return (out, kinds) if kinds else (value, kinds)
    if isinstance(value, list | tuple):
        kinds = set()
        items = []
        for item in value:
            masked, found = redact_value(item)
            items.append(masked)
            kinds |= found
        return (type(value)(items), kinds) if kinds else (value, kinds)
    return value, set()


def secret_kinds(values: Iterable[Any]) -> set[str]:
    """The kinds of credential still held anywhere in ``values``."""
    kinds: set[str] = set()
    for value in values:
        kinds |= redact_value(value)[1]
    return kinds


def redact_event(event: Event) -> tuple[Event, list[str]]:
    """``event`` with the credentials in its text, refs and meta masked, the kinds
    found added to ``meta.redacted``; the kinds (sorted), empty when nothing was."""
    text, kinds = redact_text(event.text)
    refs = event.refs
    named = msgspec.structs.asdict(refs) if refs.commits or refs.files or refs.events else {}
    if named:  # most events name nothing
        named, found = redact_value(named)
        kinds |= found
    meta = event.meta
    if meta:
        meta, found = redact_value(meta)
        kinds |= found
    if not kinds:
        return event, []
    listed = sorted(kinds | set(_listed(meta.get("redacted"))))
    meta = {**meta, "redacted": listed}
    if named:
        refs = Refs(**named)
    return msgspec.structs.replace(event, text=text, refs=refs, meta=meta), sorted(kinds)


def _listed(value: object) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


__all__ = ["mark", "redact_event", "redact_text", "redact_value", "secret_kinds"]
