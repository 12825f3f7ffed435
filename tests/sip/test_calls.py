"""Calls end to end: Kamailio run by `entryphone sip` against the really started app, Debian's
baresip as the residents' phones and as the panel (until the emulator speaks SIP)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

from entryphone.config import Settings
from entryphone.models import Role
from tests.conftest import Api
from tests.sip import helpers
from tests.sip.conftest import DOMAIN
from tests.sip.test_internal_api import revoke_all
from tests.support import seed
from tests.support.server import RunningServer
from tests.support.sip import Phone, SipServer, account_line, register_once

PANEL_LOGIN, PANEL_PASSWORD = "panel-e2e", "panel-e2e-password"
WAIT = 20.0


def settle(read: Callable[[], Any], done: Callable[[Any], bool], timeout: float = WAIT) -> Any:
    """Kamailio's reports reach the platform through a queue: wait until the record shows them."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


class Phones:
    """The baresip instances of one test; all stopped at its end (before Kamailio)."""

    def __init__(self, workdir: Path, kamailio: SipServer) -> None:
        self.workdir, self.kamailio, self.started = workdir, kamailio, []  # type: ignore[var-annotated]

    def start(self, name: str, login: str, password: str, *, answer: str = "manual") -> Phone:
        phone = Phone(self.workdir, f"{name}-{len(self.started)}-{self.kamailio.port}")
        self.started.append(phone)
        phone.start(account_line(login, password, DOMAIN, self.kamailio.port, answer=answer))
        return phone

    def registered(self, name: str, login: str, password: str, *, answer: str = "manual") -> Phone:
        phone = self.start(name, login, password, answer=answer)
        phone.wait_for("REGISTER_OK")
        return phone

    def stop(self) -> None:
        for phone in self.started:
            phone.stop()


@pytest.fixture
def phones(sip_workdir: Path, kamailio: SipServer) -> Iterator[Phones]:
    started = Phones(sip_workdir, kamailio)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def resident(settings: Settings) -> seed.SeededAccount:
    return seed.account(settings, Role.resident)


@pytest.fixture(scope="module")
def panel(settings: Settings, resident: seed.SeededAccount) -> int:
    intercom_id = helpers.intercom(settings, PANEL_LOGIN, PANEL_PASSWORD)
    helpers.attach(settings, intercom_id, 11, resident.id)
    return intercom_id


def sip_account(api: Api, token: str, device: str) -> dict[str, Any]:
    with api.client(token, x_uuid=device) as client:
        reply = client.get("/api/v1/sip-account")
        assert reply.status_code == 200, reply.text
        return dict(reply.json())


def dial(panel: Phone, number: str) -> dict[str, Any]:
    """The panel calls a flat: the first answer it gets (ringing, or the call closed at once)."""
    reply = panel.command("dial", f"sip:{number}@{DOMAIN}")
    assert reply.get("ok") is True, reply
    return panel.wait_for("CALL_RINGING", "CALL_CLOSED")


def finished(record: dict[str, Any] | None) -> bool:
    return record is not None and record["end_reason"] is not None


def record_of(settings: Settings, intercom_id: int, before: int) -> Callable[[], dict[str, Any] | None]:
    def read() -> dict[str, Any] | None:
        calls = [call for call in helpers.calls_of_intercom(settings, intercom_id) if call["id"] > before]
        return calls[-1] if calls else None

    return read


def last_call_id(settings: Settings, intercom_id: int) -> int:
    calls = helpers.calls_of_intercom(settings, intercom_id)
    return calls[-1]["id"] if calls else 0


def test_registration_good_wrong_and_revoked(
    api: Api, settings: Settings, resident: seed.SeededAccount, panel: int, phones: Phones
) -> None:
    mine = sip_account(api, resident.token, "reg-phone")
    phones.registered("good", mine["login"], mine["password"])
    phones.registered("panel", PANEL_LOGIN, PANEL_PASSWORD)
    wrong = phones.start("wrong", mine["login"], "not-the-password")
    assert "403" in str(wrong.wait_for("REGISTER_FAIL").get("param"))

    leaving = seed.account(settings, Role.resident)
    gone = sip_account(api, leaving.token, "leaving-phone")
    first = phones.registered("leaving", gone["login"], gone["password"])
    revoke_all(settings, leaving.id)
    first.stop()  # its registration ends (baresip unregisters)
    again = phones.start("leaving-again", gone["login"], gone["password"])
    assert "403" in str(again.wait_for("REGISTER_FAIL").get("param"))


