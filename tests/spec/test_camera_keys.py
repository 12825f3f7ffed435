"""Item 7 of issue 15: the camera object of the admin and client intercom replies carries every key the
platform's pages show, with the documented type; keys entryphone does not hold get their type's
empty value (docs/api/admin.md "Cameras", docs/api/client.md)."""

from __future__ import annotations

from typing import Any

import httpx

from entryphone.config import Settings
from entryphone.models import Role
from tests.api.client import helpers
from tests.conftest import Api
from tests.spec import examples
from tests.support import seed


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}.get(type(value), "null")


def assert_shape(ours: dict[str, Any], documented: dict[str, Any], where: str) -> None:
    missing = sorted(set(documented) - set(ours))
    assert not missing, f"{where} lacks {missing}"
    for key, value in documented.items():
        if value is None:
            continue  # documented as null: the type is open, null included
        expected, got = json_type(value), json_type(ours[key])
        assert got == expected, f"{where}.{key}: {got} where the page shows {expected} ({value!r})"


def camera_intercom(settings: Settings, admin_client: httpx.Client) -> int:
    group = admin_client.post("/api/admin/v1/intercoms/groups", json={"name": seed.unique("Camera house")})
    assert group.status_code in (200, 201), group.text
    created = admin_client.post(
        "/api/admin/v1/cameras",
        json={
            "name": "Entrance camera",
            "group_id": group.json()["id"],
            "streams": [
                {"type": "low", "url": "rtsp://admin:pw@192.0.2.21:554/Streaming/Channels/102"},
                {"type": "high", "url": "rtsp://192.0.2.21:554/Streaming/Channels/101"},
            ],
        },
    )
    assert created.status_code == 201, created.text
    intercom_id = helpers.intercom(settings, vendor="beward", with_camera=False)
    camera_id = created.json()["id"]
    linked = admin_client.patch(f"/api/admin/v1/intercoms/{intercom_id}", json={"camera_id": camera_id})
    assert linked.status_code == 200, linked.text
    return intercom_id


def test_admin_camera_has_every_documented_key(settings: Settings, admin_client: httpx.Client) -> None:
    documented = examples.block_after(examples.ADMIN_UPDATE, "200")["camera"]
    intercom_id = camera_intercom(settings, admin_client)
    camera = admin_client.get(f"/api/admin/v1/intercoms/{intercom_id}").json()["camera"]
    assert_shape(camera, documented, "camera")
    assert len(camera["streams"]) == 2
    for number, stream in enumerate(camera["streams"]):
        assert_shape(stream, documented["streams"][0], f"camera.streams.{number}")
        assert stream["ip"] == "192.0.2.21"  # the host of the stream URL, never its credentials
    # Where the page shows "" for a time we do not hold, so do we (not null).
    assert camera["start_at"] == "" and camera["deleted_at"] == "" and camera["status_changed_at"] == ""
    assert camera["ip"] == "192.0.2.21"
    # The same object from the camera endpoints.
    same = admin_client.get(f"/api/admin/v1/cameras/{camera['id']}").json()
    assert_shape(same, documented, "camera")


def test_client_camera_has_every_documented_key(
    settings: Settings, admin_client: httpx.Client, api: Api
) -> None:
    documented = examples.block_after(examples.RESIDENT_UPDATE, "200")["camera"]
    resident = seed.account(settings, Role.resident)
    intercom_id = camera_intercom(settings, admin_client)
    helpers.attach(settings, intercom_id, 3, resident.id)
    with api.client(resident.token) as client:
        listed = client.get("/api/v1/intercom").json()["data"]
        shown = client.get("/api/v1/intercom/shows", params={"ids[]": [intercom_id]}).json()
        renamed = client.patch(f"/api/v1/intercom/{intercom_id}", json={"title": "Home"})
    assert renamed.status_code == 200, renamed.text
    for camera in (listed[0]["camera"], shown[0]["camera"], renamed.json()["camera"]):
        assert_shape(camera, documented, "camera")
        for flag in ("is_archive_recording", "is_bridge", "is_favorite"):
            assert camera[flag] is False, flag
        assert camera["start_at"] == ""
