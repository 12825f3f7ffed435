"""Exponential back-off with full jitter, so a fleet that lost its network does not reconnect in step."""

from __future__ import annotations

import random


class Backoff:
    def __init__(self, base: float = 0.5, ceiling: float = 60.0, rng: random.Random | None = None) -> None:
        self.base = base
        self.ceiling = ceiling
        self.attempts = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        cap = min(self.ceiling, self.base * (2**self.attempts))
        self.attempts = min(self.attempts + 1, 32)
        return self._rng.uniform(cap / 2, cap)

    def reset(self) -> None:
        self.attempts = 0
