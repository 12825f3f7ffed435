"""Storing device events exactly once and handing the new ones to their effects in the same
transaction: an event and what it caused are committed together, or neither is."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.db.base import utcnow
from entryphone.devices.models import DeviceEvent
from entryphone.fleet import repository
from entryphone.models import Intercom
from entryphone.models.device_event import DeviceEventRecord

AfterCommit = Callable[[], Awaitable[None]]


@dataclass
class EffectContext:
    """What an effect may use besides the session: actions to run once the transaction committed
    (pushes, device commands), so nothing is announced that was rolled back."""

    services: dict[str, Any]
    after_commit: list[AfterCommit] = field(default_factory=list)

    def later(self, action: AfterCommit) -> None:
        self.after_commit.append(action)


Effect = Callable[[AsyncSession, EffectContext, Intercom, DeviceEventRecord], Awaitable[None]]


async def store(
    session: AsyncSession,
    intercom: Intercom,
    events: Sequence[DeviceEvent],
    effects: Sequence[Effect],
    context: EffectContext,
) -> list[DeviceEventRecord]:
    """Insert the events not yet stored and run every effect on each new one, oldest first."""
    now = utcnow()
    rows = [
        {
            "intercom_id": intercom.id,
            "dedupe_key": event.key,
            "kind": event.kind.value,
            "name": event.name,
            "device_event_id": event.device_event_id,
            "occurred_at": event.occurred_at,
            "received_at": now,
            "params": _json_safe(event.params),
        }
        for event in _unique(events)
    ]
    stored = await repository.insert_events(session, rows)
    if not stored:
        return []
    for record in stored:
        for effect in effects:
            await effect(session, context, intercom, record)
    latest = max(record.occurred_at for record in stored)
    await repository.upsert_device_state(session, intercom.id, last_event_at=latest)
    return stored


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
