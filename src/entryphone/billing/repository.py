"""The only place that builds SQL for billing lookups: intercoms by the keys an external system knows.

Deleted intercoms are found too, so the service can tell "never heard of it" from "deleted".
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, case, select
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.intercoms import repository as intercoms_repository
from entryphone.models import FlatResident, Intercom, IntercomFlat

DELETED = "deleted"


async def by_id(session: AsyncSession, intercom_id: int, *, lock: bool) -> Intercom | None:
    """Deleted ones included; `lock`: concurrent changes of one intercom queue up here instead of
    overwriting each other."""
    return await intercoms_repository.get(session, intercom_id, for_update=lock)


async def by_mac(session: AsyncSession, mac: str, *, lock: bool) -> Intercom | None:
    """The live intercom with this (normalised) MAC, else the most recently deleted one."""
    return await _live_first(session, Intercom.mac == mac, lock=lock)


async def by_external_id(session: AsyncSession, external_id: str) -> Intercom | None:
    return await _live_first(session, Intercom.external_id == external_id, lock=False)


async def by_external_ids(session: AsyncSession, external_ids: Sequence[str]) -> dict[str, Intercom]:
    if not external_ids:
        return {}
    result = await session.execute(select(Intercom).where(Intercom.external_id.in_(external_ids)))
    return {row.external_id: row for row in result.scalars() if row.external_id is not None}


async def by_ids(session: AsyncSession, intercom_ids: Sequence[int]) -> dict[int, Intercom]:
    if not intercom_ids:
        return {}
    result = await session.execute(select(Intercom).where(Intercom.id.in_(intercom_ids)))
    return {row.id: row for row in result.scalars()}


async def attached_flats(
    session: AsyncSession, account_id: int, intercom_ids: Sequence[int]
) -> list[IntercomFlat]:
    """The flats of these intercoms the account is attached to."""
    if not intercom_ids:
        return []
    result = await session.execute(
        select(IntercomFlat)
        .join(FlatResident, FlatResident.flat_id == IntercomFlat.id)
        .where(FlatResident.account_id == account_id, IntercomFlat.intercom_id.in_(intercom_ids))
        .order_by(IntercomFlat.intercom_id, IntercomFlat.flat)
    )
    return list(result.scalars())


async def _live_first(
    session: AsyncSession, condition: ColumnElement[bool], *, lock: bool
) -> Intercom | None:
    live_first = case((Intercom.status == DELETED, 1), else_=0)
    query = select(Intercom).where(condition).order_by(live_first, Intercom.id.desc()).limit(1)
    found = (await session.execute(query)).scalar_one_or_none()
    if found is None or not lock:
        return found
    # Lock by primary key: FOR UPDATE does not combine with ORDER BY ... LIMIT portably.
    return await by_id(session, found.id, lock=True)
