"""Open a door for a resident: record the request, hand it to the device layer, record the outcome.

The device layer is a `DoorOpener` the fleet registers in `context.services["door_opener"]`. Until
one is registered, or when it has no driver for the intercom's vendor, the request is recorded as
`no_driver` and refused with a Conflict: the door is never reported open when it was not.

The device call runs outside any transaction (it may take seconds): the command that opens a door
(`fleet/commands.py` `open_door_recorded`) owns its short transactions, one to record the request
before the device is called and one for the outcome afterwards; this service records them and
never commits. So the record exists before the door can open, and survives a failure.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.db.base import utcnow
from entryphone.doors import repository
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


async def record_request(
    session: AsyncSession, intercom: IntercomConnection, *, account_id: int, device_uuid: str | None
) -> DoorOpenRequest:
    """A pending door-open request for `intercom` (not committed)."""
    return await repository.add(
        session,
        DoorOpenRequest(
            intercom_id=intercom.id, account_id=account_id, device_uuid=device_uuid, status=PENDING
        ),
    )


def no_driver_message(vendor: str) -> str:
    return f"No device driver is connected for vendor '{vendor}' yet; the door was not opened."


async def latest(session: AsyncSession, intercom_id: int) -> DoorOpenRequest | None:
    """The intercom's most recent door-open request (door-open history, tests)."""
    return await repository.latest(session, intercom_id)


async def record_outcome(
    session: AsyncSession, request: DoorOpenRequest, status: str, error: str | None
) -> None:
    """The request's outcome (OPENED, FAILED or NO_DRIVER), on the row and on `request` (not
    committed)."""
    now = utcnow()
    await repository.finish(session, request.id, status, error[:255] if error else None, now)
    request.status = status
    request.error = error
    request.finished_at = now