def test_wrong_credentials_are_refused_then_throttled(
    api: Api, settings: Settings, kamailio: SipServer
) -> None:
    target = seed.account(settings, Role.resident)
    account = sip_account(api, target.token, "throttled-phone")
    assert register_once(kamailio.port, account["login"], account["password"], DOMAIN).startswith(
        "SIP/2.0 200"
    )
    for _ in range(5):
        assert register_once(kamailio.port, account["login"], "guess", DOMAIN).startswith("SIP/2.0 403")
    # Past the limit even the right password is refused (for this address and user, 5 minutes).
    assert "Too Many Failed" in register_once(kamailio.port, account["login"], account["password"], DOMAIN)
    assert register_once(kamailio.port, "nobody-at-all", "x", DOMAIN).startswith("SIP/2.0 403")


def test_exactly_the_allowed_phones_ring_and_the_first_answer_cancels_the_others(
    api: Api, settings: Settings, resident: seed.SeededAccount, panel: int, phones: Phones
) -> None:
    one, two, off = (sip_account(api, resident.token, name) for name in ("ring-1", "ring-2", "ring-off"))
    with api.client(resident.token, x_uuid="ring-off") as client:
        assert client.patch(f"/api/v1/intercom/{panel}", json={"is_enabled": False}).status_code == 200
    phone_one = phones.registered("one", one["login"], one["password"])
    phone_two = phones.registered("two", two["login"], two["password"])
    phone_off = phones.registered("off", off["login"], off["password"])
    caller = phones.registered("panel", PANEL_LOGIN, PANEL_PASSWORD)
    before = last_call_id(settings, panel)

    dial(caller, "11")
    phone_one.wait_for("CALL_INCOMING")
    phone_two.wait_for("CALL_INCOMING")
    assert phone_one.command("accept").get("ok") is True
    caller.wait_for("CALL_ESTABLISHED")
    phone_two.wait_for("CALL_CLOSED")  # cancelled by Kamailio
    assert not phone_off.had("CALL_INCOMING")
    record = settle(record_of(settings, panel, before), lambda r: r is not None and r["status"] == "answered")
    assert record is not None and record["status"] == "answered"
    detail = helpers.call_by_sip_id(settings, record["sip_call_id"])
    assert detail is not None and detail["answered_sip_login"] == one["login"]
    states = detail["devices"]
    assert (states["ring-1"], states["ring-2"], states["ring-off"]) == ("answered", "ringing", "silent")

    caller.command("hangup")
    phone_one.wait_for("CALL_CLOSED")
    ended = settle(record_of(settings, panel, before), lambda r: r is not None and r["status"] == "ended")
    assert ended is not None and (ended["status"], ended["end_reason"]) == ("ended", "answered")


def test_ring_timeout_and_unknown_flat(
    api: Api, settings: Settings, resident: seed.SeededAccount, panel: int, phones: Phones
) -> None:
    mine = sip_account(api, resident.token, "ring-1")
    ringing = phones.registered("silent", mine["login"], mine["password"])
    caller = phones.registered("panel", PANEL_LOGIN, PANEL_PASSWORD)
    before = last_call_id(settings, panel)
    dial(caller, "11")
    ringing.wait_for("CALL_INCOMING")
    closed = caller.wait_for("CALL_CLOSED", timeout=settings.sip_ring_seconds + WAIT)
    assert "480" in str(closed.get("param"))
    record = settle(record_of(settings, panel, before), finished)
    assert record is not None and (record["status"], record["end_reason"]) == ("missed", "missed")

    before = last_call_id(settings, panel)
    closed = dial(caller, "999")
    assert closed["type"] == "CALL_CLOSED" and "404" in str(closed.get("param"))
    record = record_of(settings, panel, before)()
    assert record is not None and record["end_reason"] == "unknown_flat"


