"""English stemming as FTS5's ``porter`` tokenizer does it, for the Python side of search.

The full-text index stems every token with FTS5's built-in Porter stemmer, so
``retrying``, ``retried`` and ``retry`` are all the token ``retri``. Snippets mark
the words a query matched, and a journal searched without FTS5 is matched in
Python: both must stem exactly as the engine does, quirks included, or a snippet
would mark other words than the engine matched. So this is the same algorithm as
SQLite's ``fts5_porter.c`` (Porter's, with its 1.1 revisions), on the token's
UTF-8 bytes as the engine sees them: a byte outside ASCII is a consonant, and a
token shorter than 3 or longer than 64 bytes is left as it is. A test stems a word
list both ways and compares.

The suffix rules of steps 2 to 4 are grouped by the next-to-last letter of the
word, and only the first suffix of the group that ends the word is tried, as the
engine does it.
"""

from __future__ import annotations

import functools
from typing import Final

_MIN_BYTES: Final = 3
_MAX_BYTES: Final = 64
_VOWELS: Final = frozenset(b"aeiou")
_Y: Final = ord("y")

# (suffix, replacement), grouped by the word's next-to-last letter; m > 0 is needed.
_STEP2: Final[dict[int, tuple[tuple[bytes, bytes], ...]]] = {
    ord("a"): ((b"ational", b"ate"), (b"tional", b"tion")),
    ord("c"): ((b"enci", b"ence"), (b"anci", b"ance")),
    ord("e"): ((b"izer", b"ize"),),
    ord("g"): ((b"logi", b"log"),),
    ord("l"): (
        (b"bli", b"ble"),
        (b"alli", b"al"),
        (b"entli", b"ent"),
        (b"eli", b"e"),
        (b"ousli", b"ous"),
    ),
    ord("o"): ((b"ization", b"ize"), (b"ation", b"ate"), (b"ator", b"ate")),
    ord("s"): ((b"alism", b"al"), (b"iveness", b"ive"), (b"fulness", b"ful"), (b"ousness", b"ous")),
    ord("t"): ((b"aliti", b"al"), (b"iviti", b"ive"), (b"biliti", b"ble")),
}
_STEP3: Final[dict[int, tuple[tuple[bytes, bytes], ...]]] = {
    ord("a"): ((b"ical", b"ic"),),
    ord("s"): ((b"ness", b""),),
    ord("t"): ((b"icate", b"ic"), (b"iciti", b"ic")),
    ord("u"): ((b"ful", b""),),
    ord("v"): ((b"ative", b""),),
    ord("z"): ((b"alize", b"al"),),
}
# Suffixes removed when m > 1 (``ion`` also needs the stem to end in s or t).
_STEP4: Final[dict[int, tuple[bytes, ...]]] = {
    ord("a"): (b"al",),
    ord("c"): (b"ance", b"ence"),
    ord("e"): (b"er",),
    ord("i"): (b"ic",),
    ord("l"): (b"able", b"ible"),
    ord("n"): (b"ant", b"ement", b"ment", b"ent"),
    ord("o"): (b"ion", b"ou"),
    ord("s"): (b"ism",),
    ord("t"): (b"ate", b"iti"),
    ord("u"): (b"ous",),
    ord("v"): (b"ive",),
    ord("z"): (b"ize",),
}


@functools.lru_cache(maxsize=65536)
def stem(token: str) -> str:
    """The stem of one folded token (see ``search.tokens``), as FTS5's porter makes it."""
    word = token.encode("utf-8", "surrogatepass")
    if not _MIN_BYTES <= len(word) <= _MAX_BYTES:
        return token
    word = _step1(word)
    if word[-1] == _Y and _has_vowel(word[:-1]):
        word = word[:-1] + b"i"
    word = _replace(word, _STEP2)
    word = _replace(word, _STEP3)
    word = _step4(word)
    if word[-1:] == b"e":
        stem_ = word[:-1]
        if _m_above_1(stem_) or (_m_is_1(stem_) and not _cvc(stem_)):
            word = stem_
    if word.endswith(b"ll") and _m_above_1(word[:-1]):
        word = word[:-1]
    return word.decode("utf-8", "surrogatepass")


