"""Open a door for a resident: record the request, hand it to the device layer, record the outcome.

The device layer is a `DoorOpener` the fleet registers in `context.services["door_opener"]`. Until
one is registered, or when it has no driver for the intercom's vendor, the request is recorded as
`no_driver` and refused with a Conflict: the door is never reported open when it was not.

The device call runs outside any transaction (it may take seconds). The request is written and
committed before the device is called, the outcome afterwards, each a single Core statement in a
short transaction of the caller's session: no write lock held while anything else runs. So the
record exists before the door can open, and survives a failure.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.db.base import utcnow
from entryphone.doors import repository
from entryphone.errors import Conflict, EntryphoneError
from entryphone.intercoms.connection import IntercomConnection
from entryphone.models.door_open import DoorOpenRequest

SERVICE_NAME = "door_opener"

PENDING = "pending"
OPENED = "opened"
FAILED = "failed"
NO_DRIVER = "no_driver"


class DoorOpener(Protocol):
    """What the fleet plugs in: opens the door of one intercom, raising DeviceError on failure."""

    def supports(self, vendor: str) -> bool: ...

    async def open_door(self, intercom: IntercomConnection) -> object:
        """`intercom` as the caller has just read it (live, the caller's to open)."""
        ...


async def open_door(
    session: AsyncSession,
    opener: DoorOpener | None,
    intercom: IntercomConnection,
    *,
    account_id: int,
    device_uuid: str | None,
) -> DoorOpenRequest:
    """`session`: the caller's; it is committed first (what it wrote must not wait on the device),
    then the request and its outcome are written through it, each committed at once. Raises
    Conflict (no driver, or the opener cannot reach this intercom) or DeviceError (the device
    failed); the request is recorded either way."""
    await session.commit()
    request = await repository.add(
        session,
        DoorOpenRequest(
            intercom_id=intercom.id, account_id=account_id, device_uuid=device_uuid, status=PENDING
        ),
    )
    await session.commit()
    if opener is None or not opener.supports(intercom.vendor):
        message = (
            f"No device driver is connected for vendor '{intercom.vendor}' yet; the door was not opened."
        )
        await _finish(session, request, NO_DRIVER, message)
        raise Conflict(message)
    try:
        await opener.open_door(intercom)
    except EntryphoneError as exc:  # Conflict (e.g. no device connection set) or DeviceError
        await _finish(session, request, FAILED, exc.message)
        raise
    await _finish(session, request, OPENED, None)
    return request


async def latest(session: AsyncSession, intercom_id: int) -> DoorOpenRequest | None:
    """The intercom's most recent door-open request (door-open history, tests)."""
    return await repository.latest(session, intercom_id)


async def _finish(session: AsyncSession, request: DoorOpenRequest, status: str, error: str | None) -> None:
    now = utcnow()
    await repository.finish(session, request.id, status, error[:255] if error else None, now)
    await session.commit()
    request.status = status
    request.error = error
    request.finished_at = now
