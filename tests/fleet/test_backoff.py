"""The product's one back-off: exponential, with full jitter (a uniform draw in [0, cap])."""

from __future__ import annotations

import random

from entryphone.fleet.backoff import Backoff


def test_delays_are_full_jitter_below_a_doubling_cap() -> None:
    backoff = Backoff(base=1.0, ceiling=8.0, rng=random.Random(1))
    caps = []
    for _ in range(6):
        caps.append(backoff.cap())
        assert 0.0 <= backoff.next_delay() <= caps[-1]
    assert caps == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    backoff.reset()
    assert backoff.cap() == 1.0


def test_full_jitter_reaches_below_half_the_cap() -> None:
    """Equal jitter never waits less than cap / 2; full jitter spreads over the whole range."""
    rng = random.Random(7)
    draws = []
    for _ in range(200):
        backoff = Backoff(base=10.0, ceiling=10.0, rng=rng)
        draws.append(backoff.next_delay())
    assert min(draws) < 1.0 and max(draws) > 9.0
