"""An emulated panel as a SIP phone: its /api/config SIP settings register it with Kamailio, a
visitor's call reaches a real phone (baresip), and the phone's DTMF code opens the door."""

from __future__ import annotations

import asyncio
import socket
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import aiohttp

from entryphone.emulator import EmulatedDevice, make_identity
from entryphone.emulator.compose import build_device

from ...support.emulators import FAST
from ..conftest import StartDevice, api
from .conftest import PANEL, PHONE, StartPhone
from .lab import DOMAIN, Kamailio


class Events:
    """One log channel of the panel, read over /api/log/pull."""

    def __init__(self, session: aiohttp.ClientSession, device: EmulatedDevice) -> None:
        self.session = session
        self.device = device
        self.channel = 0
        self.seen: list[dict[str, Any]] = []

    async def open(self) -> Events:
        self.channel = (await api(self.session, self.device, "/api/log/subscribe"))["result"]["id"]
        return self

    async def until(self, event: str, **params: Any) -> dict[str, Any]:
        for _ in range(60):
            for index, item in enumerate(self.seen):
                if item["event"] == event and all(item["params"].get(k) == v for k, v in params.items()):
                    del self.seen[: index + 1]
                    return item["params"]  # type: ignore[no-any-return]
            pulled = await api(self.session, self.device, f"/api/log/pull?id={self.channel}&timeout=1")
            self.seen.extend(pulled["result"]["events"])
        raise AssertionError(f"no {event} {params} in {self.seen}")

    async def names(self) -> list[str]:
        pulled = await api(self.session, self.device, f"/api/log/pull?id={self.channel}&timeout=0")
        self.seen.extend(pulled["result"]["events"])
        return [e["event"] for e in self.seen]


async def configure(
    session: aiohttp.ClientSession,
    device: EmulatedDevice,
    kamailio: Kamailio,
    password: str = PANEL[1],
    **extra: str,
) -> None:
    """What an installer (or the platform) does: SIP account 1 and relay codes via /api/config."""
    async with session.get(device.url + "/api/config") as response:
        root = ET.fromstring(await response.read())  # noqa: S314 - our own panel's reply
    account = root.find("Config/sip/item")
    assert account is not None
    values = {
        "number": PANEL[0],
        "domain": DOMAIN,
        "registrar": f"127.0.0.1:{kamailio.port}",
        "password": password,
        "enabled": "1",
    }
    for name, value in values.items():
        node = account.find(name)
        assert node is not None
        node.text = value
    for path, value in extra.items():
        node = root.find(path)
        assert node is not None, path
        node.text = value
    form = aiohttp.FormData()
    form.add_field("blob-cfg", ET.tostring(root), filename="config.xml", content_type="application/xml")
    assert await api(session, device, "/api/config", method="PUT", data=form) == {"success": True}


async def registered(session: aiohttp.ClientSession, device: EmulatedDevice) -> bool:
    status = await api(session, device, "/api/phone/status?account=1")
    return bool(status["result"]["accounts"][0]["registered"])


async def test_the_config_registers_the_panel_and_a_restart_renews_it(
    digest: aiohttp.ClientSession, device: EmulatedDevice, kamailio: Kamailio
) -> None:
    events = await Events(digest, device).open()
    await configure(digest, device, kamailio)
    assert await events.until("RegistrationStateChanged", state="registering") == {
        "sipAccount": 1,
        "state": "registering",
    }
    await events.until("RegistrationStateChanged", state="registered")
    assert await registered(digest, device)
    first = await kamailio.contacts(PANEL[0])
    assert len(first) == 1
    async with digest.post(device.control_url + "/sip", json={"account": 1, "registered": False}) as r:
        assert r.status == 422  # the network decides, not the control API
    async with digest.post(device.control_url + "/restart", json={}) as r:
        assert r.status == 204
    await asyncio.sleep(0)
    await device.wait_until_up()
    while (await kamailio.contacts(PANEL[0])) in ([], first):
        await asyncio.sleep(0.05)
    assert len(await kamailio.contacts(PANEL[0])) == 1  # the old binding was removed at shutdown
    assert await registered(digest, device)


