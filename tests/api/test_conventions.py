"""Conventions every surface shares: unknown routes, methods, oversized bodies, OpenAPI."""

from __future__ import annotations

import httpx

from tests.conftest import Api


def test_unknown_route_and_method(api: Api, admin_client: httpx.Client) -> None:
    with api.client() as client:
        assert client.get("/api/admin/v1/nothing-here").json() == {"message": "Not found"}
    reply = admin_client.put("/api/admin/v1/intercoms/groups")
    assert reply.status_code == 405
    assert reply.json() == {"message": "Method not allowed"}


def test_oversized_body_is_refused_before_parsing(admin_client: httpx.Client) -> None:
    big = b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    reply = admin_client.post(
        "/api/admin/v1/intercoms/groups", content=big, headers={"Content-Type": "application/json"}
    )
    assert reply.status_code == 413
    assert "too large" in reply.json()["message"]


def test_oversized_chunked_body_is_refused(admin_client: httpx.Client) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(40):
            yield b"x" * 65536

    reply = admin_client.post(
        "/api/admin/v1/intercoms/groups", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert reply.status_code == 413


def test_openapi_and_docs_are_served(api: Api) -> None:
    with api.client() as client:
        schema = client.get("/openapi.json").json()
        assert "/api/admin/v1/intercoms/groups" in schema["paths"]
        assert "/api/v1/token" in schema["paths"]
        assert client.get("/docs").status_code == 200
