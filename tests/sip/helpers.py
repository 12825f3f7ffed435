"""Seeding for the SIP tests: an intercom with SIP credentials, its flats and residents."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.flats import service as flats
from entryphone.intercoms import service as intercoms
from entryphone.intercoms.changes import IntercomChanges
from entryphone.models.call import IntercomCall, IntercomCallDevice
from tests.support import seed


def intercom(
    settings: Settings, login: str, password: str, *, flat_from: int = 1, flat_to: int = 20, **fields: Any
) -> int:
    async def work(session: AsyncSession, context: AppContext) -> int:
        record = await intercoms.create(
            session,
            context.secrets,
            IntercomChanges.model_validate(
                {
                    "title": f"Entrance {login}",
                    "vendor": "2n",
                    "flat_from": flat_from,
                    "flat_to": flat_to,
                    "department": 1,
                    "address": "742 Evergreen Terrace",
                    "status": "installed",
                    "sip_credentials": {
                        "server": "127.0.0.1",
                        "port": 5060,
                        "login": login,
                        "password": password,
                    },
                    **fields,
                }
            ),
        )
        return record.id

    return seed.in_session(settings, work)


def attach(settings: Settings, intercom_id: int, flat: int, account_id: int) -> None:
    async def work(session: AsyncSession, _context: AppContext) -> None:
        record = await flats.get_flat_by_number(session, intercom_id, flat)
        await flats.attach_resident(session, record, account_id)

    seed.in_session(settings, work)


def set_flat(settings: Settings, intercom_id: int, flat: int, **columns: Any) -> None:
    async def work(session: AsyncSession, _context: AppContext) -> None:
        record = await flats.get_flat_by_number(session, intercom_id, flat)
        for name, value in columns.items():
            setattr(record, name, value)
        await session.flush()

    seed.in_session(settings, work)


def call_by_sip_id(settings: Settings, sip_call_id: str) -> dict[str, Any] | None:
    """The call record and its devices, as plain values."""

    async def work(session: AsyncSession, _context: AppContext) -> dict[str, Any] | None:
        call = (
            await session.execute(select(IntercomCall).where(IntercomCall.sip_call_id == sip_call_id))
        ).scalar_one_or_none()
        if call is None:
            return None
        devices = (
            await session.execute(select(IntercomCallDevice).where(IntercomCallDevice.call_id == call.id))
        ).scalars()
        return {
            "id": call.id,
            "status": call.status,
            "end_reason": call.end_reason,
            "flat_id": call.flat_id,
            "answered_sip_login": call.answered_sip_login,
            "answered_device_uuid": call.answered_device_uuid,
            "started_at": call.started_at,
            "ended_at": call.ended_at,
            "devices": {row.device_uuid: row.state for row in devices},
        }

    return seed.in_session(settings, work)


def calls_of_intercom(settings: Settings, intercom_id: int) -> list[dict[str, Any]]:
    async def work(session: AsyncSession, _context: AppContext) -> list[dict[str, Any]]:
        rows = (
            await session.execute(
                select(IntercomCall).where(IntercomCall.intercom_id == intercom_id).order_by(IntercomCall.id)
            )
        ).scalars()
        return [
            {"id": c.id, "status": c.status, "end_reason": c.end_reason, "sip_call_id": c.sip_call_id}
            for c in rows
        ]

    return seed.in_session(settings, work)
