"""The only SQL of self-registration."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.models import FlatResident
from entryphone.models.registration import IntercomRegistration


async def live_with_code(session: AsyncSession, code: str) -> IntercomRegistration | None:
    result = await session.execute(
        select(IntercomRegistration)
        .where(IntercomRegistration.code == code, IntercomRegistration.status == "pending")
        .order_by(IntercomRegistration.id.desc())
        .with_for_update()
        .limit(1)
    )
    return result.scalar_one_or_none()


async def code_in_use(session: AsyncSession, code: str, now: datetime) -> bool:
    result = await session.execute(
        select(IntercomRegistration.id).where(
            IntercomRegistration.code == code,
            IntercomRegistration.status.in_(("pending", "code_entered")),
            IntercomRegistration.expires_at > now,
        )
    )
    return result.first() is not None


async def awaiting_key(session: AsyncSession, intercom_id: int) -> list[IntercomRegistration]:
    """Registrations whose code was typed on this intercom, newest first."""
    result = await session.execute(
        select(IntercomRegistration)
        .where(IntercomRegistration.intercom_id == intercom_id, IntercomRegistration.status == "code_entered")
        .order_by(IntercomRegistration.id.desc())
        .with_for_update()
    )
    return list(result.scalars())


async def abandon_open(session: AsyncSession, account_id: int) -> None:
    """A new registration replaces the account's unfinished ones."""
    await session.execute(
        update(IntercomRegistration)
        .where(
            IntercomRegistration.account_id == account_id,
            IntercomRegistration.status.in_(("pending", "code_entered")),
        )
        .values(status="failed", error="superseded")
    )


async def flat_holders(session: AsyncSession, flat_id: int) -> set[int]:
    result = await session.execute(select(FlatResident.account_id).where(FlatResident.flat_id == flat_id))
    return set(result.scalars())