async def test_a_refused_registration_is_reported(
    digest: aiohttp.ClientSession, device: EmulatedDevice, kamailio: Kamailio
) -> None:
    events = await Events(digest, device).open()
    await configure(digest, device, kamailio, password="not-the-password")
    assert await events.until("RegistrationStateChanged", reason="refused") == {
        "sipAccount": 1,
        "state": "unregistered",
        "reason": "refused",
    }
    assert not await registered(digest, device)
    async with digest.get(device.control_url + "/state") as response:
        assert (await response.json())["sip"][0] == {"account": 1, "registered": False, "state": "refused"}


async def test_a_visitor_calls_a_flat_and_the_phone_opens_the_door_with_dtmf(
    digest: aiohttp.ClientSession, start_device: StartDevice, kamailio: Kamailio, phone: StartPhone
) -> None:
    resident = await phone()
    device = await start_device("2.4x")
    events = await Events(digest, device).open()
    await configure(
        digest,
        device,
        kamailio,
        **{"Config/switches/item[1]/dtmf_code": "1234", "Config/talk_duration": "60"},
    )
    await events.until("RegistrationStateChanged", state="registered")

    async with digest.post(device.control_url + "/call", json={"flat": int(PHONE[0])}) as response:
        assert response.status == 204
        session = int(response.headers["X-Emulator-Session"])
    peer = f"sip:{PHONE[0]}@{DOMAIN}"
    connecting = await events.until("CallStateChanged", state="connecting")
    assert connecting["peer"] == peer and connecting["session"] == session
    assert connecting["direction"] == "outgoing" and connecting["sipAccount"] == 1
    incoming = await resident.wait_for("CALL_INCOMING")
    assert f"sip:{PANEL[0]}@{DOMAIN}" in incoming["peeruri"]
    await events.until("CallStateChanged", state="ringing")
    await resident.command("accept")
    await events.until("CallStateChanged", state="connected", peer=peer)
    assert (await api(digest, device, "/api/call/status"))["result"]["sessions"] == [
        {"session": session, "direction": "outgoing", "state": "connected"}
    ]
    await resident.wait_for("CALL_ESTABLISHED")

    await resident.command("sndcode", "999#")  # a wrong code: heard, does nothing
    for key in "999#":
        await events.until("DtmfPressed", key=key, session=session)
    assert "SwitchStateChanged" not in await events.names()
    await resident.command("sndcode", "1234")
    assert await events.until("SwitchStateChanged") == {"switch": 1, "state": True}
    status = await api(digest, device, "/api/switch/status?switch=1")
    assert status["result"]["switches"][0]["active"] is True
    await events.until("SwitchStateChanged", state=False)  # falls back after switchOnDuration, as ctrl

    # SIP INFO (application/dtmf-relay) from the phone's side of the dialog opens it too.
    call = device.boot.phone.agents[1].calls[connecting["sipCallId"]]
    await info_dtmf(device, call, "1234")
    assert await events.until("SwitchStateChanged") == {"switch": 1, "state": True}

    assert await api(digest, device, f"/api/call/hangup?session={session}") == {"success": True}
    ended = await events.until("CallStateChanged", state="terminated")
    assert ended["reason"] == "normal"
    await resident.wait_for("CALL_CLOSED")


async def info_dtmf(device: EmulatedDevice, call: Any, digits: str) -> None:
    """In-dialog INFO requests as the answering phone sends them, straight to the panel's contact."""
    host, port = device.boot.phone.agents[1].transport.host, device.boot.phone.agents[1].transport.port
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(5)
        me = sock.getsockname()[1]
        for index, digit in enumerate(digits):
            body = f"Signal={digit}\r\nDuration=160\r\n"
            request = (
                f"INFO sip:{call.agent.contact_user}@{host}:{port} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{me};branch=z9hG4bKinfo{index}{call.cseq}\r\n"
                f"From: <{call.remote_uri}>;tag={call.remote_tag}\r\n"
                f"To: <{call.local_uri}>;tag={call.local_tag}\r\n"
                f"Call-ID: {call.call_id}\r\nCSeq: {900 + index} INFO\r\nMax-Forwards: 70\r\n"
                f"Content-Type: application/dtmf-relay\r\nContent-Length: {len(body)}\r\n\r\n{body}"
            )
            sock.sendto(request.encode(), (host, port))
            reply = await asyncio.get_running_loop().run_in_executor(None, sock.recv, 4096)
            assert reply.startswith(b"SIP/2.0 200"), reply


