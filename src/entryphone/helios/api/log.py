"""/api/log/caps|subscribe|unsubscribe|pull (manual 5.23-5.26): the device's event log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field

from entryphone.helios.envelope import WireModel, parse_model, require_result
from entryphone.helios.transport import HeliosTransport

# The device may hold a pull for the whole wait; give the reply this long on top to arrive.
PULL_GRACE_SECONDS = 5.0
MAX_DURATION = 3600


class LogEvent(WireModel):
    id: int
    utc_time: int
    up_time: int
    tz_shift: int = 0  # absent before firmware 2.15
    event: str
    params: dict[str, Any] = Field(default_factory=dict)


class _Events(WireModel):
    events: list[LogEvent]


class _EventNames(WireModel):
    events: list[str]


class _Channel(WireModel):
    id: int


def include_param(include: Literal["new", "all"] | int) -> str:
    """`new`, `all`, or an int t > 0: the last t seconds of history (sent as `-t`)."""
    if isinstance(include, int):
        if include <= 0:
            raise ValueError("history window must be a positive number of seconds")
        return f"-{include}"
    return include


class LogApi:
    def __init__(self, transport: HeliosTransport) -> None:
        self._t = transport

    async def caps(self) -> list[str]:
        result = await self._t.json("GET", "/api/log/caps")
        return parse_model(_EventNames, require_result(result, "log/caps"), "log/caps").events

    async def subscribe(
        self,
        include: Literal["new", "all"] | int = "new",
        *,
        events: Sequence[str] | None = None,
        duration: int | None = None,
    ) -> int:
        """Open a channel; returns its id. `duration` (<= 3600 s) is extended by every pull."""
        if duration is not None and not 0 < duration <= MAX_DURATION:
            raise ValueError(f"duration must be in 1..{MAX_DURATION}")
        params = {
            "include": include_param(include),
            "filter": ",".join(events) if events else None,
            "duration": duration,
        }
        result = await self._t.json("GET", "/api/log/subscribe", params=params)
        return parse_model(_Channel, require_result(result, "log/subscribe"), "log/subscribe").id

    async def unsubscribe(self, channel: int) -> None:
        await self._t.json("GET", "/api/log/unsubscribe", params={"id": channel})

    async def pull(self, channel: int, wait: int = 0) -> list[LogEvent]:
        """Events queued on the channel; with `wait` > 0 (the manual's `timeout`, seconds) the
        device holds the reply until one arrives. An unknown or expired channel raises
        InvalidParameter (code 12)."""
        result = await self._t.json(
            "GET",
            "/api/log/pull",
            params={"id": channel, "timeout": wait},
            call_timeout=wait + max(PULL_GRACE_SECONDS, self._t.timeout),
        )
        return parse_model(_Events, require_result(result, "log/pull"), "log/pull").events
