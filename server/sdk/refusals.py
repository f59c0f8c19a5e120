"""Refusals an agent can act on: one sentence naming the argument, what was wrong with it
and what to send instead.

The SDK checks a tool's arguments against its input schema with pydantic, whose messages
are validator dumps (a count, the model's name, a link). The sentences here are built
from the same error and the tool's published input schema, so every tool, whoever adds
it, is refused in the same words, and the "what to send" part always matches the schema
the client was given.

Remove when the SDK's refusals of bad arguments name the argument and what to send
(tests/server/test_bad_inputs.py and test_schemas.py hold the wording).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

__all__ = ["schema_refusal", "unknown_arguments", "unknown_arguments_refusal"]

Schema = Mapping[str, Any]

# How much of a refused value a sentence quotes.
_MAX_SHOWN = 40

_UNDER = {"greater_than_equal": "ge", "greater_than": "gt"}
_OVER = {"less_than_equal": "le", "less_than": "lt"}


def unknown_arguments(arguments: Mapping[str, Any], schema: Schema) -> list[str]:
    """The names in ``arguments`` that the tool's input ``schema`` does not declare."""
    known = schema.get("properties", {})
    return [name for name in arguments if name not in known]


def unknown_arguments_refusal(tool: str, names: Sequence[str], schema: Schema) -> str:
    """The sentence refusing arguments ``tool`` does not have."""
    properties = schema.get("properties", {})
    takes = f"it takes {_listed(properties, quote=False)}" if properties else "it takes none"
    if len(names) == 1:
        return f"'{names[0]}' is not an argument of {tool}; leave it out ({takes})."
    return f"{_listed(names, quote=True)} are not arguments of {tool}; leave them out ({takes})."


def schema_refusal(error: ValidationError, schema: Schema) -> str:
    """The sentence refusing the first argument in ``error`` (which lists every one).

    One argument at a time keeps the sentence short; the next call names the next one.
    """
    first = error.errors(include_url=False)[0]
    loc = tuple(first["loc"])
    kind, value, ctx = first["type"], first.get("input"), first.get("ctx") or {}
    name = _path(loc) or "arguments"  # an empty loc: the arguments as a whole
    if kind == "extra_forbidden":
        parent = _at(schema, loc[:-1]) or {}
        return (
            f"'{name}' is not a key of '{_path(loc[:-1])}'; use only "
            f"{_listed(parent.get('properties', {}), quote=False)}."
        )
    field = _at(schema, loc)
    fix = f"pass {_expected(schema, field)}" if field is not None else "see the tool's input schema"
    if kind == "missing":
        return f"'{name}' is missing; {fix}."
    if kind in _UNDER:
        return f"'{name}' is {_shown(value)}, under its minimum of {ctx[_UNDER[kind]]}; {fix}."
    if kind in _OVER:
        return f"'{name}' is {_shown(value)}, over its maximum of {ctx[_OVER[kind]]}; {fix}."
    if kind == "finite_number":
        return f"'{name}' is {_shown(value)}, not a finite number; {fix}."
    if kind in ("string_too_short", "string_too_long", "too_short", "too_long"):
        return f"'{name}' is refused: {_sentence_part(first['msg'])}; {fix}."
    # A wrong type or a value outside an enum: say what came, and what to send.
    return f"'{name}' cannot be {_described(value, field)}; {fix}."


def _path(loc: Sequence[int | str]) -> str:
    """("refs", "files", 0) as refs.files[0]."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _resolved(schema: Schema, node: Schema) -> Schema:
    """``node`` with a $ref followed, and a nullable anyOf reduced to its other branch."""
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        node = {**schema["$defs"][ref.removeprefix("#/$defs/")], **node}
        node = {key: value for key, value in node.items() if key != "$ref"}
    branches = [b for b in node.get("anyOf", ()) if b.get("type") != "null"]
    if len(branches) == 1:
        return _resolved(schema, {**{k: v for k, v in node.items() if k != "anyOf"}, **branches[0]})
    return node


def _at(schema: Schema, loc: Sequence[int | str]) -> Schema | None:
    """The schema of the value at ``loc`` in the arguments, or None where it has none."""
    node = _resolved(schema, schema)
    for part in loc:
        # An int is a list index, a str an object's key.
        child = node.get("items") if isinstance(part, int) else node.get("properties", {}).get(part)
        if not isinstance(child, Mapping):
            return None
        node = _resolved(schema, child)
    return node


def _expected(schema: Schema, node: Schema) -> str:
    """What a value must be, as the object of "pass ...": "a number from 0.0 to 1.0"."""
    if "enum" in node:
        return "one of " + _listed(node["enum"], quote=True, last="or")
    kind = node.get("type")
    if kind in ("number", "integer"):
        noun = "a number" if kind == "number" else "a whole number"
        low = node.get("minimum", node.get("exclusiveMinimum"))
        high = node.get("maximum", node.get("exclusiveMaximum"))
        if low is not None and high is not None:
            return f"{noun} from {low} to {high}"
        if low is not None:
            return f"{noun} of at least {low}"
        if high is not None:
            return f"{noun} of at most {high}"
        return noun
    if kind == "string":
        return "a string"
    if kind == "boolean":
        return "true or false"
    if kind == "array":
        items = node.get("items")
        if not isinstance(items, Mapping):
            return "a list"
        items = _resolved(schema, items)
        if "enum" in items:
            return "a list of values from " + _listed(items["enum"], quote=True)
        return f"a list of {_plural(items)}"
    if kind == "object":
        keys = node.get("properties")
        if keys:
            return f"an object with only the keys {_listed(keys, quote=False)}"
        return "a JSON object"
    return "a value as the tool's input schema describes it"


def _plural(node: Schema) -> str:
    return {
        "string": "strings",
        "number": "numbers",
        "integer": "whole numbers",
        "boolean": "booleans",
        "object": "objects",
        "array": "lists",
    }.get(str(node.get("type")), "values")


def _listed(items: Iterable[Any], *, quote: bool, last: str = "and") -> str:
    words = [f"'{item}'" if quote else str(item) for item in items]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"


def _shown(value: Any) -> str:
    """A refused value as JSON, cut short."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _described(value: Any, field: Schema | None) -> str:
    """What came instead of the expected value: its kind where the kind is the mistake."""
    if isinstance(value, bool):
        return _shown(value)
    if isinstance(value, str):
        wanted_text = field is not None and (field.get("type") == "string" or "enum" in field)
        return _shown(value) if wanted_text else f"the string {_shown(value)}"
    if isinstance(value, int | float):
        return _shown(value)
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return _shown(value)


def _sentence_part(message: str) -> str:
    """A pydantic message as the middle of a sentence: "String should have ..." -> "string ..."."""
    return message[:1].lower() + message[1:].rstrip(".")
