"""Many panels in one process: one listener (or two, with HTTPS) per panel, ports P..P+N-1.

Usable from tests inside a running event loop:

    async with EmulatorFleet(count=2, timings=Timings(restart_downtime=0.2)) as fleet:
        device = fleet.devices[0]   # .url .login .password .serial .mac .control_url
"""

from __future__ import annotations

import asyncio
import resource
from pathlib import Path
from types import TracebackType

from .boot import Timings
from .compose import build_device
from .config import DeviceConfig
from .device import EmulatedDevice
from .identity import make_identity
from .profile import Profile, get_profile

START_CONCURRENCY = 64


class EmulatorFleet:
    def __init__(
        self,
        count: int = 1,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        https_port: int | None = 0,
        profile: Profile | str = "2.21",
        state_dir: Path | None = None,
        timings: Timings | None = None,
        control_token: str | None = None,
        seed: int | None = None,
        config: DeviceConfig | None = None,
    ) -> None:
        """port/https_port 0: ephemeral ports; otherwise device i listens on port+i.

        https_port None: no HTTPS listener (and no certificate) at all. seed None: each device's
        serial number and MAC derive from its HTTP port (unique on the machine, the same for the
        same port); a seed (0..2047) gives device i make_identity(seed, i) instead.
        """
        if count < 1:
            raise ValueError("count must be at least 1")
        resolved = get_profile(profile) if isinstance(profile, str) else profile
        if state_dir is not None:
            state_dir.mkdir(parents=True, exist_ok=True)
        self.devices = [
            build_device(
                None if seed is None else make_identity(seed, index),
                resolved,
                config.copy() if config is not None else None,
                host=host,
                port=port + index if port else 0,
                https_port=None if https_port is None else (https_port + index if https_port else 0),
                timings=timings,
                control_token=control_token,
                state_path=None if state_dir is None else state_dir / f"device-{index + 1:05d}.json",
            )
            for index in range(count)
        ]

    async def start(self) -> None:
        raise_open_file_limit()
        gate = asyncio.Semaphore(START_CONCURRENCY)

        async def start_one(device: EmulatedDevice) -> None:
            async with gate:
                await device.start()

        try:
            await asyncio.gather(*(start_one(d) for d in self.devices))
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        await asyncio.gather(*(d.stop() for d in self.devices), return_exceptions=True)

    def population(self) -> int:
        """What the process's long-lived heap grows with: running panels and their log channels."""
        running = [device for device in self.devices if device.running]
        return len(running) + sum(len(device.boot.log.subscriptions) for device in running)

    async def __aenter__(self) -> EmulatorFleet:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.stop()


def raise_open_file_limit() -> int:
    """Thousands of listeners need descriptors: lift the soft limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return hard
    return soft
