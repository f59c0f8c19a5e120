"""The event: its struct, the closed sets, new ids, and the strict validation of writes.

The line format is shared with the Rust ``task-journal`` tool (schema "1.0"),
so the field order of ``Event`` *is* the on-disk order. Evolution rules, as
msgspec's schema-evolution guide gives them: a new field goes last among its
neighbours with a default (``UNSET`` if it is optional, so it is left out of
old-style lines); a field is never renamed, retyped or removed, and the
closed sets below only grow. Readers must keep what they do not know, which is
why reading (``reader.py``) decodes to plain dicts, not to this struct.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Final

import msgspec
from msgspec import UNSET, UnsetType

from journal_core.errors import InvalidEvent
from journal_core.rules import EVENT_TYPES as EVENT_TYPES
from journal_core.spelling import did_you_mean

SCHEMA_VERSION: Final = "1.0"

AUTHORS: Final = ("user", "agent", "classifier", "hook")
SOURCES: Final = ("chat", "hook", "manual", "cli", "dream")
STATUSES: Final = ("confirmed", "suggested")
EVIDENCE_STRENGTHS: Final = ("weak", "medium", "strong")
OUTCOME_TAGS: Final = ("done", "abandoned", "superseded")
REF_KINDS: Final = ("commits", "files", "events")
# The events that set a task's goal (meta.goal): its open, and each change of direction.
GOAL_TYPES: Final = ("open", "redirect")

_CROCKFORD: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# A ULID is 128 bits in 26 characters, so the first one can only be 0-7.
_ULID_RE: Final = re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25}")
_TASK_ID_RE: Final = re.compile(r"[A-Za-z0-9:_.-]{1,64}")
_TIMESTAMP_RE: Final = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
_MAX_KEY_CHARS: Final = 256


class Limits(msgspec.Struct, frozen=True, kw_only=True):
    """Size limits a writer enforces; the defaults are SPEC §3's.

    Field sizes are UTF-8 bytes; ``max_line_bytes`` bounds the whole line as
    written (JSON escapes included: a control character takes six bytes), so
    that no event is ever far over what one tool result can carry.
    """

    max_text_bytes: int = 64 * 1024
    max_meta_bytes: int = 64 * 1024
    max_meta_depth: int = 32
    max_refs: int = 256  # items in each of refs.commits, refs.files, refs.events
    max_ref_bytes: int = 4096  # one item: a path as long as Linux's PATH_MAX
    max_line_bytes: int = 256 * 1024


DEFAULT_LIMITS: Final = Limits()


class Refs(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """What an event points at; empty lists are left out, so no refs encode as ``{}``."""

    commits: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    events: tuple[str, ...] = ()


class Event(msgspec.Struct, frozen=True, kw_only=True):
    """One journal line, fields in the order they are written.

    Optional fields default to ``UNSET`` so they are left out of the line,
    as the Rust tool leaves out its ``None``s.
    """

    event_id: str
    schema_version: str = SCHEMA_VERSION
    task_id: str
    type: str
    timestamp: str
    author: str = "agent"
    source: str = "chat"
    confidence: float | UnsetType = UNSET
    evidence_strength: str | UnsetType = UNSET
    text: str
    refs: Refs = Refs()
    corrects: str | UnsetType = UNSET
    supersedes: str | UnsetType = UNSET
    status: str = "confirmed"
    meta: dict[str, Any] = {}

    @property
    def idempotency_key(self) -> str | None:
        key = self.meta.get("idempotency_key")
        return key if isinstance(key, str) else None


class ForeignEvent(Event, frozen=True, kw_only=True):
    """An event another replica wrote, received by sync (SPEC §10). The journal admits
    it once by its id whatever its task's state: merged journals hold what a writer
    would refuse (a close after a close), and the fold reads them."""


_encoder: Final = msgspec.json.Encoder()


def encode_line(event: Event) -> bytes:
    """The event's journal line, ``\\n`` included."""
    return _encoder.encode(event) + b"\n"


def event_to_dict(event: Event) -> dict[str, Any]:
    """The event as the plain JSON object of its line (lists, not the struct's tuples)."""
    result: dict[str, Any] = msgspec.json.decode(_encoder.encode(event))
    return result


# --- new ids and times -------------------------------------------------------


# Every pair of Crockford digits, by the 10 bits it stands for: a ULID is 13 lookups,
# where a loop of divmods took 26 (a fifth of new_event's time).
_DIGIT_PAIRS: Final = tuple(high + low for high in _CROCKFORD for low in _CROCKFORD)


def _crockford(value: int, length: int) -> str:
    """``value`` as ``length`` Crockford base32 digits, most significant first."""
    paired = length - length % 2
    head = _CROCKFORD[(value >> paired * 5) & 31] if length % 2 else ""
    pairs = _DIGIT_PAIRS
    return head + "".join(
        [pairs[(value >> shift) & 1023] for shift in range(paired * 5 - 10, -1, -10)]
    )


