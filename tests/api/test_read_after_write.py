"""Reads are never served stale: every write is visible to the very next read, on every surface
that shows the object, on every API node, whoever wrote it (the API, the supervisor, SQL by hand)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.accounts import service as accounts
from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.db.base import utcnow
from entryphone.fleet import repository as fleet
from entryphone.models import Role
from tests.conftest import Api
from tests.support import seed
from tests.support.server import RunningServer

BASE = "/api/admin/v1"


def test_each_write_is_visible_to_the_next_read(
    api: Api, admin_client: httpx.Client, settings: Settings
) -> None:
    group = admin_client.post(
        f"{BASE}/intercoms/groups", json={"name": "Fresh reads", "is_house": True}
    ).json()
    intercom = admin_client.post(
        f"{BASE}/intercoms",
        json={
            "title": "v0",
            "vendor": "beward",
            "group_id": group["id"],
            "department": 1,
            "flat_from": 1,
            "flat_to": 3,
        },
    )
    assert intercom.status_code == 201, intercom.text
    intercom_id = intercom.json()["id"]
    resident = seed.account(settings, Role.resident)
    flat = admin_client.get(f"{BASE}/intercoms/{intercom_id}/flats").json()["data"][0]
    attached = admin_client.patch(
        f"{BASE}/intercoms/{intercom_id}/flats/{flat['id']}", json={"users_to_attach": [resident.id]}
    )
    assert attached.status_code == 200, attached.text
    with api.client(resident.token) as app:
        for version in range(1, 11):
            title = f"v{version}"
            assert (
                admin_client.patch(f"{BASE}/intercoms/{intercom_id}", json={"title": title}).status_code
                == 200
            )
            assert admin_client.get(f"{BASE}/intercoms/{intercom_id}").json()["title"] == title
            listed = admin_client.get(f"{BASE}/intercoms", params={"search": title, "group_id": group["id"]})
            assert [item["title"] for item in listed.json()["data"]] == [title]
            mine = app.get("/api/v1/intercom").json()["data"]
            assert [item["title"] for item in mine if item["id"] == intercom_id] == [title]


def _intercom(admin_client: httpx.Client, intercom_id: int) -> dict[str, Any]:
    reply = admin_client.get(f"{BASE}/intercoms/{intercom_id}")
    assert reply.status_code == 200, reply.text
    return reply.json()  # type: ignore[no-any-return]


def _execute(settings: Settings, statement: str, **params: object) -> None:
    async def write(session: AsyncSession, _context: AppContext) -> None:
        await session.execute(text(statement), params)

    seed.in_session(settings, write)


def test_the_admin_object_follows_every_table_it_shows(
    admin_client: httpx.Client, settings: Settings
) -> None:
    """Each kind of write below shows on the next read of the admin intercom object and list,
    including writes that do not go through the API (the supervisor's, or an operator's SQL)."""
    house = admin_client.post(
        f"{BASE}/intercoms/groups", json={"name": "Cached house", "is_house": True}
    ).json()
    camera = admin_client.post(f"{BASE}/cameras", json={"name": "Cached camera", "group_id": house["id"]})
    assert camera.status_code == 201, camera.text
    created = admin_client.post(
        f"{BASE}/intercoms",
        json={
            "title": "Cached",
            "vendor": "beward",
            "group_id": house["id"],
            "camera_id": camera.json()["id"],
        },
    )
    assert created.status_code == 201, created.text
    intercom_id = created.json()["id"]

    renamed = admin_client.patch(f"{BASE}/intercoms/groups/{house['id']}", json={"name": "Renamed house"})
    assert renamed.status_code == 200, renamed.text
    assert _intercom(admin_client, intercom_id)["group"]["name"] == "Renamed house"

    child = admin_client.post(f"{BASE}/intercoms/groups", json={"name": "Wing", "parent_id": house["id"]})
    assert child.status_code == 201, child.text
    assert _intercom(admin_client, intercom_id)["group"]["children_count"] == 1

    moved = admin_client.patch(f"{BASE}/cameras/{camera.json()['id']}", json={"name": "Renamed camera"})
    assert moved.status_code == 200, moved.text
    assert _intercom(admin_client, intercom_id)["camera"]["name"] == "Renamed camera"

    keys = admin_client.post(f"{BASE}/intercoms/{intercom_id}/keys", json={"keys": ["0A0B0C0D0E"]})
    assert keys.status_code == 200, keys.text
    assert _intercom(admin_client, intercom_id)["key_count"] == 1

    # Outside the API: what the supervisor writes when a panel comes online.
    listed = admin_client.get(f"{BASE}/intercoms", params={"search": "Cached"}).json()["data"]
    assert [item["is_online"] for item in listed] == [False]

    async def online(session: AsyncSession, _context: AppContext) -> None:
        assert await fleet.set_online(session, intercom_id, True, utcnow())

    seed.in_session(settings, online)
    assert _intercom(admin_client, intercom_id)["is_online"] is True
    listed = admin_client.get(f"{BASE}/intercoms", params={"search": "Cached"}).json()["data"]
    assert [item["is_online"] for item in listed] == [True]

    _execute(settings, "UPDATE intercoms SET title = 'Changed in SQL' WHERE id = :id", id=intercom_id)
    assert _intercom(admin_client, intercom_id)["title"] == "Changed in SQL"

    deleted = admin_client.delete(f"{BASE}/intercoms/{intercom_id}")
    assert deleted.status_code == 204, deleted.text
    assert admin_client.get(f"{BASE}/intercoms/{intercom_id}").status_code == 404


def test_a_revoked_token_is_refused_at_once(api: Api, settings: Settings) -> None:
    admin = seed.account(settings, Role.admin)
    with api.client(admin.token) as client:
        assert client.get(f"{BASE}/intercoms").status_code == 200

        async def revoke(session: AsyncSession, _context: AppContext) -> None:
            await accounts.revoke(session, await accounts.require_account(session, admin.login))

        seed.in_session(settings, revoke)
        assert client.get(f"{BASE}/intercoms").status_code == 401


def test_a_write_on_one_api_node_is_visible_to_the_next_read_on_another(
    admin_client: httpx.Client, admin: seed.SeededAccount, second_node: RunningServer
) -> None:
    created = admin_client.post(f"{BASE}/intercoms", json={"title": "Node one", "vendor": "beward"})
    assert created.status_code == 201, created.text
    path = f"{BASE}/intercoms/{created.json()['id']}"
    headers = {"Authorization": f"Bearer {admin.token}"}
    with httpx.Client(base_url=second_node.url, headers=headers) as other:
        for version in range(3):
            assert other.get(path).json()["title"] == ("Node one" if version == 0 else f"v{version}")
            patched = admin_client.patch(path, json={"title": f"v{version + 1}"})
            assert patched.status_code == 200, patched.text
        assert other.get(path).json()["title"] == "v3"
