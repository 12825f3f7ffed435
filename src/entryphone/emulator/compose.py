"""The composition root of an emulated panel: the one place that assembles a device from its parts.

The device (`device.py`) knows its listeners, configuration and boot state, not its API; here it
is handed the request handler (`router.handle`, which reaches every service). Per-device
components that need the whole device are created here too, so nothing imports back up.
"""

from __future__ import annotations

from pathlib import Path

from .boot import Timings
from .clock import Clock
from .config import DeviceConfig
from .device import EmulatedDevice
from .identity import Identity
from .profile import Profile
from .router import handle


def build_device(
    identity: Identity | None = None,
    profile: Profile | str = "2.21",
    config: DeviceConfig | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    https_port: int | None = 0,
    timings: Timings | None = None,
    control_token: str | None = None,
    state_path: Path | None = None,
    realm: str = "HTTP API",
    clock: Clock | None = None,
) -> EmulatedDevice:
    """A panel, not yet started. `identity` None: derived from the HTTP port it listens on;
    `clock` None: the event loop's (tests pass one they move by hand)."""
    return EmulatedDevice(
        identity,
        profile,
        config,
        handler=handle,
        host=host,
        port=port,
        https_port=https_port,
        timings=timings,
        control_token=control_token,
        state_path=state_path,
        realm=realm,
        clock=clock,
    )
