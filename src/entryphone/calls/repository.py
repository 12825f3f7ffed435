"""The only SQL of calls."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, exists, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.models import Account, IntercomFlat
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


async def insert_call(session: AsyncSession, values: dict[str, Any]) -> int:
    """A call row without an ORM object (the routing endpoint's path); its id. The timestamps come
    from the columns' defaults."""
    return int((await session.execute(_INSERT_CALL, values)).scalar_one())


async def insert_devices(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(_INSERT_DEVICE, list(rows))


_INSERT_CALL = insert(IntercomCall).returning(IntercomCall.id)
_INSERT_DEVICE = insert(IntercomCallDevice)


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


# -- the admin's call log -------------------------------------------------------------------------


def intercom_query(
    intercom_id: int,
    *,
    flat: int | None,
    status: str | None,
    end_reason: str | None,
    since: datetime | None,
    until: datetime | None,
) -> Select[IntercomCall]:
    """Every call of an intercom, newest first; `flat` is the flat number in the intercom's numbering."""
    query = select(IntercomCall).where(IntercomCall.intercom_id == intercom_id)
    if flat is not None:
        flats = select(IntercomFlat.id).where(
            IntercomFlat.intercom_id == intercom_id, IntercomFlat.flat == flat
        )
        query = query.where(IntercomCall.flat_id.in_(flats))
    if status is not None:
        query = query.where(IntercomCall.status == status)
    if end_reason is not None:
        query = query.where(IntercomCall.end_reason == end_reason)
    if since is not None:
        query = query.where(IntercomCall.rang_at >= since)
    if until is not None:
        query = query.where(IntercomCall.rang_at <= until)
    return query.order_by(IntercomCall.id.desc())


@dataclass(frozen=True)
class OfferedRow:
    """One device a call was offered to, with its resident."""

    call_id: int
    account_id: int
    login: str
    name: str
    device_uuid: str
    state: str


async def offered_to(session: AsyncSession, call_ids: Sequence[int]) -> list[OfferedRow]:
    if not call_ids:
        return []
    rows = await session.execute(
        select(
            IntercomCallDevice.call_id,
            IntercomCallDevice.account_id,
            Account.login,
            Account.name,
            IntercomCallDevice.device_uuid,
            IntercomCallDevice.state,
        )
        .join(Account, Account.id == IntercomCallDevice.account_id)
        .where(IntercomCallDevice.call_id.in_(list(call_ids)))
        .order_by(IntercomCallDevice.call_id, IntercomCallDevice.id)
    )
    return [OfferedRow(*row) for row in rows.all()]


async def flat_numbers(session: AsyncSession, flat_ids: Collection[int]) -> dict[int, int]:
    if not flat_ids:
        return {}
    rows = await session.execute(
        select(IntercomFlat.id, IntercomFlat.flat).where(IntercomFlat.id.in_(list(flat_ids)))
    )
    return {flat_id: number for flat_id, number in rows.all()}


async def accounts(session: AsyncSession, account_ids: Collection[int]) -> dict[int, tuple[str, str]]:
    """(login, name) of these accounts."""
    if not account_ids:
        return {}
    rows = await session.execute(
        select(Account.id, Account.login, Account.name).where(Account.id.in_(list(account_ids)))
    )
    return {account_id: (login, name) for account_id, login, name in rows.all()}
