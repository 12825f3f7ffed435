"""The only place that builds SQL for intercom keys."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.models import Account, IntercomFlat, IntercomKey


async def get(session: AsyncSession, intercom_id: int, key_id: int) -> IntercomKey | None:
    result = await session.execute(
        select(IntercomKey).where(IntercomKey.id == key_id, IntercomKey.intercom_id == intercom_id)
    )
    return result.scalar_one_or_none()


async def by_values(
    session: AsyncSession, intercom_id: int, values: Collection[str]
) -> dict[str, IntercomKey]:
    if not values:
        return {}
    result = await session.execute(
        select(IntercomKey).where(IntercomKey.intercom_id == intercom_id, IntercomKey.value.in_(list(values)))
    )
    return {key.value: key for key in result.scalars()}


async def by_ids(session: AsyncSession, intercom_id: int, ids: Collection[int]) -> dict[int, IntercomKey]:
    if not ids:
        return {}
    result = await session.execute(
        select(IntercomKey).where(IntercomKey.intercom_id == intercom_id, IntercomKey.id.in_(list(ids)))
    )
    return {key.id: key for key in result.scalars()}


async def delete_ids(session: AsyncSession, ids: Collection[int]) -> None:
    if ids:
        await session.execute(delete(IntercomKey).where(IntercomKey.id.in_(list(ids))))


async def of_flat(session: AsyncSession, flat_id: int) -> Sequence[IntercomKey]:
    result = await session.execute(select(IntercomKey).where(IntercomKey.flat_id == flat_id))
    return result.scalars().all()


def list_query(
    intercom_id: int,
    *,
    search: str | None = None,
    user_id: int | None = None,
    unbound_users: bool | None = None,
    unbound_flats: bool | None = None,
    intercom_flat_id: int | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    exclude_ids: Sequence[int] = (),
) -> Select[IntercomKey]:
    query = select(IntercomKey).where(IntercomKey.intercom_id == intercom_id)
    if search:
        pattern = f"%{search.lower()}%"
        users = select(Account.id).where(
            or_(func.lower(Account.name).like(pattern), func.lower(Account.login).like(pattern))
        )
        query = query.where(
            or_(func.lower(IntercomKey.value).like(pattern), IntercomKey.account_id.in_(users))
        )
    if user_id is not None:
        query = query.where(IntercomKey.account_id == user_id)
    if unbound_users is True:
        query = query.where(IntercomKey.account_id.is_(None))
    if unbound_flats is True:
        query = query.where(IntercomKey.flat_id.is_(None))
    if intercom_flat_id is not None:
        query = query.where(IntercomKey.flat_id == intercom_flat_id)
    if created_from is not None:
        query = query.where(IntercomKey.created_at >= created_from)
    if created_to is not None:
        query = query.where(IntercomKey.created_at <= created_to)
    if exclude_ids:
        query = query.where(IntercomKey.id.not_in(list(exclude_ids)))
    return query.order_by(IntercomKey.id)


async def accounts(session: AsyncSession, ids: Collection[int]) -> dict[int, Account]:
    if not ids:
        return {}
    result = await session.execute(select(Account).where(Account.id.in_(list(ids))))
    return {account.id: account for account in result.scalars()}


async def flats(session: AsyncSession, ids: Collection[int]) -> dict[int, IntercomFlat]:
    if not ids:
        return {}
    result = await session.execute(select(IntercomFlat).where(IntercomFlat.id.in_(list(ids))))
    return {flat.id: flat for flat in result.scalars()}
