"""Item 11 of issue 15 (statuses, security, headers): the served /openapi.json declares what each
operation can answer, how it authenticates, and the client surface's required headers."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.server import RunningServer


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
        if path.startswith("/api/")
    ]


def test_every_operation_declares_its_statuses_security_and_headers(server: RunningServer) -> None:
    document = httpx.get(f"{server.url}/openapi.json", timeout=30).json()
    schemes = document["components"]["securitySchemes"]
    assert {name: (s["type"], s["scheme"]) for name, s in schemes.items()} == {
        "adminToken": ("http", "bearer"),
        "billingToken": ("http", "bearer"),
        "residentToken": ("http", "bearer"),
    }
    found = operations(document)
    assert len(found) > 50
    for method, path, operation in found:
        responses = operation["responses"]
        where = f"{method} {path}"
        assert "503" in responses, where
        if path == "/api/v1/token":
            assert operation["security"] == [] and {"419", "422", "429"} <= set(responses), where
            assert "Retry-After" in responses["429"]["headers"]
        else:
            surface = (
                "adminToken"
                if "/admin/" in path
                else "billingToken"
                if "/billing" in path
                else "residentToken"
            )
            assert operation["security"] == [{surface: []}], where
            assert responses["401"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorBody"
            }, where
        if "{" in path:
            assert "404" in responses, where
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            assert "413" in responses, where
        if path.endswith(("/open-door", "/snapshot", "/restart", "/config-backup", "/sync-keys")) or (
            path.endswith("/sip-sync") and method == "POST"
        ):
            assert {"409", "502", "504"} <= set(responses), where
        if path.startswith("/api/v1/") and not path.startswith("/api/v1/billing"):
            headers = {p["name"]: p for p in operation["parameters"] if p["in"] == "header"}
            assert headers["X-Client"]["required"] is True, where
            assert headers["X-Client"]["schema"]["enum"] == ["ios-cctv", "android-cctv", "thick-legal", "web"]
            assert headers["X-UUID"]["required"] is True and headers["X-UUID"]["schema"]["maxLength"] == 191
