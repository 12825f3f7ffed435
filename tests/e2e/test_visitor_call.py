"""The whole visitor-to-door path with real components: an admin creates an intercom whose
sip_credentials point at the platform's Kamailio; the platform provisions the emulated panel,
which registers; the resident's phone (baresip, account from GET /api/v1/sip-account) registers;
the panel calls the flat; the phone answers and sends the relay's DTMF code; the switch turns on;
the door-open history and the call log show it; the phone hangs up and the call is recorded as
answered, with its duration. A wrong code does nothing."""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx

from entryphone.config import Settings
from entryphone.emulator import EmulatedDevice
from entryphone.models import Role
from tests.conftest import Api
from tests.e2e.conftest import DOMAIN
from tests.sip import helpers
from tests.support import seed
from tests.support.emulators import BackgroundEmulators
from tests.support.server import RunningServer
from tests.support.sip import Phone, SipServer, account_line
from tests.support.wait import until

ADMIN = "/api/admin/v1/intercoms"
PANEL_LOGIN = "panel-door-1"
FLAT, CODE, PHONE_UUID = 11, "1234", "resident-phone-1"
WAIT = 30.0


def journal(admin: httpx.Client, intercom_id: int, event: str) -> list[dict[str, Any]]:
    reply = admin.get(f"{ADMIN}/{intercom_id}/logs", params={"type": event, "per_page": 100})
    assert reply.status_code == 200, reply.text
    return list(reply.json()["data"])


def provisioned_intercom(
    admin: httpx.Client, device: EmulatedDevice, kamailio: SipServer, login: str, options: dict[str, Any]
) -> int:
    """What an admin does: the intercom with its panel's connection and SIP settings. Then the
    supervisor provisions the panel, which registers at Kamailio (the panel's own event says so)."""
    created = admin.post(
        ADMIN,
        json={
            "title": f"Entrance {login}",
            "vendor": "2n",
            "schema": "http",
            "ip": "127.0.0.1",
            "port": device.port,
            "login": device.login,
            "password": device.password,
            "flat_from": 1,
            "flat_to": 20,
            "sip_credentials": {
                "server": "127.0.0.1",
                "port": kamailio.port,
                "login": login,
                "password": f"{login}-secret",
            },
            "sip_options": options,
        },
    )
    assert created.status_code in (200, 201), created.text
    intercom_id = int(created.json()["id"])
    until(lambda: admin.get(f"{ADMIN}/{intercom_id}/sip-sync").json()["status"] == "ok", timeout=WAIT)
    until(lambda: registered_at_registrar(admin, intercom_id) > 0, timeout=WAIT)
    return intercom_id


def registered_at_registrar(admin: httpx.Client, intercom_id: int) -> int:
    """How many times the panel registered at a registrar: `registering` then `registered` in its
    own events (an account without a registrar, as the factory one, reports `registered` alone)."""
    oldest_first = [
        e["data"]["state"] for e in reversed(journal(admin, intercom_id, "RegistrationStateChanged"))
    ]
    return sum(
        1 for before, state in pairwise(oldest_first) if (before, state) == ("registering", "registered")
    )


