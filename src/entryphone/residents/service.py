"""Rules of the residents' view of intercoms. Never commits.

A resident sees the live intercoms of the flats they are attached to (by an admin, billing or their
own registration) and those they registered themselves (status key_confirmed until they pick a flat).
Anything else is NotFound, so "not yours" and "does not exist" read the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.db.base import utcnow
from entryphone.errors import NotFound, ValidationFailed
from entryphone.flats import repository as flats_repository
from entryphone.flats import service as flats
from entryphone.intercoms.connection import IntercomConnection
from entryphone.models import Camera, FlatResident, Intercom, IntercomFlat
from entryphone.models.device_schedule import DeviceSchedule
from entryphone.models.resident_device import ResidentDevice
from entryphone.models.resident_intercom import ResidentIntercom
from entryphone.residents import repository
from entryphone.schedule import rule
from entryphone.schedule.timetable import Timetable

CONFIRMED = "confirmed"
KEY_CONFIRMED = "key_confirmed"
MAX_SHOWS = 25
MAX_DELETE = 200
# Remembering when a device was last seen on every request would turn reads into writes.
DEVICE_TOUCH_INTERVAL_SECONDS = 300


@dataclass(frozen=True)
class IntercomView:
    """One intercom as one device of one resident sees it."""

    intercom: Intercom
    title: str
    status: str
    is_enabled: bool
    timetable: Timetable
    camera: Camera | None
    updated_at: datetime


@dataclass(frozen=True)
class Offer:
    """One device of one resident, offered a call from a flat: does it ring now?"""

    account_id: int
    device: str
    rings: bool


# -- devices -------------------------------------------------------------------------------------


async def remember_device(session: AsyncSession, account_id: int, uuid: str, client: str) -> ResidentDevice:
    """Record the phone or browser (X-UUID) a resident calls from: calls ring it, pushes reach it."""
    now = utcnow()
    device = await repository.get_device(session, account_id, uuid)
    if device is None:
        device = ResidentDevice(account_id=account_id, uuid=uuid, client=client, last_seen_at=now)
        try:
            async with session.begin_nested():
                session.add(device)
                await session.flush()
        except IntegrityError:  # the same phone's concurrent first request recorded it first
            raced = await repository.get_device(session, account_id, uuid)
            if raced is None:
                raise
            return raced
        return device
    if _device_due(device.client, device.last_seen_at, client, now):
        device.client = client
        await repository.touch_device(session, device, now)
    return device


async def device_is_current(session: AsyncSession, account_id: int, uuid: str, client: str) -> bool:
    """Whether `remember_device` would find nothing to write, in one cheap read (two columns, no
    ORM object) on every client request."""
    seen = await repository.device_seen(session, account_id, uuid)
    return seen is not None and not _device_due(seen[0], seen[1], client, utcnow())


def _device_due(seen_client: str, last_seen_at: datetime | None, client: str, now: datetime) -> bool:
    return (
        last_seen_at is None
        or (now - last_seen_at).total_seconds() > DEVICE_TOUCH_INTERVAL_SECONDS
        or seen_client != client
    )


# -- visibility ----------------------------------------------------------------------------------


def visible_query(account_id: int) -> Select[Intercom]:
    return repository.visible_query(account_id)


async def visible_ids(session: AsyncSession, account_id: int) -> list[int]:
    """The ids of the resident's intercoms, lowest first."""
    return [intercom.id for intercom in (await session.execute(visible_query(account_id))).scalars()]


async def get_visible(session: AsyncSession, account_id: int, intercom_id: int) -> Intercom:
    found = await repository.visible(session, account_id, [intercom_id])
    if not found:
        raise NotFound()
    return found[0]


async def visible_among(session: AsyncSession, account_id: int, ids: Sequence[int]) -> list[Intercom]:
    """The resident's intercoms among `ids` (others silently dropped), in the order of `ids`."""
    found = {intercom.id: intercom for intercom in await repository.visible(session, account_id, ids)}
    return [found[i] for i in dict.fromkeys(ids) if i in found]


