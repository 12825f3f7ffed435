"""Another resident's intercom is 404 on every client endpoint; calls and self-registration over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.calls import service as calls
from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.models import Role
from entryphone.registration import service as registration
from entryphone.registration.service import Result
from tests.api.client import helpers
from tests.conftest import Api
from tests.support import seed
from tests.support.server import RunningServer

SOON = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d %H:%M")


def ring(settings: Settings, server: RunningServer, intercom_id: int, flat: int) -> int:
    hub = helpers.hub(server)
    flat_id = helpers.flat_id(settings, intercom_id, flat)

    async def work(session: AsyncSession, _context: AppContext) -> int:
        return (await calls.call_ringing(session, hub, intercom_id=intercom_id, flat_id=flat_id)).id

    return seed.in_session(settings, work)


@pytest.fixture(scope="module")
def owned(api: Api, settings: Settings, server: RunningServer) -> dict[str, Any]:
    owner = seed.account(settings, Role.resident)
    intercom_id = helpers.intercom(settings, title="Owner's door")
    helpers.attach(settings, intercom_id, 1, owner.id)
    with api.client(owner.token, x_uuid="owner-phone") as client:
        client.get("/api/v1/intercom")  # the phone becomes known: calls ring it
        code = client.post(f"/api/v1/intercom/{intercom_id}/codes", json={"title": "x", "expired_at": SOON})
        assert code.status_code == 200, code.text
    return {
        "owner": owner,
        "intercom": intercom_id,
        "code": code.json()["id"],
        "call": ring(settings, server, intercom_id, 1),
    }


# Every client endpoint, as (method, path template): the walk below fails if a new one is not listed.
ENDPOINTS = {
    ("GET", "/api/v1/intercom"),
    ("POST", "/api/v1/intercom"),
    ("DELETE", "/api/v1/intercom"),
    ("GET", "/api/v1/intercom/shows"),
    ("PATCH", "/api/v1/intercom/{intercom}"),
    ("POST", "/api/v1/intercom/{intercom}/flat"),
    ("POST", "/api/v1/intercom/{intercom}/open-door"),
    ("GET", "/api/v1/intercom/{intercom}/snapshot"),
    ("GET", "/api/v1/intercom/codes"),
    ("POST", "/api/v1/intercom/{intercom}/codes"),
    ("GET", "/api/v1/intercom/calls"),
    ("GET", "/api/v1/intercom/calls/{call}"),
    ("POST", "/api/v1/intercom/calls/{call}/start"),
    ("POST", "/api/v1/intercom/calls/{call}/cancel"),
    ("POST", "/api/v1/intercom/calls/{call}/end"),
}


def test_the_walk_covers_every_client_endpoint(server: RunningServer) -> None:
    paths = httpx.get(f"{server.url}/openapi.json").json()["paths"]
    routes = {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/api/v1/intercom")
        for method in operations
    }
    assert routes == ENDPOINTS


def test_another_resident_gets_404_everywhere(api: Api, settings: Settings, owned: dict[str, Any]) -> None:
    stranger = seed.account(settings, Role.resident)
    helpers.attach(settings, helpers.intercom(settings, title="Stranger's door"), 1, stranger.id)
    intercom, call = owned["intercom"], owned["call"]
    with api.client(stranger.token, x_uuid="stranger-phone") as client:
        not_found = [
            client.patch(f"/api/v1/intercom/{intercom}", json={"title": "mine now"}),
            client.request("DELETE", "/api/v1/intercom", json={"ids": [intercom]}),
            client.post(f"/api/v1/intercom/{intercom}/flat", json={"flat": 2}),
            client.post(f"/api/v1/intercom/{intercom}/open-door"),
            client.get(f"/api/v1/intercom/{intercom}/snapshot"),
            client.post(f"/api/v1/intercom/{intercom}/codes", json={"title": "x", "expired_at": SOON}),
            client.get(f"/api/v1/intercom/calls/{call}"),
            client.post(f"/api/v1/intercom/calls/{call}/start"),
            client.post(f"/api/v1/intercom/calls/{call}/cancel"),
            client.post(f"/api/v1/intercom/calls/{call}/end"),
        ]
        for reply in not_found:
            assert (reply.request.method, reply.status_code, reply.json()) == (
                reply.request.method,
                404,
                {"message": "Not found"},
            ), reply.request.url
        # Lists and shows never include it (shows drops foreign ids silently, as documented).
        assert client.get("/api/v1/intercom/shows", params={"ids[]": [intercom]}).json() == []
        assert intercom not in [item["id"] for item in client.get("/api/v1/intercom").json()["data"]]
        assert client.get("/api/v1/intercom/codes").json()["data"] == []
        assert client.get("/api/v1/intercom/calls").json()["data"] == []
        assert client.get("/api/v1/intercom/calls", params={"intercom": intercom}).json()["data"] == []
        # POST /api/v1/intercom starts the stranger's own registration: nothing of the owner's.
        assert client.post("/api/v1/intercom").status_code == 200

    with api.client(owned["owner"].token, x_uuid="owner-phone") as client:
        assert client.get(f"/api/v1/intercom/calls/{call}").json()["status"] == "ring"
        assert client.patch(f"/api/v1/intercom/{intercom}", json={}).json()["title"] == "Owner's door"


def test_calls_over_http(api: Api, settings: Settings, server: RunningServer) -> None:
    dana = seed.account(settings, Role.resident)
    intercom_id = helpers.intercom(settings, title="Calls door")
    helpers.attach(settings, intercom_id, 5, dana.id)
    with api.client(dana.token, x_uuid="dana-1") as one, api.client(dana.token, x_uuid="dana-2") as two:
        one.get("/api/v1/intercom"), two.get("/api/v1/intercom")
        missed = ring(settings, server, intercom_id, 5)
        assert one.post(f"/api/v1/intercom/calls/{missed}/cancel").status_code == 204
        assert one.get(f"/api/v1/intercom/calls/{missed}").json()["status"] == "ring"
        assert two.post(f"/api/v1/intercom/calls/{missed}/cancel").status_code == 204
        assert one.get(f"/api/v1/intercom/calls/{missed}").json()["status"] == "rejected"

        answered = ring(settings, server, intercom_id, 5)
        assert one.post(f"/api/v1/intercom/calls/{answered}/end").status_code == 404
        started = one.post(f"/api/v1/intercom/calls/{answered}/start")
        assert started.status_code == 200 and started.json()["status"] == "answered"
        assert started.json()["started_at"] and started.json()["intercom"]["id"] == intercom_id
        assert two.post(f"/api/v1/intercom/calls/{answered}/start").status_code == 404
        assert one.post(f"/api/v1/intercom/calls/{answered}/end").status_code == 204
        shown = one.get(f"/api/v1/intercom/calls/{answered}").json()
        assert shown["status"] == "ended" and shown["ended_at"]
        assert set(shown) == {
            "id",
            "status",
            "created_at",
            "intercom",
            "started_at",
            "ended_at",
            "end_reason",
        }

        everything = one.get("/api/v1/intercom/calls").json()
        assert [item["id"] for item in everything["data"]] == [answered, missed]
        only_missed = one.get("/api/v1/intercom/calls", params={"types[]": ["missed_intercom_call"]}).json()
        assert [item["id"] for item in only_missed["data"]] == [missed]
        only_answered = one.get("/api/v1/intercom/calls", params={"types[]": "answered_intercom_call"}).json()
        assert [item["id"] for item in only_answered["data"]] == [answered]
        assert one.get("/api/v1/intercom/calls", params={"types[]": "bogus"}).status_code == 422


def test_self_registration_over_http(api: Api, settings: Settings, server: RunningServer) -> None:
    hub = helpers.hub(server)
    intercom_id = helpers.intercom(settings, title="Self door", flat_from=10, flat_to=12)
    erin = seed.account(settings, Role.resident)
    frank = seed.account(settings, Role.resident)

    def register(token: str, key: str) -> None:
        with api.client(token) as client:
            started = client.post("/api/v1/intercom")
            assert started.status_code == 200, started.text
            assert 0 < started.json()["expire_in_seconds"] <= registration.CODE_TTL.total_seconds()
            code = started.json()["code"]

        async def panel(session: AsyncSession, _context: AppContext) -> tuple[Result, Result]:
            typed = await registration.code_entered(session, hub, intercom_id=intercom_id, code=code)
            touched = await registration.key_touched(session, hub, intercom_id=intercom_id, key_value=key)
            return typed.result, touched.result

        assert seed.in_session(settings, panel) == (Result.code_accepted, Result.completed)

    register(erin.token, "ABCDEF01")
    with api.client(erin.token) as client:
        listed = client.get("/api/v1/intercom").json()["data"]
        assert [(item["id"], item["status"]) for item in listed] == [(intercom_id, "key_confirmed")]
        assert (
            client.post(f"/api/v1/intercom/{intercom_id}/open-door").status_code == 404
        )  # not confirmed yet
        assert client.post(f"/api/v1/intercom/{intercom_id}/flat", json={"flat": 13}).status_code == 422
        assert client.post(f"/api/v1/intercom/{intercom_id}/flat", json={"flat": "1.5"}).status_code == 422
        chosen = client.post(f"/api/v1/intercom/{intercom_id}/flat", json={"flat": 11})
        assert chosen.status_code == 200 and chosen.json()["status"] == "confirmed"
        assert client.post(f"/api/v1/intercom/{intercom_id}/flat", json={"flat": 12}).status_code == 404

    register(frank.token, "ABCDEF02")
    with api.client(frank.token) as client:
        taken = client.post(f"/api/v1/intercom/{intercom_id}/flat", json={"flat": 11})
        assert taken.status_code == 422 and "flat" in taken.json()["errors"]
        assert client.post(f"/api/v1/intercom/{intercom_id}/flat", json={"flat": 12}).status_code == 200
