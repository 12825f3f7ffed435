"""The SQL behind the console's read models (overview/service.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.models import Account, Intercom, Role
from entryphone.models.audit_entry import AuditEntry
from entryphone.models.call import IntercomCall
from entryphone.models.code import IntercomCode
from entryphone.models.device_schedule import DeviceSchedule
from entryphone.models.device_state import DeviceState
from entryphone.models.flat import FlatResident, IntercomFlat
from entryphone.models.intercom_alert import IntercomAlert
from entryphone.models.resident_device import ResidentDevice
from entryphone.models.resident_intercom import ResidentIntercom

DELETED = "deleted"


@dataclass(frozen=True)
class FleetFilters:
    search: str | None = None
    group_id: int | None = None
    vendor: str | None = None
    is_online: bool | None = None
    alerting: bool | None = None  # with (True) or without (False) unacknowledged alerts


def _open_alerts() -> Any:
    return (
        select(func.count(IntercomAlert.id))
        .where(IntercomAlert.intercom_id == Intercom.id, IntercomAlert.acknowledged_at.is_(None))
        .correlate(Intercom)
        .scalar_subquery()
    )


def fleet_query(filters: FleetFilters) -> Select[*tuple[Any, ...]]:
    """Live intercoms with their sync state and count of open alerts, by id."""
    open_alerts = _open_alerts().label("open_alerts")
    query = (
        select(Intercom, DeviceState.sync_status, DeviceState.sync_message, open_alerts)
        .outerjoin(DeviceState, DeviceState.intercom_id == Intercom.id)
        .where(Intercom.status != DELETED)
    )
    if filters.search:
        pattern = f"%{filters.search.lower()}%"
        query = query.where(
            or_(
                func.lower(Intercom.title).like(pattern),
                func.lower(Intercom.address).like(pattern),
                func.lower(Intercom.mac).like(pattern),
                func.lower(Intercom.serial_number).like(pattern),
            )
        )
    if filters.group_id is not None:
        query = query.where(Intercom.group_id == filters.group_id)
    if filters.vendor:
        query = query.where(Intercom.vendor == filters.vendor)
    if filters.is_online is not None:
        query = query.where(func.coalesce(DeviceState.is_online, False) == filters.is_online)
    if filters.alerting is not None:
        has_alert = exists().where(
            IntercomAlert.intercom_id == Intercom.id, IntercomAlert.acknowledged_at.is_(None)
        )
        query = query.where(has_alert if filters.alerting else ~has_alert)
    return query.order_by(Intercom.id)


def residents_query(search: str | None) -> Select[Any]:
    query = select(Account).where(Account.role == Role.resident.value)
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(
            or_(func.lower(Account.login).like(pattern), func.lower(Account.name).like(pattern))
        )
    return query.order_by(Account.login)


async def resident(session: AsyncSession, account_id: int) -> Account | None:
    found = await session.get(Account, account_id)
    return found if found is not None and found.role == Role.resident.value else None


async def resident_flats(session: AsyncSession, account_id: int) -> Sequence[Any]:
    rows = await session.execute(
        select(FlatResident, IntercomFlat.flat, Intercom.id, Intercom.title, Intercom.address)
        .join(IntercomFlat, IntercomFlat.id == FlatResident.flat_id)
        .join(Intercom, Intercom.id == IntercomFlat.intercom_id)
        .where(FlatResident.account_id == account_id, Intercom.status != DELETED)
        .order_by(Intercom.id, IntercomFlat.flat)
    )
    return rows.all()


async def resident_intercoms(session: AsyncSession, account_id: int) -> Sequence[Any]:
    rows = await session.execute(
        select(ResidentIntercom, Intercom.title)
        .join(Intercom, Intercom.id == ResidentIntercom.intercom_id)
        .where(ResidentIntercom.account_id == account_id, Intercom.status != DELETED)
        .order_by(Intercom.id)
    )
    return rows.all()


async def resident_devices(session: AsyncSession, account_id: int) -> Sequence[ResidentDevice]:
    rows = await session.execute(
        select(ResidentDevice).where(ResidentDevice.account_id == account_id).order_by(ResidentDevice.id)
    )
    return rows.scalars().all()


async def resident_schedules(session: AsyncSession, account_id: int) -> Sequence[DeviceSchedule]:
    rows = await session.execute(
        select(DeviceSchedule)
        .where(DeviceSchedule.account_id == account_id)
        .order_by(DeviceSchedule.intercom_id, DeviceSchedule.device_uuid)
    )
    return rows.scalars().all()


async def resident_codes(session: AsyncSession, account_id: int) -> Sequence[Any]:
    rows = await session.execute(
        select(IntercomCode, Intercom.title)
        .join(Intercom, Intercom.id == IntercomCode.intercom_id)
        .where(IntercomCode.account_id == account_id)
        .order_by(IntercomCode.id.desc())
    )
    return rows.all()


@dataclass(frozen=True)
class AuditFilters:
    intercom_id: int | None = None
    action: str | None = None
    surface: str | None = None
    login: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def audit_query(filters: AuditFilters) -> Select[Any]:
    query = select(AuditEntry)
    conditions = []
    if filters.intercom_id is not None:
        conditions.append(AuditEntry.intercom_id == filters.intercom_id)
    if filters.action:
        conditions.append(AuditEntry.action == filters.action)
    if filters.surface:
        conditions.append(AuditEntry.surface == filters.surface)
    if filters.login:
        conditions.append(func.lower(AuditEntry.actor_login).like(f"%{filters.login.lower()}%"))
    if filters.since is not None:
        conditions.append(AuditEntry.created_at >= filters.since)
    if filters.until is not None:
        conditions.append(AuditEntry.created_at <= filters.until)
    if conditions:
        query = query.where(and_(*conditions))
    return query.order_by(AuditEntry.id.desc())


async def audit_actions(session: AsyncSession) -> list[str]:
    rows = await session.execute(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    return [str(value) for value in rows.scalars().all()]


def calls_query(intercom_id: int) -> Select[*tuple[Any, ...]]:
    return (
        select(IntercomCall, IntercomFlat.flat)
        .outerjoin(IntercomFlat, IntercomFlat.id == IntercomCall.flat_id)
        .where(IntercomCall.intercom_id == intercom_id)
        .order_by(IntercomCall.rang_at.desc(), IntercomCall.id.desc())
    )
