"""The only place that builds SQL for intercom flats and their residents."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import Select, String, cast, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.db.locking import lock_row
from entryphone.models import Account, FlatResident, IntercomCode, IntercomFlat, IntercomKey


async def get(session: AsyncSession, intercom_id: int, flat_id: int) -> IntercomFlat | None:
    result = await session.execute(
        select(IntercomFlat).where(IntercomFlat.id == flat_id, IntercomFlat.intercom_id == intercom_id)
    )
    return result.scalar_one_or_none()


async def get_by_number(
    session: AsyncSession, intercom_id: int, number: int, *, for_update: bool = False
) -> IntercomFlat | None:
    result = await session.execute(
        select(IntercomFlat).where(IntercomFlat.intercom_id == intercom_id, IntercomFlat.flat == number)
    )
    flat = result.scalar_one_or_none()
    if flat is not None and for_update:
        await lock_row(session, IntercomFlat, flat.id)
    return flat


async def numbers(session: AsyncSession, intercom_id: int) -> dict[int, int]:
    """flat number -> record id for every flat of the intercom."""
    rows = await session.execute(
        select(IntercomFlat.flat, IntercomFlat.id).where(IntercomFlat.intercom_id == intercom_id)
    )
    return {int(number): int(flat_id) for number, flat_id in rows.all()}


async def occupied(session: AsyncSession, flat_ids: Collection[int]) -> set[int]:
    """The flats among `flat_ids` that still hold keys or residents."""
    if not flat_ids:
        return set()
    with_keys = await session.execute(
        select(IntercomKey.flat_id).where(IntercomKey.flat_id.in_(flat_ids)).distinct()
    )
    with_users = await session.execute(
        select(FlatResident.flat_id).where(FlatResident.flat_id.in_(flat_ids)).distinct()
    )
    return {int(value) for value in with_keys.scalars() if value is not None} | {
        int(value) for value in with_users.scalars()
    }


async def create_many(
    session: AsyncSession, intercom_id: int, flat_numbers: Sequence[int], lines: Mapping[str, bool]
) -> None:
    session.add_all(IntercomFlat(intercom_id=intercom_id, flat=number, **lines) for number in flat_numbers)
    await session.flush()


async def set_line_flags(session: AsyncSession, intercom_id: int, lines: Mapping[str, bool]) -> None:
    await session.execute(
        update(IntercomFlat)
        .where(IntercomFlat.intercom_id == intercom_id)
        .values(**lines)
        .execution_options(synchronize_session="fetch")
    )


async def remove(session: AsyncSession, flat_ids: Collection[int]) -> None:
    """Delete flats with what hangs on them: keys stay on the intercom (unbound), residents'
    attachments and the flats' codes go. Explicit, so it does not depend on FK cascades."""
    if not flat_ids:
        return
    ids = list(flat_ids)
    await session.execute(update(IntercomKey).where(IntercomKey.flat_id.in_(ids)).values(flat_id=None))
    await session.execute(delete(IntercomCode).where(IntercomCode.flat_id.in_(ids)))
    await session.execute(delete(FlatResident).where(FlatResident.flat_id.in_(ids)))
    await session.execute(delete(IntercomFlat).where(IntercomFlat.id.in_(ids)))


def list_query(intercom_id: int, search: str | None) -> Select[IntercomFlat]:
    """Flats of one intercom by number; `search` matches the number, a key, a resident's name or login."""
    query = select(IntercomFlat).where(IntercomFlat.intercom_id == intercom_id)
    if search:
        pattern = f"%{search.lower()}%"
        by_key = select(IntercomKey.flat_id).where(
            IntercomKey.intercom_id == intercom_id, func.lower(IntercomKey.value).like(pattern)
        )
        by_user = (
            select(FlatResident.flat_id)
            .join(Account, Account.id == FlatResident.account_id)
            .where(or_(func.lower(Account.name).like(pattern), func.lower(Account.login).like(pattern)))
        )
        query = query.where(
            or_(
                cast(IntercomFlat.flat, String).like(pattern),
                IntercomFlat.id.in_(by_key),
                IntercomFlat.id.in_(by_user),
            )
        )
    return query.order_by(IntercomFlat.flat)


async def counts(session: AsyncSession, flat_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """flat id -> (key count, resident count)."""
    if not flat_ids:
        return {}
    keys = dict(
        (
            await session.execute(
                select(IntercomKey.flat_id, func.count())
                .where(IntercomKey.flat_id.in_(flat_ids))
                .group_by(IntercomKey.flat_id)
            )
        ).all()
    )
    users = dict(
        (
            await session.execute(
                select(FlatResident.flat_id, func.count())
                .where(FlatResident.flat_id.in_(flat_ids))
                .group_by(FlatResident.flat_id)
            )
        ).all()
    )
    return {flat_id: (int(keys.get(flat_id, 0)), int(users.get(flat_id, 0))) for flat_id in flat_ids}


async def residents(session: AsyncSession, flat_id: int) -> Sequence[tuple[FlatResident, Account]]:
    rows = await session.execute(
        select(FlatResident, Account)
        .join(Account, Account.id == FlatResident.account_id)
        .where(FlatResident.flat_id == flat_id)
        .order_by(Account.id)
    )
    return [(resident, account) for resident, account in rows.all()]


async def get_resident(session: AsyncSession, flat_id: int, account_id: int) -> FlatResident | None:
    result = await session.execute(
        select(FlatResident).where(FlatResident.flat_id == flat_id, FlatResident.account_id == account_id)
    )
    return result.scalar_one_or_none()


async def keys_with_users(
    session: AsyncSession, flat_id: int
) -> Sequence[tuple[IntercomKey, Account | None]]:
    rows = await session.execute(
        select(IntercomKey, Account)
        .outerjoin(Account, Account.id == IntercomKey.account_id)
        .where(IntercomKey.flat_id == flat_id)
        .order_by(IntercomKey.id)
    )
    return [(key, account) for key, account in rows.all()]


async def flats_of_intercom(session: AsyncSession, intercom_id: int) -> list[int]:
    rows = await session.execute(select(IntercomFlat.id).where(IntercomFlat.intercom_id == intercom_id))
    return [int(value) for value in rows.scalars()]


async def get_account(session: AsyncSession, account_id: int) -> Account | None:
    return await session.get(Account, account_id)


def users_query(intercom_id: int, search: str | None) -> Select[Account]:
    """Residents attached to any flat of the intercom (each once), by id."""
    attached = (
        select(FlatResident.account_id)
        .join(IntercomFlat, IntercomFlat.id == FlatResident.flat_id)
        .where(IntercomFlat.intercom_id == intercom_id)
    )
    query = select(Account).where(Account.id.in_(attached))
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(
            or_(func.lower(Account.name).like(pattern), func.lower(Account.login).like(pattern))
        )
    return query.order_by(Account.id)