def _step1(word: bytes) -> bytes:
    """Plurals, then -eed, -ed and -ing (and what their removal leaves to tidy)."""
    if word.endswith(b"s"):
        if word[-2:-1] == b"e":
            if (len(word) > 4 and word[-4:-2] == b"ss") or (len(word) > 3 and word[-3:-2] == b"i"):
                word = word[:-2]
            else:
                word = word[:-1]
        elif word[-2:-1] != b"s":
            word = word[:-1]
    removed = False
    if len(word) > 3 and word.endswith(b"eed"):
        if _m_above_0(word[:-3]):
            word = word[:-1]
    elif len(word) > 2 and word.endswith(b"ed"):
        if _has_vowel(word[:-2]):
            word, removed = word[:-2], True
    elif len(word) > 3 and word.endswith(b"ing") and _has_vowel(word[:-3]):
        word, removed = word[:-3], True
    if not removed:
        return word
    if len(word) > 2 and word[-2:] in (b"at", b"bl", b"iz"):
        return word + b"e"
    last = word[-1]
    if len(word) > 1 and last not in _VOWELS and last not in b"lsz" and last == word[-2]:
        return word[:-1]
    if _m_is_1(word) and _cvc(word):
        return word + b"e"
    return word


def _replace(word: bytes, rules: dict[int, tuple[tuple[bytes, bytes], ...]]) -> bytes:
    if len(word) < 2:
        return word
    for suffix, replacement in rules.get(word[-2], ()):
        if len(word) > len(suffix) and word.endswith(suffix):
            base = word[: -len(suffix)]
            return base + replacement if _m_above_0(base) else word
    return word


def _step4(word: bytes) -> bytes:
    if len(word) < 2:
        return word
    for suffix in _STEP4.get(word[-2], ()):
        if len(word) > len(suffix) and word.endswith(suffix):
            base = word[: -len(suffix)]
            if suffix == b"ion" and base[-1:] not in (b"s", b"t"):
                return word
            return base if _m_above_1(base) else word
    return word


# --- the measure m of a stem: how many vowel-consonant sequences it holds --------------


def _consonant(char: int, after_consonant: bool) -> bool:
    """Whether ``char`` is a consonant; a ``y`` after a consonant is a vowel."""
    return not (char in _VOWELS or (after_consonant and char == _Y))


def _vc_end(word: bytes, previous_consonant: bool) -> int:
    """Where the first vowel-then-consonant sequence of ``word`` ends, 0 if it has none."""
    consonant = previous_consonant
    at = 0
    while at < len(word):
        consonant = _consonant(word[at], consonant)
        if not consonant:
            break
        at += 1
    for after in range(at + 1, len(word)):
        consonant = _consonant(word[after], consonant)
        if consonant:
            return after + 1
    return 0


def _m_above_0(word: bytes) -> bool:
    return _vc_end(word, False) != 0


def _m_above_1(word: bytes) -> bool:
    end = _vc_end(word, False)
    return end != 0 and _vc_end(word[end:], True) != 0


def _m_is_1(word: bytes) -> bool:
    end = _vc_end(word, False)
    return end != 0 and _vc_end(word[end:], True) == 0


def _cvc(word: bytes) -> bool:
    """Whether the word ends consonant-vowel-consonant, the last not w, x or y."""
    if not word or word[-1] in b"wxy":
        return False
    flags = []
    consonant = False
    for char in word:
        consonant = _consonant(char, consonant)
        flags.append(consonant)
    return flags[-3:] == [True, False, True]


def _has_vowel(word: bytes) -> bool:
    # The engine's own rule: a y counts as a vowel anywhere but first.
    return any(char in _VOWELS or (at > 0 and char == _Y) for at, char in enumerate(word))
