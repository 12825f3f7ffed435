"""The only place that builds SQL for door codes."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.models import IntercomCode


async def code_taken(session: AsyncSession, intercom_id: int, code: str) -> bool:
    result = await session.execute(
        select(IntercomCode.id).where(IntercomCode.intercom_id == intercom_id, IntercomCode.code == code)
    )
    return result.first() is not None


async def find(session: AsyncSession, intercom_id: int, code: str) -> IntercomCode | None:
    result = await session.execute(
        select(IntercomCode).where(IntercomCode.intercom_id == intercom_id, IntercomCode.code == code)
    )
    return result.scalar_one_or_none()


async def existing_ids(session: AsyncSession, intercom_id: int, ids: Collection[int]) -> set[int]:
    result = await session.execute(
        select(IntercomCode.id).where(IntercomCode.intercom_id == intercom_id, IntercomCode.id.in_(list(ids)))
    )
    return {int(value) for value in result.scalars()}


async def delete_ids(session: AsyncSession, ids: Collection[int]) -> None:
    if ids:
        await session.execute(delete(IntercomCode).where(IntercomCode.id.in_(list(ids))))


async def delete_of_intercom(session: AsyncSession, intercom_id: int) -> None:
    await session.execute(delete(IntercomCode).where(IntercomCode.intercom_id == intercom_id))


async def delete_due(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(delete(IntercomCode).where(IntercomCode.will_deleted_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)


def list_query(
    *,
    intercom_id: int | None = None,
    flat_id: int | None = None,
    account_id: int | None = None,
    intercom_ids: Sequence[int] | None = None,
) -> Select[IntercomCode]:
    """Codes filtered by intercom, flat, creator or a set of intercoms; newest first."""
    query = select(IntercomCode)
    if intercom_id is not None:
        query = query.where(IntercomCode.intercom_id == intercom_id)
    if flat_id is not None:
        query = query.where(IntercomCode.flat_id == flat_id)
    if account_id is not None:
        query = query.where(IntercomCode.account_id == account_id)
    if intercom_ids is not None:
        query = query.where(IntercomCode.intercom_id.in_(list(intercom_ids)))
    return query.order_by(IntercomCode.id.desc())
