"""Provisioning of the panel's phone: the intercom's sip_credentials, DTMF codes and call limits
reach the emulated panel's configuration (/api/config) on change and on demand; a refusal is
reported to admins with the device's message, in the admin API and on the admin WebSocket."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from websockets.asyncio.client import connect

from entryphone.config import Settings
from entryphone.emulator import EmulatedDevice
from entryphone.models import Role
from tests.fleet.conftest import add_intercom
from tests.fleet.test_admin_pushes import until_event, ws_url
from tests.support import seed
from tests.support.emulators import BackgroundEmulators
from tests.support.server import RunningServer
from tests.support.wait import until

ADMIN = "/api/admin/v1/intercoms"
SECRET = "panel-sip-secret-7"


def phone_config(device: EmulatedDevice) -> dict[str, Any]:
    config = device.config
    account = config.sip[0]
    return {
        "enabled": account.enabled,
        "registrar": account.registrar,
        "number": account.number,
        "auth_id": account.auth_id,
        "domain": account.domain,
        "password": account.password,
        "dtmf": [switch.dtmf_code for switch in config.switches],
        "ring": config.ring_duration,
        "talk": config.talk_duration,
    }


def sip_sync(client: httpx.Client, intercom_id: int) -> dict[str, Any]:
    reply = client.get(f"{ADMIN}/{intercom_id}/sip-sync")
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def test_credentials_codes_and_limits_reach_the_panel_and_a_refusal_is_reported(
    admin_api: httpx.Client, settings: Settings, emulators: BackgroundEmulators
) -> None:
    device = emulators.devices[3]
    intercom_id = add_intercom(settings, device)
    assert sip_sync(admin_api, intercom_id) == {"status": None, "message": None, "synced_at": None}

    patch = admin_api.patch(
        f"{ADMIN}/{intercom_id}",
        json={
            "sip_credentials": {"server": "127.0.0.1", "port": 5099, "login": "panel-77", "password": SECRET},
            "sip_options": {
                "dtmf": [{"id": 1, "value": "1234"}, {"id": 2, "value": "5b"}],
                "ring_duration": 20,
            },
        },
    )
    assert patch.status_code == 200, patch.text
    # On change: the supervisor provisions it at its next tick, no explicit sync needed.
    wanted = {
        "enabled": True,
        "registrar": "127.0.0.1:5099",
        "number": "panel-77",
        "auth_id": "panel-77",
        "domain": settings.sip_domain,
        "password": SECRET,
        "dtmf": ["1234", "5B", "", ""],
        "ring": 20,
        "talk": settings.sip_talk_seconds,
    }
    until(lambda: phone_config(device) == wanted, timeout=30)
    status = until(lambda: (s := sip_sync(admin_api, intercom_id))["status"] == "ok" and s)
    assert "sip_account" in status["message"] and status["synced_at"]
    assert SECRET not in str(admin_api.get(f"{ADMIN}/{intercom_id}").text)

    # The panel refuses a ring limit beyond its own maximum (600 s): failed, with its message, and
    # the panel keeps what it had.
    patch = admin_api.patch(f"{ADMIN}/{intercom_id}", json={"sip_options": {"ring_duration": 900}})
    assert patch.status_code == 200, patch.text
    failed = until(lambda: (s := sip_sync(admin_api, intercom_id))["status"] == "failed" and s, timeout=30)
    assert "blob-cfg" in failed["message"] and SECRET not in failed["message"]
    assert phone_config(device)["ring"] == 20

    # Fixed, then provisioned again on demand too (204 at once, the outcome in the status).
    patch = admin_api.patch(f"{ADMIN}/{intercom_id}", json={"sip_options": {"ring_duration": 25}})
    assert patch.status_code == 200, patch.text
    until(lambda: phone_config(device)["ring"] == 25, timeout=30)
    until(lambda: sip_sync(admin_api, intercom_id)["status"] == "ok", timeout=30)
    before = sip_sync(admin_api, intercom_id)["synced_at"]
    assert admin_api.post(f"{ADMIN}/{intercom_id}/sip-sync").status_code == 204
    again = until(lambda: (s := sip_sync(admin_api, intercom_id))["synced_at"] != before and s, timeout=30)
    assert again == {
        "status": "ok",
        "message": "the panel already had these settings",
        "synced_at": again["synced_at"],
    }

    # A relay the panel does not have is reported, not silently dropped.
    patch = admin_api.patch(
        f"{ADMIN}/{intercom_id}", json={"sip_options": {"dtmf": [{"id": 9, "value": "99"}]}}
    )
    assert patch.status_code == 200, patch.text
    failed = until(lambda: (s := sip_sync(admin_api, intercom_id))["status"] == "failed" and s, timeout=30)
    assert "no switch 9" in failed["message"]

    # Credentials removed: the panel's account is switched off and its secret wiped.
    patch = admin_api.patch(
        f"{ADMIN}/{intercom_id}",
        json={"sip_credentials": None, "sip_options": {"dtmf": [{"id": 1, "value": "1"}]}},
    )
    assert patch.status_code == 200, patch.text
    until(lambda: (c := phone_config(device))["enabled"] is False and c["password"] == "", timeout=30)


def test_an_intercom_without_sip_settings_leaves_the_panel_alone(
    admin_api: httpx.Client, settings: Settings, emulators: BackgroundEmulators
) -> None:
    device = emulators.devices[2]
    before = phone_config(device)
    intercom_id = add_intercom(settings, device)
    assert admin_api.post(f"{ADMIN}/{intercom_id}/sip-sync").status_code == 204
    status = until(lambda: (s := sip_sync(admin_api, intercom_id))["status"] and s)
    assert status["status"] == "ok" and status["message"].startswith("nothing to provision")
    assert phone_config(device) == before  # the installer's account stays as it was


def test_unknown_intercom_and_admins_only(admin_api: httpx.Client, settings: Settings) -> None:
    assert admin_api.get(f"{ADMIN}/999999/sip-sync").status_code == 404
    assert admin_api.post(f"{ADMIN}/999999/sip-sync").status_code == 404
    resident = seed.account(settings, Role.resident)
    reply = httpx.get(
        f"{admin_api.base_url}{ADMIN}/1/sip-sync", headers={"Authorization": f"Bearer {resident.token}"}
    )
    assert reply.status_code in (401, 403)


async def test_admins_hear_the_outcome_on_their_channel(
    supervised: RunningServer, settings: Settings, emulators: BackgroundEmulators
) -> None:
    admin = seed.account(settings, Role.admin)
    headers = {"Authorization": f"Bearer {admin.token}"}
    device = emulators.devices[1]
    intercom_id = add_intercom(settings, device)
    async with connect(ws_url(supervised), additional_headers=headers) as socket:
        assert (await asyncio.wait_for(socket.recv(), 10)) is not None  # subscribed
        async with httpx.AsyncClient(base_url=supervised.url, headers=headers) as client:
            reply = await client.patch(f"{ADMIN}/{intercom_id}", json={"sip_options": {"ring_duration": 700}})
            assert reply.status_code == 200, reply.text
            while True:
                event = await until_event(socket, "intercom_sync_sip")
                if event["data"]["intercom_id"] == intercom_id:
                    break
        assert event["data"]["status"] == "failed" and "blob-cfg" in event["data"]["message"]
