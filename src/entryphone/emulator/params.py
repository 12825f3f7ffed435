"""Request parameters as manual section 2.2 defines them.

Simple parameters come from the query, an urlencoded body or a multipart body, and the last
occurrence wins; `blob-*` parameters only count when they arrive as multipart parts. A simple
parameter longer than SIMPLE_LIMIT bytes is refused with 13 however it arrives.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from .errors import PROCESSING, TOO_BIG, ApiError, invalid, missing

SIMPLE_LIMIT = 64 * 1024
DEFAULT_BLOB_LIMIT = 1024 * 1024
JSON_BODY_LIMIT = 8 * 1024 * 1024
_BOUNDARY = re.compile(r"boundary=([^;]+)", re.IGNORECASE)
_NAME = re.compile(r'content-disposition:[^\r\n]*?\bname=(?:"([^"]*)"|([^;\s]+))', re.IGNORECASE)


@dataclass(slots=True)
class Params:
    values: dict[str, str] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    json_body: bytes | None = None

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def require(self, name: str) -> str:
        value = self.values.get(name)
        if value is None:
            raise missing(name)
        return value

    def blob(self, name: str) -> bytes | None:
        return self.blobs.get(name)

    def integer(self, name: str, default: int | None = None, *, low: int, high: int) -> int | None:
        """An integer parameter in [low, high]; `default` when absent (None means optional)."""
        raw = self.values.get(name)
        if raw is None:
            return default
        try:
            value = int(raw.strip())
        except ValueError:
            raise invalid(name) from None
        if not low <= value <= high:
            raise invalid(name)
        return value

    def required_integer(self, name: str, *, low: int, high: int) -> int:
        self.require(name)
        value = self.integer(name, low=low, high=high)
        assert value is not None
        return value

    def choice(self, name: str, options: tuple[str, ...], default: str | None = None) -> str | None:
        raw = self.values.get(name)
        if raw is None:
            return default
        if raw not in options:
            raise invalid(name)
        return raw

    def json_document(self, *blob_names: str) -> Any:
        """A JSON body: `application/json`, or one of the named multipart parts (the last wins)."""
        raw = self.json_body
        for name in blob_names:
            if name in self.blobs:
                raw = self.blobs[name]
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise invalid(blob_names[0] if blob_names else "json") from None


async def read_body(request: web.BaseRequest, limit: int, param: str | None) -> bytes:
    """The whole body, refused with code 13 beyond `limit` (kept for parsing and the pcap)."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(65536):
        size += len(chunk)
        if size > limit:
            raise ApiError(TOO_BIG, param)
        chunks.append(chunk)
    return b"".join(chunks)


def parse(request: web.BaseRequest, body: bytes, blob_limits: Mapping[str, int]) -> Params:
    params = Params()
    for key, value in request.query.items():
        if not key.startswith("blob-"):
            params.values[key] = _simple(key, value)
    if not body:
        return params
    content_type = request.content_type
    if content_type == "application/x-www-form-urlencoded":
        for key, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
            if not key.startswith("blob-"):
                params.values[key] = _simple(key, value)
    elif content_type == "multipart/form-data":
        boundary = _BOUNDARY.search(request.headers.get("Content-Type", ""))
        if not boundary:
            raise ApiError(PROCESSING)
        for name, data in _multipart_parts(body, boundary.group(1).strip('"').encode()):
            blob = name.startswith("blob-")
            limit = blob_limits.get(name, DEFAULT_BLOB_LIMIT) if blob else SIMPLE_LIMIT
            if len(data) > limit:
                raise ApiError(TOO_BIG, name)
            if blob:
                params.blobs[name] = data
            else:
                params.values[name] = data.decode("utf-8", "replace")
    elif content_type == "application/json":
        params.json_body = body
    return params


def _simple(name: str, value: str) -> str:
    if len(value.encode()) > SIMPLE_LIMIT:
        raise ApiError(TOO_BIG, name)
    return value


def _multipart_parts(body: bytes, boundary: bytes) -> list[tuple[str, bytes]]:
    """RFC 7578 form-data parts as (name, content), in order."""
    delimiter = b"--" + boundary
    sections = body.split(delimiter)
    if len(sections) < 3:
        raise ApiError(PROCESSING)
    parts = []
    for section in sections[1:-1]:
        section = section.removeprefix(b"\r\n")
        head, sep, content = section.partition(b"\r\n\r\n")
        if not sep:
            raise ApiError(PROCESSING)
        match = _NAME.search(head.decode("utf-8", "replace"))
        if match:
            parts.append((match.group(1) or match.group(2), content.removesuffix(b"\r\n")))
    return parts
