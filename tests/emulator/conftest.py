"""Emulated panels on loopback, with short timings, and HTTP clients that speak to them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from entryphone.emulator import DeviceConfig, EmulatedDevice, Timings, build_device, make_identity
from entryphone.emulator.clock import Clock

FAST = Timings(
    restart_downtime=0.3,
    nonce_lifetime=30,
    ring_delay=0.05,
    ring_timeout=5,
    audio_test_duration=0.05,
    config_delay=0.05,
)
_counter = iter(range(1, 1_000_000))

StartDevice = Callable[..., Awaitable[EmulatedDevice]]


@pytest.fixture
async def start_device() -> AsyncIterator[StartDevice]:
    started: list[EmulatedDevice] = []

    async def start(
        profile: str = "2.21",
        *,
        config: DeviceConfig | None = None,
        https: bool = False,
        clock: Clock | None = None,
        **timings: Any,
    ) -> EmulatedDevice:
        values = {f: getattr(FAST, f) for f in FAST.__dataclass_fields__}
        values.update(timings)
        device = build_device(
            make_identity(99, next(_counter)),
            profile,
            config,
            https_port=0 if https else None,
            timings=Timings(**values),
            clock=clock,
        )
        await device.start()
        started.append(device)
        return device

    yield start
    for device in started:
        await device.stop()


@pytest.fixture
async def device(start_device: StartDevice) -> EmulatedDevice:
    return await start_device()


@pytest.fixture
async def device_4x(start_device: StartDevice) -> EmulatedDevice:
    return await start_device("2.4x")


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def digest() -> AsyncIterator[aiohttp.ClientSession]:
    """The default account admin/2n over Digest (aiohttp's own middleware)."""
    async with aiohttp.ClientSession(middlewares=(aiohttp.DigestAuthMiddleware("admin", "2n"),)) as session:
        yield session


async def api(
    session: aiohttp.ClientSession, device: EmulatedDevice, path: str, **kwargs: Any
) -> dict[str, Any]:
    """One /api call; asserts the envelope's transport details and returns the JSON document."""
    method = kwargs.pop("method", "GET")
    version = device.sw_version  # a firmware apply changes it once the reply is out
    async with session.request(method, device.url + path, **kwargs) as response:
        assert response.status == 200, await response.text()
        assert response.content_type == "application/json"
        assert response.headers["Server"] == f"HIP{version}"
        document: dict[str, Any] = await response.json()
        return document


async def control(
    session: aiohttp.ClientSession, device: EmulatedDevice, action: str, body: Any = None
) -> int:
    async with session.post(
        f"{device.control_url}/{action}", json=body if body is not None else {}
    ) as response:
        return response.status


def pulling(device: EmulatedDevice) -> bool:
    """A /api/log/pull is waiting on one of the device's channels."""
    return any(not w.done() for s in device.boot.log.subscriptions for w in s.waiters)
