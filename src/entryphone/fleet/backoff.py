"""Exponential back-off with full jitter, so a fleet that lost its network does not reconnect in step.

The one back-off of the product (supervisor reconnects, webhook retries). "Full jitter" as AWS's
architecture blog defines it: attempt n waits a uniform random time in [0, min(ceiling, base * 2**n)].
"""

from __future__ import annotations

import random

MAX_EXPONENT = 32  # 2**32 times any base is past every ceiling: stop counting there


class Backoff:
    def __init__(self, base: float = 0.5, ceiling: float = 60.0, rng: random.Random | None = None) -> None:
        if base < 0 or ceiling < 0:
            raise ValueError("base and ceiling must not be negative")
        self.base = base
        self.ceiling = ceiling
        self.attempts = 0
        self._rng = rng or random.Random()

    def cap(self) -> float:
        """The longest the next delay may be."""
        return float(min(self.ceiling, self.base * (2**self.attempts)))

    def next_delay(self) -> float:
        cap = self.cap()
        self.attempts = min(self.attempts + 1, MAX_EXPONENT)
        return self._rng.uniform(0.0, cap)

    def reset(self) -> None:
        self.attempts = 0