def test_a_visitor_call_answered_and_the_door_opened_with_dtmf(
    server: RunningServer,
    settings: Settings,
    kamailio: SipServer,
    panels: BackgroundEmulators,
    tmp_path: Path,
) -> None:
    device = panels.devices[0]
    api = Api(server.url)
    with api.client(seed.account(settings, Role.admin).token) as admin:
        intercom_id = provisioned_intercom(
            admin, device, kamailio, PANEL_LOGIN, {"dtmf": [{"id": 1, "value": CODE}], "talk_duration": 120}
        )

        resident = seed.account(settings, Role.resident)
        helpers.attach(settings, intercom_id, FLAT, resident.id)
        with api.client(resident.token, x_uuid=PHONE_UUID) as client:
            account = client.get("/api/v1/sip-account")
            assert account.status_code == 200, account.text
            sip = account.json()
            phone = Phone(tmp_path, f"resident-{kamailio.port}")
            try:
                phone.start(account_line(sip["login"], sip["password"], DOMAIN, kamailio.port))
                phone.wait_for("REGISTER_OK")

                reply = httpx.post(f"{device.control_url}/call", json={"flat": FLAT}, timeout=10)
                assert reply.status_code == 204, reply.text
                incoming = phone.wait_for("CALL_INCOMING")
                assert PANEL_LOGIN in str(incoming.get("peeruri"))
                assert phone.command("accept").get("ok") is True
                phone.wait_for("CALL_ESTABLISHED")

                # A wrong code: the panel hears every digit (stored in the journal) and opens nothing.
                assert phone.command("sndcode", "999#").get("ok") is True
                until(lambda: len(journal(admin, intercom_id, "DtmfPressed")) >= 4, timeout=WAIT)
                assert journal(admin, intercom_id, "SwitchStateChanged") == []
                assert admin.get(f"{ADMIN}/{intercom_id}/door-openings").json()["data"] == []

                assert phone.command("sndcode", CODE).get("ok") is True
                until(
                    lambda: any(
                        e["data"] == {"switch": 1, "state": True}
                        for e in journal(admin, intercom_id, "SwitchStateChanged")
                    ),
                    timeout=WAIT,
                )
                # Who answered reaches the call record through Kamailio's queued report: the
                # history reads it from the call, as soon as it is there.
                opened = until(
                    lambda: (
                        (o := admin.get(f"{ADMIN}/{intercom_id}/door-openings").json()["data"])
                        and o[0]["user_id"] is not None
                        and o
                    ),
                    timeout=WAIT,
                )
                assert len(opened) == 1
                assert opened[0]["source"] == "dtmf" and opened[0]["credential"] == CODE
                assert opened[0]["user_id"] == resident.id and opened[0]["device_uuid"] == PHONE_UUID
                calls = client.get("/api/v1/intercom/calls").json()["data"]
                assert calls and calls[0]["id"] == opened[0]["call_id"]
                assert calls[0]["status"] == "answered" and calls[0]["started_at"]

                assert phone.command("hangup").get("ok") is True
                phone.wait_for("CALL_CLOSED")
                ended = until(
                    lambda: (
                        (c := client.get(f"/api/v1/intercom/calls/{calls[0]['id']}").json())["ended_at"] and c
                    ),
                    timeout=WAIT,
                )
            finally:
                phone.stop()
        assert ended["status"] == "ended"
        duration = datetime.fromisoformat(ended["ended_at"]) - datetime.fromisoformat(ended["started_at"])
        assert duration.total_seconds() >= 0
        records = helpers.calls_of_intercom(settings, intercom_id)
        assert [(r["status"], r["end_reason"]) for r in records] == [("ended", "answered")]
        # The panel's own call log agrees: connected to the phone, then terminated.
        states = until(
            lambda: (
                (
                    st := [
                        e["data"]["state"] for e in reversed(journal(admin, intercom_id, "CallStateChanged"))
                    ]
                )
                and st[-1] == "terminated"
                and st
            ),
            timeout=WAIT,
        )
        assert "connected" in states


