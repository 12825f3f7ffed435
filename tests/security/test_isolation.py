"""What the client walk (tests/api/client/test_isolation_and_flows.py) and the per-surface token
tests leave out: every operation of the OpenAPI, new ones included, refuses a token of another
surface and no token at all; and a neighbour on the same intercom (another flat) cannot reach
a call to someone else's flat."""

from __future__ import annotations

import re

import httpx
import pytest

from entryphone.config import Settings
from entryphone.models import Role
from tests.api.client import helpers
from tests.api.client.test_isolation_and_flows import ring
from tests.conftest import Api
from tests.support import seed
from tests.support.server import RunningServer

PUBLIC = {"/healthz", "/readyz", "/metrics", "/api/v1/token"}


def _operations(api: Api) -> list[tuple[str, str]]:
    paths = httpx.get(f"{api.url}/openapi.json", timeout=30).json()["paths"]
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", "1", path))
        for path, operations in paths.items()
        if path not in PUBLIC
        for method in operations
    ]


def _surface(path: str) -> Role:
    if path.startswith("/api/admin/"):
        return Role.admin
    if path.startswith("/api/v1/billing"):
        return Role.billing
    return Role.resident


def test_every_operation_refuses_other_surfaces_and_anonymous_callers(api: Api, settings: Settings) -> None:
    tokens = {role: seed.account(settings, role).token for role in (Role.admin, Role.billing, Role.resident)}
    operations = _operations(api)
    assert len(operations) > 50
    clients = {role: api.client(token) for role, token in [(None, None), *tokens.items()]}
    for method, path in operations:
        for role, client in clients.items():
            if role == _surface(path):
                continue
            reply = client.request(method, path, json={})
            assert (reply.status_code, reply.json()) == (401, {"message": "Unauthenticated."}), (
                method,
                path,
                role,
            )
    for client in clients.values():
        client.close()


def test_a_neighbour_on_the_same_intercom_cannot_reach_a_call_to_another_flat(
    api: Api, settings: Settings, server: RunningServer
) -> None:
    intercom_id = helpers.intercom(settings, title="Shared door")
    owner, neighbour = seed.account(settings, Role.resident), seed.account(settings, Role.resident)
    helpers.attach(settings, intercom_id, 1, owner.id)
    helpers.attach(settings, intercom_id, 2, neighbour.id)
    with api.client(owner.token, x_uuid="owner-phone") as client:
        client.get("/api/v1/intercom")  # the phone becomes known: calls ring it
    call = ring(settings, server, intercom_id, 1)
    with api.client(neighbour.token, x_uuid="neighbour-phone") as client:
        client.get("/api/v1/intercom")
        for method, path in [
            ("GET", f"/api/v1/intercom/calls/{call}"),
            ("POST", f"/api/v1/intercom/calls/{call}/start"),
            ("POST", f"/api/v1/intercom/calls/{call}/cancel"),
            ("POST", f"/api/v1/intercom/calls/{call}/end"),
        ]:
            reply = client.request(method, path)
            assert (reply.status_code, reply.json()) == (404, {"message": "Not found"}), (method, path)
        assert call not in [item["id"] for item in client.get("/api/v1/intercom/calls").json()["data"]]
    with api.client(owner.token, x_uuid="owner-phone") as client:
        assert client.get(f"/api/v1/intercom/calls/{call}").json()["status"] == "ring"


@pytest.mark.parametrize("token", ["ep_", "Bearer", "ep_" + "0" * 64, "x" * 5000])
def test_malformed_tokens_are_401_not_an_error(api: Api, token: str) -> None:
    with httpx.Client(base_url=api.url, headers={"Authorization": f"Bearer {token}"}) as client:
        assert client.get("/api/admin/v1/intercoms").status_code == 401
