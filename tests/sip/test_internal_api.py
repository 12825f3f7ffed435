"""The platform's side of SIP over HTTP: phones' SIP accounts, the HA1 Kamailio checks Digest
against, whom a call rings, and the call reports (sent here as Kamailio sends them)."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.accounts import service as accounts
from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.models import Account, Role
from entryphone.models.resident_device import ResidentDevice
from tests.conftest import Api
from tests.sip import helpers
from tests.sip.conftest import DOMAIN
from tests.support import seed

PAST = {"days": [], "intervals": [{"from": "2000-02-12T10:00:00+00:00", "to": "2000-02-13T10:00:00+00:00"}]}


def internal(api: Api, settings: Settings, secret: str | None = None) -> httpx.Client:
    return httpx.Client(
        base_url=api.url, auth=("kamailio", secret or settings.resolved_sip_secret()), timeout=30
    )


def ha1(login: str, password: str) -> str:
    return hashlib.md5(f"{login}:{DOMAIN}:{password}".encode(), usedforsecurity=False).hexdigest()


def route(kamailio: httpx.Client, panel: str, number: str, call_id: str | None = None) -> dict[str, Any]:
    body = {"panel": panel, "number": number, "call_id": call_id or uuid.uuid4().hex, "node": "node-a"}
    reply = kamailio.post("/internal/sip/route", json=body)
    assert reply.status_code == 200, reply.text
    return {**reply.json(), "call_id": body["call_id"]}


def event(kamailio: httpx.Client, **body: Any) -> None:
    reply = kamailio.post("/internal/sip/events", json=body)
    assert reply.status_code == 204, reply.text


def stored_secrets(settings: Settings) -> list[str]:
    async def work(session: AsyncSession, _context: AppContext) -> list[str]:
        rows = await session.execute(text("SELECT password_encrypted FROM sip_accounts"))
        return [str(row[0]) for row in rows.all()]

    return seed.in_session(settings, work)


def revoke_all(settings: Settings, account_id: int) -> None:
    async def work(session: AsyncSession, _context: AppContext) -> None:
        account = await session.get(Account, account_id)
        assert account is not None
        await accounts.revoke(session, account)

    seed.in_session(settings, work)


def new_token(settings: Settings, account_id: int) -> str:
    async def work(session: AsyncSession, _context: AppContext) -> str:
        account = await session.get(Account, account_id)
        assert account is not None
        return (await accounts.issue_token(session, account)).token

    return seed.in_session(settings, work)


@pytest.fixture(scope="module")
def resident(settings: Settings) -> seed.SeededAccount:
    return seed.account(settings, Role.resident)


@pytest.fixture(scope="module")
def panel(settings: Settings, resident: seed.SeededAccount) -> int:
    intercom_id = helpers.intercom(settings, "panel-int-1", "panel-pw-1", sip_options={"ring_duration": 7})
    helpers.attach(settings, intercom_id, 5, resident.id)
    return intercom_id


def test_internal_api_needs_the_shared_secret(api: Api, settings: Settings) -> None:
    with httpx.Client(base_url=api.url) as anonymous:
        assert anonymous.get("/internal/sip/ha1", params={"user": "x"}).status_code == 401
    with internal(api, settings, secret="wrong") as wrong:
        assert wrong.get("/internal/sip/ha1", params={"user": "x"}).status_code == 401
    secret = settings.resolved_sip_secret()
    encoded = base64.b64encode(f"kamailio:{secret}".encode()).decode()
    for header in (
        f"Basic {base64.b64encode(f'admin:{secret}'.encode()).decode()}",  # the right secret, another user
        f"Bearer {encoded}",
        "Basic !!!not-base64!!!",
        "Basic",
        f"Basic {encoded}{'A' * 600}",
    ):
        with httpx.Client(base_url=api.url, headers={"Authorization": header}) as client:
            assert client.get("/internal/sip/ha1", params={"user": "x"}).status_code == 401, header
    with httpx.Client(base_url=api.url, headers={"Authorization": f"basic {encoded}"}) as lower:
        assert lower.get("/internal/sip/ha1", params={"user": "x"}).status_code == 404  # let in: no such user
    with api.client() as client:
        assert "/internal/sip/route" not in client.get("/openapi.json").text


def test_sip_account_is_stable_secret_at_rest_and_follows_its_token(
    api: Api, settings: Settings, resident: seed.SeededAccount
) -> None:
    with api.client(resident.token, x_uuid="phone-a") as phone:
        first = phone.get("/api/v1/sip-account")
        assert first.status_code == 200, first.text
        body = first.json()
        assert set(body) == {
            "server",
            "port",
            "transport",
            "realm",
            "login",
            "auth_user",
            "password",
            "expires_at",
        }
        assert body["realm"] == DOMAIN and body["auth_user"] == body["login"] and body["transport"] == "udp"
        assert first.headers["cache-control"] == "no-store"
        assert phone.get("/api/v1/sip-account").json() == body  # the same account until it nears expiry
    with api.client(resident.token, x_uuid="phone-b") as other:
        assert other.get("/api/v1/sip-account").json()["login"] != body["login"]
    assert all(body["password"] not in row for row in stored_secrets(settings))
    with internal(api, settings) as kamailio:
        reply = kamailio.get("/internal/sip/ha1", params={"user": body["login"]})
        assert reply.status_code == 200 and reply.text == ha1(body["login"], body["password"])
        # Another bearer token of the same phone takes the account over with a new password.
        with api.client(new_token(settings, resident.id), x_uuid="phone-a") as relogged:
            renewed = relogged.get("/api/v1/sip-account").json()
        assert renewed["login"] == body["login"] and renewed["password"] != body["password"]
        assert kamailio.get("/internal/sip/ha1", params={"user": body["login"]}).text == ha1(
            body["login"], renewed["password"]
        )


def test_revoked_tokens_end_the_phone_accounts(api: Api, settings: Settings) -> None:
    leaving = seed.account(settings, Role.resident)
    with api.client(leaving.token, x_uuid="phone-x") as phone:
        login = phone.get("/api/v1/sip-account").json()["login"]
    with internal(api, settings) as kamailio:
        assert kamailio.get("/internal/sip/ha1", params={"user": login}).status_code == 200
        revoke_all(settings, leaving.id)
        assert kamailio.get("/internal/sip/ha1", params={"user": login}).status_code == 404


def test_a_removed_device_or_a_disabled_resident_loses_its_sip_account(
    api: Api, settings: Settings, panel: int
) -> None:
    """Kamailio asks for the HA1 on every REGISTER: once the device or its resident is gone, the
    phone's next REGISTER (the refresh of its current registration) fails, and no call rings it."""
    leaving = seed.account(settings, Role.resident)
    helpers.attach(settings, panel, 7, leaving.id)
    with (
        api.client(leaving.token, x_uuid="phone-gone") as gone,
        api.client(leaving.token, x_uuid="phone-kept") as kept,
    ):
        removed = gone.get("/api/v1/sip-account").json()["login"]
        staying = kept.get("/api/v1/sip-account").json()["login"]
    with internal(api, settings) as kamailio:
        assert sorted(route(kamailio, "panel-int-1", "7")["phones"]) == sorted([removed, staying])
        remove_device(settings, leaving.id, "phone-gone")
        assert kamailio.get("/internal/sip/ha1", params={"user": removed}).status_code == 404
        assert kamailio.get("/internal/sip/ha1", params={"user": staying}).status_code == 200
        assert route(kamailio, "panel-int-1", "7")["phones"] == [staying]
        disable(settings, leaving.id)
        assert kamailio.get("/internal/sip/ha1", params={"user": staying}).status_code == 404
        assert route(kamailio, "panel-int-1", "7")["code"] == 480


