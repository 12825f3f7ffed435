"""Panel events driving the domain, end to end: key collection, self-registration, the resident
call log, the door-open history and admin alerts."""

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
def api(supervised: RunningServer) -> Api:
    return Api(supervised.url)


def online_intercom(settings: Settings, emulators: BackgroundEmulators, index: int, flats_to: int = 0) -> int:
    intercom_id = add_intercom(settings, emulators.devices[index])
    if flats_to:

        async def work(session: AsyncSession, _context: AppContext) -> None:
            intercom = await intercoms.get_live(session, intercom_id)
            intercom.flat_from, intercom.flat_to = 1, flats_to
            await flats.sync_flat_range(session, intercom, 1, flats_to)

        seed.in_session(settings, work)
    until(lambda: intercom_row(settings, intercom_id).is_online, timeout=30)
    return intercom_id


def test_cards_collected_while_collecting_keys_become_keys_once(
    admin_api: httpx.Client, settings: Settings, emulators: BackgroundEmulators
) -> None:
    intercom_id = online_intercom(settings, emulators, 0)
    assert admin_api.patch(f"{ADMIN}/{intercom_id}", json={"collecting_keys": True}).status_code == 200
    device = emulators.devices[0]
    emulators.control(device, "card", {"uid": "C0FFEE01"})
    emulators.control(device, "card", {"uid": "C0FFEE01"})
    keys = until(lambda: admin_api.get(f"{ADMIN}/{intercom_id}/keys").json()["data"], timeout=20)
    assert [key["key"] for key in keys].count("C0FFEE01") == 1
    assert admin_api.patch(f"{ADMIN}/{intercom_id}", json={"collecting_keys": False}).status_code == 200
    emulators.control(device, "card", {"uid": "C0FFEE02"})
    until(
        lambda: (
            admin_api.get(f"{ADMIN}/{intercom_id}/logs", params={"type": "card"}).json()["meta"]["total"] >= 3
        )
    )
    values = [key["key"] for key in admin_api.get(f"{ADMIN}/{intercom_id}/keys").json()["data"]]
    assert "C0FFEE02" not in values


def test_self_registration_through_the_panel(
    api: Api, settings: Settings, emulators: BackgroundEmulators
) -> None:
    intercom_id = online_intercom(settings, emulators, 1, flats_to=20)
    resident = seed.account(settings, Role.resident)
    with api.client(resident.token, x_uuid="phone-reg") as client:
        started = client.post("/api/v1/intercom")
        assert started.status_code == 200, started.text
        code = started.json()["code"]
        emulators.control(emulators.devices[1], "code", {"code": code})
        emulators.control(emulators.devices[1], "card", {"uid": "5EED0001"})

        def mine() -> list[dict[str, object]]:
            return [i for i in client.get("/api/v1/intercom").json()["data"] if i["id"] == intercom_id]

        found = until(mine, timeout=20)
        assert found[0]["status"] == "key_confirmed"
        chosen = client.post(f"/api/v1/intercom/{intercom_id}/flat", json={"flat": 7})
        assert chosen.status_code == 200, chosen.text
        assert chosen.json()["status"] == "confirmed"


def test_a_panel_call_rings_the_resident_and_ends_missed(
    api: Api, settings: Settings, emulators: BackgroundEmulators
) -> None:
    intercom_id = online_intercom(settings, emulators, 2, flats_to=30)
    resident = seed.account(settings, Role.resident)

    async def attach(session: AsyncSession, _context: AppContext) -> None:
        flat = await flats.get_flat_by_number(session, intercom_id, 12)
        await flats.attach_resident(session, flat, resident.id)

    seed.in_session(settings, attach)
    device = emulators.devices[2]
    with api.client(resident.token, x_uuid="phone-calls") as client:
        assert client.get("/api/v1/intercom").status_code == 200  # the phone is now known
        reply = httpx.post(f"{device.control_url}/call", json={"flat": 12}, timeout=10)
        assert reply.status_code == 204
        session = int(reply.headers["X-Emulator-Session"])
        ringing = until(lambda: client.get("/api/v1/intercom/calls").json()["data"], timeout=20)
        assert ringing[0]["status"] == "ring"
        emulators.control(device, "call/hangup", {"session": session})
        until(lambda: client.get(f"/api/v1/intercom/calls/{ringing[0]['id']}").json()["status"] == "missed")


def test_valid_key_opens_are_history_and_tamper_is_an_alert(
    admin_api: httpx.Client, settings: Settings, emulators: BackgroundEmulators
) -> None:
    intercom_id = online_intercom(settings, emulators, 3)
    device = emulators.devices[3]
    assert admin_api.post(f"{ADMIN}/{intercom_id}/keys", json={"keys": ["ABCDEF12"]}).status_code == 200

    def synced() -> bool:
        users = emulators.state(device)["directory"]["users"]
        return any("ABCDEF12" in user["access"].get("card", []) for user in users)

    until(synced, timeout=20)
    emulators.control(device, "card", {"uid": "ABCDEF12"})
    history = until(lambda: admin_api.get(f"{ADMIN}/{intercom_id}/door-openings").json()["data"], timeout=20)
    assert history[0]["source"] == "key" and history[0]["credential"] == "ABCDEF12"

    emulators.control(device, "tamper", {"state": "in"})
    alerts = until(lambda: admin_api.get(f"{ADMIN}/{intercom_id}/alerts").json()["data"], timeout=20)
    assert alerts[0]["kind"] == "tamper" and alerts[0]["acknowledged_at"] is None
    assert admin_api.post(f"{ADMIN}/{intercom_id}/alerts/{alerts[0]['id']}/acknowledge").status_code == 204
    open_alerts = admin_api.get(f"{ADMIN}/{intercom_id}/alerts", params={"unacknowledged": True}).json()
    assert open_alerts["meta"]["total"] == 0
    assert admin_api.post(f"{ADMIN}/{intercom_id}/alerts/999999/acknowledge").status_code == 404
