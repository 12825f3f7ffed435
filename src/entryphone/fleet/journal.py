"""Storing device events exactly once and handing the new ones to their effects in the same
transaction: an event and what it caused are committed together, or neither is.

One transaction stores the pulls of many panels (see writer.py): one multi-row insert that skips
what is already stored and returns what was new, the effects on those rows (which look up what
they need for the whole batch at once, and only when an event can apply), one multi-row update of
the panels' last event times.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.db.base import utcnow
from entryphone.devices.models import DeviceEvent
from entryphone.fleet import repository


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """A journal row just inserted, as the effects see it (a plain value, no ORM identity)."""

    id: int
    intercom_id: int
    kind: str
    name: str
    occurred_at: datetime
    params: dict[str, Any]


@dataclass
class EffectContext:
    """What an effect may use besides the session: the process's services, the intercoms of the
    batch being stored, and facts looked up once per batch for all of them (`fact`, or
    `intercoms` for the usual ones)."""

    services: dict[str, Any]
    intercom_ids: frozenset[int] = frozenset()
    _facts: dict[str, Any] = field(default_factory=dict)

    async def fact(self, name: str, load: Callable[[], Awaitable[Any]]) -> Any:
        """`load()` once per batch: a lookup for every intercom of the batch instead of a query per
        event. The effect that relies on it keeps it true for the rest of the batch."""
        if name not in self._facts:
            self._facts[name] = await load()
        return self._facts[name]

    def known(self, name: str, value: Any) -> None:
        """A fact the storing statement returned anyway."""
        self._facts[name] = value

    async def intercoms(self, session: AsyncSession) -> dict[int, repository.IntercomFacts]:
        """Key collection and pending self-registrations of the batch's intercoms, one query."""
        facts: dict[int, repository.IntercomFacts] = await self.fact(
            "intercoms", lambda: repository.intercom_facts(session, sorted(self.intercom_ids))
        )
        return facts


Effect = Callable[[AsyncSession, EffectContext, StoredEvent], Awaitable[None]]


async def store(
    session: AsyncSession,
    batch: Sequence[tuple[int, Sequence[DeviceEvent]]],
    effects: Sequence[Effect],
    context: EffectContext,
) -> dict[int, list[StoredEvent]]:
    """Insert the events of every (intercom id, events) not yet stored and run every effect on each
    new one, oldest first. Returns the new events by intercom."""
    now = utcnow()
    rows = [
        {
            "intercom_id": intercom_id,
            "dedupe_key": event.key,
            "kind": event.kind.value,
            "name": event.name,
            "device_event_id": event.device_event_id,
            "occurred_at": event.occurred_at,
            "received_at": now,
            "params": _json_safe(event.params),
        }
        for intercom_id, events in batch
        for event in _unique(events)
    ]
    inserted, facts = await repository.store_events(session, rows)
    if facts is not None:
        context.known("intercoms", facts)
    stored = sorted(
        (
            StoredEvent(row.id, row.intercom_id, row.kind, row.name, row.occurred_at, row.params)
            for row in inserted
        ),
        key=lambda event: (event.occurred_at, event.id),
    )
    by_intercom: dict[int, list[StoredEvent]] = {}
    for event in stored:
        by_intercom.setdefault(event.intercom_id, []).append(event)
        for effect in effects:
            await effect(session, context, event)
    return by_intercom


def _unique(events: Sequence[DeviceEvent]) -> list[DeviceEvent]:
    """One batch may repeat a record (catch-up overlapping a live pull): keep the first."""
    seen: set[str] = set()
    unique: list[DeviceEvent] = []
    for event in events:
        if event.key not in seen:
            seen.add(event.key)
            unique.append(event)
    return unique


def _json_safe(params: dict[str, Any]) -> dict[str, Any]:
    def convert(value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): convert(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [convert(v) for v in value]
        if isinstance(value, datetime):
            return value.isoformat()
        if value is None or isinstance(value, str | int | float | bool):
            return value
        return str(value)

    return {str(key): convert(value) for key, value in params.items()}
