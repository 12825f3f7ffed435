"""Small builders over HTTP for the admin API tests."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

_macs = itertools.count(1)
BASE = "/api/admin/v1"


def ok(reply: httpx.Response, status: int = 200) -> Any:
    assert reply.status_code == status, reply.text
    return reply.json() if reply.content else None


def errors(reply: httpx.Response) -> dict[str, list[str]]:
    assert reply.status_code == 422, reply.text
    body = reply.json()
    assert set(body) == {"message", "errors"}
    return body["errors"]  # type: ignore[no-any-return]


def house(client: httpx.Client, name: str = "House") -> dict[str, Any]:
    return ok(client.post(f"{BASE}/intercoms/groups", json={"name": name, "is_house": True}), 201)  # type: ignore[no-any-return]


def camera(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"name": "Entrance camera", **fields}
    return ok(client.post(f"{BASE}/cameras", json=body), 201)  # type: ignore[no-any-return]


def next_mac() -> str:
    value = next(_macs)
    return ":".join(f"{(value >> shift) & 0xFF:02X}" for shift in (40, 32, 24, 16, 8, 0))


def intercom(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"title": "Entrance 1", "vendor": "interconnection", "mac": next_mac(), **fields}
    return ok(client.post(f"{BASE}/intercoms", json=body), 201)  # type: ignore[no-any-return]