async def require_all_visible(session: AsyncSession, account_id: int, ids: Sequence[int]) -> list[Intercom]:
    """Every id must be one of the resident's intercoms, else NotFound (never say which is whose)."""
    found = await visible_among(session, account_id, ids)
    if len(found) != len(set(ids)):
        raise NotFound()
    return found


async def status_of(session: AsyncSession, account_id: int, intercom_id: int) -> str:
    return (await _statuses(session, account_id, [intercom_id])).get(intercom_id, CONFIRMED)


async def require_confirmed(session: AsyncSession, account_id: int, intercom_id: int) -> Intercom:
    """The intercom, if it is the resident's and confirmed (attached to a flat); NotFound otherwise."""
    intercom = await get_visible(session, account_id, intercom_id)
    if await status_of(session, account_id, intercom_id) != CONFIRMED:
        raise NotFound()
    return intercom


async def flats_of(
    session: AsyncSession, account_id: int, intercom_id: int
) -> list[tuple[FlatResident, IntercomFlat]]:
    """The resident's flats on the intercom with their permissions, lowest number first."""
    return (await repository.memberships(session, account_id, [intercom_id])).get(intercom_id, [])


async def require_permitted(
    session: AsyncSession, account_id: int, intercom_id: int, permission: str
) -> tuple[Intercom, IntercomFlat]:
    """The intercom, if it is the resident's and confirmed (NotFound otherwise, as
    require_confirmed), and the first of their flats on it that grants `permission` (422 if none
    does). A resident attached to a flat of a live intercom sees it and is confirmed on it, so the
    usual case costs one statement."""
    attached = await repository.attached_to(session, account_id, intercom_id)
    if not attached:  # not visible, not confirmed (NotFound), or confirmed without a flat (422)
        await require_confirmed(session, account_id, intercom_id)
    for intercom, resident, flat in attached:
        if getattr(resident, permission):
            return intercom, flat
    raise ValidationFailed.one("intercom", "You are not allowed to do this on this intercom.")


async def require_permitted_connection(
    session: AsyncSession, account_id: int, intercom_id: int, permission: str
) -> IntercomConnection:
    """`require_permitted`'s intercom, as much of it as reaching its device needs, in one read; the
    full checks run only when that read finds nothing, to tell NotFound from 422."""
    found = await repository.permitted_connection(session, account_id, intercom_id, permission)
    if found is not None:
        return found
    intercom, _flat = await require_permitted(session, account_id, intercom_id, permission)
    return intercom  # granted after all: the read raced a change of the resident's flats


async def require_live_view(session: AsyncSession, account_id: int, intercom_id: int) -> None:
    """422 unless one of the resident's flats on the intercom may watch its camera live."""
    if not any(
        not resident.is_restricted_live
        for resident, _flat in await flats_of(session, account_id, intercom_id)
    ):
        raise ValidationFailed.one("intercom", "Live video of this intercom is restricted for you.")


async def _statuses(
    session: AsyncSession,
    account_id: int,
    intercom_ids: Sequence[int],
    own: dict[int, ResidentIntercom] | None = None,
) -> dict[int, str]:
    """`own`: the resident's own rows when the caller already has them (saves a query)."""
    attached = await repository.memberships(session, account_id, intercom_ids)
    if own is None:
        own = await repository.own_rows(session, account_id, intercom_ids)
    statuses: dict[int, str] = {}
    for intercom_id in intercom_ids:
        row = own.get(intercom_id)
        if intercom_id in attached:
            statuses[intercom_id] = CONFIRMED
        elif row is not None and row.registration_status is not None:
            statuses[intercom_id] = row.registration_status
    return statuses


# -- views and updates ---------------------------------------------------------------------------


async def views(
    session: AsyncSession, account_id: int, device: str, intercoms: Sequence[Intercom]
) -> list[IntercomView]:
    ids = [intercom.id for intercom in intercoms]
    own = await repository.own_rows(session, account_id, ids)
    device_schedules = await repository.schedules(session, account_id, ids, device)
    statuses = await _statuses(session, account_id, ids, own)
    cameras = await repository.cameras(session, {i.camera_id for i in intercoms if i.camera_id is not None})
    return [
        _view(
            intercom,
            own.get(intercom.id),
            device_schedules.get(intercom.id),
            cameras.get(intercom.camera_id) if intercom.camera_id is not None else None,
            statuses.get(intercom.id, CONFIRMED),
        )
        for intercom in intercoms
    ]


