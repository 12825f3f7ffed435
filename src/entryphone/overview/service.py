"""The console's read models: what an operator sees at a glance. Reads only, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.errors import NotFound
from entryphone.groups import service as groups
from entryphone.models import Account, Intercom
from entryphone.models.call import IntercomCall
from entryphone.models.code import IntercomCode
from entryphone.models.device_schedule import DeviceSchedule
from entryphone.models.flat import FlatResident
from entryphone.models.resident_device import ResidentDevice
from entryphone.models.resident_intercom import ResidentIntercom
from entryphone.overview import repository
from entryphone.overview.repository import AuditFilters, FleetFilters

__all__ = ["AuditFilters", "FleetFilters"]


@dataclass(frozen=True)
class Slice:
    """One page of a list: the rows and how many there are in all."""

    rows: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


async def _slice(
    session: AsyncSession, query: Select[Any], page: int, per_page: int, *, scalars: bool
) -> Slice:
    total = int(
        (
            await session.execute(select(func.count()).select_from(query.order_by(None).subquery()))
        ).scalar_one()
    )
    result = await session.execute(query.limit(per_page).offset((page - 1) * per_page))
    rows: list[Any] = list(result.scalars().all()) if scalars else list(result.all())
    return Slice(rows=rows, total=total, page=page, per_page=per_page)


@dataclass(frozen=True)
class FleetRow:
    intercom: Intercom
    group_path: str | None
    sync_status: str | None
    sync_message: str | None
    open_alerts: int


async def fleet(session: AsyncSession, filters: FleetFilters, page: int, per_page: int) -> Slice:
    """Intercoms with their address path, sync state and open alerts; filtered, one page."""
    found = await _slice(session, repository.fleet_query(filters), page, per_page, scalars=False)
    records: list[Intercom] = [row[0] for row in found.rows]
    paths = await group_paths(session, [item.group_id for item in records if item.group_id is not None])
    rows = [
        FleetRow(
            intercom=intercom,
            group_path=paths.get(intercom.group_id) if intercom.group_id is not None else None,
            sync_status=sync_status,
            sync_message=sync_message,
            open_alerts=int(open_alerts or 0),
        )
        for intercom, sync_status, sync_message, open_alerts in found.rows
    ]
    return Slice(rows=rows, total=found.total, page=found.page, per_page=found.per_page)


async def group_paths(session: AsyncSession, group_ids: Sequence[int]) -> dict[int, str]:
    records = await groups.get_many(session, sorted(set(group_ids)))
    return {view.group.id: view.full_pretty for view in await groups.views(session, records)}


async def residents(session: AsyncSession, search: str | None, page: int, per_page: int) -> Slice:
    return await _slice(session, repository.residents_query(search), page, per_page, scalars=True)


@dataclass(frozen=True)
class ResidentFlat:
    membership: FlatResident
    flat: int
    intercom_id: int
    intercom_title: str
    address: str | None


@dataclass(frozen=True)
class ResidentDetail:
    account: Account
    flats: list[ResidentFlat]
    intercoms: list[tuple[ResidentIntercom, str]]
    devices: list[ResidentDevice]
    schedules: list[DeviceSchedule]
    codes: list[tuple[IntercomCode, str]]


async def resident(session: AsyncSession, account_id: int) -> ResidentDetail:
    """A resident's flats, intercoms, phones, call schedules and codes; 404 for any other account."""
    account = await repository.resident(session, account_id)
    if account is None:
        raise NotFound()
    flats = [
        ResidentFlat(
            membership=row[0], flat=row[1], intercom_id=row[2], intercom_title=row[3], address=row[4]
        )
        for row in await repository.resident_flats(session, account_id)
    ]
    return ResidentDetail(
        account=account,
        flats=flats,
        intercoms=[(row[0], row[1]) for row in await repository.resident_intercoms(session, account_id)],
        devices=list(await repository.resident_devices(session, account_id)),
        schedules=list(await repository.resident_schedules(session, account_id)),
        codes=[(row[0], row[1]) for row in await repository.resident_codes(session, account_id)],
    )


async def audit(session: AsyncSession, filters: AuditFilters, page: int, per_page: int) -> Slice:
    """The whole audit trail (every intercom, deleted ones too), newest first."""
    return await _slice(session, repository.audit_query(filters), page, per_page, scalars=True)


async def audit_actions(session: AsyncSession) -> list[str]:
    return await repository.audit_actions(session)


@dataclass(frozen=True)
class CallRow:
    call: IntercomCall
    flat: int | None


async def calls(session: AsyncSession, intercom_id: int, page: int, per_page: int) -> Slice:
    """An intercom's calls, newest first (every flat, whoever answered)."""
    found = await _slice(session, repository.calls_query(intercom_id), page, per_page, scalars=False)
    rows = [CallRow(call=row[0], flat=row[1]) for row in found.rows]
    return Slice(rows=rows, total=found.total, page=found.page, per_page=found.per_page)
