"""The only place that builds SQL for intercoms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.db.locking import lock_row
from entryphone.intercoms.connection import COLUMNS, ConnectionRow
from entryphone.models import Intercom, IntercomKey

DELETED = "deleted"


_BY_ID = select(Intercom).where(Intercom.id == bindparam("id"))
_KEY_COUNTS = (
    select(IntercomKey.intercom_id, func.count())
    .where(IntercomKey.intercom_id.in_(bindparam("ids", expanding=True)))
    .group_by(IntercomKey.intercom_id)
)


async def get(session: AsyncSession, intercom_id: int, *, for_update: bool = False) -> Intercom | None:
    query = _BY_ID
    if for_update:
        await lock_row(session, Intercom, intercom_id)
        # populate_existing: a copy already in the session is refreshed with what the lock protects.
        query = query.execution_options(populate_existing=True)
    return (await session.execute(query, {"id": intercom_id})).scalar_one_or_none()


_LIVE_CONNECTION = select(*COLUMNS).where(Intercom.id == bindparam("id"), Intercom.status != DELETED)


async def live_connection(session: AsyncSession, intercom_id: int) -> ConnectionRow | None:
    """How to reach a live intercom's device: its connection columns, not the whole record."""
    row = (await session.execute(_LIVE_CONNECTION, {"id": intercom_id})).first()
    return ConnectionRow.of(row) if row is not None else None


async def live_with_mac(session: AsyncSession, mac: str, exclude_id: int | None) -> Intercom | None:
    query = select(Intercom).where(Intercom.mac == mac, Intercom.status != DELETED)
    if exclude_id is not None:
        query = query.where(Intercom.id != exclude_id)
    return (await session.execute(query.limit(1))).scalar_one_or_none()


async def live_with_serial(
    session: AsyncSession, vendor: str, serial_number: str, exclude_id: int | None
) -> Intercom | None:
    query = select(Intercom).where(
        Intercom.vendor == vendor, Intercom.serial_number == serial_number, Intercom.status != DELETED
    )
    if exclude_id is not None:
        query = query.where(Intercom.id != exclude_id)
    return (await session.execute(query.limit(1))).scalar_one_or_none()


async def live_with_camera(session: AsyncSession, camera_id: int, exclude_id: int | None) -> Intercom | None:
    query = select(Intercom).where(Intercom.camera_id == camera_id, Intercom.status != DELETED)
    if exclude_id is not None:
        query = query.where(Intercom.id != exclude_id)
    return (await session.execute(query.limit(1))).scalar_one_or_none()


async def live_matrices_in_group(
    session: AsyncSession, group_id: int, exclude_id: int | None
) -> Sequence[tuple[int, str, list[Any] | None]]:
    query = select(Intercom.id, Intercom.title, Intercom.matrix).where(
        Intercom.group_id == group_id, Intercom.status != DELETED, Intercom.matrix.is_not(None)
    )
    if exclude_id is not None:
        query = query.where(Intercom.id != exclude_id)
    return [(row.id, row.title, row.matrix) for row in await session.execute(query)]


def list_query(
    *,
    search: str | None,
    group_id: int | None,
    vendor: str | None,
    status: str | None,
    is_online: bool | None,
    mac: str | None = None,
) -> Select[Intercom]:
    """Live intercoms (or deleted ones when status=deleted), newest id last."""
    query = select(Intercom)
    query = query.where(Intercom.status == status) if status else query.where(Intercom.status != DELETED)
    if search:
        pattern = f"%{search.lower()}%"
        conditions: list[ColumnElement[bool]] = [
            func.lower(Intercom.title).like(pattern),
            func.lower(Intercom.address).like(pattern),
            func.lower(Intercom.mac).like(pattern),
        ]
        if mac:
            conditions.append(Intercom.mac == mac)
        query = query.where(or_(*conditions))
    if group_id is not None:
        query = query.where(Intercom.group_id == group_id)
    if vendor:
        query = query.where(Intercom.vendor == vendor)
    if is_online is not None:
        query = query.where(Intercom.is_online == is_online)
    return query.order_by(Intercom.id)


async def key_counts(session: AsyncSession, intercom_ids: Sequence[int]) -> dict[int, int]:
    if not intercom_ids:
        return {}
    rows = await session.execute(_KEY_COUNTS, {"ids": list(intercom_ids)})
    return {int(intercom_id): int(count) for intercom_id, count in rows.all()}


async def with_external_id(
    session: AsyncSession, external_id: str, exclude_id: int | None
) -> Intercom | None:
    query = select(Intercom).where(Intercom.external_id == external_id)
    if exclude_id is not None:
        query = query.where(Intercom.id != exclude_id)
    return (await session.execute(query.limit(1))).scalar_one_or_none()
