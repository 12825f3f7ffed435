"""The SIP layer's parts on their own: messages, Digest, SDP, RTP events, and the transaction
timers over a loopback socket that drops or ignores requests."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator

import pytest

from entryphone.emulator.sip import AccountSettings, SipCall, SipTransport, Timers, UserAgent
from entryphone.emulator.sip.digest import Credentials, parse_challenge
from entryphone.emulator.sip.message import Address, ParseError, Request, Response, Uri, parse
from entryphone.emulator.sip.rtp import RtpSession
from entryphone.emulator.sip.sdp import offer, parse_answer

FAST = Timers(t1=0.02, t2=0.16, t4=0.1)

INVITE = (
    b"INVITE sip:5046-ab@127.0.0.1:5070 SIP/2.0\r\n"
    b"v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport,SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2\r\n"
    b'f: "Flat 12" <sip:101@intercom.test>;tag=abc\r\n'
    b"t: <sip:5046@intercom.test>\r\n"
    b"i: call-1@host\r\n"
    b"CSeq: 7 INVITE\r\n"
    b"Record-Route: <sip:127.0.0.1:5060;lr;ftag=abc>,\r\n <sip:10.0.0.9;lr>\r\n"
    b"m: <sip:101@10.0.0.1:5062>;expires=60\r\n"
    b"c: application/sdp\r\n"
    b"l: 4\r\n\r\nv=0\r\nextra"
)


def test_parse_compact_folded_and_bounded_by_content_length() -> None:
    message = parse(INVITE)
    assert isinstance(message, Request)
    assert (message.method, message.uri) == ("INVITE", "sip:5046-ab@127.0.0.1:5070")
    assert message.cseq == (7, "INVITE")
    assert message.top_via.branch == "z9hG4bK1" and message.top_via.port == 5060
    assert len(message.get_all("via")) == 2
    assert message.get_all("record-route") == ["<sip:127.0.0.1:5060;lr;ftag=abc>", "<sip:10.0.0.9;lr>"]
    sender = message.from_
    assert (sender.display, sender.uri, sender.tag) == ("Flat 12", "sip:101@intercom.test", "abc")
    assert message.to.tag is None
    assert message.body == b"v=0\r"[:4]
    contact = Address.parse(message.get_all("contact")[0])
    assert contact.params == {"expires": "60"}
    assert Uri.parse(contact.uri).port == 5062


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"HELLO\r\n\r\n",
        b"SIP/2.0 200 OK\r\nCall-ID: x\r\n\r\n",  # no Via, CSeq, From, To
        INVITE.replace(b"CSeq: 7 INVITE", b"CSeq: seven INVITE"),
        INVITE.replace(b"l: 4", b"l: 400"),
        INVITE.replace(b"10.0.0.1:5060;branch", b"10.0.0.1:99999;branch"),
        b"\xff\xfe" + INVITE,
    ],
)
def test_malformed_messages_are_refused(data: bytes) -> None:
    with pytest.raises(ParseError):
        parse(data)


def test_digest_matches_rfc_2617_example() -> None:
    challenge = parse_challenge(
        'Digest realm="testrealm@host.com", qop="auth,auth-int", '
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
    )
    header = Credentials("Mufasa", "Circle Of Life").authorization(
        challenge, "GET", "/dir/index.html", 1, cnonce="0a4f113b"
    )
    assert 'response="6629fae49393a05397450978507c4ef1"' in header
    assert "nc=00000001" in header and 'opaque="5ccc069c403ebaf9f0171e9517f40e41"' in header
    assert "Circle" not in repr(Credentials("Mufasa", "Circle Of Life"))


@pytest.mark.parametrize(
    "value",
    [
        'Basic realm="x"',
        'Digest realm="x"',
        'Digest realm="x", nonce="n", algorithm=SHA-256',
        'Digest realm="x", nonce="n", qop="auth-int"',
    ],
)
def test_unsupported_challenges(value: str) -> None:
    with pytest.raises(ParseError):
        parse_challenge(value)


def test_sdp_offer_and_answer() -> None:
    body = offer("127.0.0.1", 40000)
    assert b"m=audio 40000 RTP/AVP 0 101" in body and b"a=rtpmap:101 telephone-event/8000" in body
    answer = parse_answer(
        b"v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n"
        b"m=audio 43600 RTP/AVP 0 98\r\nc=IN IP4 10.0.0.6\r\na=rtpmap:98 telephone-event/8000\r\n"
    )
    assert answer is not None and (answer.host, answer.port, answer.telephone_event) == (
        "10.0.0.6",
        43600,
        98,
    )
    assert parse_answer(b"v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 8\r\n") is None  # no PCMU
    assert parse_answer(b"\xff") is None


def _event(event: int, timestamp: int, end: bool, payload_type: int = 101) -> bytes:
    return struct.pack("!BBHII", 0x80, payload_type, 1, timestamp, 7) + bytes(
        [event, 0x80 if end else 0, 0, 160]
    )


def test_each_rtp_event_counts_once() -> None:
    keys: list[str] = []
    session = RtpSession(keys.append)
    session.start(("127.0.0.1", 0), 101)
    for packet in (
        _event(1, 1000, False),
        _event(1, 1000, False),
        _event(1, 1000, True),
        _event(1, 1000, True),  # the three end packets of RFC 4733
        _event(11, 2000, True),
        _event(2, 3000, False, payload_type=0),  # audio, not an event
        b"\x80",  # too short
    ):
        session.datagram_received(packet, ("127.0.0.1", 1))
    assert keys == ["1", "#"]


class Registrar:
    """A loopback UDP peer that ignores the first `ignore` REGISTERs, then answers 200."""

    def __init__(self, ignore: int) -> None:
        self.ignore = ignore
        self.seen: list[Request] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.sock.getsockname()[1])

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            data, source = await loop.sock_recvfrom(self.sock, 65535)
            request = parse(data)
            assert isinstance(request, Request)
            self.seen.append(request)
            if len(self.seen) > self.ignore:
                reply = Response(200)
                for name in ("via", "from", "to", "call-id", "cseq", "contact"):
                    reply.add(name, request.require(name))
                await loop.sock_sendto(self.sock, reply.encode(), source)


class States:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[str, int | None]] = asyncio.Queue()

    def registration_changed(self, agent: UserAgent, state: str, status: int | None) -> None:
        self.queue.put_nowait((state, status))

    def call_progress(self, call: SipCall, state: str) -> None: ...
    def call_ended(self, call: SipCall, reason: str) -> None: ...
    def call_incoming(self, call: SipCall) -> bool:
        return False

    def dtmf(self, call: SipCall, key: str) -> None: ...


@pytest.fixture
async def transport() -> AsyncIterator[SipTransport]:
    sip = await SipTransport.open("127.0.0.1", 0, FAST)
    yield sip
    sip.close()


async def test_requests_are_retransmitted_until_answered(transport: SipTransport) -> None:
    registrar = Registrar(ignore=3)
    server = asyncio.ensure_future(registrar.serve())
    states = States()
    agent = UserAgent(transport, 1, AccountSettings("5046", "x.test", registrar.address, None), states)
    agent.start()
    assert await asyncio.wait_for(states.queue.get(), 10) == ("registering", None)
    assert await asyncio.wait_for(states.queue.get(), 10) == ("registered", 200)
    branches = {r.top_via.branch for r in registrar.seen}
    assert len(registrar.seen) == 4 and len(branches) == 1  # Timer E: the same request, resent
    server.cancel()
    registrar.sock.close()


async def test_a_silent_registrar_times_out(transport: SipTransport) -> None:
    registrar = Registrar(ignore=1_000)
    server = asyncio.ensure_future(registrar.serve())
    states = States()
    agent = UserAgent(transport, 1, AccountSettings("5046", "x.test", registrar.address, None), states)
    agent.start()
    assert await asyncio.wait_for(states.queue.get(), 10) == ("registering", None)
    assert await asyncio.wait_for(states.queue.get(), 10) == ("unregistered", 408)  # Timer F
    assert len(registrar.seen) > 5
    await agent.stop()
    server.cancel()
    registrar.sock.close()


async def test_garbage_is_dropped_and_options_answered(transport: SipTransport) -> None:
    agent = UserAgent(transport, 1, AccountSettings("5046", "x.test", None, ("127.0.0.1", 9)), States())
    loop = asyncio.get_running_loop()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
        peer.bind(("127.0.0.1", 0))
        peer.setblocking(False)
        here = peer.getsockname()[1]
        target = (transport.host, transport.port)
        for junk in (b"\x00\x01garbage", b"OPTIONS x SIP/2.0\r\n\r\n", b"\r\n\r\n"):
            await loop.sock_sendto(peer, junk, target)
        for user, status in ((agent.contact_user, b"200"), ("nobody", b"404")):
            options = (
                f"OPTIONS sip:{user}@{transport.hostport} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:{here};branch=z9hG4bK{user}\r\nFrom: <sip:a@b>;tag=1\r\n"
                f"To: <sip:{user}@x.test>\r\nCall-ID: o-{user}\r\nCSeq: 1 OPTIONS\r\n"
                "Content-Length: 0\r\n\r\n"
            )
            await loop.sock_sendto(peer, options.encode(), target)
            reply = await asyncio.wait_for(loop.sock_recv(peer, 4096), 5)
            assert reply.startswith(b"SIP/2.0 " + status), reply


class Peer:
    """A raw loopback SIP peer standing in for a proxy: reads requests, sends chosen responses."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.sock.getsockname()[1])

    async def next(self, method: str) -> tuple[Request, tuple[str, int]]:
        loop = asyncio.get_running_loop()
        while True:
            data, source = await asyncio.wait_for(loop.sock_recvfrom(self.sock, 65535), 5)
            message = parse(data)
            if isinstance(message, Request) and message.method == method:
                return message, source

    async def reply(self, request: Request, source: tuple[str, int], status: int, to_tag: str = "") -> None:
        response = Response(status)
        for name in ("via", "from", "call-id", "cseq"):
            response.add(name, request.require(name))
        response.add("to", request.require("to") + (f";tag={to_tag}" if to_tag else ""))
        if status == 200 and request.method == "INVITE":
            response.add("contact", f"<sip:101@{self.address[0]}:{self.address[1]}>")
            response.add("record-route", f"<sip:{self.address[0]}:{self.address[1]};lr>")
            response.add("content-type", "application/sdp")
            response.body = offer("127.0.0.1", 40000)
        await asyncio.get_running_loop().sock_sendto(self.sock, response.encode(), source)