def remove_device(settings: Settings, account_id: int, uuid: str) -> None:
    async def work(session: AsyncSession, _context: AppContext) -> None:
        await session.execute(
            delete(ResidentDevice).where(ResidentDevice.account_id == account_id, ResidentDevice.uuid == uuid)
        )

    seed.in_session(settings, work)


def disable(settings: Settings, account_id: int) -> None:
    async def work(session: AsyncSession, _context: AppContext) -> None:
        account = await session.get(Account, account_id)
        assert account is not None
        await accounts.set_active(session, account, False)

    seed.in_session(settings, work)


def test_panel_ha1_and_refusals(api: Api, settings: Settings, panel: int) -> None:
    with internal(api, settings) as kamailio:
        reply = kamailio.get("/internal/sip/ha1", params={"user": "panel-int-1"})
        assert reply.status_code == 200 and reply.text == ha1("panel-int-1", "panel-pw-1")
        assert kamailio.get("/internal/sip/ha1", params={"user": "nobody"}).status_code == 404
        assert kamailio.get("/internal/sip/ha1", params={"user": 'a b"c'}).status_code == 404
        too_long = kamailio.get("/internal/sip/ha1", params={"user": "x" * 65})
        assert too_long.status_code == 422 and "user" in too_long.json()["errors"]
        bad = kamailio.post("/internal/sip/route", json={"panel": "panel-int-1"})
        assert bad.status_code == 422 and "number" in bad.json()["errors"]


