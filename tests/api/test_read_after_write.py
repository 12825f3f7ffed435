"""Reads are never served stale: every write is visible to the very next read, on every surface
that shows the object (no cache sits between the API and the database)."""

from __future__ import annotations

import httpx

from entryphone.config import Settings
from entryphone.models import Role
from tests.conftest import Api
from tests.support import seed

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