_last_ulid = 0
_ulid_lock: Final = threading.Lock()


def new_event_id(moment: dt.datetime | None = None) -> str:
    """A new ULID: 48 bits of milliseconds since the epoch, then 80 random bits.

    Monotonic within the process, as the ULID spec's monotonic generator: an id made in
    the same millisecond as the last one is that one plus one. Events are folded in
    ``(timestamp, event_id)`` order (SPEC §6), so a close and a reopen appended in one
    millisecond must not trade places by the luck of their random bits.
    """
    global _last_ulid
    if moment is None:
        moment = dt.datetime.now(dt.UTC)
    now_ms = int(moment.timestamp() * 1000)
    value = (now_ms << 80) | int.from_bytes(os.urandom(10), "big")
    with _ulid_lock:
        if value >> 80 == _last_ulid >> 80 and value <= _last_ulid:
            value = _last_ulid + 1
        _last_ulid = value
    return _crockford(value, 26)


def new_task_id() -> str:
    """A new task id: ``tj-`` and 10 lowercase Crockford characters (50 random bits)."""
    return "tj-" + _crockford(int.from_bytes(os.urandom(7), "big") >> 6, 10).lower()


def format_timestamp(moment: dt.datetime) -> str:
    """RFC 3339 in UTC with milliseconds, as the Rust tool writes it."""
    utc = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="milliseconds") + "Z"


def now_timestamp() -> str:
    return format_timestamp(dt.datetime.now(dt.UTC))


# --- building and validating -------------------------------------------------


def new_event(
    *,
    type: str,
    text: str,
    task_id: str | None = None,
    title: str | None = None,
    goal: str | None = None,
    author: str = "agent",
    source: str = "chat",
    refs: Mapping[str, Sequence[str]] | None = None,
    meta: Mapping[str, Any] | None = None,
    corrects: str | None = None,
    supersedes: str | None = None,
    confidence: float | None = None,
    evidence_strength: str | None = None,
    status: str = "confirmed",
    idempotency_key: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    check: bool = True,
) -> Event:
    """Build a new event with a fresh id and time, and validate it.

    ``type="open"`` without ``task_id`` starts a new task. ``title``, ``goal`` and
    ``idempotency_key`` are stored in ``meta``. Raises ``InvalidEvent``. With
    ``check=False`` only the arguments are checked, for an event handed straight to
    ``Journal.append``, which validates it (against its own limits) anyway.
    """
    meta_dict = _check_meta_mapping(meta)
    if title is not None:
        if type not in ("open", "rename"):
            raise InvalidEvent("title", "is only for type 'open' (or 'rename')")
        if "title" in meta_dict and meta_dict["title"] != title:
            raise InvalidEvent("title", "given both as an argument and in meta with other values")
        meta_dict["title"] = title
    if goal is not None:
        if type not in GOAL_TYPES:
            raise InvalidEvent(
                "goal",
                f"is only for type 'open' or 'redirect', not {type!r}; "
                "to change a task's goal append a 'redirect' with the new goal",
            )
        if "goal" in meta_dict and meta_dict["goal"] != goal:
            raise InvalidEvent("goal", "given both as an argument and in meta with other values")
        meta_dict["goal"] = goal
    if idempotency_key is not None:
        meta_dict["idempotency_key"] = idempotency_key
    if task_id is None:
        if type != "open":
            raise InvalidEvent(
                "task_id", f"is required for type '{type}'; only 'open' starts a new task"
            )
        task_id = new_task_id()
    moment = dt.datetime.now(dt.UTC)
    event = Event(
        event_id=new_event_id(moment),
        task_id=task_id,
        type=type,
        timestamp=format_timestamp(moment),
        author=author,
        source=source,
        confidence=UNSET if confidence is None else confidence,
        evidence_strength=UNSET if evidence_strength is None else evidence_strength,
        text=text,
        refs=_build_refs(refs),
        corrects=UNSET if corrects is None else corrects,
        supersedes=UNSET if supersedes is None else supersedes,
        status=status,
        meta=meta_dict,
    )
    if check:
        validate_event(event, limits)
    return event


def _check_meta_mapping(meta: Mapping[str, Any] | None) -> dict[str, Any]:
    if meta is None:
        return {}
    if not isinstance(meta, Mapping):
        raise InvalidEvent("meta", "must be a JSON object")
    return dict(meta)


