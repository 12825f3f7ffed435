"""Build 2N drivers for emulated panels."""

from __future__ import annotations

import aiohttp

from entryphone.devices import DeviceTarget, default_registry
from entryphone.devices.twon import TwoNDriver
from entryphone.emulator.device import EmulatedDevice


def driver_for(
    session: aiohttp.ClientSession, device: EmulatedDevice, *, password: str | None = None
) -> TwoNDriver:
    target = DeviceTarget(
        vendor="2N",
        host=device.host,
        port=device.port,
        username=device.login,
        password=password or device.password,
        timeout=5.0,
    )
    driver = default_registry().create(target, session)
    assert isinstance(driver, TwoNDriver)
    return driver
