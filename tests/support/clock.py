"""A clock for emulated panels that moves only when the test moves it (entryphone.emulator.clock).

Tests of durations (long-poll timeouts, channel expiry, nonce lifetime, switch fall-back, ring
delay) advance it instead of sleeping against real deadlines, so they neither wait nor flake.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class _Timer:
    def __init__(self, due: float, callback: Callable[[], None]) -> None:
        self.due = due
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class ManualClock:
    def __init__(self, wall_start: float = 1_800_000_000.0) -> None:
        self._now = 0.0
        self._wall_start = wall_start
        self._timers: list[tuple[float, int, _Timer]] = []
        self._order = itertools.count()

    def monotonic(self) -> float:
        return self._now

    def time(self) -> float:
        return self._wall_start + self._now

    def call_later(self, delay: float, callback: Callable[[], None]) -> _Timer:
        timer = _Timer(self._now + max(delay, 0.0), callback)
        heapq.heappush(self._timers, (timer.due, next(self._order), timer))
        return timer

    def advance(self, seconds: float) -> None:
        """Move time forward, firing every timer due by then in order, each at its own time."""
        target = self._now + seconds
        while self._timers and self._timers[0][0] <= target:
            due, _, timer = heapq.heappop(self._timers)
            if not timer.cancelled:
                self._now = due
                timer.callback()
        self._now = target


async def until(check: Callable[[], T], message: str, polls: int = 10_000) -> T:
    """Until `check()` is true, yielding to the loop (I/O to the panel goes on meanwhile). Bounded
    by a number of polls so a failing test ends, never by a deadline it could race."""
    for _ in range(polls):
        if result := check():
            return result
        await asyncio.sleep(0.001)
    raise AssertionError(message)
