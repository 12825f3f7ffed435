"""What the API functions, the control API and the panel's own logic see of a device.

A narrow protocol, so they depend on it and not on `device.EmulatedDevice`, which in turn is
handed its request handler by the composition root (`compose.py`): no module imports back up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from .boot import Boot, Timings
from .clock import Clock
from .config import DeviceConfig
from .directory import Directory
from .identity import Identity
from .profile import Profile


class Device(Protocol):
    profile: Profile
    sw_version: str
    config: DeviceConfig
    directory: Directory
    host: str
    timings: Timings
    control_token: str | None
    clock: Clock

    @property
    def identity(self) -> Identity: ...

    @property
    def serial(self) -> str: ...

    @property
    def mac(self) -> str: ...

    @property
    def server_header(self) -> str: ...

    @property
    def boot(self) -> Boot: ...

    @property
    def running(self) -> bool: ...

    def describe(self) -> dict[str, Any]: ...

    def restart(self, before_power_on: Callable[[], None] | None = None) -> None: ...

    def apply_config(self, config: DeviceConfig, directory: Directory | None = None) -> None: ...

    def factory_reset(self) -> None: ...

    def save(self) -> None: ...