async def test_busy_and_no_answer_at_the_ring_limit(
    digest: aiohttp.ClientSession, device: EmulatedDevice, kamailio: Kamailio, phone: StartPhone
) -> None:
    resident = await phone()
    events = await Events(digest, device).open()
    await configure(digest, device, kamailio, **{"Config/ring_duration": "1"})
    await events.until("RegistrationStateChanged", state="registered")

    session = (await api(digest, device, f"/api/call/dial?number={PHONE[0]}"))["result"]["session"]
    await resident.wait_for("CALL_INCOMING")
    await events.until("CallStateChanged", state="ringing", session=session)
    await resident.command("hangup")  # the resident rejects: 486 Busy Here
    ended = await events.until("CallStateChanged", state="terminated", session=session)
    assert ended["reason"] == "busy"
    await resident.wait_for("CALL_CLOSED")

    async with digest.post(device.control_url + "/call", json={"flat": int(PHONE[0])}) as response:
        session = int(response.headers["X-Emulator-Session"])
    await resident.wait_for("CALL_INCOMING")
    ended = await events.until("CallStateChanged", state="terminated", session=session)
    assert ended["reason"] == "noanswer"  # the panel's ring limit (1 s) cancelled the INVITE
    await resident.wait_for("CALL_CLOSED")


async def test_a_phone_calls_the_panel_and_the_api_answers_and_hangs_up(
    digest: aiohttp.ClientSession, device: EmulatedDevice, kamailio: Kamailio, phone: StartPhone
) -> None:
    resident = await phone()
    events = await Events(digest, device).open()
    await configure(digest, device, kamailio)
    await events.until("RegistrationStateChanged", state="registered")

    await resident.command("dial", f"sip:{PANEL[0]}@{DOMAIN}")
    ringing = await events.until("CallStateChanged", state="ringing", direction="incoming")
    assert ringing["peer"] == f"sip:{PHONE[0]}@{DOMAIN}"
    session = ringing["session"]
    await resident.wait_for("CALL_RINGING")
    assert await api(digest, device, f"/api/call/answer?session={session}") == {"success": True}
    await events.until("CallStateChanged", state="connected", session=session)
    await resident.wait_for("CALL_ESTABLISHED")  # the phone got the 200 OK and its SDP
    assert await api(digest, device, f"/api/call/hangup?session={session}") == {"success": True}
    assert (await events.until("CallStateChanged", state="terminated"))["reason"] == "normal"
    await resident.wait_for("CALL_CLOSED")

    await resident.command("dial", f"sip:{PANEL[0]}@{DOMAIN}")
    session = (await events.until("CallStateChanged", state="ringing"))["session"]
    await resident.wait_for("CALL_RINGING")
    assert await api(digest, device, f"/api/call/hangup?session={session}&reason=busy") == {"success": True}
    closed = await resident.wait_for("CALL_CLOSED")
    assert closed["param"].startswith("486")

    await resident.command("dial", f"sip:{PANEL[0]}@{DOMAIN}")
    session = (await events.until("CallStateChanged", state="ringing"))["session"]
    await resident.wait_for("CALL_RINGING")
    await resident.command("hangup")  # the caller gives up: CANCEL
    ended = await events.until("CallStateChanged", state="terminated", session=session)
    assert ended["reason"] == "normal"


async def test_bad_sip_settings_refuse_the_upload(
    digest: aiohttp.ClientSession, device: EmulatedDevice
) -> None:
    before = device.config.copy()
    for path, value in (
        ("Config/sip/item/registrar", "not a host!"),
        ("Config/sip/item/expires", "5"),
        ("Config/switches/item[1]/dtmf_code", "12x"),
        ("Config/talk_duration", "-1"),
    ):
        async with digest.get(device.url + "/api/config") as response:
            root = ET.fromstring(await response.read())  # noqa: S314 - our own panel's reply
        node = root.find(path)
        assert node is not None
        node.text = value
        form = aiohttp.FormData()
        form.add_field("blob-cfg", ET.tostring(root), filename="config.xml", content_type="application/xml")
        async with digest.put(device.url + "/api/config", data=form) as response:
            document = await response.json()
        assert document["success"] is False and document["error"]["code"] == 12, (path, document)
    assert device.config == before


