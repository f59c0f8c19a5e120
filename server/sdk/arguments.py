"""How a tool's arguments are read: strings stay strings, and nothing is coerced.

The SDK "pre-parses" every string argument whose annotation is not exactly ``str``
as JSON, for clients that send a list or an object as a JSON string. On a
parameter that takes text but may be omitted (``str | None``) or is one of some
words (a ``Literal``), that alters what the caller wrote: an idempotency key
"null" became None, so a retry wrote its event twice; a title "[1, 2]" was
refused as a list; a task id "null" opened a task under a new id. Here such
parameters keep their strings as sent, and only parameters that cannot take a
string (refs, meta, lists of types) are pre-parsed, as the SDK does. It also
spares every call 17 fields' bookkeeping and a failed ``json.loads`` for each
string argument.

Remove when the SDK pre-parses only the parameters that cannot take a string (then
tests/server/test_string_arguments.py passes without it). It is fitted to each tool
through the SDK's private ``_tool_manager`` (``sdk.journal_server``).
"""

from __future__ import annotations

import json
import types
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata

from server.sdk.schemas import compact_schema

__all__ = ["TextKeptMetadata"]


class TextKeptMetadata(FuncMetadata):
    """The SDK's argument handling, with text parameters left out of the JSON pre-parse."""

    @classmethod
    def of(cls, metadata: FuncMetadata) -> TextKeptMetadata:
        # The output schema is given, so it is not derived again.
        return cls(
            arg_model=metadata.arg_model,
            output_schema=(
                None
                if metadata.output_schema is None
                else compact_schema(metadata.output_schema, output=True)
            ),
            output_model=metadata.output_model,
            wrap_output=metadata.wrap_output,
        )

    def validate_arguments(self, arguments_to_validate: dict[str, Any]) -> dict[str, Any]:
        # Strict, for every argument of every tool alike (SPEC 3): "2" is not read as the
        # integer 2 any more than "0.5" as a confidence, nor "true" as a boolean.
        pre_parsed = self.pre_parse_json(arguments_to_validate)
        return self.arg_model.model_validate(pre_parsed, strict=True).model_dump_one_level()

    def pre_parse_json(self, data: dict[str, Any]) -> dict[str, Any]:
        parsed = dict(data)
        for key in _structured_keys(self.arg_model).intersection(data):
            value = data[key]
            if not isinstance(value, str):
                continue
            try:
                loaded = json.loads(value)
            except (ValueError, RecursionError):
                continue  # not JSON: validation refuses it by name
            # As the SDK: a JSON string, number or boolean is not what was meant.
            if not isinstance(loaded, str | int | float):
                parsed[key] = loaded
        return parsed


@cache
def _structured_keys(model: type[ArgModelBase]) -> frozenset[str]:
    """The argument names (aliases too) of ``model``'s fields that cannot take a string."""
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        if not _takes_text(field.annotation):
            keys.add(name)
            if field.alias:
                keys.add(field.alias)
    return frozenset(keys)


def _takes_text(annotation: Any) -> bool:
    """Whether a value of ``annotation`` may be a string: str, a Literal of strings, or
    a union (``| None`` included) with one of them in it."""
    if annotation is str:
        return True
    origin = get_origin(annotation)
    if origin is Annotated:
        return _takes_text(get_args(annotation)[0])
    if origin is Literal:
        return any(isinstance(value, str) for value in get_args(annotation))
    if origin is Union or origin is types.UnionType:
        return any(_takes_text(member) for member in get_args(annotation))
    return False
