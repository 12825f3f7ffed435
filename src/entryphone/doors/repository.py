"""The only SQL of door-open requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.db.base import utcnow
from entryphone.db.row_writer import RowWriter
from entryphone.models.door_open import DoorOpenRequest

# Built once, every value bound at the call: both run on the direct write path (db/row_writer.py).
_ADD = (
    insert(DoorOpenRequest)
    .values(
        intercom_id=bindparam("intercom_id"),
        account_id=bindparam("account_id"),
        device_uuid=bindparam("device_uuid"),
        status=bindparam("status"),
        requested_at=bindparam("requested_at"),
    )
    .returning(DoorOpenRequest.id)
)
_FINISH = (
    update(DoorOpenRequest)
    .where(DoorOpenRequest.id == bindparam("request_id"))
    .values(status=bindparam("new_status"), error=bindparam("new_error"), finished_at=bindparam("at"))
)


async def add(writes: RowWriter, request: DoorOpenRequest) -> DoorOpenRequest:
    """Insert the request, committed at once, and give it its id."""
    request.requested_at = request.requested_at or utcnow()
    values = {
        "intercom_id": request.intercom_id,
        "account_id": request.account_id,
        "device_uuid": request.device_uuid,
        "status": request.status,
        "requested_at": request.requested_at,
    }
    row = await writes.write_one(_ADD, values)
    assert row is not None  # RETURNING always answers a row
    request.id = int(row[0])
    return request


async def finish(writes: RowWriter, request_id: int, status: str, error: str | None, at: datetime) -> None:
    """Record the outcome, committed at once."""
    await writes.write_one(
        _FINISH, {"request_id": request_id, "new_status": status, "new_error": error, "at": at}
    )


async def latest(session: AsyncSession, intercom_id: int) -> DoorOpenRequest | None:
    result = await session.execute(
        select(DoorOpenRequest)
        .where(DoorOpenRequest.intercom_id == intercom_id)
        .order_by(DoorOpenRequest.id.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()