def _build_refs(refs: Mapping[str, Sequence[str]] | None) -> Refs:
    if refs is None:
        return Refs()
    if not isinstance(refs, Mapping):
        raise InvalidEvent("refs", 'must be an object like {"files": ["a.py"], "commits": []}')
    unknown = sorted(set(refs) - set(REF_KINDS))
    if unknown:
        raise InvalidEvent(
            "refs", f"unknown key {unknown[0]!r}; allowed keys: {', '.join(REF_KINDS)}"
        )
    lists: dict[str, tuple[str, ...]] = {}
    for kind, items in refs.items():
        if isinstance(items, str | bytes) or not isinstance(items, Sequence):
            raise InvalidEvent(f"refs.{kind}", "must be a list of strings")
        lists[kind] = tuple(items)
    return Refs(**lists)


def _one_of(field: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidEvent(
            field, f"{value!r} is not one of: {', '.join(allowed)}{did_you_mean(value, allowed)}"
        )


def _check_ulid(field: str, value: object) -> None:
    if not isinstance(value, str) or not _ULID_RE.fullmatch(value):
        raise InvalidEvent(
            field, f"{value!r} is not an event id (a ULID: 26 uppercase Crockford characters)"
        )


def check_task_id(value: object, field: str = "task_id") -> None:
    """Refuse a task id outside ``[A-Za-z0-9:_.-]{1,64}``."""
    if not isinstance(value, str) or not _TASK_ID_RE.fullmatch(value):
        raise InvalidEvent(
            field, f"{value!r} is not a task id (1 to 64 characters from A-Z a-z 0-9 : _ . -)"
        )


def _check_text(field: str, value: object, max_bytes: int) -> None:
    if not isinstance(value, str):
        raise InvalidEvent(field, "must be a string")
    # A str of n characters takes at least n UTF-8 bytes: refuse huge ones before encoding.
    if len(value) > max_bytes:
        raise InvalidEvent(field, f"is over the {max_bytes}-byte limit; split it into events")
    size = _utf8_size(field, value)
    if size > max_bytes:
        raise InvalidEvent(field, f"is {size} bytes, over the {max_bytes}-byte limit")
    if not value.strip():
        raise InvalidEvent(field, "must not be empty or only whitespace")


def _utf8_size(field: str, value: str) -> int:
    """The UTF-8 size of ``value``; refuses a string that has none (a lone surrogate),
    which would pass here and fail later, when the line is encoded."""
    try:
        return len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidEvent(field, "is not valid Unicode (it holds a lone surrogate)") from None


def _is_unicode(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def validate_event(event: Event, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse, with the field named, anything SPEC §1 and §3 do not allow."""
    _check_ulid("event_id", event.event_id)
    if event.schema_version != SCHEMA_VERSION:
        raise InvalidEvent("schema_version", f"must be {SCHEMA_VERSION!r}")
    check_task_id(event.task_id)
    _one_of("type", event.type, EVENT_TYPES)
    if not isinstance(event.timestamp, str) or not _TIMESTAMP_RE.fullmatch(event.timestamp):
        raise InvalidEvent(
            "timestamp", "must be RFC 3339 UTC with milliseconds, like 2026-11-25T17:03:09.412Z"
        )
    _one_of("author", event.author, AUTHORS)
    _one_of("source", event.source, SOURCES)
    if event.confidence is not UNSET:
        _check_confidence(event.confidence)
    if event.evidence_strength is not UNSET:
        _one_of("evidence_strength", event.evidence_strength, EVIDENCE_STRENGTHS)
    _check_text("text", event.text, limits.max_text_bytes)
    _check_refs(event.refs, limits)
    _check_named_event(event, "corrects", "correction", "corrects")
    _check_named_event(event, "supersedes", "supersede", "replaces")
    _one_of("status", event.status, STATUSES)
    _check_meta(event.type, event.meta, limits)
    _check_line_size(event, limits.max_line_bytes)


def _check_named_event(event: Event, field: str, kind: str, verb: str) -> None:
    """A ``correction`` must name the event it corrects, a ``supersede`` the one it
    replaces (SPEC §1): one without would stand in the journal forever, amending nothing."""
    value = getattr(event, field)
    if value is not UNSET:
        _check_ulid(field, value)
    elif event.type == kind:
        raise InvalidEvent(field, f"is missing: a {kind} must name the event it {verb}")


def _check_confidence(value: object) -> None:
    # true and "0.5" are refused, not read as 1.0 and 0.5: no silent coercion.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidEvent("confidence", f"{value!r} is not a number from 0.0 to 1.0")
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise InvalidEvent("confidence", f"{value!r} is not a number from 0.0 to 1.0")


def _check_refs(refs: Refs, limits: Limits) -> None:
    for kind in REF_KINDS:
        items = getattr(refs, kind)
        if len(items) > limits.max_refs:
            raise InvalidEvent(
                f"refs.{kind}",
                f"holds {len(items)} items, over the limit of {limits.max_refs}; "
                "keep the ones that matter",
            )
        for item in items:
            if not isinstance(item, str) or not item.strip():
                raise InvalidEvent(f"refs.{kind}", "must be a list of non-empty strings")
            # A str of n characters takes at least n UTF-8 bytes: no need to encode a huge one.
            if len(item) > limits.max_ref_bytes or _utf8_size(f"refs.{kind}", item) > (
                limits.max_ref_bytes
            ):
                raise InvalidEvent(
                    f"refs.{kind}", f"holds an item over {limits.max_ref_bytes} bytes"
                )
    for item in refs.events:
        _check_ulid("refs.events", item)


def _check_meta(event_type: str, meta: object, limits: Limits) -> None:
    if not isinstance(meta, dict):
        raise InvalidEvent("meta", "must be a JSON object")
    _check_json_value("meta", meta, 1, limits.max_meta_depth)
    size = len(_encoder.encode(meta))
    if size > limits.max_meta_bytes:
        raise InvalidEvent("meta", f"is {size} bytes, over the {limits.max_meta_bytes}-byte limit")
    for key in ("title", "goal", "session_id", "reason", "outcome"):
        if key in meta and (not isinstance(meta[key], str) or not meta[key].strip()):
            raise InvalidEvent(f"meta.{key}", "must be a non-empty string")
    if "parent_id" in meta:
        check_task_id(meta["parent_id"], "meta.parent_id")
    if "idempotency_key" in meta:
        key = meta["idempotency_key"]
        if not isinstance(key, str) or not key.strip() or len(key) > _MAX_KEY_CHARS:
            raise InvalidEvent(
                "idempotency_key", f"must be a non-empty string of at most {_MAX_KEY_CHARS} chars"
            )
    if "private" in meta:
        if event_type != "open":
            raise InvalidEvent("meta.private", "is only for type 'open'")
        if not isinstance(meta["private"], bool):
            raise InvalidEvent("meta.private", "must be true or false")
    if "goal" in meta and event_type not in GOAL_TYPES:
        raise InvalidEvent("meta.goal", "is only for type 'open' or 'redirect'")
    if "outcome_tag" in meta:
        if event_type != "close":
            raise InvalidEvent("meta.outcome_tag", "is only for type 'close'")
        _one_of("meta.outcome_tag", meta["outcome_tag"], OUTCOME_TAGS)
    if "alternatives" in meta:
        if event_type != "decision":
            raise InvalidEvent("meta.alternatives", "is only for type 'decision'")
        _check_alternatives(meta["alternatives"])


def _check_line_size(event: Event, max_bytes: int) -> None:
    """Refuse an event whose line, as written, is over ``max_bytes``, naming the
    field that weighs most: each field may be under its own limit and the line
    still too long (escapes take up to six bytes a character)."""
    size = len(encode_line(event))
    if size <= max_bytes:
        return
    parts = {
        "text": len(_encoder.encode(event.text)),
        "refs": len(_encoder.encode(event.refs)),
        "meta": len(_encoder.encode(event.meta)),
    }
    field = max(parts, key=parts.__getitem__)
    raise InvalidEvent(
        field,
        f"makes the line {size} bytes as written (JSON escapes included; {field} is "
        f"{parts[field]} of them), over the {max_bytes}-byte line limit; shorten it or "
        "split it into several events",
    )


def _check_alternatives(value: object) -> None:
    shape = 'a list of {"option": str, "chosen": bool, "rationale": str}'
    if not isinstance(value, list):
        raise InvalidEvent("meta.alternatives", f"must be {shape}")
    for item in value:
        if (
            not isinstance(item, dict)
            or set(item) - {"option", "chosen", "rationale"}
            or not isinstance(item.get("option"), str)
            or not item["option"].strip()
            or not isinstance(item.get("chosen"), bool)
            or not isinstance(item.get("rationale", ""), str)
        ):
            raise InvalidEvent("meta.alternatives", f"must be {shape}")


def _check_json_value(path: str, value: object, depth: int, max_depth: int) -> None:
    """Refuse values JSON cannot carry faithfully, and nesting past ``max_depth``."""
    if isinstance(value, dict | list):
        if depth > max_depth:
            raise InvalidEvent("meta", f"is nested over {max_depth} levels deep (at {path})")
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise InvalidEvent("meta", f"has a key that is not a string (at {path})")
                if not _is_unicode(key):
                    raise InvalidEvent(
                        path, "has a key that is not valid Unicode (it holds a lone surrogate)"
                    )
                _check_json_value(f"{path}.{key}", item, depth + 1, max_depth)
        else:
            for index, item in enumerate(value):
                _check_json_value(f"{path}[{index}]", item, depth + 1, max_depth)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidEvent("meta", f"holds {value!r} at {path}; JSON has no NaN or infinity")
    elif isinstance(value, str):
        _utf8_size(path, value)
    elif not (value is None or isinstance(value, bool | int)):
        raise InvalidEvent("meta", f"holds a {type(value).__name__} at {path}; use JSON values")
