"""Device-backed admin actions against emulated panels over loopback: door, snapshot, MJPEG,
restart, configuration backup, key sync (including a panel without a directory), the journal."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.flats import service as flats
from entryphone.intercoms import service as intercoms
from entryphone.models import Role
from tests.conftest import Api
from tests.fleet.conftest import add_intercom, intercom_row
from tests.support import seed
from tests.support.emulators import BackgroundEmulators
from tests.support.server import RunningServer
from tests.support.wait import until

ADMIN = "/api/admin/v1/intercoms"


@pytest.fixture(scope="module")
def panel(settings: Settings, emulators: BackgroundEmulators) -> tuple[int, int]:
    """(intercom id, device index) of a 2.4x panel watched by the supervisor."""
    intercom_id = add_intercom(settings, emulators.devices[0])
    until(lambda: intercom_row(settings, intercom_id).is_online, timeout=30)
    return intercom_id, 0


def test_admin_open_door_activates_the_switch(
    admin_api: httpx.Client, emulators: BackgroundEmulators, panel: tuple[int, int]
) -> None:
    intercom_id, index = panel
    device = emulators.devices[index]
    reply = admin_api.post(f"{ADMIN}/{intercom_id}/open-door", json={"duration": 2})
    assert reply.status_code == 204, reply.text
    assert emulators.state(device)["switches"][0]["active"] is True
    # The door closes again by itself after the duration.
    until(lambda: emulators.state(device)["switches"][0]["active"] is False, timeout=10)


def test_open_door_validates_and_refuses_vendors_without_driver(
    admin_api: httpx.Client, settings: Settings
) -> None:
    assert admin_api.post(f"{ADMIN}/987654/open-door").status_code == 404
    created = admin_api.post(
        ADMIN, json={"title": "No driver", "vendor": "beward", "model": "DKS20211", "department": 1}
    )
    assert created.status_code == 201, created.text
    reply = admin_api.post(f"{ADMIN}/{created.json()['id']}/open-door")
    assert reply.status_code == 409
    assert "driver" in reply.json()["message"]
    assert (
        admin_api.post(f"{ADMIN}/{created.json()['id']}/open-door", json={"duration": 0}).status_code == 422
    )


def test_snapshot_is_a_jpeg_and_fps_streams_mjpeg(admin_api: httpx.Client, panel: tuple[int, int]) -> None:
    intercom_id, _ = panel
    reply = admin_api.get(f"{ADMIN}/{intercom_id}/snapshot")
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "image/jpeg"
    assert reply.content[:2] == b"\xff\xd8"
    with admin_api.stream("GET", f"{ADMIN}/{intercom_id}/snapshot", params={"fps": 2}) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("multipart/x-mixed-replace")
        received = b""
        for chunk in stream.iter_bytes():
            received += chunk
            if received.count(b"\xff\xd8") >= 2:
                break
    assert received.count(b"\xff\xd8") >= 2
    assert admin_api.get(f"{ADMIN}/{intercom_id}/snapshot", params={"fps": 99}).status_code == 422


def test_config_backup_downloads_xml(admin_api: httpx.Client, panel: tuple[int, int]) -> None:
    intercom_id, _ = panel
    reply = admin_api.get(f"{ADMIN}/{intercom_id}/config-backup")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("application/xml")
    assert reply.content.lstrip().startswith(b"<?xml")


def test_keys_added_through_the_api_reach_the_device_directory(
    admin_api: httpx.Client, emulators: BackgroundEmulators, panel: tuple[int, int]
) -> None:
    intercom_id, index = panel
    device = emulators.devices[index]
    reply = admin_api.post(f"{ADMIN}/{intercom_id}/keys", json={"keys": ["0a1b2c3d", "00FF00FF00"]})
    assert reply.status_code == 200, reply.text

    def cards_on_device() -> set[str]:
        users = emulators.state(device)["directory"]["users"]
        return {card for user in users for card in user["access"].get("card", [])}

    # The supervisor notices the change on its next tick and pushes it: no explicit sync needed.
    until(lambda: {"0A1B2C3D", "00FF00FF00"} <= cards_on_device(), timeout=20)
    # A card the panel now knows is accepted there.
    emulators.control(device, "card", {"uid": "0A1B2C3D"})
    assert admin_api.post(f"{ADMIN}/{intercom_id}/sync-keys").status_code == 204
    status = until(
        lambda: (s := admin_api.get(f"{ADMIN}/{intercom_id}/device").json())["sync_status"] == "ok" and s,
        timeout=20,
    )
    assert status["is_online"] is True and status["watched_by"]
    removed = admin_api.request("DELETE", f"{ADMIN}/{intercom_id}/keys", json={"keys": ["0A1B2C3D"]})
    assert removed.status_code == 204
    until(lambda: "0A1B2C3D" not in cards_on_device(), timeout=20)


def test_journal_lists_events_with_filters(
    admin_api: httpx.Client, emulators: BackgroundEmulators, panel: tuple[int, int]
) -> None:
    intercom_id, index = panel
    emulators.control(emulators.devices[index], "code", {"code": "97531"})
    page = until(
        lambda: (
            (p := admin_api.get(f"{ADMIN}/{intercom_id}/logs", params={"type": "CodeEntered"}).json())["data"]
            and p
        ),
        timeout=20,
    )
    item = page["data"][0]
    assert set(item) >= {"device_id", "date_time", "context", "event_code", "data"}
    assert item["event"] == "CodeEntered" and item["data"]["code"] == "97531"
    assert all(entry["event"] == "CodeEntered" for entry in page["data"])
    kinds = admin_api.get(f"{ADMIN}/{intercom_id}/logs", params={"types[]": ["code", "card"]}).json()["data"]
    assert {entry["kind"] for entry in kinds} <= {"code", "card"}
    assert admin_api.get(f"{ADMIN}/{intercom_id}/logs", params={"type": "bad type!"}).status_code == 422


def test_restart_takes_the_panel_away_and_back(
    admin_api: httpx.Client, settings: Settings, emulators: BackgroundEmulators
) -> None:
    device = emulators.devices[1]
    intercom_id = add_intercom(settings, device)
    until(lambda: intercom_row(settings, intercom_id).is_online, timeout=30)
    before = emulators.state(device)["lastEventId"]
    assert admin_api.post(f"{ADMIN}/{intercom_id}/restart").status_code == 204
    emulators.run(device.wait_until_up)
    assert emulators.state(device)["lastEventId"] <= before


def test_panel_without_directory_says_so(admin_api: httpx.Client, settings: Settings) -> None:
    old = BackgroundEmulators(count=1, profile="2.21").start()
    try:
        intercom_id = add_intercom(settings, old.devices[0])
        reply = admin_api.post(f"{ADMIN}/{intercom_id}/sync-keys")
        assert reply.status_code == 409
        assert "directory" in reply.json()["message"]
    finally:
        old.stop()


def test_unreachable_panel_is_a_clear_error(admin_api: httpx.Client, settings: Settings) -> None:
    gone = BackgroundEmulators(count=1).start()
    device = gone.devices[0]
    gone.stop()
    intercom_id = add_intercom(settings, device)
    reply = admin_api.post(f"{ADMIN}/{intercom_id}/open-door")
    assert reply.status_code == 504
    assert reply.json()["message"]


def test_resident_opens_the_door_sees_the_camera_and_ends_a_call_on_the_panel(
    supervised: RunningServer, settings: Settings, emulators: BackgroundEmulators
) -> None:
    device = emulators.devices[2]
    intercom_id = add_intercom(settings, device)

    async def prepare(session: AsyncSession, _context: AppContext) -> None:
        intercom = await intercoms.get_live(session, intercom_id)
        await flats.sync_flat_range(session, intercom, 1, 10)

    seed.in_session(settings, prepare)
    resident = seed.account(settings, Role.resident)

    async def attach(session: AsyncSession, _context: AppContext) -> None:
        await flats.attach_resident(
            session, await flats.get_flat_by_number(session, intercom_id, 4), resident.id
        )

    seed.in_session(settings, attach)
    until(lambda: intercom_row(settings, intercom_id).is_online, timeout=30)
    with Api(supervised.url).client(resident.token, x_uuid="resident-phone") as client:
        assert client.post(f"/api/v1/intercom/{intercom_id}/open-door").status_code == 204
        assert emulators.state(device)["switches"][0]["active"] is True
        frame = client.get(f"/api/v1/intercom/{intercom_id}/snapshot")
        assert frame.status_code == 200 and frame.content[:2] == b"\xff\xd8"

        reply = httpx.post(f"{device.control_url}/call", json={"flat": 4}, timeout=10)
        session = int(reply.headers["X-Emulator-Session"])
        ringing = until(lambda: client.get("/api/v1/intercom/calls").json()["data"], timeout=20)
        call_id = ringing[0]["id"]
        emulators.control(device, "call/answer", {"session": session})  # the far end (the app's SIP leg)
        assert client.post(f"/api/v1/intercom/calls/{call_id}/start").status_code == 200
        assert client.post(f"/api/v1/intercom/calls/{call_id}/end").status_code == 204
        # The panel's own call is hung up too.
        until(lambda: not emulators.state(device)["calls"], timeout=10)
        assert client.get(f"/api/v1/intercom/calls/{call_id}").json()["status"] == "ended"
