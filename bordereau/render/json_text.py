"""The JSON documents of `check --json` and `totals --json`, byte for byte as `json.dumps(value, ensure_ascii=False,
indent=2)` writes them, at a fraction of its cost.

With an indent, `json.dumps` runs its pure-Python encoder, a generator per level, over every finding (a third of a
second for 50,000). Here each text goes through the same C function that encoder uses (`encode_basestring`), and a
flat object (texts, integers, null, booleans: a finding, a summary) is joined at once. Anything else (a float, a key
that is not a text, a value JSON refuses) is left to `json.dumps` itself.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring

_INDENT = "  "


class _Unusual(Exception):
    """A value the fast path leaves to json.dumps."""


def dumps(value: object) -> str:
    """`json.dumps(value, ensure_ascii=False, indent=2)`.

    >>> dumps({"a": [1, None, True, "é\\n"], "b": {}, "c": []}) == json.dumps(
    ...     {"a": [1, None, True, "é\\n"], "b": {}, "c": []}, ensure_ascii=False, indent=2)
    True
    """
    parts: list[str] = []
    try:
        _write(value, 0, parts)
    except _Unusual:
        return json.dumps(value, ensure_ascii=False, indent=2)
    return "".join(parts)


def _scalar(value: object) -> str:
    if type(value) is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return int.__repr__(value)
    raise _Unusual


def _write(value: object, level: int, parts: list[str]) -> None:
    if isinstance(value, dict):
        if not value:
            parts.append("{}")
            return
        pad = "\n" + _INDENT * (level + 1)
        items = _flat(value)
        if items is not None:
            parts.append("{" + pad + ("," + pad).join(items) + "\n" + _INDENT * level + "}")
            return
        parts.append("{")
        for k, (key, item) in enumerate(value.items()):
            parts.append((pad if k == 0 else "," + pad) + _key(key) + ": ")
            _write(item, level + 1, parts)
        parts.append("\n" + _INDENT * level + "}")
    elif isinstance(value, list | tuple):
        if not value:
            parts.append("[]")
            return
        pad = "\n" + _INDENT * (level + 1)
        parts.append("[")
        for k, item in enumerate(value):
            parts.append(pad if k == 0 else "," + pad)
            _write(item, level + 1, parts)
        parts.append("\n" + _INDENT * level + "]")
    else:
        parts.append(_scalar(value))


_LITERALS = {None: "null", True: "true", False: "false"}


def _flat(value: dict) -> list[str] | None:
    """'"key": value' of each item of an object whose values are all texts, integers, null or booleans; None for
    another object."""
    items = []
    for key, item in value.items():
        kind = type(item)
        if kind is str:
            text = encode_basestring(item)
        elif kind is int:
            text = int.__repr__(item)
        elif item is None or kind is bool:
            text = _LITERALS[item]
        else:
            return None
        items.append(f"{_KEYS.get(key) or _key(key)}: {text}")
    return items


_KEYS: dict[str, str] = {}


def _key(key: object) -> str:
    if type(key) is str:
        return _KEYS.setdefault(key, encode_basestring(key)) if len(_KEYS) < 1024 else encode_basestring(key)
    raise _Unusual

