"""Desired-state sync of keys and codes: what the database holds for an intercom is made exactly
what the platform has on the device (records others created there are left alone)."""

from __future__ import annotations

import logging

from entryphone.context import AppContext
from entryphone.db.base import utcnow
from entryphone.devices.capabilities import Capability
from entryphone.devices.errors import CapabilityMissing, DriverError
from entryphone.devices.models import Code, Key, KeySyncReport
from entryphone.fleet import background, repository
from entryphone.fleet.access import DeviceAccess
from entryphone.fleet.announce import announce
from entryphone.intercoms import service as intercoms
from entryphone.models import Intercom, IntercomCode, IntercomKey
from entryphone.pushes import PushEvent

log = logging.getLogger(__name__)

OK = "ok"
ERROR = "error"


def neutral_keys(keys: list[IntercomKey], codes: list[IntercomCode]) -> tuple[list[Key], list[Code]]:
    """Platform records -> the driver's neutral models; ids are prefixed so keys and codes never clash."""
    return (
        [Key(id=f"key-{key.id}", uid=key.value, label=f"entryphone key {key.id}") for key in keys],
        [
            Code(id=f"code-{code.id}", code=code.code, label=code.title or None, valid_to=code.expired_at)
            for code in codes
        ],
    )


async def ensure_syncable(access: DeviceAccess, intercom: Intercom) -> None:
    """Refuse at once (DeviceCannot, 409) what cannot work: no driver, no device connection, or a
    panel without a key store (2N firmware without the directory)."""
    info = await access.driver(intercom).info()
    if Capability.KEYS not in info.capabilities:
        reason = info.unavailable.get(Capability.KEYS, "the panel has no key store")
        raise CapabilityMissing(Capability.KEYS, reason)


async def sync_intercom(context: AppContext, access: DeviceAccess, intercom_id: int) -> KeySyncReport:
    """Full sync of one intercom; records the outcome as the intercom's last sync status.
    Raises the driver's error (DeviceCannot for a device without a directory) after recording it."""
    async with context.sessions() as session:
        intercom = await intercoms.get_live(session, intercom_id)
        keys, codes = await repository.desired_keys(session, intercom_id)
    driver = access.driver(intercom)
    neutral = neutral_keys(keys, codes)
    try:
        report = await driver.sync_keys(*neutral)
    except DriverError as exc:
        await _record(context, intercom_id, ERROR, exc.message, None)
        raise
    message = (
        f"{len(neutral[0])} keys and {len(neutral[1])} codes: created {report.created}, "
        f"updated {report.updated}, deleted {report.deleted}, unchanged {report.unchanged}, "
        f"failed {len(report.failed)}"
    )
    cursor = report.cursor.model_dump() if report.cursor else None
    await _record(context, intercom_id, OK if report.ok else ERROR, message, cursor)
    return report


async def _record(
    context: AppContext, intercom_id: int, status: str, message: str, cursor: dict[str, object] | None
) -> None:
    async with context.sessions() as session, session.begin():
        await repository.upsert_device_state(
            session,
            intercom_id,
            sync_status=status,
            sync_message=message[:2000],
            synced_at=utcnow(),
            sync_cursor=cursor,
        )
    data = {"intercom_id": intercom_id, "status": status, "message": message}
    announce(context.services, PushEvent.intercom_sync_keys, data)


def schedule_sync(context: AppContext, access: DeviceAccess, intercom_id: int) -> None:
    """Sync in the background (the admin's request answers 204 at once); the outcome, good or bad,
    is recorded as the intercom's last sync status."""
    background.spawn(f"intercom {intercom_id}: key sync", lambda: sync_intercom(context, access, intercom_id))