async def test_the_sip_settings_survive_a_power_cycle_of_the_emulator(
    digest: aiohttp.ClientSession, tmp_path: Path, kamailio: Kamailio
) -> None:
    """The state file keeps the account: a new emulator process on it registers by itself."""
    state = tmp_path / "panel.json"
    first = build_device(make_identity(7, 1), "2.21", https_port=None, state_path=state, timings=FAST)
    await first.start()
    try:
        await configure(digest, first, kamailio)
        # The upload takes effect after the config delay; until then the factory account is scripted.
        while not await kamailio.contacts(PANEL[0]):
            await asyncio.sleep(0.05)
    finally:
        await first.stop()
    assert await kamailio.contacts(PANEL[0]) == []  # unregistered on the way down
    second = build_device(make_identity(7, 1), "2.21", https_port=None, state_path=state, timings=FAST)
    await second.start()
    try:
        assert second.config.sip[0].registrar == f"127.0.0.1:{kamailio.port}"
        async with aiohttp.ClientSession(middlewares=(aiohttp.DigestAuthMiddleware("admin", "2n"),)) as fresh:
            while not await registered(fresh, second):
                await asyncio.sleep(0.05)
        assert len(await kamailio.contacts(PANEL[0])) == 1
    finally:
        await second.stop()


async def test_over_tcp(
    digest: aiohttp.ClientSession, start_device: StartDevice, kamailio: Kamailio, phone: StartPhone
) -> None:
    """The account's transport tcp: REGISTER, INVITE and the dialog over TCP; the phone stays on UDP."""
    resident = await phone()
    device = await start_device("2.4x")
    events = await Events(digest, device).open()
    await configure(
        digest,
        device,
        kamailio,
        **{"Config/sip/item/transport": "tcp", "Config/switches/item[2]/dtmf_code": "*7"},
    )
    await events.until("RegistrationStateChanged", state="registered")
    (contact,) = await kamailio.contacts(PANEL[0])
    assert contact.endswith(";transport=tcp")

    for bad in ("12\r\nX-Injected: 1", "sip:a b@c", ""):
        async with digest.get(device.url + "/api/call/dial", params={"number": bad}) as response:
            document = await response.json()
        assert document["success"] is False and document["error"]["code"] == 12, bad
    assert (await api(digest, device, "/api/call/status"))["result"]["sessions"] == []

    session = (await api(digest, device, f"/api/call/dial?number={PHONE[0]}"))["result"]["session"]
    assert session == 1  # refused dials used no session number
    await resident.wait_for("CALL_INCOMING")
    await resident.command("accept")
    await events.until("CallStateChanged", state="connected", session=session)
    await resident.wait_for("CALL_ESTABLISHED")
    await resident.command("sndcode", "*7")
    assert await events.until("SwitchStateChanged") == {"switch": 2, "state": True}
    await resident.command("hangup")  # the BYE reaches the panel over TCP (Kamailio connects to it)
    ended = await events.until("CallStateChanged", state="terminated", session=session)
    assert ended["reason"] == "normal"


async def test_a_restart_mid_call_hangs_up_and_registers_again(
    digest: aiohttp.ClientSession, device: EmulatedDevice, kamailio: Kamailio, phone: StartPhone
) -> None:
    resident = await phone(answermode="auto")
    events = await Events(digest, device).open()
    await configure(digest, device, kamailio)
    await events.until("RegistrationStateChanged", state="registered")
    async with digest.post(device.control_url + "/call", json={"flat": int(PHONE[0])}) as response:
        assert response.status == 204
    await events.until("CallStateChanged", state="connected")
    await resident.wait_for("CALL_ESTABLISHED")
    async with digest.post(device.control_url + "/restart", json={}) as response:
        assert response.status == 204
    await resident.wait_for("CALL_CLOSED")  # the panel said BYE before going down
    await asyncio.sleep(0)
    await device.wait_until_up()
    while not await registered(digest, device):
        await asyncio.sleep(0.05)
    assert (await api(digest, device, "/api/call/status"))["result"]["sessions"] == []
    assert len(await kamailio.contacts(PANEL[0])) == 1
