"""The only SQL of SIP routing: one statement answers "whom may this call ring"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.models import Account, ApiToken, FlatResident, Intercom, IntercomFlat
from entryphone.models.device_schedule import DeviceSchedule
from entryphone.models.resident_device import ResidentDevice
from entryphone.models.sip_account import SipAccount


@dataclass(frozen=True)
class RouteRow:
    """One row of the routing statement: the intercom, the flat (None: no such flat), and one device
    of one resident of it (None: nobody), with its SIP login (None: no live account) and schedule."""

    intercom_id: int
    sip_options: dict[str, Any] | None
    flat_id: int | None
    smartphone_line: bool
    landline_line: bool
    landline_number: str | None
    account_id: int | None
    device_uuid: str | None
    sip_login: str | None
    schedule_enabled: bool | None
    schedule_timetable: dict[str, Any] | None


async def route_rows(
    session: AsyncSession, panel_login: str, flat_number: int, now: datetime
) -> list[RouteRow]:
    account_live = and_(
        Account.id == FlatResident.account_id,
        Account.is_active.is_(True),
        or_(Account.expired_at.is_(None), Account.expired_at > now),
    )
    sip_live = and_(SipAccount.device_id == ResidentDevice.id, SipAccount.expires_at > now)
    token_live = and_(ApiToken.id == SipAccount.token_id, ApiToken.revoked_at.is_(None))
    query = (
        select(
            Intercom.id,
            Intercom.sip_options,
            IntercomFlat.id,
            IntercomFlat.is_smartphone_sip_line_available,
            IntercomFlat.is_landline_sip_line_available,
            IntercomFlat.landline_number,
            Account.id,
            ResidentDevice.uuid,
            ApiToken.id,
            SipAccount.login,
            DeviceSchedule.is_enabled,
            DeviceSchedule.timetable,
        )
        .select_from(Intercom)
        .outerjoin(
            IntercomFlat, and_(IntercomFlat.intercom_id == Intercom.id, IntercomFlat.flat == flat_number)
        )
        .outerjoin(FlatResident, FlatResident.flat_id == IntercomFlat.id)
        .outerjoin(Account, account_live)
        .outerjoin(ResidentDevice, ResidentDevice.account_id == Account.id)
        .outerjoin(SipAccount, sip_live)
        .outerjoin(ApiToken, token_live)
        .outerjoin(
            DeviceSchedule,
            and_(
                DeviceSchedule.account_id == Account.id,
                DeviceSchedule.intercom_id == Intercom.id,
                DeviceSchedule.device_uuid == ResidentDevice.uuid,
            ),
        )
        .where(Intercom.sip_login == panel_login, Intercom.status != "deleted")
        .order_by(Intercom.id, Account.id, ResidentDevice.id)
    )
    rows = await session.execute(query)
    return [
        RouteRow(
            intercom_id=row[0],
            sip_options=row[1],
            flat_id=row[2],
            smartphone_line=bool(row[3]),
            landline_line=bool(row[4]),
            landline_number=row[5],
            account_id=row[6],
            device_uuid=row[7],
            # A revoked token ends the phone's account: no token row, no login.
            sip_login=row[9] if row[8] is not None else None,
            schedule_enabled=row[10],
            schedule_timetable=row[11],
        )
        for row in rows.all()
    ]
