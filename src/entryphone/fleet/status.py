"""What the platform knows about an intercom's device, for admins: online state, last error, last
key sync, who watches it, what it is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.fleet import repository
from entryphone.models import Intercom


@dataclass(frozen=True)
class DeviceStatus:
    is_online: bool
    last_seen_at: datetime | None
    last_event_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    sync_status: str | None
    sync_message: str | None
    synced_at: datetime | None
    watched_by: str | None
    device_info: dict[str, Any] | None
    sip_sync_status: str | None = None
    sip_sync_message: str | None = None
    sip_synced_at: datetime | None = None


async def device_status(session: AsyncSession, intercom: Intercom) -> DeviceStatus:
    state = await repository.get_device_state(session, intercom.id)
    owners = await repository.lease_owners(session, [intercom.id])
    return DeviceStatus(
        is_online=intercom.is_online,
        last_seen_at=intercom.last_seen_at,
        last_event_at=state.last_event_at if state else None,
        last_error=state.last_error if state else None,
        last_error_at=state.last_error_at if state else None,
        sync_status=state.sync_status if state else None,
        sync_message=state.sync_message if state else None,
        synced_at=state.synced_at if state else None,
        watched_by=owners.get(intercom.id),
        device_info=intercom.device_info,
        sip_sync_status=state.sip_sync_status if state else None,
        sip_sync_message=state.sip_sync_message if state else None,
        sip_synced_at=state.sip_synced_at if state else None,
    )


# The journal, alerts and door-open history as stored (no rule applies to reading them): the
# repository's, offered here so that routes call services only.
journal_query = repository.journal_query
alerts_query = repository.alerts_query
acknowledge_alert = repository.acknowledge_alert
door_history = repository.door_history
