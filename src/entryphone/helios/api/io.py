"""/api/io/caps|status|ctrl (manual 5.11-5.13)."""

from __future__ import annotations

from typing import Literal

from entryphone.helios.envelope import WireModel, parse_model, require_result
from entryphone.helios.transport import HeliosTransport


class IoPortCaps(WireModel):
    port: str
    type: Literal["input", "output"]


class IoPortStatus(WireModel):
    port: str
    state: int


class _Ports(WireModel):
    ports: list[IoPortCaps]


class _PortStates(WireModel):
    ports: list[IoPortStatus]


class IoApi:
    def __init__(self, transport: HeliosTransport) -> None:
        self._t = transport

    async def caps(self, port: str | None = None) -> list[IoPortCaps]:
        result = await self._t.json("GET", "/api/io/caps", params={"port": port})
        return parse_model(_Ports, require_result(result, "io/caps"), "io/caps").ports

    async def status(self, port: str | None = None) -> list[IoPortStatus]:
        result = await self._t.json("GET", "/api/io/status", params={"port": port})
        return parse_model(_PortStates, require_result(result, "io/status"), "io/status").ports

    async def ctrl(self, port: str, action: Literal["on", "off"]) -> None:
        """Set an output; like switch/ctrl, `response=` is not offered (it hides errors)."""
        await self._t.json("GET", "/api/io/ctrl", params={"port": port, "action": action})
