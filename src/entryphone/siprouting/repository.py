"""The only SQL of SIP routing: one statement answers "whom may this call ring"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Select, String, and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.db.base import UtcDateTime
from entryphone.models import Account, ApiToken, FlatResident, Intercom, IntercomFlat
from entryphone.models.call import IntercomCall
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
    known_call_id: int | None  # the call this SIP Call-ID already opened
    panel_call_id: int | None  # a ringing call the panel's event opened for this flat, to adopt


def _route_statement() -> Select[Any]:
    """Built once: the routing endpoint's hot path binds its values and never rebuilds the SQL."""
    now = bindparam("now", type_=UtcDateTime())
    account_live = and_(
        Account.id == FlatResident.account_id,
        Account.is_active.is_(True),
        or_(Account.expired_at.is_(None), Account.expired_at > now),
    )
    sip_live = and_(SipAccount.device_id == ResidentDevice.id, SipAccount.expires_at > now)
    token_live = and_(ApiToken.id == SipAccount.token_id, ApiToken.revoked_at.is_(None))
    # The same INVITE asked before (a retransmission), and a call the panel's own event opened for
    # this flat that SIP has not claimed yet (calls.service adopts it): read with the rest.
    known = (
        select(IntercomCall.id)
        .where(IntercomCall.sip_call_id == bindparam("sip_call_id", type_=String()))
        .order_by(IntercomCall.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    from_panel = (
        select(IntercomCall.id)
        .where(
            IntercomCall.intercom_id == Intercom.id,
            IntercomCall.flat_id == IntercomFlat.id,
            IntercomCall.status == "ring",
            IntercomCall.sip_call_id.is_(None),
            IntercomCall.rang_at >= bindparam("adopt_since", type_=UtcDateTime()),
        )
        .order_by(IntercomCall.id.desc())
        .limit(1)
        .correlate(Intercom, IntercomFlat)
        .scalar_subquery()
    )
    return (
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
            known,
            from_panel,
        )
        .select_from(Intercom)
        .outerjoin(
            IntercomFlat,
            and_(
                IntercomFlat.intercom_id == Intercom.id,
                IntercomFlat.flat == bindparam("flat", type_=Integer()),
            ),
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
        .where(Intercom.sip_login == bindparam("panel", type_=String()), Intercom.status != "deleted")
        .order_by(Intercom.id, Account.id, ResidentDevice.id)
    )


_ROUTE = _route_statement()


async def route_rows(
    session: AsyncSession,
    panel_login: str,
    flat_number: int,
    sip_call_id: str,
    now: datetime,
    adopt_since: datetime,
) -> list[RouteRow]:
    rows = await session.execute(
        _ROUTE,
        {
            "panel": panel_login,
            "flat": flat_number,
            "now": now,
            "sip_call_id": sip_call_id,
            "adopt_since": adopt_since,
        },
    )
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
            known_call_id=row[12],
            panel_call_id=row[13],
        )
        for row in rows.all()
    ]