def test_routing_rings_exactly_the_allowed_phones_and_records_refusals(
    api: Api, settings: Settings, resident: seed.SeededAccount, panel: int
) -> None:
    with (
        api.client(resident.token, x_uuid="phone-a") as phone_a,
        api.client(resident.token, x_uuid="phone-off") as off,
    ):
        login_a = phone_a.get("/api/v1/sip-account").json()["login"]
        login_off = off.get("/api/v1/sip-account").json()["login"]
        assert off.patch(f"/api/v1/intercom/{panel}", json={"is_enabled": False}).status_code == 200
        with api.client(resident.token, x_uuid="phone-past") as past:
            login_past = past.get("/api/v1/sip-account").json()["login"]
            assert past.patch(f"/api/v1/intercom/{panel}", json={"timetable": PAST}).status_code == 200
    with internal(api, settings) as kamailio:
        assert route(kamailio, "not-a-panel", "5")["code"] == 403
        assert route(kamailio, login_a, "5")["code"] == 403  # a phone does not call flats
        answer = route(kamailio, "panel-int-1", "5")
        assert answer["code"] == 200 and answer["ring"] == 7 and answer["talk"] == settings.sip_talk_seconds
        assert login_a in answer["phones"]
        assert login_off not in answer["phones"] and login_past not in answer["phones"]
        assert answer["landline"] == ""
        # A retransmitted INVITE (same Call-ID) is the same call.
        again = route(kamailio, "panel-int-1", "5", call_id=answer["call_id"])
        assert again["call"] == answer["call"]
        record = helpers.call_by_sip_id(settings, answer["call_id"])
        assert record is not None and record["status"] == "ring"
        assert record["devices"]["phone-off"] == "silent" and record["devices"]["phone-a"] == "ringing"

        unknown = route(kamailio, "panel-int-1", "999")
        assert unknown["code"] == 404
        assert helpers.call_by_sip_id(settings, unknown["call_id"])["end_reason"] == "unknown_flat"  # type: ignore[index]
        empty = route(kamailio, "panel-int-1", "6")  # a flat without residents
        assert empty["code"] == 480
        recorded = helpers.call_by_sip_id(settings, empty["call_id"])
        assert recorded is not None and (recorded["status"], recorded["end_reason"]) == (
            "missed",
            "unavailable",
        )

        helpers.set_flat(
            settings, panel, 6, is_landline_sip_line_available=True, landline_number="+1 555-0100"
        )
        landline = route(kamailio, "panel-int-1", "6")
        assert landline["code"] == 200 and landline["landline"] == "sip:+15550100@127.0.0.1:9"


