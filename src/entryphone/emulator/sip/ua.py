"""A SIP user agent for one account of a panel: registration, calls (dialogs), DTMF.

Registration (RFC 3261 section 10): REGISTER with Digest, refreshed before the granted expiry,
retried after a refusal or a timeout, removed (Expires: 0) on stop. Calls (sections 12-15): an
INVITE offering PCMU and telephone-event, ACK, CANCEL, BYE, with the route set from Record-Route
and the remote target from Contact; incoming INVITE, BYE, INFO (application/dtmf-relay), OPTIONS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
from dataclasses import dataclass
from typing import Final, Protocol

from . import sdp
from .digest import Credentials, parse_challenge
from .message import (
    Address,
    ParseError,
    Request,
    Response,
    Uri,
    new_call_id,
    new_tag,
    response_to,
)
from .rtp import RtpSession
from .transport import TIMEOUT, ClientTransaction, ServerTransaction, SipTransport, fresh_via
from .transport import Address as NetAddress

log = logging.getLogger(__name__)

USER_AGENT: Final = "2N Helios IP Verso (emulated)"
ALLOW: Final = "INVITE, ACK, CANCEL, BYE, INFO, OPTIONS"
RETRY_AFTER_FAILURE: Final = 60.0  # seconds before a refused or unanswered REGISTER is tried again
MIN_REFRESH: Final = 5.0
_DTMF_SIGNAL = re.compile(r"^\s*signal\s*=\s*([0-9*#A-Da-d]|1[0-5]|[0-9])\s*$", re.IGNORECASE | re.MULTILINE)

# Registration states, as RegistrationStateChanged and /api/phone/status show them.
REGISTERING: Final = "registering"
REGISTERED: Final = "registered"
UNREGISTERING: Final = "unregistering"
UNREGISTERED: Final = "unregistered"
REFUSED: Final = "refused"


@dataclass(slots=True, frozen=True)
class AccountSettings:
    number: str
    domain: str
    registrar: NetAddress | None  # None: the account does not register
    proxy: NetAddress | None  # where calls go; None: the registrar
    auth_user: str = ""
    password: str = ""
    display_name: str = ""
    expires: int = 300
    transport: str = "udp"  # udp | tcp

    @property
    def outbound(self) -> NetAddress | None:
        return self.proxy or self.registrar

    @property
    def aor(self) -> str:
        return f"sip:{self.number}@{self.domain}"


class Listener(Protocol):
    """What the panel does with what the network tells its user agent."""

    def registration_changed(self, agent: UserAgent, state: str, status: int | None) -> None: ...

    def call_progress(self, call: SipCall, state: str) -> None: ...

    def call_ended(self, call: SipCall, reason: str) -> None: ...

    def call_incoming(self, call: SipCall) -> bool: ...

    def dtmf(self, call: SipCall, key: str) -> None: ...


def end_reason(status: int) -> str:
    """The manual's CallStateChanged reason for a final response to the panel's INVITE."""
    if status in (486, 600):
        return "busy"
    if status == 603:
        return "rejected"
    if status in (408, 480):
        return "noanswer"
    return "failure"


class UserAgent:
    def __init__(
        self, transport: SipTransport, account: int, settings: AccountSettings, listener: Listener
    ) -> None:
        self.transport = transport
        self.account = account
        self.settings = settings
        self.listener = listener
        self.contact_user = f"{settings.number}-{secrets.token_hex(4)}"
        self.state = UNREGISTERED
        self.registered_at = 0.0
        self.last_status: int | None = None
        self.calls: dict[str, SipCall] = {}
        self._credentials = Credentials(settings.auth_user or settings.number, settings.password)
        self._register_call_id = new_call_id(transport.host)
        self._register_tag = new_tag()
        self._cseq = secrets.randbelow(10_000)
        self._timer: asyncio.TimerHandle | None = None
        self._pending: ClientTransaction | None = None
        self._unregistered: asyncio.Event | None = None
        self._stopped = False
        self._starting: asyncio.Task[None] | None = None
        self._registrar: NetAddress | None = None
        transport.attach(self.contact_user, self)

    @property
    def contact(self) -> str:
        parameter = ";transport=tcp" if self.settings.transport == "tcp" else ""
        return f"<sip:{self.contact_user}@{self.transport.hostport_for(self.settings.outbound)}{parameter}>"

    @property
    def host(self) -> str:
        """The address this agent advertises (Contact, Via, SDP)."""
        return self.transport.local_host(self.settings.outbound)

    # -- registration --------------------------------------------------------------------------

    def start(self) -> None:
        if self.settings.registrar is not None:
            self._starting = asyncio.ensure_future(self._begin())

    async def _begin(self) -> None:
        """Resolve the registrar's name once (without blocking the loop), then register."""
        assert self.settings.registrar is not None
        try:
            self._registrar = await self.transport.resolve(*self.settings.registrar)
        except OSError:
            self._set_state(UNREGISTERED, None)
            self._retry(RETRY_AFTER_FAILURE)
            return
        self._register(self.settings.expires)

    async def stop(self, grace: float = 2.0) -> None:
        """Hang up, remove the binding (waits at most `grace` seconds for the registrar)."""
        self._stopped = True
        self._cancel_timer()
        if self._starting is not None:
            self._starting.cancel()
        for call in list(self.calls.values()):
            call.hangup("normal", notify=False)
        if self.state == REGISTERED and self._registrar is not None:
            self._unregistered = asyncio.Event()
            self._register(0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._unregistered.wait(), grace)
        if self._pending is not None:
            self._pending.terminate()
        self.transport.detach(self.contact_user)

    def _register(self, expires: int, authorization: tuple[str, str] | None = None) -> None:
        registrar = self._registrar
        if registrar is None:  # not resolved yet (a retry after a failed lookup)
            self._starting = asyncio.ensure_future(self._begin())
            return
        if self._pending is not None:
            self._pending.terminate()
        if authorization is None and not (expires and self.state == REGISTERED):  # a refresh is silent
            self._set_state(REGISTERING if expires else UNREGISTERING, None)
        self._cseq += 1
        uri = f"sip:{self.settings.domain}"
        request = Request("REGISTER", uri)
        fresh_via(self.transport, request, registrar, self.settings.transport)
        request.add("max-forwards", "70")
        request.add("from", f"<{self.settings.aor}>;tag={self._register_tag}")
        request.add("to", f"<{self.settings.aor}>")
        request.add("call-id", self._register_call_id)
        request.add("cseq", f"{self._cseq} REGISTER")
        request.add("contact", self.contact)
        request.add("expires", str(expires))
        request.add("allow", ALLOW)
        request.add("user-agent", USER_AGENT)
        if authorization is not None:
            request.add(*authorization)
        self._pending = self.transport.request(
            request,
            registrar,
            lambda response: self._registered(request, expires, response),
            self.settings.transport,
        )

    def _registered(self, request: Request, expires: int, response: Response) -> None:
        if response.status < 200:
            return
        self._pending = None
        self.last_status = response.status
        if (
            response.status in (401, 407)
            and request.get("authorization") is None
            and request.get("proxy-authorization") is None
        ):
            header = self.answer_challenge(response, "REGISTER", request.uri)
            if header is not None:
                self._register(expires, header)
                return
        if response.status == 423 and (minimum := response.get("min-expires") or "").isdigit() and expires:
            self._register(max(int(minimum), expires))
            return
        if expires == 0:
            self._set_state(UNREGISTERED, response.status)
            if self._unregistered is not None:
                self._unregistered.set()
            return
        if 200 <= response.status < 300:
            granted = self._granted(response, expires)
            if granted == 0:
                self._set_state(REFUSED, response.status)
                self._retry(RETRY_AFTER_FAILURE)
                return
            if self.state != REGISTERED:
                self.registered_at = asyncio.get_running_loop().time()
            self._set_state(REGISTERED, response.status)
            self._retry(max(MIN_REFRESH, min(granted * 0.75, granted - MIN_REFRESH)))
            return
        self._set_state(UNREGISTERED if response.status == TIMEOUT else REFUSED, response.status)
        self._retry(RETRY_AFTER_FAILURE)

    def _granted(self, response: Response, asked: int) -> int:
        """The expiry the registrar granted to our contact (its Contact param, else Expires)."""
        for value in response.get_all("contact"):
            try:
                contact = Address.parse(value)
            except ParseError:
                continue
            if (
                contact.uri.startswith(f"sip:{self.contact_user}@")
                and contact.params.get("expires", "").isdigit()
            ):
                return int(contact.params["expires"])
        header = response.get("expires") or ""
        return int(header) if header.isdigit() else asked

    def _retry(self, delay: float) -> None:
        self._cancel_timer()
        if not self._stopped:
            self._timer = asyncio.get_running_loop().call_later(delay, self._register, self.settings.expires)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _set_state(self, state: str, status: int | None) -> None:
        if state != self.state:
            self.state = state
            self.listener.registration_changed(self, state, status)

    def answer_challenge(self, response: Response, method: str, uri: str) -> tuple[str, str] | None:
        name = "www-authenticate" if response.status == 401 else "proxy-authenticate"
        for value in response.lines(name):
            try:
                challenge = parse_challenge(value)
            except ParseError:
                continue
            header = "authorization" if response.status == 401 else "proxy-authorization"
            return header, self._credentials.authorization(challenge, method, uri, 1)
        return None

    # -- calls --------------------------------------------------------------------------------

    def dial(self, target: str) -> SipCall:
        """Start an outgoing call; its progress arrives through the listener."""
        if self.settings.outbound is None:
            raise ValueError("the account has no SIP server to call through")
        call = SipCall(self, new_call_id(self.transport.host), new_tag(), "outgoing", target)
        self.calls[call.call_id] = call
        call.task = asyncio.ensure_future(call.invite())
        return call

    def on_request(self, request: Request, source: NetAddress, server: ServerTransaction | None) -> None:
        call = self.calls.get(request.call_id)
        to_tag = request.to.tag
        if request.method == "OPTIONS" and server is not None:
            reply = response_to(request, 200, to_tag=new_tag())
            reply.add("allow", ALLOW)
            server.respond(reply)
            return
        if request.method == "INVITE" and to_tag is None and server is not None and call is None:
            self._incoming(request, source, server)
            return
        if call is None or (to_tag is not None and to_tag != call.local_tag and request.method != "CANCEL"):
            if server is not None:
                server.respond(response_to(request, 481))
            return
        call.on_request(request, server)

    def _incoming(self, request: Request, source: NetAddress, server: ServerTransaction) -> None:
        call = SipCall(self, request.call_id, new_tag(), "incoming", request.from_.uri)
        call.adopt_invite(request, server, source)
        if not self.listener.call_incoming(call):
            server.respond(response_to(request, 486, to_tag=call.local_tag))
            return
        self.calls[call.call_id] = call
        server.respond(call.response(request, 180))

    def forget(self, call: SipCall) -> None:
        self.calls.pop(call.call_id, None)