def test_nobody_answers_within_the_provisioned_ring_limit(
    server: RunningServer,
    settings: Settings,
    kamailio: SipServer,
    panels: BackgroundEmulators,
    tmp_path: Path,
) -> None:
    """The ring limit reaches the panel through provisioning: it gives up ringing after 3 s (the
    platform's default here is longer), and the call is recorded as missed."""
    device = panels.devices[1]
    api = Api(server.url)
    with api.client(seed.account(settings, Role.admin).token) as admin:
        intercom_id = provisioned_intercom(admin, device, kamailio, "panel-ring-2", {"ring_duration": 3})
        assert device.config.ring_duration == 3
        resident = seed.account(settings, Role.resident)
        helpers.attach(settings, intercom_id, FLAT, resident.id)
        with api.client(resident.token, x_uuid="silent-phone") as client:
            sip = client.get("/api/v1/sip-account").json()
            phone = Phone(tmp_path, f"silent-{kamailio.port}")
            try:
                phone.start(account_line(sip["login"], sip["password"], DOMAIN, kamailio.port))
                phone.wait_for("REGISTER_OK")
                reply = httpx.post(f"{device.control_url}/call", json={"flat": FLAT}, timeout=10)
                assert reply.status_code == 204, reply.text
                phone.wait_for("CALL_INCOMING")
                phone.wait_for("CALL_CLOSED", timeout=WAIT)  # the panel cancelled: nobody answered
            finally:
                phone.stop()
            calls = until(
                lambda: (
                    (c := client.get("/api/v1/intercom/calls").json()["data"])
                    and c[0]["status"] == "missed"
                    and c
                ),
                timeout=WAIT,
            )
            assert calls[0]["started_at"] is None
        # The panel's own events may reach the journal after Kamailio's report closed the record.
        events = until(
            lambda: (
                (e := [x["data"] for x in reversed(journal(admin, intercom_id, "CallStateChanged"))])
                and e[-1]["state"] == "terminated"
                and e
            ),
            timeout=WAIT,
        )
        assert "connected" not in [e["state"] for e in events]
        # Ended by the panel's own ring limit (Kamailio's, 20 s here, would end it otherwise).
        assert events[-1]["reason"] == "noanswer"
        assert admin.get(f"{ADMIN}/{intercom_id}/door-openings").json()["data"] == []


def test_the_panel_restarts_mid_call(
    server: RunningServer,
    settings: Settings,
    kamailio: SipServer,
    panels: BackgroundEmulators,
    tmp_path: Path,
) -> None:
    """A restart drops the call: the phone is hung up, the call ends (answered) in the call log,
    and the panel comes back registered with the settings the platform gave it."""
    device = panels.devices[2]
    api = Api(server.url)
    with api.client(seed.account(settings, Role.admin).token) as admin:
        intercom_id = provisioned_intercom(
            admin,
            device,
            kamailio,
            "panel-restart-3",
            {"dtmf": [{"id": 1, "value": "77"}], "talk_duration": 15},
        )
        resident = seed.account(settings, Role.resident)
        helpers.attach(settings, intercom_id, FLAT, resident.id)
        with api.client(resident.token, x_uuid="restart-phone") as client:
            sip = client.get("/api/v1/sip-account").json()
            phone = Phone(tmp_path, f"restart-{kamailio.port}")
            try:
                phone.start(account_line(sip["login"], sip["password"], DOMAIN, kamailio.port))
                phone.wait_for("REGISTER_OK")
                reply = httpx.post(f"{device.control_url}/call", json={"flat": FLAT}, timeout=10)
                assert reply.status_code == 204, reply.text
                phone.wait_for("CALL_INCOMING")
                assert phone.command("accept").get("ok") is True
                phone.wait_for("CALL_ESTABLISHED")
                registrations = registered_at_registrar(admin, intercom_id)
                panels.restart(device)
                phone.wait_for("CALL_CLOSED", timeout=WAIT)
            finally:
                phone.stop()
            # Kamailio's report of the panel's BYE ends it; when that report and the panel's own
            # terminated event (the restart may take it down with the panel) are both missing, the
            # node's tick ends it at the talk limit (15 s) plus its grace (10 s).
            ended = until(
                lambda: (
                    (c := client.get("/api/v1/intercom/calls").json()["data"]) and c[0]["ended_at"] and c[0]
                ),
                timeout=WAIT + 25,
            )
            assert ended["status"] == "ended" and ended["started_at"]
        # Back up: registered again, with the code the platform provisioned (it survives a restart).
        until(lambda: registered_at_registrar(admin, intercom_id) > registrations, timeout=WAIT)
        assert device.config.switches[0].dtmf_code == "77"
        assert admin.get(f"{ADMIN}/{intercom_id}/sip-sync").json()["status"] == "ok"
