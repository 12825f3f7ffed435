"""The directory (firmware 2.2x+, 2.4x profile): template, create, update, delete, get, query.

Bodies are JSON, sent as application/json or as a multipart `blob-json` / `blob-dir_new` part.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..config import Service
from ..envelope import success
from ..errors import invalid, missing
from ..function import GET_POST, ApiCall, Function

CONTROL = "system:control"
_BLOBS = ("blob-json", "blob-dir_new")
_LIMITS = {name: 8 * 1024 * 1024 for name in _BLOBS}


def _document(call: ApiCall) -> dict[str, Any]:
    document = call.params.json_document(*_BLOBS)
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise invalid("json")
    return document


def _users(document: dict[str, Any], *, required: bool = True) -> list[Any] | None:
    users = document.get("users")
    if users is None:
        if required:
            raise missing("users")
        return None
    if not isinstance(users, list):
        raise invalid("users")
    return users


def _fields(document: dict[str, Any]) -> list[str] | None:
    fields = document.get("fields")
    if fields is None:
        return None
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise invalid("fields")
    return fields


def _saved(call: ApiCall, result: dict[str, Any]) -> web.StreamResponse:
    call.device.save()
    return success(result)


async def template(call: ApiCall) -> web.StreamResponse:
    directory = call.device.directory
    return success({"series": directory.series, "users": [directory.template()]})


async def create(call: ApiCall) -> web.StreamResponse:
    document = _document(call)
    force = document.get("force", call.params.get("force") in ("1", "true"))
    users = _users(document)
    assert users is not None
    return _saved(
        call,
        {"series": call.device.directory.series, "users": call.device.directory.create(users, bool(force))},
    )


async def update(call: ApiCall) -> web.StreamResponse:
    users = _users(_document(call))
    assert users is not None
    return _saved(
        call, {"series": call.device.directory.series, "users": call.device.directory.update(users)}
    )


async def delete(call: ApiCall) -> web.StreamResponse:
    document = _document(call)
    owner = document.get("owner")
    users = _users(document, required=owner is None)
    if owner is not None and not isinstance(owner, str):
        raise invalid("owner")
    return _saved(
        call, {"series": call.device.directory.series, "users": call.device.directory.delete(users, owner)}
    )


async def get(call: ApiCall) -> web.StreamResponse:
    document = _document(call)
    users = _users(document, required=False) or []
    directory = call.device.directory
    return success({"series": directory.series, "users": directory.get(users, _fields(document))})


async def query(call: ApiCall) -> web.StreamResponse:
    document = _document(call)
    directory = call.device.directory
    series = document.get("series")
    iterator = document.get("iterator", {})
    if not isinstance(iterator, dict):
        raise invalid("iterator")
    since = iterator.get("timestamp", 0)
    if not isinstance(since, int) or isinstance(since, bool) or since < 0:
        raise invalid("iterator")
    if series is not None and str(series) != directory.series:
        # The client's timestamps belong to another series: it has to start over from 0.
        return success({"series": directory.series, "iterator": {"timestamp": 0}, "users": []})
    users = directory.query(since, _fields(document))
    last = users[-1]["timestamp"] if users else max(since, 0)
    return success({"series": directory.series, "iterator": {"timestamp": last}, "users": users})


def _dir(path: str, methods: frozenset[str], handler: Any) -> Function:
    return Function(path, methods, Service.SYSTEM, CONTROL, True, handler, _LIMITS, directory=True)


PUT = frozenset({"PUT"})
POST = frozenset({"POST"})
FUNCTIONS = [
    _dir("/api/dir/template", GET_POST, template),
    _dir("/api/dir/create", PUT, create),
    _dir("/api/dir/update", PUT, update),
    _dir("/api/dir/delete", PUT, delete),
    _dir("/api/dir/get", POST, get),
    _dir("/api/dir/query", POST, query),
]
