"""/api/call/status|dial|answer|hangup (manual 5.15-5.18)."""

from __future__ import annotations

from typing import Literal

from entryphone.helios.envelope import WireModel, parse_model, require_result
from entryphone.helios.transport import HeliosTransport

HangupReason = Literal["normal", "rejected", "busy"]


class CallSession(WireModel):
    session: int
    direction: Literal["incoming", "outgoing"]
    state: str


class _Sessions(WireModel):
    sessions: list[CallSession]


class _Dialled(WireModel):
    session: int


class CallApi:
    def __init__(self, transport: HeliosTransport) -> None:
        self._t = transport

    async def status(self, session: int | None = None) -> list[CallSession]:
        """Active calls; an empty list when the device is idle."""
        result = await self._t.json("GET", "/api/call/status", params={"session": session})
        return parse_model(_Sessions, require_result(result, "call/status"), "call/status").sessions

    async def dial(self, number: str) -> int:
        """Call a number or SIP URI; returns the call session id."""
        result = await self._t.json("GET", "/api/call/dial", params={"number": number})
        return parse_model(_Dialled, require_result(result, "call/dial"), "call/dial").session

    async def answer(self, session: int) -> None:
        await self._t.json("GET", "/api/call/answer", params={"session": session})

    async def hangup(self, session: int, reason: HangupReason | None = None) -> None:
        await self._t.json("GET", "/api/call/hangup", params={"session": session, "reason": reason})
