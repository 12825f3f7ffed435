"""Vendor string -> driver factory. The platform creates drivers only through a registry."""

from __future__ import annotations

from collections.abc import Callable

import aiohttp

from entryphone.devices.driver import DeviceDriver
from entryphone.devices.errors import UnknownVendor
from entryphone.devices.models import DeviceTarget

DriverFactory = Callable[[DeviceTarget, aiohttp.ClientSession], DeviceDriver]


class DriverRegistry:
    def __init__(self) -> None:
        self._factories: dict[str, DriverFactory] = {}

    @staticmethod
    def _normalise(vendor: str) -> str:
        return vendor.strip().lower()

    def register(self, vendor: str, factory: DriverFactory) -> None:
        self._factories[self._normalise(vendor)] = factory

    def vendors(self) -> list[str]:
        return sorted(self._factories)

    def supports(self, vendor: str) -> bool:
        return self._normalise(vendor) in self._factories

    def create(self, target: DeviceTarget, session: aiohttp.ClientSession) -> DeviceDriver:
        """A driver for `target`, sharing the fleet's HTTP session. Raises UnknownVendor."""
        factory = self._factories.get(self._normalise(target.vendor))
        if factory is None:
            raise UnknownVendor(target.vendor, self.vendors())
        return factory(target, session)


def _create_twon(target: DeviceTarget, session: aiohttp.ClientSession) -> DeviceDriver:
    # Imported on use: the driver package itself imports this package's interface modules.
    from entryphone.devices.twon import TwoNDriver

    return TwoNDriver(target, session)


def default_registry() -> DriverRegistry:
    """A registry with every driver shipped with entryphone."""
    registry = DriverRegistry()
    registry.register("2n", _create_twon)
    return registry
