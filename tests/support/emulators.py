"""Emulated 2N panels on loopback, served from a background thread with its own event loop, so
sync tests and the really started app (in its own thread) can both talk to them over HTTP."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any, TypeVar

import httpx

from entryphone.emulator import Account, DeviceConfig, EmulatedDevice, EmulatorFleet, Timings

T = TypeVar("T")

FAST = Timings(
    restart_downtime=0.5,
    nonce_lifetime=30,
    ring_delay=0.05,
    ring_timeout=30,
    audio_test_duration=0.05,
    config_delay=0.05,
)


class BackgroundEmulators:
    def __init__(
        self,
        count: int,
        profile: str = "2.4x",
        timings: Timings = FAST,
        password: str | None = None,
        https: bool = False,
    ) -> None:
        """`password`: the admin account's password instead of the factory "2n" (so a test can tell
        the secret apart from anything else in a reply)."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="emulators")
        config = DeviceConfig(accounts=[Account("admin", password)]) if password else None
        self.fleet = EmulatorFleet(
            count, profile=profile, timings=timings, https_port=0 if https else None, config=config
        )

    def start(self) -> BackgroundEmulators:
        self._thread.start()
        self.run(self.fleet.start)
        return self

    def stop(self) -> None:
        self.run(self.fleet.stop)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def run(self, factory: Callable[[], Awaitable[T]], timeout: float = 30) -> T:
        async def wrapper() -> T:
            return await factory()

        future: Future[T] = asyncio.run_coroutine_threadsafe(wrapper(), self._loop)
        return future.result(timeout)

    @property
    def devices(self) -> list[EmulatedDevice]:
        return self.fleet.devices

    def control(
        self, device: EmulatedDevice, action: str, body: dict[str, Any] | None = None
    ) -> httpx.Response:
        """The physical world: POST /_emulator/<action> on the device's own listener."""
        reply = httpx.post(f"{device.control_url}/{action}", json=body or {}, timeout=10)
        assert reply.status_code == 204, reply.text
        return reply

    def restart(self, device: EmulatedDevice) -> None:
        """Restart through the control API and wait until the panel is back (ids start at 1 again)."""
        self.control(device, "restart")
        self.run(device.wait_until_up)

    def state(self, device: EmulatedDevice) -> dict[str, Any]:
        reply = httpx.get(f"{device.control_url}/state", timeout=10)
        reply.raise_for_status()
        return reply.json()  # type: ignore[no-any-return]
