"""The only SQL of door-open requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.db.base import utcnow
from entryphone.models.door_open import DoorOpenRequest

# Built once, every value bound at the call: each runs in a short transaction of its own.
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


async def add(session: AsyncSession, request: DoorOpenRequest) -> DoorOpenRequest:
    """Insert the request and give it its id."""
    request.requested_at = request.requested_at or utcnow()
    values = {
        "intercom_id": request.intercom_id,
        "account_id": request.account_id,
        "device_uuid": request.device_uuid,
        "status": request.status,
        "requested_at": request.requested_at,
    }
    request.id = int((await session.execute(_ADD, values)).scalar_one())
    return request


async def finish(
    session: AsyncSession, request_id: int, status: str, error: str | None, at: datetime
) -> None:
    """Record the outcome."""
    await session.execute(
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
