"""Tool schemas without the bytes pydantic adds and no client needs.

Every session's context carries the whole ``tools/list`` answer, so its size is paid
in tokens by every agent. pydantic's schemas repeat a ``title`` on every property (the
property's own name, capitalised), spell out ``additionalProperties: true`` (the
default), and write an optional argument as ``anyOf`` of its type and ``null`` with
``default: null``. Here an input schema keeps the argument's type alone (leaving it
out is how an argument is omitted) and the refusals (``refusals``) read either form.
An output schema, which only lets a client check what comes back, says
``"type": [T, "null"]`` and keeps the types alone: no descriptions (each tool's
description says what it returns), no ``required`` lists, no fields that may hold
anything. Remove when the SDK emits compact schemas.
"""

from __future__ import annotations

from typing import Any

__all__ = ["compact_schema"]

_NULL = {"type": "null"}


def compact_schema(schema: dict[str, Any], *, output: bool = False) -> dict[str, Any]:
    """``schema`` without titles, with nullable unions shortened (see the module)."""
    compact: dict[str, Any] = _node(schema, output)
    return compact


def _node(node: Any, output: bool) -> Any:
    if isinstance(node, list):
        return [_node(item, output) for item in node]
    if not isinstance(node, dict):
        return node
    compact: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "additionalProperties" and value is True:
            continue
        if output and key in ("description", "required"):
            continue
        if key in ("properties", "$defs") and isinstance(value, dict):
            compact[key] = {name: _node(sub, output) for name, sub in value.items()}
            if output and key == "properties":  # an output field that may hold anything
                compact[key] = {name: sub for name, sub in compact[key].items() if sub != {}}
        else:
            compact[key] = _node(value, output)
    branches = compact.get("anyOf")
    if not (isinstance(branches, list) and len(branches) == 2 and _NULL in branches):
        return compact
    [other] = [branch for branch in branches if branch != _NULL]
    rest = {key: value for key, value in compact.items() if key != "anyOf"}
    if not output and rest.get("default", ...) is None:
        del rest["default"]
        return {**other, **rest}
    if output and set(other) == {"type"} and isinstance(other["type"], str):
        return {"type": [other["type"], "null"], **rest}
    return compact
