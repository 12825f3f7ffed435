"""One UDP socket shared by every user agent of the process, and the RFC 3261 transactions on it.

Client transactions (section 17.1) retransmit over UDP with Timers A and E, give up with Timers
B and F, and absorb retransmitted final responses for Timers D and K. Server transactions
(section 17.2) answer retransmitted requests with the last response. Requests that start no
transaction of their own are handed to the user agent whose Contact user the Request-URI names.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol

from .message import ParseError, Request, Response, new_branch, parse, response_to

log = logging.getLogger(__name__)

Address = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Timers:
    """RFC 3261 section 17.1.1.1 values; tests may shorten them."""

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0

    @property
    def b(self) -> float:  # also F, H, J, M
        return 64 * self.t1


DEFAULT_TIMERS: Final = Timers()
TIMEOUT: Final = 408  # what a transaction reports to its user when Timer B or F fires
UNSPECIFIED: Final = ("0.0.0.0", "::")  # noqa: S104 - compared with, never bound here


class Agent(Protocol):
    def on_request(self, request: Request, source: Address, server: ServerTransaction | None) -> None: ...


class SipTransport(asyncio.DatagramProtocol):
    def __init__(self, timers: Timers = DEFAULT_TIMERS) -> None:
        self.timers = timers
        self.host = ""
        self.port = 0
        self._transport: asyncio.DatagramTransport | None = None
        self._clients: dict[tuple[str, str], ClientTransaction] = {}
        self._servers: dict[tuple[str, str], ServerTransaction] = {}
        self._agents: dict[str, Agent] = {}
        self._resolved: dict[tuple[str, int], Address] = {}
        self._local: dict[str, str] = {}
        self._server: asyncio.Server | None = None
        self._streams: dict[Address, SipStream] = {}

    @classmethod
    async def open(
        cls, host: str = "127.0.0.1", port: int = 0, timers: Timers = DEFAULT_TIMERS
    ) -> SipTransport:
        """UDP and TCP on the same port number (an ephemeral one is retried until both are free)."""
        loop = asyncio.get_running_loop()
        for _attempt in range(20):
            protocol = await cls._open_udp(host, port, timers)
            try:
                protocol._server = await loop.create_server(
                    protocol.accept, host, protocol.port, reuse_address=True
                )
            except OSError:
                protocol.close()
                if port:
                    raise
                continue
            return protocol
        raise OSError("no port free for both UDP and TCP")

    @classmethod
    async def _open_udp(cls, host: str, port: int, timers: Timers) -> SipTransport:
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        datagrams, protocol = await loop.create_datagram_endpoint(
            lambda: cls(timers), local_addr=(host, port), family=family
        )
        protocol._bound(datagrams)  # connection_made runs later, in a callback
        sock = datagrams.get_extra_info("socket")
        # Thousands of panels registering at once: a deep receive buffer keeps bursts of replies.
        for option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, option, 4 * 1024 * 1024)
        return protocol

    def _bound(self, transport: asyncio.DatagramTransport) -> None:
        self._transport = transport
        self.host, self.port = transport.get_extra_info("sockname")[:2]

    def close(self) -> None:
        for client in list(self._clients.values()):
            client.terminate()
        for server in list(self._servers.values()):
            server.terminate()
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        if self._server is not None:
            self._server.close()
            self._server = None
        for stream in list(self._streams.values()):
            stream.close()

    @property
    def hostport(self) -> str:
        return self.hostport_for(None)

    def local_host(self, towards: Address | None) -> str:
        """The address peers reach this socket at: the bound one, or, for a socket bound to every
        interface, the one the kernel would send from towards that server (no packet is sent)."""
        if self.host not in UNSPECIFIED or towards is None:
            return self.host
        if towards[0] not in self._local:
            family = socket.AF_INET6 if ":" in towards[0] else socket.AF_INET
            with socket.socket(family, socket.SOCK_DGRAM) as probe:
                try:
                    probe.connect(towards)
                    self._local[towards[0]] = str(probe.getsockname()[0])
                except OSError:
                    return self.host
        return self._local[towards[0]]

    def hostport_for(self, towards: Address | None) -> str:
        host = self.local_host(towards)
        return f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"

    def via(self, branch: str, towards: Address | None = None, proto: str = "udp") -> str:
        return f"SIP/2.0/{proto.upper()} {self.hostport_for(towards)};branch={branch};rport"

    # -- agents ---------------------------------------------------------------------------------

    def attach(self, contact_user: str, agent: Agent) -> None:
        self._agents[contact_user] = agent

    def detach(self, contact_user: str) -> None:
        self._agents.pop(contact_user, None)

    async def resolve(self, host: str, port: int) -> Address:
        """A/AAAA lookup of a configured server (no SRV/NAPTR), cached for the process."""
        key = (host, port)
        if key not in self._resolved:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_DGRAM)
            if not infos:
                raise OSError(f"cannot resolve {host}")
            address = infos[0][4]
            self._resolved[key] = (str(address[0]), int(address[1]))
        return self._resolved[key]

    # -- sending --------------------------------------------------------------------------------

    def send(self, message: Request | Response, destination: Address, proto: str = "udp") -> None:
        if proto == "tcp":
            self._stream(destination).write(message.encode())
        elif self._transport is not None:
            self._transport.sendto(message.encode(), destination)

    def request(
        self,
        request: Request,
        destination: Address,
        on_response: Callable[[Response], None],
        proto: str = "udp",
    ) -> ClientTransaction:
        """Start a client transaction; the request must carry its own Via with a fresh branch."""
        transaction = ClientTransaction(self, request, destination, on_response, proto)
        self._clients[transaction.key] = transaction
        transaction.start()
        return transaction

    # -- receiving ------------------------------------------------------------------------------

    def accept(self) -> SipStream:
        """A connection a peer opened to our TCP port."""
        return SipStream(self, None)

    def _stream(self, destination: Address) -> SipStream:
        """The TCP connection to a peer: an open one (either side opened it), else a new one."""
        stream = self._streams.get(destination)
        if stream is None:
            stream = SipStream(self, destination)
            self._streams[destination] = stream
            stream.connect()
        return stream

    def stream_opened(self, stream: SipStream) -> None:
        if stream.remote is not None:
            self._streams.setdefault(stream.remote, stream)

    def stream_closed(self, stream: SipStream, failed: bool) -> None:
        if stream.remote is not None and self._streams.get(stream.remote) is stream:
            del self._streams[stream.remote]
        if failed:  # RFC 3261 8.1.3.1: a transport error is a 503 for the requests sent that way
            for client in list(self._clients.values()):
                if client.proto == "tcp" and client.destination == stream.remote:
                    client.receive_error()

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.received(data, (str(addr[0]), int(addr[1])), None)

    def received(self, data: bytes, source: Address, stream: SipStream | None) -> None:
        if not data.strip():
            return  # keep-alive CRLF
        try:
            message = parse(data)
            if isinstance(message, Response):
                self._on_response(message)
            else:
                self._on_request(message, source, stream)
        except (ParseError, ValueError, IndexError, KeyError) as error:
            # What a peer sends never raises out of here: a message that does not parse is dropped.
            log.debug("dropped a malformed SIP datagram from %s: %s", source, error)

    def _on_response(self, response: Response) -> None:
        key = (response.top_via.branch, response.cseq[1])
        client = self._clients.get(key)
        if client is not None:
            client.receive(response)

    def _on_request(self, request: Request, source: Address, stream: SipStream | None = None) -> None:
        branch = request.top_via.branch
        if request.method == "ACK":
            server = self._servers.get((branch, "INVITE"))
            if server is not None and server.final is not None and server.final.status >= 300:
                server.acknowledged()
                return
            self._deliver(request, source, None)  # the ACK of a 2xx belongs to the dialog
            return
        existing = self._servers.get((branch, request.method))
        if existing is not None:
            existing.retransmit()
            return
        server = ServerTransaction(self, request, source, stream)
        self._servers[server.key] = server
        if request.method == "INVITE":
            server.respond(response_to(request, 100))
        self._deliver(request, source, server)

    def _deliver(self, request: Request, source: Address, server: ServerTransaction | None) -> None:
        try:
            user = request.uri.partition(":")[2].partition("@")[0].partition(";")[0]
        except ValueError:
            user = ""
        agent = self._agents.get(user)
        if agent is not None:
            agent.on_request(request, source, server)
        elif server is not None:
            server.respond(response_to(request, 404, to_tag="x"))

    def forget(self, key: tuple[str, str], transaction: ClientTransaction | ServerTransaction) -> None:
        table: dict[tuple[str, str], ClientTransaction] | dict[tuple[str, str], ServerTransaction]
        table = self._clients if isinstance(transaction, ClientTransaction) else self._servers
        if table.get(key) is transaction:
            del table[key]

    def server_transaction(self, branch: str, method: str) -> ServerTransaction | None:
        return self._servers.get((branch, method))


class ClientTransaction:
    __slots__ = (
        "_ack",
        "_retransmit",
        "_timeout",
        "_wait",
        "destination",
        "invite",
        "key",
        "on_response",
        "proto",
        "request",
        "state",
        "transport",
    )

    def __init__(
        self,
        transport: SipTransport,
        request: Request,
        destination: Address,
        on_response: Callable[[Response], None],
        proto: str = "udp",
    ) -> None:
        self.transport = transport
        self.proto = proto
        self.request = request
        self.destination = destination
        self.on_response = on_response
        self.invite = request.method == "INVITE"
        self.key = (request.top_via.branch, request.method)
        self.state = "calling" if self.invite else "trying"
        self._retransmit: asyncio.TimerHandle | None = None
        self._timeout: asyncio.TimerHandle | None = None
        self._wait: asyncio.TimerHandle | None = None
        self._ack: Request | None = None

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.transport.send(self.request, self.destination, self.proto)
        if self.proto == "udp":  # a reliable transport is not retransmitted over
            self._schedule(self.transport.timers.t1)
        self._timeout = loop.call_later(self.transport.timers.b, self._timed_out)

    def _schedule(self, interval: float) -> None:
        self._retransmit = asyncio.get_running_loop().call_later(interval, self._resend, interval)

    def _resend(self, interval: float) -> None:
        # Timer A doubles without bound (INVITE); Timer E doubles up to T2, and waits T2 once a
        # provisional response came (non-INVITE).
        self._retransmit = None
        if self.state not in ("calling", "trying", "proceeding"):
            return
        if self.invite and self.state == "proceeding":
            return
        self.transport.send(self.request, self.destination, self.proto)
        timers = self.transport.timers
        following = timers.t2 if self.state == "proceeding" else interval * 2
        self._schedule(following if self.invite else min(following, timers.t2))

    def _timed_out(self) -> None:
        self._timeout = None
        if self.state in ("calling", "trying", "proceeding"):
            state_before = self.state
            self.terminate()
            if self.invite and state_before == "proceeding":
                return  # an INVITE with a provisional answer waits for the TU (ring limit, CANCEL)
            response = Response(TIMEOUT, "Request Timeout")
            self.on_response(response)

    def receive(self, response: Response) -> None:
        if self.state == "terminated":
            return
        if response.status < 200:
            if self.state in ("calling", "trying"):
                self.state = "proceeding"
                if self.invite:
                    self._cancel_retransmit()
                    self._cancel_timeout()
            self.on_response(response)
            return
        if self.invite and response.status < 300:
            # RFC 6026: stay 'accepted' for Timer M, passing 2xx retransmissions to the dialog.
            first = self.state != "accepted"
            self.state = "accepted"
            self._cancel_retransmit()
            self._cancel_timeout()
            if first:
                self._wait = asyncio.get_running_loop().call_later(self.transport.timers.b, self.terminate)
            self.on_response(response)
            return
        if self.state == "completed":
            if self._ack is not None:
                self.transport.send(self._ack, self.destination, self.proto)
            return
        if self.state == "accepted":
            return
        self.state = "completed"
        self._cancel_retransmit()
        self._cancel_timeout()
        timers = self.transport.timers
        if self.invite:
            self._ack = self._ack_for(response)
            self.transport.send(self._ack, self.destination, self.proto)
            wait = timers.b  # Timer D: 32 s with the default T1, above its 32 s floor
        else:
            wait = timers.t4  # Timer K
        if self.proto != "udp":
            wait = 0  # D and K are zero over a reliable transport
        self._wait = asyncio.get_running_loop().call_later(wait, self.terminate)
        self.on_response(response)

    def receive_error(self) -> None:
        if self.state in ("calling", "trying", "proceeding"):
            self.terminate()
            self.on_response(Response(503, "Transport Error"))

    def _ack_for(self, response: Response) -> Request:
        """RFC 3261 17.1.1.3: the ACK of a non-2xx final response, inside the transaction."""
        ack = Request("ACK", self.request.uri)
        ack.add("via", self.request.require("via"))
        for name in ("route",):
            for value in self.request.get_all(name):
                ack.add(name, value)
        ack.add("max-forwards", "70")
        ack.add("from", self.request.require("from"))
        ack.add("to", response.require("to"))
        ack.add("call-id", self.request.call_id)
        ack.add("cseq", f"{self.request.cseq[0]} ACK")
        return ack

    def terminate(self) -> None:
        self.state = "terminated"
        self._cancel_retransmit()
        self._cancel_timeout()
        if self._wait is not None:
            self._wait.cancel()
            self._wait = None
        self.transport.forget(self.key, self)

    def _cancel_retransmit(self) -> None:
        if self._retransmit is not None:
            self._retransmit.cancel()
            self._retransmit = None

    def _cancel_timeout(self) -> None:
        if self._timeout is not None:
            self._timeout.cancel()
            self._timeout = None


class ServerTransaction:
    """Answers retransmitted requests with the last response; non-2xx INVITE finals wait for ACK."""

    __slots__ = ("_resend", "_timer", "final", "key", "last", "request", "source", "stream", "transport")

    def __init__(
        self, transport: SipTransport, request: Request, source: Address, stream: SipStream | None = None
    ) -> None:
        self.transport = transport
        self.request = request
        self.source = source
        self.stream = stream  # responses go back on the connection the request came on
        self.key = (request.top_via.branch, request.method)
        self.last: Response | None = None
        self.final: Response | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._resend: asyncio.TimerHandle | None = None

    def respond(self, response: Response) -> None:
        if self.final is not None:
            return
        self.last = response
        self.send(response)
        if response.status < 200:
            return
        self.final = response
        loop = asyncio.get_running_loop()
        timers = self.transport.timers
        if self.request.method == "INVITE" and response.status >= 300 and self.stream is None:
            self._resend = loop.call_later(timers.t1, self._retransmit_final, timers.t1)  # Timer G
        # 2xx to INVITE: the dialog retransmits it; the transaction only stays to absorb copies.
        self._timer = loop.call_later(timers.b, self.terminate)  # Timers H / J

    def send(self, response: Response) -> None:
        """Send (or send again) a response the way the request came: its connection, or its source
        address (RFC 3581)."""
        if self.stream is not None:
            self.stream.write(response.encode())
        else:
            self.transport.send(response, self.source)

    def _retransmit_final(self, interval: float) -> None:
        if self.final is None:
            return
        self.send(self.final)
        following = min(interval * 2, self.transport.timers.t2)
        self._resend = asyncio.get_running_loop().call_later(following, self._retransmit_final, following)

    def retransmit(self) -> None:
        if self.last is not None:
            self.send(self.last)

    def acknowledged(self) -> None:
        if self._resend is not None:
            self._resend.cancel()
            self._resend = None

    def terminate(self) -> None:
        for timer in (self._timer, self._resend):
            if timer is not None:
                timer.cancel()
        self._timer = self._resend = None
        self.transport.forget(self.key, self)


def fresh_via(
    transport: SipTransport, request: Request, towards: Address | None = None, proto: str = "udp"
) -> str:
    """Put a new top Via (new branch) on a request; returns the branch."""
    branch = new_branch()
    request.set("via", transport.via(branch, towards, proto))
    return branch


MAX_HEADER: Final = 65_536
_LENGTH = re.compile(rb"^(?:content-length|l)[ \t]*:[ \t]*([0-9]+)[ \t]*$", re.IGNORECASE | re.MULTILINE)


class SipStream(asyncio.Protocol):
    """One TCP connection carrying SIP, framed by Content-Length (RFC 3261 section 18.3)."""

    def __init__(self, owner: SipTransport, remote: Address | None) -> None:
        self.owner = owner
        self.remote = remote
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._pending: list[bytes] = []
        self._closed = False
        self._connecting: asyncio.Task[None] | None = None

    def connect(self) -> None:
        assert self.remote is not None
        remote = self.remote

        async def open_connection() -> None:
            try:
                await asyncio.get_running_loop().create_connection(lambda: self, *remote)
            except OSError:
                self._closed = True
                self.owner.stream_closed(self, failed=True)

        self._connecting = asyncio.ensure_future(open_connection())

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        if self.remote is None:
            peer = transport.get_extra_info("peername")
            self.remote = (str(peer[0]), int(peer[1]))
        self.owner.stream_opened(self)
        for data in self._pending:
            transport.write(data)
        self._pending.clear()

    def write(self, data: bytes) -> None:
        if self._closed:
            return
        if self._transport is None:
            self._pending.append(data)
        else:
            self._transport.write(data)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while True:
            stripped = self._buffer.lstrip(b"\r\n")  # keep-alive CRLFs between messages
            if len(stripped) != len(self._buffer):
                self._buffer = bytearray(stripped)
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > MAX_HEADER:
                    self.close()  # a peer that never ends its headers
                return
            match = _LENGTH.search(bytes(self._buffer[:end]))
            total = end + 4 + (int(match.group(1)) if match else 0)
            if total - end > MAX_HEADER * 16:
                self.close()
                return
            if len(self._buffer) < total:
                return
            message = bytes(self._buffer[:total])
            del self._buffer[:total]
            assert self.remote is not None
            self.owner.received(message, self.remote, self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._transport = None
        self.owner.stream_closed(self, failed=False)

    def close(self) -> None:
        self._closed = True
        if self._transport is not None:
            self._transport.close()
