"""The only SQL of the residents' view of intercoms."""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.intercoms import connection
from entryphone.intercoms.connection import ConnectionRow
from entryphone.intercoms.repository import DELETED
from entryphone.models import Camera, FlatResident, Intercom, IntercomFlat
from entryphone.models.device_schedule import DeviceSchedule
from entryphone.models.resident_device import ResidentDevice
from entryphone.models.resident_intercom import ResidentIntercom


def _attached_intercom_ids(account_id: int | ColumnElement[int]) -> Select[int]:
    return (
        select(IntercomFlat.intercom_id)
        .join(FlatResident, FlatResident.flat_id == IntercomFlat.id)
        .where(FlatResident.account_id == account_id)
    )


def _registered_intercom_ids(account_id: int | ColumnElement[int]) -> Select[int]:
    return select(ResidentIntercom.intercom_id).where(
        ResidentIntercom.account_id == account_id, ResidentIntercom.registration_status.is_not(None)
    )


def _visible(account_id: int | ColumnElement[int]) -> Select[Intercom]:
    return select(Intercom).where(
        Intercom.status != DELETED,
        or_(
            Intercom.id.in_(_attached_intercom_ids(account_id)),
            Intercom.id.in_(_registered_intercom_ids(account_id)),
        ),
    )


def visible_query(account_id: int) -> Select[Intercom]:
    """Live intercoms the resident is attached to through a flat, or registered themselves."""
    return _visible(account_id).order_by(Intercom.id)


# Statements every client request runs, built once: building a select with IN lists costs
# SQLAlchemy about as much CPU as running it.
_ACCOUNT: BindParameter[int] = bindparam("account_id")
_IDS: BindParameter[int] = bindparam("ids", expanding=True)
_VISIBLE_AMONG = _visible(_ACCOUNT).where(Intercom.id.in_(_IDS)).order_by(Intercom.id)
_MEMBERSHIPS = (
    select(FlatResident, IntercomFlat)
    .join(IntercomFlat, FlatResident.flat_id == IntercomFlat.id)
    .where(FlatResident.account_id == _ACCOUNT, IntercomFlat.intercom_id.in_(_IDS))
    .order_by(IntercomFlat.flat)
)


def _attached_to(*columns: Any) -> Select[Any]:
    """`columns` of the live intercom `intercom_id` joined to each of `account_id`'s flats on it."""
    return (
        select(*columns)
        .join(IntercomFlat, IntercomFlat.intercom_id == Intercom.id)
        .join(FlatResident, FlatResident.flat_id == IntercomFlat.id)
        .where(
            FlatResident.account_id == _ACCOUNT,
            Intercom.id == bindparam("intercom_id"),
            Intercom.status != DELETED,
        )
    )


# The intercom with the resident's flats on it: a resident attached to a flat of a live intercom
# sees it and is confirmed on it, so one statement answers a door open's checks.
_ATTACHED_TO = _attached_to(Intercom, FlatResident, IntercomFlat).order_by(IntercomFlat.flat)


@functools.cache
def _permitted_connection(permission: str) -> Select[Any]:
    """The door-open path's one read: the intercom's connection if one of the resident's flats on
    it grants `permission` (a FlatResident flag). One statement per flag, built once."""
    return _attached_to(*connection.COLUMNS).where(getattr(FlatResident, permission).is_(True)).limit(1)


HomeRow = tuple[Intercom, ResidentIntercom | None, DeviceSchedule | None, Camera | None, bool, int]


