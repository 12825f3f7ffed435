"""HTTP validators for reads (RFC 9110 section 8.8.3 and 13.1.2): a strong `ETag` on the reply,
and 304 Not Modified when the client's `If-None-Match` holds it.

The tag is a digest of the reply's bytes, which are built from what the route's statements read:
equal on every node for equal data, different as soon as anything the reply shows differs (the
intercom, its group, camera, key count, online state). It saves the client the transfer and the
parsing, not the server its reads; every request still reads the database, so a tag is never stale.
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel

JSON = "application/json"
# Private (the reply depends on the caller's token) and revalidated on every use.
CACHE_CONTROL = "private, no-cache"
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not Modified: the `ETag` sent in `If-None-Match` is current."}
}


def tag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """Weak comparison, as If-None-Match requires: `W/"x"` matches `"x"`; `*` matches any."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == tag:
            return True
    return False


def validated_json(request: Request, reply: BaseModel) -> Response:
    """`reply` as JSON with its ETag, or 304 without a body when the client already holds it."""
    body = reply.model_dump_json().encode()
    tag = tag_of(body)
    headers = {"ETag": tag, "Cache-Control": CACHE_CONTROL}
    if matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=JSON, headers=headers)
