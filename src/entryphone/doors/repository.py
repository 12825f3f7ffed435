"""The only SQL of door-open requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.models.door_open import DoorOpenRequest


async def add(session: AsyncSession, request: DoorOpenRequest) -> DoorOpenRequest:
    session.add(request)
    await session.flush()
    return request


async def finish(
    session: AsyncSession, request_id: int, status: str, error: str | None, at: datetime
) -> None:
    await session.execute(
        update(DoorOpenRequest)
        .where(DoorOpenRequest.id == request_id)
        .values(status=status, error=error, finished_at=at)
    )


async def latest(session: AsyncSession, intercom_id: int) -> DoorOpenRequest | None:
    result = await session.execute(
        select(DoorOpenRequest)
        .where(DoorOpenRequest.intercom_id == intercom_id)
        .order_by(DoorOpenRequest.id.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()