def test_reports_move_the_call_and_the_client_log_follows(
    api: Api, settings: Settings, resident: seed.SeededAccount, panel: int
) -> None:
    with api.client(resident.token, x_uuid="phone-a") as phone, internal(api, settings) as kamailio:
        login = phone.get("/api/v1/sip-account").json()["login"]
        answer = route(kamailio, "panel-int-1", "5")
        call = answer["call"]
        assert phone.get(f"/api/v1/intercom/calls/{call}").json()["status"] == "ring"
        event(kamailio, event="answered", call_id=answer["call_id"], user=login)
        event(kamailio, event="answered", call_id=answer["call_id"], user=login)  # a 200 retransmission
        shown = phone.get(f"/api/v1/intercom/calls/{call}").json()
        assert shown["status"] == "answered" and shown["started_at"] is not None
        # The app saying "I answered" after SIP did is the same answer, not an error.
        assert phone.post(f"/api/v1/intercom/calls/{call}/start").status_code == 200
        event(kamailio, event="finished", call_id=answer["call_id"], code=200)
        record = helpers.call_by_sip_id(settings, answer["call_id"])
        assert record is not None
        assert (record["status"], record["end_reason"], record["answered_sip_login"]) == (
            "ended",
            "answered",
            login,
        )
        assert record["devices"]["phone-a"] == "answered"

        cancelled = route(kamailio, "panel-int-1", "5")
        event(kamailio, event="finished", call_id=cancelled["call_id"], code=487, canceled=1)
        assert helpers.call_by_sip_id(settings, cancelled["call_id"])["end_reason"] == "cancelled"  # type: ignore[index]
        timed_out = route(kamailio, "panel-int-1", "5")
        event(kamailio, event="finished", call_id=timed_out["call_id"], code=408)
        assert helpers.call_by_sip_id(settings, timed_out["call_id"])["end_reason"] == "missed"  # type: ignore[index]
        declined = route(kamailio, "panel-int-1", "5")
        event(kamailio, event="finished", call_id=declined["call_id"], code=603)
        record = helpers.call_by_sip_id(settings, declined["call_id"])
        assert record is not None and (record["status"], record["end_reason"]) == ("rejected", "declined")

        # A node that stops leaves no call open: ringing and answered calls end failed.
        ringing = route(kamailio, "panel-int-1", "5")
        talking = route(kamailio, "panel-int-1", "5")
        event(kamailio, event="answered", call_id=talking["call_id"], user=login)
        event(kamailio, event="node_stopped", node="node-a")
        for sip_call in (ringing, talking):
            record = helpers.call_by_sip_id(settings, sip_call["call_id"])
            assert record is not None and record["end_reason"] == "failed" and record["ended_at"] is not None
        listed = phone.get("/api/v1/intercom/calls").json()["data"]
        assert {item["id"] for item in listed} >= {call, ringing["call"], talking["call"]}
        bad = kamailio.post("/internal/sip/events", json={"event": "exploded"})
        assert bad.status_code == 422


def panel_event_call(
    settings: Settings, intercom_id: int, flat: int, session_id: str, sip_call_id: str | None = None
) -> int:
    """What the fleet supervisor records from the panel's CallStateChanged (ringing), which names
    the call's SIP Call-ID (`sipCallId`) when the panel called over SIP."""

    async def work(session: AsyncSession, _context: AppContext) -> int:
        from entryphone.calls import service as calls
        from entryphone.flats import service as flats

        record = await flats.get_flat_by_number(session, intercom_id, flat)
        call = await calls.call_ringing(
            session,
            None,
            intercom_id=intercom_id,
            flat_id=record.id,
            external_id=f"panel:{session_id}",
            sip_call_id=sip_call_id,
        )
        return call.id

    return seed.in_session(settings, work)


def test_the_panel_event_and_the_sip_route_of_one_call_are_one_record(
    api: Api, settings: Settings, panel: int
) -> None:
    with internal(api, settings) as kamailio:
        # The panel's event first, then Kamailio's routing query: the route adopts the call.
        first = panel_event_call(settings, panel, 5, "s-1")
        assert route(kamailio, "panel-int-1", "5")["call"] == first
        # Kamailio first, then the panel's event: the event finds the routed call.
        routed = route(kamailio, "panel-int-1", "5")
        assert panel_event_call(settings, panel, 5, "s-2") == routed["call"]
        ids = [call["id"] for call in helpers.calls_of_intercom(settings, panel)]
        assert ids.count(first) == 1 and ids.count(routed["call"]) == 1


def test_a_panel_event_later_than_the_answer_still_adopts_its_sip_call(
    api: Api, settings: Settings, resident: seed.SeededAccount, panel: int
) -> None:
    """The phone answered before the supervisor stored the panel's ringing event: the event names
    the SIP Call-ID and adopts the answered call instead of opening a second record."""
    with api.client(resident.token, x_uuid="phone-late") as phone, internal(api, settings) as kamailio:
        login = phone.get("/api/v1/sip-account").json()["login"]
        routed = route(kamailio, "panel-int-1", "5")
        event(kamailio, event="answered", call_id=routed["call_id"], user=login)
        before = len(helpers.calls_of_intercom(settings, panel))
        assert panel_event_call(settings, panel, 5, "s-late", routed["call_id"]) == routed["call"]
        assert len(helpers.calls_of_intercom(settings, panel)) == before  # no second record
        record = helpers.call_by_sip_id(settings, routed["call_id"])
        assert record is not None and record["status"] == "answered"
