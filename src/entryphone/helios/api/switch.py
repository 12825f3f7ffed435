"""/api/switch/caps|status|ctrl (manual 5.8-5.10; lock/hold actions of newer firmware)."""

from __future__ import annotations

from enum import StrEnum

from entryphone.helios.envelope import WireModel, parse_model, require_result
from entryphone.helios.transport import HeliosTransport


class SwitchAction(StrEnum):
    ON = "on"
    OFF = "off"
    TRIGGER = "trigger"
    # Newer firmware.
    LOCK = "lock"
    UNLOCK = "unlock"
    HOLD = "hold"
    RELEASE = "release"


class SwitchCaps(WireModel):
    switch: int
    enabled: bool
    # A disabled switch reports only {switch, enabled}.
    mode: str | None = None
    switch_on_duration: int | None = None
    type: str | None = None


class SwitchStatus(WireModel):
    switch: int
    active: bool
    locked: bool | None = None
    held: bool | None = None
    hold_timeout: int | None = None


class _Switches(WireModel):
    switches: list[SwitchCaps]


class _SwitchStates(WireModel):
    switches: list[SwitchStatus]


class SwitchApi:
    def __init__(self, transport: HeliosTransport) -> None:
        self._t = transport

    async def caps(self, switch: int | None = None) -> list[SwitchCaps]:
        result = await self._t.json("GET", "/api/switch/caps", params={"switch": switch})
        return parse_model(_Switches, require_result(result, "switch/caps"), "switch/caps").switches

    async def status(self, switch: int | None = None) -> list[SwitchStatus]:
        result = await self._t.json("GET", "/api/switch/status", params={"switch": switch})
        return parse_model(_SwitchStates, require_result(result, "switch/status"), "switch/status").switches

    async def ctrl(self, switch: int, action: SwitchAction, *, hold_timeout: int | None = None) -> None:
        """Control a switch. `hold_timeout` (s, the manual's `timeout`) applies to `hold` on
        firmware that supports it.

        The manual's `response=` parameter is deliberately not offered: it replaces the JSON reply
        with fixed text, which would hide the device's errors.
        """
        params = {"switch": switch, "action": action.value, "timeout": hold_timeout}
        await self._t.json("GET", "/api/switch/ctrl", params=params)
