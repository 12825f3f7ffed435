"""The only SQL of calls."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.models.call import IntercomCall, IntercomCallDevice


def _offered_to(account_id: int) -> Select[int]:
    return select(IntercomCallDevice.call_id).where(IntercomCallDevice.account_id == account_id)


def list_query(
    account_id: int, *, intercom_id: int | None, statuses: Collection[str] | None
) -> Select[IntercomCall]:
    query = select(IntercomCall).where(IntercomCall.id.in_(_offered_to(account_id)))
    if intercom_id is not None:
        query = query.where(IntercomCall.intercom_id == intercom_id)
    if statuses is not None:
        query = query.where(IntercomCall.status.in_(list(statuses)))
    return query.order_by(IntercomCall.id.desc())


async def get_offered(
    session: AsyncSession, account_id: int, call_id: int, *, for_update: bool = False
) -> IntercomCall | None:
    query = select(IntercomCall).where(
        IntercomCall.id == call_id, IntercomCall.id.in_(_offered_to(account_id))
    )
    if for_update:
        # Concurrent answers and declines of one call serialise on its row (PostgreSQL).
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def get(session: AsyncSession, call_id: int, *, for_update: bool = False) -> IntercomCall | None:
    query = select(IntercomCall).where(IntercomCall.id == call_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def by_external_id(session: AsyncSession, intercom_id: int, external_id: str) -> IntercomCall | None:
    result = await session.execute(
        select(IntercomCall)
        .where(IntercomCall.intercom_id == intercom_id, IntercomCall.external_id == external_id)
        .order_by(IntercomCall.id.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def devices(session: AsyncSession, call_id: int) -> list[IntercomCallDevice]:
    rows = await session.execute(
        select(IntercomCallDevice)
        .where(IntercomCallDevice.call_id == call_id)
        .order_by(IntercomCallDevice.id)
    )
    return list(rows.scalars())


async def forget(session: AsyncSession, account_id: int, intercom_ids: Sequence[int]) -> None:
    """The resident no longer sees these intercoms' calls; calls nobody sees any more go."""
    calls = select(IntercomCall.id).where(IntercomCall.intercom_id.in_(list(intercom_ids)))
    await session.execute(
        delete(IntercomCallDevice).where(
            IntercomCallDevice.account_id == account_id, IntercomCallDevice.call_id.in_(calls)
        )
    )
    orphaned = ~exists().where(IntercomCallDevice.call_id == IntercomCall.id)
    await session.execute(
        delete(IntercomCall).where(IntercomCall.intercom_id.in_(list(intercom_ids)), orphaned)
    )


async def by_sip_call_id(
    session: AsyncSession, sip_call_id: str, *, for_update: bool = False
) -> IntercomCall | None:
    query = (
        select(IntercomCall)
        .where(IntercomCall.sip_call_id == sip_call_id)
        .order_by(IntercomCall.id.desc())
        .limit(1)
    )
    if for_update:
        # Kamailio's reports of one call (answered, ended) serialise on its row (PostgreSQL).
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def panel_call_to_adopt(
    session: AsyncSession, intercom_id: int, flat_id: int, since: datetime
) -> IntercomCall | None:
    """A call the panel's own event opened for this flat, still ringing, not yet seen over SIP."""
    return await _ringing(session, intercom_id, flat_id, since, IntercomCall.sip_call_id.is_(None))


async def sip_call_to_adopt(
    session: AsyncSession, intercom_id: int, flat_id: int, since: datetime
) -> IntercomCall | None:
    """A call Kamailio routed to this flat, still ringing, that no panel event has claimed yet."""
    return await _ringing(
        session,
        intercom_id,
        flat_id,
        since,
        IntercomCall.sip_call_id.is_not(None),
        IntercomCall.external_id.is_(None),
    )


async def _ringing(
    session: AsyncSession, intercom_id: int, flat_id: int, since: datetime, *conditions: ColumnElement[bool]
) -> IntercomCall | None:
    result = await session.execute(
        select(IntercomCall)
        .where(
            IntercomCall.intercom_id == intercom_id,
            IntercomCall.flat_id == flat_id,
            IntercomCall.status == "ring",
            IntercomCall.rang_at >= since,
            *conditions,
        )
        .order_by(IntercomCall.id.desc())
        .limit(1)
        .with_for_update()
    )
    return result.scalar_one_or_none()


async def open_on_node(session: AsyncSession, node: str) -> list[IntercomCall]:
    result = await session.execute(
        select(IntercomCall)
        .where(IntercomCall.sip_node == node, IntercomCall.status.in_(["ring", "answered"]))
        .order_by(IntercomCall.id)
        .with_for_update()
    )
    return list(result.scalars())


async def overdue_on_node(session: AsyncSession, node: str, now: datetime) -> list[IntercomCall]:
    result = await session.execute(
        select(IntercomCall)
        .where(
            IntercomCall.sip_node == node,
            IntercomCall.status.in_(["ring", "answered"]),
            IntercomCall.sip_deadline < now,
        )
        .order_by(IntercomCall.id)
        .with_for_update()
    )
    return list(result.scalars())