def _home_screen() -> Select[Intercom, ResidentIntercom, DeviceSchedule, Camera, bool, int]:
    """One page of a resident's intercoms with everything the client object shows, in one
    statement: the intercom (its online state included), the resident's own row (title,
    registration), this phone's schedule, the camera, whether a flat attaches the resident, and the
    number of rows of all pages (a window count, so no second statement counts them)."""
    visible = union(_attached_intercom_ids(_ACCOUNT), _registered_intercom_ids(_ACCOUNT))
    return (
        select(
            Intercom,
            ResidentIntercom,
            DeviceSchedule,
            Camera,
            Intercom.id.in_(_attached_intercom_ids(_ACCOUNT)).label("attached"),
            func.count().over().label("total"),
        )
        .outerjoin(
            ResidentIntercom,
            and_(ResidentIntercom.intercom_id == Intercom.id, ResidentIntercom.account_id == _ACCOUNT),
        )
        .outerjoin(
            DeviceSchedule,
            and_(
                DeviceSchedule.intercom_id == Intercom.id,
                DeviceSchedule.account_id == _ACCOUNT,
                DeviceSchedule.device_uuid == bindparam("device"),
            ),
        )
        .outerjoin(Camera, Camera.id == Intercom.camera_id)
        .where(Intercom.status != DELETED, Intercom.id.in_(visible))
        .order_by(Intercom.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


# The residents' home screen (GET /api/v1/intercom) runs on every app launch: built once.
_HOME_SCREEN = _home_screen()
_VISIBLE_COUNT = select(func.count()).select_from(_visible(_ACCOUNT).subquery())


async def home_screen(
    session: AsyncSession, account_id: int, device: str, limit: int, offset: int
) -> tuple[list[HomeRow], int]:
    """Rows of (Intercom, ResidentIntercom | None, DeviceSchedule | None, Camera | None, attached,
    total) for one page, and the number of the resident's intercoms."""
    params = {"account_id": account_id, "device": device, "limit": limit, "offset": offset}
    result = await session.execute(_HOME_SCREEN, params)
    rows: list[HomeRow] = [
        (i, own, schedule, camera, bool(a), int(n)) for i, own, schedule, camera, a, n in result
    ]
    if rows:
        return rows, int(rows[0][5])
    # A page past the end has no row to carry the count: count alone (rare).
    return rows, int(await session.scalar(_VISIBLE_COUNT, {"account_id": account_id}) or 0)


_OWN_ROWS = select(ResidentIntercom).where(
    ResidentIntercom.account_id == _ACCOUNT, ResidentIntercom.intercom_id.in_(_IDS)
)
_SCHEDULES = select(DeviceSchedule).where(
    DeviceSchedule.account_id == _ACCOUNT,
    DeviceSchedule.device_uuid == bindparam("device"),
    DeviceSchedule.intercom_id.in_(_IDS),
)
_CAMERAS = select(Camera).where(Camera.id.in_(_IDS))
_DEVICE = select(ResidentDevice).where(
    ResidentDevice.account_id == _ACCOUNT, ResidentDevice.uuid == bindparam("uuid")
)
_DEVICE_SEEN = select(ResidentDevice.client, ResidentDevice.last_seen_at).where(
    ResidentDevice.account_id == _ACCOUNT, ResidentDevice.uuid == bindparam("uuid")
)
_DEVICES_OF = (
    select(ResidentDevice.account_id, ResidentDevice.uuid)
    .where(ResidentDevice.account_id.in_(_IDS))
    .order_by(ResidentDevice.id)
)


async def visible(session: AsyncSession, account_id: int, ids: Collection[int]) -> list[Intercom]:
    if not ids:
        return []
    rows = await session.execute(_VISIBLE_AMONG, {"account_id": account_id, "ids": list(ids)})
    return list(rows.scalars())


async def memberships(
    session: AsyncSession, account_id: int, intercom_ids: Collection[int]
) -> dict[int, list[tuple[FlatResident, IntercomFlat]]]:
    """intercom id -> the resident's flats on it (with their permissions), lowest flat first."""
    if not intercom_ids:
        return {}
    rows = await session.execute(_MEMBERSHIPS, {"account_id": account_id, "ids": list(intercom_ids)})
    found: dict[int, list[tuple[FlatResident, IntercomFlat]]] = {}
    for resident, flat in rows.all():
        found.setdefault(flat.intercom_id, []).append((resident, flat))
    return found


async def attached_to(
    session: AsyncSession, account_id: int, intercom_id: int
) -> list[tuple[Intercom, FlatResident, IntercomFlat]]:
    """The live intercom once per flat of the resident's on it, lowest flat first; [] if none."""
    rows = await session.execute(_ATTACHED_TO, {"account_id": account_id, "intercom_id": intercom_id})
    return [(intercom, resident, flat) for intercom, resident, flat in rows.all()]


async def permitted_connection(
    session: AsyncSession, account_id: int, intercom_id: int, permission: str
) -> ConnectionRow | None:
    """`attached_to` narrowed to a flat granting `permission`: the live intercom's connection, or
    None (not the resident's, or no flat of theirs grants it)."""
    result = await session.execute(
        _permitted_connection(permission), {"account_id": account_id, "intercom_id": intercom_id}
    )
    row = result.first()
    return ConnectionRow.of(row) if row is not None else None


async def own_rows(
    session: AsyncSession, account_id: int, intercom_ids: Collection[int], *, for_update: bool = False
) -> dict[int, ResidentIntercom]:
    if not intercom_ids:
        return {}
    query = _OWN_ROWS.with_for_update() if for_update else _OWN_ROWS
    rows = await session.execute(query, {"account_id": account_id, "ids": list(intercom_ids)})
    return {row.intercom_id: row for row in rows.scalars()}


async def schedules(
    session: AsyncSession, account_id: int, intercom_ids: Collection[int], device: str
) -> dict[int, DeviceSchedule]:
    if not intercom_ids:
        return {}
    rows = await session.execute(
        _SCHEDULES, {"account_id": account_id, "device": device, "ids": list(intercom_ids)}
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
    rows = await session.execute(_CAMERAS, {"ids": list(camera_ids)})
    return {camera.id: camera for camera in rows.scalars()}


async def get_device(session: AsyncSession, account_id: int, uuid: str) -> ResidentDevice | None:
    result = await session.execute(_DEVICE, {"account_id": account_id, "uuid": uuid})
    return result.scalar_one_or_none()


async def device_seen(
    session: AsyncSession, account_id: int, uuid: str
) -> tuple[str, datetime | None] | None:
    """The device's client kind and when it was last seen (two columns); None if unknown."""
    row = (await session.execute(_DEVICE_SEEN, {"account_id": account_id, "uuid": uuid})).first()
    return (row[0], row[1]) if row is not None else None


async def devices_of(session: AsyncSession, account_ids: Collection[int]) -> dict[int, list[str]]:
    """account id -> its device ids, in the order they were first seen."""
    if not account_ids:
        return {}
    rows = await session.execute(_DEVICES_OF, {"ids": list(account_ids)})
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
