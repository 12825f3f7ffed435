"""The only SQL of the residents' view of intercoms."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Select, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.intercoms.repository import DELETED
from entryphone.models import Camera, FlatResident, Intercom, IntercomFlat
from entryphone.models.device_schedule import DeviceSchedule
from entryphone.models.resident_device import ResidentDevice
from entryphone.models.resident_intercom import ResidentIntercom


def _attached_intercom_ids(account_id: int) -> Select[int]:
    return (
        select(IntercomFlat.intercom_id)
        .join(FlatResident, FlatResident.flat_id == IntercomFlat.id)
        .where(FlatResident.account_id == account_id)
    )


def _registered_intercom_ids(account_id: int) -> Select[int]:
    return select(ResidentIntercom.intercom_id).where(
        ResidentIntercom.account_id == account_id, ResidentIntercom.registration_status.is_not(None)
    )


def visible_query(account_id: int, ids: Collection[int] | None = None) -> Select[Intercom]:
    """Live intercoms the resident is attached to through a flat, or registered themselves."""
    query = select(Intercom).where(
        Intercom.status != DELETED,
        or_(
            Intercom.id.in_(_attached_intercom_ids(account_id)),
            Intercom.id.in_(_registered_intercom_ids(account_id)),
        ),
    )
    if ids is not None:
        query = query.where(Intercom.id.in_(list(ids)))
    return query.order_by(Intercom.id)


async def visible(session: AsyncSession, account_id: int, ids: Collection[int]) -> list[Intercom]:
    return list((await session.execute(visible_query(account_id, ids))).scalars())


async def memberships(
    session: AsyncSession, account_id: int, intercom_ids: Collection[int]
) -> dict[int, list[tuple[FlatResident, IntercomFlat]]]:
    """intercom id -> the resident's flats on it (with their permissions), lowest flat first."""
    if not intercom_ids:
        return {}
    rows = await session.execute(
        select(FlatResident, IntercomFlat)
        .join(IntercomFlat, FlatResident.flat_id == IntercomFlat.id)
        .where(FlatResident.account_id == account_id, IntercomFlat.intercom_id.in_(list(intercom_ids)))
        .order_by(IntercomFlat.flat)
    )
    found: dict[int, list[tuple[FlatResident, IntercomFlat]]] = {}
    for resident, flat in rows.all():
        found.setdefault(flat.intercom_id, []).append((resident, flat))
    return found


async def own_rows(
    session: AsyncSession, account_id: int, intercom_ids: Collection[int], *, for_update: bool = False
) -> dict[int, ResidentIntercom]:
    if not intercom_ids:
        return {}
    query = select(ResidentIntercom).where(
        ResidentIntercom.account_id == account_id, ResidentIntercom.intercom_id.in_(list(intercom_ids))
    )
    if for_update:
        query = query.with_for_update()
    return {row.intercom_id: row for row in (await session.execute(query)).scalars()}


async def schedules(
    session: AsyncSession, account_id: int, intercom_ids: Collection[int], device: str
) -> dict[int, DeviceSchedule]:
    if not intercom_ids:
        return {}
    rows = await session.execute(
        select(DeviceSchedule).where(
            DeviceSchedule.account_id == account_id,
            DeviceSchedule.device_uuid == device,
            DeviceSchedule.intercom_id.in_(list(intercom_ids)),
        )
    )
    return {row.intercom_id: row for row in rows.scalars()}


async def schedules_of_intercom(
    session: AsyncSession, intercom_id: int, account_ids: Collection[int]
) -> list[DeviceSchedule]:
    if not account_ids:
        return []
    rows = await session.execute(
        select(DeviceSchedule).where(
            DeviceSchedule.intercom_id == intercom_id, DeviceSchedule.account_id.in_(list(account_ids))
        )
    )
    return list(rows.scalars())


async def cameras(session: AsyncSession, camera_ids: Collection[int]) -> dict[int, Camera]:
    if not camera_ids:
        return {}
    rows = await session.execute(select(Camera).where(Camera.id.in_(list(camera_ids))))
    return {camera.id: camera for camera in rows.scalars()}


async def get_device(session: AsyncSession, account_id: int, uuid: str) -> ResidentDevice | None:
    result = await session.execute(
        select(ResidentDevice).where(ResidentDevice.account_id == account_id, ResidentDevice.uuid == uuid)
    )
    return result.scalar_one_or_none()


async def devices_of(session: AsyncSession, account_ids: Collection[int]) -> dict[int, list[str]]:
    """account id -> its device ids, in the order they were first seen."""
    if not account_ids:
        return {}
    rows = await session.execute(
        select(ResidentDevice.account_id, ResidentDevice.uuid)
        .where(ResidentDevice.account_id.in_(list(account_ids)))
        .order_by(ResidentDevice.id)
    )
    found: dict[int, list[str]] = {}
    for account_id, uuid in rows.all():
        found.setdefault(account_id, []).append(uuid)
    return found


async def touch_device(session: AsyncSession, device: ResidentDevice, now: datetime) -> None:
    device.last_seen_at = now
    await session.flush()


async def forget(session: AsyncSession, account_id: int, intercom_ids: Sequence[int]) -> None:
    """Drop the resident's own rows (title, registration, per-device schedules) for these intercoms."""
    ids = list(intercom_ids)
    await session.execute(
        delete(ResidentIntercom).where(
            ResidentIntercom.account_id == account_id, ResidentIntercom.intercom_id.in_(ids)
        )
    )
    await session.execute(
        delete(DeviceSchedule).where(
            DeviceSchedule.account_id == account_id, DeviceSchedule.intercom_id.in_(ids)
        )
    )