async def home_screen(
    session: AsyncSession, account_id: int, device: str, limit: int, offset: int
) -> tuple[list[IntercomView], int]:
    """One page of the resident's intercoms as `device` sees them, and how many there are in all:
    one statement (GET /api/v1/intercom, every app launch)."""
    rows, total = await repository.home_screen(session, account_id, device, limit, offset)
    result = []
    for intercom, row, schedule, camera, attached, _total in rows:
        if attached or row is None or row.registration_status is None:
            status = CONFIRMED
        else:
            status = row.registration_status
        result.append(_view(intercom, row, schedule, camera, status))
    return result, total


def _view(
    intercom: Intercom,
    row: ResidentIntercom | None,
    schedule: DeviceSchedule | None,
    camera: Camera | None,
    status: str,
) -> IntercomView:
    stamps = [intercom.updated_at] + [r.updated_at for r in (row, schedule) if r is not None]
    return IntercomView(
        intercom=intercom,
        title=row.title if row is not None and row.title else intercom.title,
        status=status,
        is_enabled=schedule.is_enabled if schedule is not None else True,
        timetable=Timetable.from_json(schedule.timetable if schedule is not None else None),
        camera=camera,
        updated_at=max(stamp for stamp in stamps if stamp is not None),
    )


async def update(
    session: AsyncSession,
    account_id: int,
    device: str,
    intercom: Intercom,
    *,
    title: str | None = None,
    is_enabled: bool | None = None,
    timetable: Timetable | None = None,
    clear_timetable: bool = False,
    reset_title: bool = False,
) -> None:
    """`title` is the resident's (all their devices; `reset_title` drops it for the intercom's own);
    `is_enabled` and `timetable` are this device's."""
    if title is not None or reset_title:
        row = await own_row(session, account_id, intercom.id)
        row.title = title
    if is_enabled is not None or timetable is not None or clear_timetable:
        schedule = (await repository.schedules(session, account_id, [intercom.id], device)).get(intercom.id)
        if schedule is None:
            schedule = DeviceSchedule(
                account_id=account_id, intercom_id=intercom.id, device_uuid=device, is_enabled=True
            )
            session.add(schedule)
        if is_enabled is not None:
            schedule.is_enabled = is_enabled
        if timetable is not None:
            schedule.timetable = timetable.to_json()
        elif clear_timetable:
            schedule.timetable = None
    await session.flush()


async def own_row(session: AsyncSession, account_id: int, intercom_id: int) -> ResidentIntercom:
    """The resident's own row for the intercom, created on first use."""
    row = (await repository.own_rows(session, account_id, [intercom_id], for_update=True)).get(intercom_id)
    if row is None:
        row = ResidentIntercom(account_id=account_id, intercom_id=intercom_id)
        session.add(row)
        await session.flush()
    return row


async def forget(session: AsyncSession, account_id: int, intercom_ids: Sequence[int]) -> None:
    """Detach the resident from every flat of these intercoms and drop their own settings."""
    for pairs in (await repository.memberships(session, account_id, intercom_ids)).values():
        for _resident, flat in pairs:
            await flats.detach_resident(session, flat, account_id)
    await repository.forget(session, account_id, intercom_ids)


# -- who rings -----------------------------------------------------------------------------------


async def call_offers(session: AsyncSession, intercom_id: int, flat_id: int, at: datetime) -> list[Offer]:
    """Every known device of every resident of the flat, and whether its schedule lets it ring at `at`."""
    residents = [account.id for _resident, account in await flats_repository.residents(session, flat_id)]
    devices = await repository.devices_of(session, residents)
    schedules = {
        (row.account_id, row.device_uuid): rule.DeviceSchedule(
            is_enabled=row.is_enabled, timetable=Timetable.from_json(row.timetable)
        )
        for row in await repository.schedules_of_intercom(session, intercom_id, residents)
    }
    return [
        Offer(account_id=account_id, device=device, rings=rule.rings(schedules.get((account_id, device)), at))
        for account_id in residents
        for device in devices.get(account_id, [])
    ]
