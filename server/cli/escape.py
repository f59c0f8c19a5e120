"""Text from the journal shown, never obeyed: control characters as visible escapes.

Events hold whatever their writers put there: a terminal escape that would set the
window title, a carriage return that would overwrite the line. Every human path prints
them as ``\\x1b``. Its own module, without the rest of ``render``, so that the status
line can use it and still start fast.
"""

import re

# C0 and C1 controls, DEL, the line and paragraph separators, the bidirectional
# overrides that make text read differently than it is, and lone surrogates (a foreign
# line's "\ud800", which could not even be written to the terminal).
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
# The same, less the line feed and the tab that a document's layout is made of.
_DOCUMENT_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def visible(text: str) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``), not obeyed."""
    return _UNSAFE.sub(_escape, text)


def visible_document(text: str) -> str:
    """``text`` of several lines (Markdown for a file or a terminal) with every control
    character but line breaks and tabs shown as an escape, as ``visible`` does."""
    return _DOCUMENT_UNSAFE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
