"""The JSON reply envelope of manual section 2.3, rendered the way the device prints it."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .errors import ApiError

JSON_TYPE = "application/json"


def dumps(document: Any) -> bytes:
    # The device pretty-prints with `"key" : value`; valid JSON either way.
    return json.dumps(document, indent=2, separators=(",", " : "), ensure_ascii=False).encode()


def success(result: Any = None) -> web.Response:
    document: dict[str, Any] = {"success": True}
    if result is not None:
        document["result"] = result
    return web.Response(body=dumps(document), content_type=JSON_TYPE)


def failure(error: ApiError, status: int = 200) -> web.Response:
    return web.Response(
        body=dumps({"success": False, "error": error.as_dict()}), status=status, content_type=JSON_TYPE
    )


def text(reply: str) -> web.Response:
    """The `response=` parameter of switch/ctrl and io/ctrl: that text instead of JSON."""
    return web.Response(body=reply.encode(), content_type="text/plain")
