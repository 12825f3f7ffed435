"""The panel's SIP user agent against a real Kamailio (registrar, Digest, record-routing proxy)
and a real phone (baresip): registration, refresh, refusal, calls and their endings."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from entryphone.emulator.sip import AccountSettings, SipCall, SipTransport, Timers, UserAgent

from .conftest import PANEL, PHONE, USERS, StartPhone
from .lab import DOMAIN, Baresip, Kamailio

FAST = Timers(t1=0.1, t2=0.8, t4=1.0)


class Recorder:
    """The listener side of a user agent: everything it reports, in order."""

    def __init__(self, accept_incoming: bool = True) -> None:
        self.events: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        self.accept_incoming = accept_incoming
        self.incoming: list[SipCall] = []

    def registration_changed(self, agent: UserAgent, state: str, status: int | None) -> None:
        self.events.put_nowait(("registration", state, status))

    def call_progress(self, call: SipCall, state: str) -> None:
        self.events.put_nowait(("call", state))

    def call_ended(self, call: SipCall, reason: str) -> None:
        self.events.put_nowait(("ended", reason))

    def call_incoming(self, call: SipCall) -> bool:
        self.incoming.append(call)
        self.events.put_nowait(("incoming", call.peer))
        return self.accept_incoming

    def dtmf(self, call: SipCall, key: str) -> None:
        self.events.put_nowait(("dtmf", key))

    async def next(self, timeout: float = 30) -> tuple[Any, ...]:
        return await asyncio.wait_for(self.events.get(), timeout)

    async def until(self, *wanted: Any, timeout: float = 30) -> tuple[Any, ...]:
        while True:
            event = await self.next(timeout)
            if event[: len(wanted)] == wanted:
                return event


@pytest.fixture
async def transport() -> AsyncIterator[SipTransport]:
    sip = await SipTransport.open("127.0.0.1", 0, FAST)
    yield sip
    sip.close()


def settings(kamailio: Kamailio, password: str = PANEL[1], expires: int = 300) -> AccountSettings:
    return AccountSettings(
        number=PANEL[0],
        domain=DOMAIN,
        registrar=kamailio.address,
        proxy=None,
        password=password,
        display_name="Door",
        expires=expires,
    )


async def registered_agent(
    transport: SipTransport, kamailio: Kamailio, recorder: Recorder, **kwargs: Any
) -> UserAgent:
    agent = UserAgent(transport, 1, settings(kamailio, **kwargs), recorder)
    agent.start()
    assert await recorder.next() == ("registration", "registering", None)
    assert await recorder.next() == ("registration", "registered", 200)
    return agent


async def test_registers_with_digest_and_unregisters_on_stop(
    transport: SipTransport, kamailio: Kamailio
) -> None:
    recorder = Recorder()
    agent = await registered_agent(transport, kamailio, recorder)
    contacts = await kamailio.contacts(PANEL[0])
    assert contacts == [f"sip:{agent.contact_user}@{transport.hostport}"]
    await agent.stop()
    assert await recorder.next() == ("registration", "unregistering", None)
    assert await recorder.next() == ("registration", "unregistered", 200)
    assert await kamailio.contacts(PANEL[0]) == []


async def test_a_wrong_password_is_refused_and_reported(transport: SipTransport, kamailio: Kamailio) -> None:
    recorder = Recorder()
    agent = UserAgent(transport, 1, settings(kamailio, password="wrong"), recorder)
    agent.start()
    assert await recorder.next() == ("registration", "registering", None)
    assert await recorder.next() == ("registration", "refused", 401)
    assert agent.state == "refused"
    assert await kamailio.contacts(PANEL[0]) == []
    await agent.stop()


async def test_refreshes_before_the_granted_expiry(transport: SipTransport, kamailio: Kamailio) -> None:
    recorder = Recorder()
    agent = await registered_agent(transport, kamailio, recorder, expires=10)  # Kamailio's minimum
    first_cseq = agent._cseq
    # The refresh is due at 5 s (10 s granted, refreshed 5 s early); the binding never lapses.
    for _ in range(80):
        await asyncio.sleep(0.25)
        assert any(agent.contact_user in c for c in await kamailio.contacts(PANEL[0]))
        if agent._cseq >= first_cseq + 2:
            break
    assert agent._cseq >= first_cseq + 2  # a new REGISTER and its authenticated retry
    assert agent.state == "registered"
    assert recorder.events.empty()  # a refresh is not a state change
    await agent.stop()


async def test_call_answered_dtmf_and_bye_from_the_panel(
    transport: SipTransport, kamailio: Kamailio, phone: StartPhone
) -> None:
    resident = await phone()
    recorder = Recorder()
    agent = await registered_agent(transport, kamailio, recorder)
    call = agent.dial(f"sip:{PHONE[0]}@{DOMAIN}")
    incoming = await resident.wait_for("CALL_INCOMING")
    assert PANEL[0] in incoming["peeruri"]
    assert await recorder.next() == ("call", "ringing")
    await resident.command("accept")
    assert await recorder.next() == ("call", "connected")
    assert call.route_set and DOMAIN not in call.route_set[0]  # Kamailio record-routed the dialog
    await resident.wait_for("CALL_ESTABLISHED")
    await resident.command("sndcode", "12#")
    assert [await recorder.next() for _ in range(3)] == [("dtmf", "1"), ("dtmf", "2"), ("dtmf", "#")]
    call.hangup("normal")
    assert await recorder.next() == ("ended", "normal")
    closed = await resident.wait_for("CALL_CLOSED")  # the BYE went through the record-route
    assert closed["param"] == "Connection reset by peer"  # baresip's words for a BYE received
    await agent.stop()


async def test_the_phone_hangs_up(transport: SipTransport, kamailio: Kamailio, phone: StartPhone) -> None:
    resident = await phone(answermode="auto")
    recorder = Recorder()
    agent = await registered_agent(transport, kamailio, recorder)
    agent.dial(f"sip:{PHONE[0]}@{DOMAIN}")
    await recorder.until("call", "connected")
    await resident.wait_for("CALL_ESTABLISHED")
    await resident.command("hangup")
    assert await recorder.until("ended") == ("ended", "normal")
    await agent.stop()


async def test_cancel_while_ringing(transport: SipTransport, kamailio: Kamailio, phone: StartPhone) -> None:
    resident = await phone()
    recorder = Recorder()
    agent = await registered_agent(transport, kamailio, recorder)
    call = agent.dial(f"sip:{PHONE[0]}@{DOMAIN}")
    await resident.wait_for("CALL_INCOMING")
    assert await recorder.next() == ("call", "ringing")
    call.hangup("noanswer")  # what the panel does at its ring limit
    assert await recorder.next() == ("ended", "noanswer")
    closed = await resident.wait_for("CALL_CLOSED")
    assert closed["type"] == "CALL_CLOSED"
    await agent.stop()


async def test_busy_and_declined(transport: SipTransport, kamailio: Kamailio, phone: StartPhone) -> None:
    resident = await phone()
    recorder = Recorder()
    agent = await registered_agent(transport, kamailio, recorder)
    agent.dial(f"sip:{PHONE[0]}@{DOMAIN}")
    await resident.wait_for("CALL_INCOMING")
    await recorder.until("call", "ringing")
    await resident.command("hangup")  # baresip rejects a ringing call with 486 Busy Here
    assert await recorder.next() == ("ended", "busy")
    await agent.stop()


async def test_unknown_and_unregistered_numbers(transport: SipTransport, kamailio: Kamailio) -> None:
    recorder = Recorder()
    agent = await registered_agent(transport, kamailio, recorder)
    agent.dial(f"sip:102@{DOMAIN}")  # a known user with no phone registered: 404 from lookup
    assert await recorder.next() == ("ended", "failure")
    await agent.stop()


async def test_no_answer_at_the_proxy_ring_limit(tmp_path: Path, transport: SipTransport) -> None:
    """Kamailio gives up on a phone that rings too long (fr_inv_timer 2 s): 408 -> noanswer."""
    kamailio = Kamailio(tmp_path / "short-ring", USERS, ring_timeout=2)
    await kamailio.start()
    resident = Baresip(tmp_path / "resident", PHONE[0], PHONE[1], kamailio.address)
    try:
        await resident.start("manual")
        while not await kamailio.contacts(PHONE[0]):
            await asyncio.sleep(0.05)
        recorder = Recorder()
        agent = await registered_agent(transport, kamailio, recorder)
        agent.dial(f"sip:{PHONE[0]}@{DOMAIN}")
        assert await recorder.next() == ("call", "ringing")
        assert await recorder.next() == ("ended", "noanswer")
        await resident.wait_for("CALL_CLOSED")
        await agent.stop()
    finally:
        await resident.stop()
        await kamailio.stop()
