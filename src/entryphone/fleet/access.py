"""Reaching one intercom's device: the driver registry, the fleet's shared HTTP pool, secrets."""

from __future__ import annotations

import aiohttp

from entryphone.config import Settings
from entryphone.devices.driver import DeviceDriver
from entryphone.devices.models import DeviceTarget
from entryphone.devices.registry import DriverRegistry, default_registry
from entryphone.errors import DeviceCannot
from entryphone.intercoms.connection import IntercomConnection
from entryphone.security.secretbox import SecretBox

# Sockets: a long-poll plus a command or two per device; the total bounds a large fleet.
POOL_LIMIT = 10_000
POOL_LIMIT_PER_HOST = 4


class DeviceAccess:
    """Builds drivers for intercoms. One per process; the aiohttp session is created lazily inside
    the running loop and shared by the supervisor and the API's commands."""

    def __init__(
        self, settings: Settings, secrets: SecretBox, registry: DriverRegistry | None = None
    ) -> None:
        self.settings = settings
        self.secrets = secrets
        self.registry = registry or default_registry()
        self._session: aiohttp.ClientSession | None = None
        self._drivers: dict[tuple[int, float], tuple[tuple[object, ...], DeviceDriver]] = {}

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=POOL_LIMIT, limit_per_host=POOL_LIMIT_PER_HOST)
            self._session = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())
        return self._session

    def has_driver(self, vendor: str) -> bool:
        return self.registry.supports(vendor)

    def target(self, intercom: IntercomConnection, timeout: float | None = None) -> DeviceTarget:
        """How to reach the intercom's device. Raises DeviceCannot when that is not possible."""
        if not self.registry.supports(intercom.vendor):
            raise DeviceCannot(
                f"No device driver for vendor {intercom.vendor!r} yet: this intercom cannot be controlled "
                f"by entryphone (drivers: {', '.join(self.registry.vendors())})."
            )
        if not intercom.ip:
            raise DeviceCannot(
                "The intercom has no device connection: set schema, ip, port, login and password."
            )
        password = self.secrets.decrypt(intercom.password_encrypted) if intercom.password_encrypted else None
        return DeviceTarget(
            vendor=intercom.vendor,
            host=intercom.ip,
            port=intercom.port,
            https=(intercom.schema or "http") == "https",
            username=intercom.login,
            password=password,
            tls_fingerprint_sha256=intercom.tls_fingerprint,
            allow_self_signed=intercom.tls_allow_self_signed,
            timeout=timeout or self.settings.device_timeout,
        )

    def driver(self, intercom: IntercomConnection, timeout: float | None = None) -> DeviceDriver:
        """A driver for the intercom, reused while its connection settings stay the same: the
        driver keeps what it learnt (probe, Digest nonce), so a command costs one device call."""
        # Looked up before the target is built: building it decrypts the device password.
        key = (intercom.id, timeout or self.settings.device_timeout)
        cached = self._drivers.get(key)
        fingerprint = connection_fingerprint(intercom)
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        driver = self.registry.create(self.target(intercom, timeout), self.session)
        self._drivers[key] = (fingerprint, driver)
        return driver

    def driver_for_target(self, target: DeviceTarget) -> DeviceDriver:
        return self.registry.create(target, self.session)

    async def close(self) -> None:
        self._drivers.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None


def connection_fingerprint(intercom: IntercomConnection) -> tuple[object, ...]:
    """What, when changed, means the supervisor must reconnect to the device."""
    return (
        intercom.vendor,
        intercom.schema,
        intercom.ip,
        intercom.port,
        intercom.login,
        intercom.password_encrypted,
        intercom.tls_fingerprint,
        intercom.tls_allow_self_signed,
    )