def test_the_talk_limit_ends_an_answered_call(
    api: Api, settings: Settings, resident: seed.SeededAccount, phones: Phones
) -> None:
    short = helpers.intercom(settings, "panel-short", "panel-short-pw", sip_options={"talk_duration": 2})
    helpers.attach(settings, short, 3, resident.id)
    mine = sip_account(api, resident.token, "talker")
    phone = phones.registered("talker", mine["login"], mine["password"])
    caller = phones.registered("short-panel", "panel-short", "panel-short-pw")
    dial(caller, "3")
    phone.wait_for("CALL_INCOMING")
    assert phone.command("accept").get("ok") is True
    caller.wait_for("CALL_ESTABLISHED")
    # Nobody hangs up: Kamailio's dialog limit sends BYE to the panel (and the phone).
    caller.wait_for("CALL_CLOSED")
    phone.wait_for("CALL_CLOSED")
    # Kamailio reports the end from its own BYEs (tm:local-request; dialog:end is not reliable
    # there in 5.6.3), so the record ends answered, at the talk limit.
    record = settle(record_of(settings, short, 0), lambda r: r is not None and r["status"] == "ended")
    assert record is not None and (record["status"], record["end_reason"]) == ("ended", "answered")


def test_a_phone_woken_by_the_push_registers_and_gets_the_call(
    api: Api, server: RunningServer, settings: Settings, panel: int, phones: Phones
) -> None:
    sleeper = seed.account(settings, Role.resident)
    helpers.attach(settings, panel, 12, sleeper.id)
    account = sip_account(api, sleeper.token, "asleep")
    caller = phones.registered("panel", PANEL_LOGIN, PANEL_PASSWORD)
    url = server.url.replace("http://", "ws://") + f"/api/v1/ws?token={sleeper.token}&uuid=asleep"
    with connect(url) as pushes:
        assert json.loads(pushes.recv(timeout=WAIT))["event"] == "subscribed"
        dial(caller, "12")
        push = json.loads(pushes.recv(timeout=WAIT))
    assert push["event"] == "intercom_call_ringing"
    assert push["data"]["sip"]["server"] == settings.sip_advertised_host() and push["data"]["sip"]["call_id"]
    woken = phones.registered("woken", account["login"], account["password"])
    woken.wait_for("CALL_INCOMING")
    assert woken.command("accept").get("ok") is True
    caller.wait_for("CALL_ESTABLISHED")
    caller.command("hangup")
    woken.wait_for("CALL_CLOSED")
    record = settle(
        lambda: helpers.call_by_sip_id(settings, push["data"]["sip"]["call_id"]),
        lambda r: r is not None and r["status"] == "ended",
    )
    assert record is not None and (record["status"], record["end_reason"]) == ("ended", "answered")
    assert record["answered_device_uuid"] == "asleep"


def test_kamailio_killed_mid_call_leaves_consistent_records(
    api: Api,
    server: RunningServer,
    settings: Settings,
    resident: seed.SeededAccount,
    panel: int,
    sip_workdir: Path,
) -> None:
    own = SipServer(settings=settings, api_port=int(server.url.rsplit(":", 1)[1]), workdir=sip_workdir)
    own.start()
    started = Phones(sip_workdir, own)
    try:
        mine = sip_account(api, resident.token, "ring-1")
        phone = started.registered("crash", mine["login"], mine["password"])
        caller = started.registered("panel", PANEL_LOGIN, PANEL_PASSWORD)
        before = last_call_id(settings, panel)
        dial(caller, "11")
        phone.wait_for("CALL_INCOMING")
        assert phone.command("accept").get("ok") is True
        caller.wait_for("CALL_ESTABLISHED")
        settle(record_of(settings, panel, before), lambda r: r is not None and r["status"] == "answered")
        own.kill_kamailio()
        record = settle(
            record_of(settings, panel, before), lambda r: r is not None and r["end_reason"] is not None
        )
        assert record is not None and (record["status"], record["end_reason"]) == ("ended", "failed")
    finally:
        for baresip in started.started:
            if baresip.process is not None:
                baresip.process.kill()
                baresip.process.wait()
        own.stop()
