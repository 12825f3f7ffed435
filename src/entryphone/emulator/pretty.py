"""The device's pretty-printed JSON, byte for byte what `json.dumps(document, indent=2,
separators=(",", " : "), ensure_ascii=False)` writes, about twice as fast.

The standard library only has a C encoder for compact output; with `indent` it falls back to
nested Python generators, and a dir/query reply of 10,000 records spent most of an emulated
panel's time in them. Here each scalar is rendered in one step (strings by the C string encoder)
and containers recurse.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

_INDENT = "  "


def _scalar(value: Any) -> str | None:
    """The JSON text of a non-container, as json.dumps writes it; None for a container."""
    if type(value) is str:
        return str(encode_basestring(value))
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value == math.inf:
            return "Infinity"
        if value == -math.inf:
            return "-Infinity"
        return float.__repr__(value)
    if isinstance(value, str):
        return str(encode_basestring(value))
    return None


def _key(key: Any) -> str:
    if isinstance(key, str):
        return str(encode_basestring(key))
    if key is None or isinstance(key, int | float):
        return f'"{_scalar(key)}"'
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def _write(value: Any, pad: str, out: Callable[[str], None]) -> None:
    inner = pad + _INDENT
    if isinstance(value, dict):
        if not value:
            out("{}")
            return
        separator = "{" + inner
        for key, item in value.items():
            text = _scalar(item)
            if text is None:
                out(separator + _key(key) + " : ")
                _write(item, inner, out)
            else:
                out(separator + _key(key) + " : " + text)
            separator = "," + inner
        out(pad + "}")
    elif isinstance(value, list | tuple):
        if not value:
            out("[]")
            return
        separator = "[" + inner
        for item in value:
            text = _scalar(item)
            if text is None:
                out(separator)
                _write(item, inner, out)
            else:
                out(separator + text)
            separator = "," + inner
        out(pad + "]")
    else:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def pretty_json(document: Any) -> str:
    text = _scalar(document)
    if text is not None:
        return text
    parts: list[str] = []
    _write(document, "\n", parts.append)
    return "".join(parts)