class SipCall:
    """One INVITE dialog of the panel, outgoing or incoming."""

    def __init__(self, agent: UserAgent, call_id: str, local_tag: str, direction: str, peer: str) -> None:
        self.agent = agent
        self.call_id = call_id
        self.local_tag = local_tag
        self.direction = direction
        self.peer = peer
        self.session = 0  # the panel's session number, set by the listener
        self.remote_tag: str | None = None
        self.remote_target = peer
        self.route_set: list[str] = []
        self.local_uri = agent.settings.aor
        self.remote_uri = peer
        self.cseq = secrets.randbelow(10_000)
        self.state = "calling"  # calling | early | confirmed | ended
        self.task: asyncio.Task[None] | None = None
        self.rtp: RtpSession | None = None
        self._invite: Request | None = None
        self._transaction: ClientTransaction | None = None
        self._server: ServerTransaction | None = None
        self._source: NetAddress | None = None
        self._ack: Request | None = None
        self._ok: Response | None = None
        self._ok_timer: asyncio.TimerHandle | None = None
        self._cancel_pending = False
        self._provisional = False
        self._authenticated = False
        self._end_reason: str | None = None

    @property
    def ended(self) -> bool:
        return self.state == "ended"

    # -- outgoing -------------------------------------------------------------------------------

    async def invite(self, authorization: tuple[str, str] | None = None) -> None:
        settings = self.agent.settings
        transport = self.agent.transport
        if self.rtp is None:
            self.rtp = await RtpSession.open(transport.host, self._dtmf)  # bound like the SIP socket
        if self.ended:
            self.rtp.close()
            return
        self.cseq += 1
        request = Request("INVITE", self.peer)
        fresh_via(transport, request, settings.outbound, settings.transport)
        request.add("max-forwards", "70")
        display = f'"{settings.display_name}" ' if settings.display_name else ""
        request.add("from", f"{display}<{self.local_uri}>;tag={self.local_tag}")
        request.add("to", f"<{self.peer}>")
        request.add("call-id", self.call_id)
        request.add("cseq", f"{self.cseq} INVITE")
        request.add("contact", self.agent.contact)
        request.add("allow", ALLOW)
        request.add("user-agent", USER_AGENT)
        request.add("content-type", "application/sdp")
        if authorization is not None:
            request.add(*authorization)
        request.body = sdp.offer(self.agent.host, self.rtp.port)
        self._invite = request
        outbound = settings.outbound
        assert outbound is not None
        try:
            destination = await transport.resolve(*outbound)
        except OSError:
            self._finish("failure")
            return
        self._transaction = transport.request(
            request, destination, self._on_invite_response, settings.transport
        )

    def _on_invite_response(self, response: Response) -> None:
        status = response.status
        if status < 200:
            if status > 100:
                self._provisional = True
                if self._cancel_pending:
                    self._send_cancel()
                elif self.state == "calling":
                    self.state = "early"
                    self.agent.listener.call_progress(self, "ringing")
            return
        if status < 300:
            self._on_ok(response)
            return
        if status in (401, 407) and not self._authenticated and not self.ended and self._invite is not None:
            header = self.agent.answer_challenge(response, "INVITE", self.peer)
            if header is not None:
                self._authenticated = True
                self._provisional = False
                self.task = asyncio.ensure_future(self.invite(header))
                return
        if status == 487 or (status == TIMEOUT and self._end_reason is not None):
            self._finish(self._end_reason or "normal")
        else:
            self._finish(
                "noresponse" if status == TIMEOUT and response.get("via") is None else end_reason(status)
            )

    def _on_ok(self, response: Response) -> None:
        if self._ack is not None:  # a retransmitted 2xx: the ACK got lost
            self._send_in_dialog(self._ack)
            return
        self.remote_tag = response.to.tag
        self.route_set = list(reversed(response.get_all("record-route")))
        contacts = response.get_all("contact")
        if contacts:
            self.remote_target = Address.parse(contacts[0]).uri
        ack = self._in_dialog_request("ACK", cseq=self.cseq)
        self._ack = ack
        self._send_in_dialog(ack)
        if self.ended or self._cancel_pending:
            self._cancel_pending = False
            self.bye()  # answered after the panel gave up: end it properly
            return
        self.state = "confirmed"
        answer = sdp.parse_answer(response.body)
        if answer is not None and self.rtp is not None:
            self.rtp.start((answer.host, answer.port), answer.telephone_event)
        self.agent.listener.call_progress(self, "connected")

    def _send_cancel(self) -> None:
        invite = self._invite
        transaction = self._transaction
        if invite is None or transaction is None:
            return
        self._cancel_pending = False
        cancel = Request("CANCEL", invite.uri)
        cancel.add("via", invite.require("via"))
        for route in invite.get_all("route"):
            cancel.add("route", route)
        cancel.add("max-forwards", "70")
        cancel.add("from", invite.require("from"))
        cancel.add("to", invite.require("to"))
        cancel.add("call-id", self.call_id)
        cancel.add("cseq", f"{invite.cseq[0]} CANCEL")
        cancel.add("user-agent", USER_AGENT)
        self.agent.transport.request(
            cancel, transaction.destination, lambda response: None, transaction.proto
        )
        # If no final answer follows the CANCEL, the INVITE transaction must not live forever.
        asyncio.get_running_loop().call_later(self.agent.transport.timers.b, transaction.terminate)

    # -- incoming -------------------------------------------------------------------------------

    def adopt_invite(self, request: Request, server: ServerTransaction, source: NetAddress) -> None:
        self._server = server
        self._source = source
        self._invite = request
        self.remote_tag = request.from_.tag
        self.local_uri = request.to.uri
        self.remote_uri = request.from_.uri
        self.route_set = request.get_all("record-route")
        contacts = request.get_all("contact")
        self.remote_target = Address.parse(contacts[0]).uri if contacts else request.from_.uri
        self.state = "early"

    def response(self, request: Request, status: int) -> Response:
        response = response_to(request, status, to_tag=self.local_tag)
        if status < 300 and request.method == "INVITE":
            response.add("contact", self.agent.contact)
            response.add("allow", ALLOW)
        response.add("user-agent", USER_AGENT)
        return response

    async def answer(self) -> None:
        """The panel picks up an incoming call: 200 with SDP, repeated until the ACK (Timer G/H)."""
        request, server = self._invite, self._server
        if request is None or server is None or self.state != "early":
            return
        self.rtp = await RtpSession.open(self.agent.transport.host, self._dtmf)
        if self.ended:
            self.rtp.close()
            return
        offer = sdp.parse_answer(request.body)
        ok = self.response(request, 200)
        ok.add("content-type", "application/sdp")
        ok.body = sdp.offer(self.agent.host, self.rtp.port)
        self._ok = ok
        server.respond(ok)
        self._ok_timer = asyncio.get_running_loop().call_later(
            self.agent.transport.timers.t1, self._resend_ok, self.agent.transport.timers.t1, 0.0
        )
        self.state = "confirmed"
        if offer is not None:
            self.rtp.start((offer.host, offer.port), offer.telephone_event)
        self.agent.listener.call_progress(self, "connected")

    def _resend_ok(self, interval: float, elapsed: float) -> None:
        timers = self.agent.transport.timers
        if self._ok is None or self._source is None or self.ended:
            return
        if elapsed + interval >= timers.b:  # Timer H: no ACK ever came
            self.bye()
            return
        if self._server is not None:
            self._server.send(self._ok)
        following = min(interval * 2, timers.t2)
        self._ok_timer = asyncio.get_running_loop().call_later(
            following, self._resend_ok, following, elapsed + interval
        )

    def reject(self, status: int) -> None:
        if self._invite is not None and self._server is not None and self.state == "early":
            self._server.respond(self.response(self._invite, status))

    # -- in-dialog ------------------------------------------------------------------------------

    def on_request(self, request: Request, server: ServerTransaction | None) -> None:
        method = request.method
        if method == "ACK":
            if self._ok_timer is not None:
                self._ok_timer.cancel()
                self._ok_timer = None
            return
        if server is None:
            return
        if method == "CANCEL":
            server.respond(response_to(request, 200))
            if self.direction == "incoming" and self.state == "early":
                self.reject(487)
                self._finish("normal")
            return
        if method == "BYE":
            server.respond(self.response(request, 200))
            self._finish("normal")
            return
        if method == "INFO":
            server.respond(self.response(request, self._info(request)))
            return
        if method == "INVITE":  # a re-INVITE (session refresh): keep the session as it is
            server.respond(self.response(request, 488))
            return
        server.respond(self.response(request, 405))

    def _info(self, request: Request) -> int:
        kind = (request.get("content-type") or "").split(";")[0].strip().lower()
        body = request.body.decode("utf-8", "replace")
        if kind == "application/dtmf-relay":
            match = _DTMF_SIGNAL.search(body)
            if match is None:
                return 400
            signal = match.group(1).upper()
            key = signal if not signal.isdigit() or len(signal) == 1 else "0123456789*#ABCD"[int(signal)]
            self._dtmf(key)
            return 200
        if kind == "application/dtmf":
            key = body.strip()
            if not re.fullmatch(r"[0-9*#A-Da-d]", key):
                return 400
            self._dtmf(key.upper())
            return 200
        return 415

    def _dtmf(self, key: str) -> None:
        if self.state == "confirmed":
            self.agent.listener.dtmf(self, key)

    def _in_dialog_request(self, method: str, cseq: int | None = None) -> Request:
        if cseq is None:
            self.cseq += 1
            cseq = self.cseq
        request = Request(method, self.remote_target)
        fresh_via(self.agent.transport, request, self.agent.settings.outbound, self._next_hop()[2])
        for route in self.route_set:
            request.add("route", route)
        request.add("max-forwards", "70")
        request.add("from", f"<{self.local_uri}>;tag={self.local_tag}")
        remote_tag = f";tag={self.remote_tag}" if self.remote_tag else ""
        request.add("to", f"<{self.remote_uri}>{remote_tag}")
        request.add("call-id", self.call_id)
        request.add("cseq", f"{cseq} {method}")
        request.add("user-agent", USER_AGENT)
        return request

    def _next_hop(self) -> tuple[str, int, str]:
        """The first Route (loose routing) or else the remote target (RFC 3261 12.2.1.1), with the
        transport its URI names (else the account's)."""
        uri = Address.parse(self.route_set[0]).uri if self.route_set else self.remote_target
        settings = self.agent.settings
        try:
            parsed = Uri.parse(uri)
        except ParseError:  # a peer's unusable Contact: the dialog's requests go via the proxy
            host, port = settings.outbound or ("127.0.0.1", 5060)
            return host, port, settings.transport
        proto = parsed.params.get("transport", settings.transport).lower()
        return parsed.host, parsed.port or 5060, proto if proto in ("udp", "tcp") else "udp"

    def _send_in_dialog(self, request: Request) -> None:
        host, port, proto = self._next_hop()
        if request.method == "ACK":
            self.agent.transport.send(request, (host, port), proto)
        else:
            self.agent.transport.request(request, (host, port), lambda response: None, proto)

    def bye(self) -> None:
        if self.remote_tag is not None:
            self._send_in_dialog(self._in_dialog_request("BYE"))

    def hangup(self, reason: str, notify: bool = True) -> None:
        """The panel ends the call: CANCEL while ringing out, reject while ringing in, else BYE."""
        if self.ended:
            return
        self._end_reason = reason
        if self.direction == "outgoing" and self.state in ("calling", "early"):
            if self._provisional:
                self._send_cancel()
            else:
                self._cancel_pending = True  # sent once the first provisional answer arrives
        elif self.direction == "incoming" and self.state == "early":
            self.reject({"rejected": 603, "noanswer": 480}.get(reason, 486))
        else:
            self.bye()
        self._finish(reason, notify)

    def _finish(self, reason: str, notify: bool = True) -> None:
        if self.ended:
            return
        self.state = "ended"
        if self._ok_timer is not None:
            self._ok_timer.cancel()
            self._ok_timer = None
        if self.rtp is not None:
            self.rtp.close()
        self.agent.forget(self)
        # A pending CANCEL or a late 2xx still reaches this object through its INVITE
        # transaction, which sends the ACK and BYE the late answer needs.
        if notify:
            self.agent.listener.call_ended(self, reason)