class Ends(States):
    def __init__(self) -> None:
        super().__init__()
        self.ended: asyncio.Queue[str] = asyncio.Queue()

    def call_ended(self, call: SipCall, reason: str) -> None:
        self.ended.put_nowait(reason)


async def test_a_hangup_before_any_answer_cancels_once_the_call_rings(transport: SipTransport) -> None:
    proxy = Peer()
    ends = Ends()
    agent = UserAgent(transport, 1, AccountSettings("5046", "x.test", None, proxy.address), ends)
    call = agent.dial("sip:101@x.test")
    invite, source = await proxy.next("INVITE")
    call.hangup("normal")  # nothing came back yet: a CANCEL may not be sent (RFC 3261 9.1)
    assert await ends.ended.get() == "normal"
    await proxy.reply(invite, source, 180, to_tag="t1")
    cancel, cancel_source = await proxy.next("CANCEL")
    assert cancel.top_via.branch == invite.top_via.branch and cancel.cseq == (invite.cseq[0], "CANCEL")
    await proxy.reply(cancel, cancel_source, 200)
    await proxy.reply(invite, source, 487, to_tag="t1")
    ack, _ = await proxy.next("ACK")
    assert ack.top_via.branch == invite.top_via.branch  # the ACK of a non-2xx is in the transaction
    proxy.sock.close()


async def test_an_answer_after_the_panel_gave_up_is_acknowledged_and_ended(transport: SipTransport) -> None:
    proxy = Peer()
    ends = Ends()
    agent = UserAgent(transport, 1, AccountSettings("5046", "x.test", None, proxy.address), ends)
    call = agent.dial("sip:101@x.test")
    invite, source = await proxy.next("INVITE")
    await proxy.reply(invite, source, 180, to_tag="t2")
    call.hangup("noanswer")
    await proxy.next("CANCEL")
    await proxy.reply(invite, source, 200, to_tag="t2")  # the callee picked up as the CANCEL crossed
    ack, _ = await proxy.next("ACK")
    bye, _ = await proxy.next("BYE")
    assert ack.top_via.branch != invite.top_via.branch  # the ACK of a 2xx is a request of its own
    assert bye.get_all("route") == [f"<sip:{proxy.address[0]}:{proxy.address[1]};lr>"]
    assert bye.to.tag == "t2" and bye.from_.tag == invite.from_.tag
    assert await ends.ended.get() == "noanswer"  # reported once, when the panel gave up
    assert ends.ended.empty()
    proxy.sock.close()
