"""/api/system/*: device identity, status, restart (manual 5.1-5.3)."""

from __future__ import annotations

from entryphone.helios.envelope import WireModel, parse_model, require_result
from entryphone.helios.transport import HeliosTransport


class SystemInfo(WireModel):
    variant: str
    serial_number: str
    sw_version: str
    hw_version: str = ""
    build_type: str = ""
    device_name: str = ""
    # Newer firmware only.
    mac_addr: str | None = None
    dev_type: str | None = None
    firmware_package: str | None = None


class SystemStatus(WireModel):
    system_time: int
    up_time: int


class SystemApi:
    def __init__(self, transport: HeliosTransport) -> None:
        self._t = transport

    async def info(self) -> SystemInfo:
        result = await self._t.json("GET", "/api/system/info")
        return parse_model(SystemInfo, require_result(result, "system/info"), "system/info")

    async def status(self) -> SystemStatus:
        result = await self._t.json("GET", "/api/system/status")
        return parse_model(SystemStatus, require_result(result, "system/status"), "system/status")

    async def restart(self) -> None:
        await self._t.json("GET", "/api/system/restart")
