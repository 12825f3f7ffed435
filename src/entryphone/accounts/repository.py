"""The only place that builds SQL for accounts, tokens and login throttles."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.models import Account, ApiToken, LoginThrottle


async def get_by_login(session: AsyncSession, login: str) -> Account | None:
    return (await session.execute(select(Account).where(Account.login == login))).scalar_one_or_none()


async def get_by_id(session: AsyncSession, account_id: int) -> Account | None:
    return await session.get(Account, account_id)


async def token_with_account(session: AsyncSession, token_hash: str) -> tuple[ApiToken, Account] | None:
    row = (
        await session.execute(
            select(ApiToken, Account)
            .join(Account, Account.id == ApiToken.account_id)
            .where(ApiToken.token_hash == token_hash)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def live_tokens(session: AsyncSession, account_id: int) -> Sequence[ApiToken]:
    result = await session.execute(
        select(ApiToken)
        .where(ApiToken.account_id == account_id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at, ApiToken.id)
    )
    return result.scalars().all()


async def count_live_tokens(session: AsyncSession, account_id: int) -> int:
    result = await session.execute(
        select(func.count())
        .select_from(ApiToken)
        .where(ApiToken.account_id == account_id, ApiToken.revoked_at.is_(None))
    )
    return int(result.scalar_one())


async def revoke_tokens(
    session: AsyncSession, account_id: int, now: datetime, token_id: int | None = None
) -> int:
    statement = (
        update(ApiToken)
        .where(ApiToken.account_id == account_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if token_id is not None:
        statement = statement.where(ApiToken.id == token_id)
    result = await session.execute(statement)
    return int(result.rowcount)  # type: ignore[attr-defined]


async def touch_token(session: AsyncSession, token_id: int, now: datetime) -> None:
    await session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))


async def get_throttle(session: AsyncSession, login: str) -> LoginThrottle | None:
    return await session.get(LoginThrottle, login)
