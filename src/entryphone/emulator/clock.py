"""The panel's sense of time, injectable so tests can move it instead of waiting on it.

Every duration of the device's behaviour (long-poll timeouts, channel expiry, nonce lifetime,
switch fall-back, ring delay and timeout, restart downtime, the config delay, the audio test) is
measured on a Clock; `LoopClock`, the default, is the event loop's clock and the wall clock. Only
camera stream pacing stays on the real loop: it paces bytes on a socket, not device behaviour.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol


class Timer(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (uptime, deadlines)."""
        ...

    def time(self) -> float:
        """The wall clock, seconds since the epoch (utcTime, systemTime)."""
        ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer: ...


class LoopClock:
    """The running event loop's clock and the system's wall clock."""

    def monotonic(self) -> float:
        return asyncio.get_running_loop().time()

    def time(self) -> float:
        return time.time()

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        return asyncio.get_running_loop().call_later(delay, callback)


async def sleep(clock: Clock, delay: float) -> None:
    """asyncio.sleep on `clock`."""
    await wait(clock, asyncio.get_running_loop().create_future(), delay)


async def wait(clock: Clock, waiter: asyncio.Future[None], seconds: float) -> None:
    """Until `waiter` is done or `seconds` of `clock` have passed, whichever comes first."""

    def expire() -> None:
        if not waiter.done():
            waiter.set_result(None)

    timer = clock.call_later(seconds, expire)
    try:
        await waiter
    finally:
        timer.cancel()
