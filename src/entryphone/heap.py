"""Short garbage-collection pauses in processes that hold a whole fleet.

A supervisor or an emulator of thousands of panels keeps millions of long-lived objects (workers,
drivers, connections, event logs) and, at any moment, one long-poll in flight per panel for up to
`EVENT_PULL_WAIT` seconds. With CPython's default settings a full collection scanned all of it every
few seconds and stopped the process for as long as it took (docs/benchmarks.md, bench/fleet.py):
every panel's events waited that long. Two measures, both needed:

- `gc.freeze()` once the population served has grown (`HeapSettler`): the objects alive then are
  moved out of the collector's sight, so later collections scan only what came after. A frozen
  object that later becomes part of unreachable cycles is never collected, so the heap is frozen
  only on a new high of the population (or once it has stopped growing), never on a timer: what can
  be kept by mistake is bounded by the heap at the highest population, not by the process's age.
  (Frozen objects that die without cycles are freed as usual, by reference counting.)
- Rare full collections (`tune_collector`): the in-flight long-polls live long enough to reach the
  oldest generation, and after a freeze CPython's rule of thumb (a full collection once survivors
  reach a quarter of the unfrozen old generation) made full collections of them nearly continuous.
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger(__name__)

# Young and middle generations as CPython sets them (each collection scans a few thousand objects).
# A full collection after 10,000 middle ones instead of 10, i.e. some minutes for a busy
# supervisor: each still scans every in-flight long-poll, so it must be rare, and the cyclic
# garbage it frees is small.
YOUNG_THRESHOLD = 700
MIDDLE_THRESHOLD = 10
OLD_THRESHOLD = 10_000

GROWTH = 0.1  # freeze again when the population grew by a tenth since the last freeze
MINIMUM_STEP = 50  # ... and by at least this many (a small fleet never refreezes for one panel)
STEADY_SECONDS = 30.0  # or when it grew at all and has not changed for this long


def tune_collector() -> None:
    """Full collections rarely; for processes that hold a fleet (supervisor, emulator)."""
    gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD)


class HeapSettler:
    """Call `observe(population)` from time to time (a supervisor tick, an emulator's timer)."""

    def __init__(
        self,
        growth: float = GROWTH,
        minimum_step: int = MINIMUM_STEP,
        steady_seconds: float = STEADY_SECONDS,
    ) -> None:
        self.growth = growth
        self.minimum_step = minimum_step
        self.steady_seconds = steady_seconds
        self.frozen_at = 0
        self.freezes = 0
        self._last_population = 0
        self._unchanged_since = time.monotonic()

    def observe(self, population: int, now: float | None = None) -> bool:
        """Freeze the heap if `population` is a new high by enough, or a new high that has held
        for `steady_seconds` (what connecting panels build comes after they count as online);
        whether it froze."""
        now = time.monotonic() if now is None else now
        if population != self._last_population:
            self._last_population, self._unchanged_since = population, now
        grown = max(self.frozen_at * (1 + self.growth), self.frozen_at + self.minimum_step)
        settled = population > self.frozen_at and now - self._unchanged_since >= self.steady_seconds
        if population < grown and not settled:
            return False
        # No collection first: it would be a full one over everything since the last freeze, in the
        # middle of the load, while freezing is a list splice. The price is the cyclic garbage of
        # this instant frozen with the rest (what full collections free here), once per new high.
        gc.freeze()
        self.frozen_at = population
        self.freezes += 1
        log.debug("heap frozen at a population of %d (%d objects)", population, gc.get_freeze_count())
        return True
