"""Start real emulated 2N panels on loopback for the helios and devices tests (no device mocks)."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from entryphone.emulator import EmulatedDevice, Timings, build_device
from entryphone.emulator.clock import Clock
from entryphone.emulator.config import AuthMethod, DeviceConfig, Service
from entryphone.emulator.identity import make_identity
from entryphone.helios import Credentials, HeliosClient, TlsPolicy

_index = itertools.count(1)

StartDevice = Callable[..., Awaitable[EmulatedDevice]]
Session = aiohttp.ClientSession


def fast_timings(**overrides: float) -> Timings:
    values: dict[str, float] = {
        "restart_downtime": 0.2,
        "ring_delay": 0.05,
        "audio_test_duration": 0.05,
        "config_delay": 0.05,
    }
    values.update(overrides)
    return Timings(**values)


@asynccontextmanager
async def device_factory() -> AsyncIterator[StartDevice]:
    started: list[EmulatedDevice] = []

    async def start(
        profile: str = "2.4x",
        *,
        config: DeviceConfig | None = None,
        timings: Timings | None = None,
        https: bool = False,
        clock: Clock | None = None,
    ) -> EmulatedDevice:
        device = build_device(
            make_identity(7, next(_index)),
            profile,
            config,
            https_port=0 if https else None,
            timings=timings or fast_timings(),
            clock=clock,
        )
        await device.start()
        started.append(device)
        return device

    try:
        yield start
    finally:
        for device in started:
            await device.stop()


def client_for(
    session: aiohttp.ClientSession,
    device: EmulatedDevice,
    *,
    password: str | None = None,
    https: bool = False,
    tls: TlsPolicy | None = None,
    anonymous: bool = False,
    timeout: float = 5.0,
) -> HeliosClient:
    credentials = None if anonymous else Credentials(device.login, password or device.password)
    port = device.https_port if https else device.port
    return HeliosClient(
        session, device.host, port=port, https=https, credentials=credentials, tls=tls, timeout=timeout
    )


def fingerprint(device: EmulatedDevice) -> str:
    assert device.certificate_pem is not None
    der = x509.load_pem_x509_certificate(device.certificate_pem).public_bytes(Encoding.DER)
    return hashlib.sha256(der).hexdigest()


def set_auth(device: EmulatedDevice, service: Service, method: AuthMethod) -> None:
    device.config.services[service].auth = method


class RecordingProxy:
    """A plain HTTP relay in front of a device that records each request's Authorization header.
    It only observes the wire; every answer is the emulated device's own."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.seen: list[tuple[str, str | None]] = []
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def _relay(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        authorization = request.headers.get("Authorization")
        self.seen.append((request.path_qs, authorization))
        headers = {"Authorization": authorization} if authorization else {}
        if "Content-Type" in request.headers:
            headers["Content-Type"] = request.headers["Content-Type"]
        async with self._session.request(
            request.method, self.target + request.path_qs, headers=headers, data=await request.read()
        ) as upstream:
            body = await upstream.read()
            relayed: dict[str, Any] = {
                k: v for k, v in upstream.headers.items() if k in ("WWW-Authenticate", "Content-Type")
            }
            return web.Response(status=upstream.status, body=body, headers=relayed)

    async def __aenter__(self) -> RecordingProxy:
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._relay)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.base_events.Server)
        self.port = server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None and self._session is not None
        await self._runner.cleanup()
        await self._session.close()


@asynccontextmanager
async def silent_server() -> AsyncIterator[int]:
    """Accepts connections and never answers: the network failure a hung panel looks like."""
    held: list[asyncio.StreamWriter] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()
