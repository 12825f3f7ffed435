"""What stored device events cause in the domain. Each effect runs in the transaction that stores
the event, so it happens exactly once."""

from __future__ import annotations

from entryphone.fleet.journal import Effect

EFFECTS: list[Effect] = []
