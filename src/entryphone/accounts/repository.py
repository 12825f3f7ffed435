"""The only place that builds SQL for accounts, tokens and login throttles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, case, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.models import Account, ApiToken, LoginThrottle


@dataclass(frozen=True, slots=True)
class TokenState:
    """What deciding on a bearer token needs, read in one statement."""

    token_id: int
    surface: str
    revoked_at: datetime | None
    last_used_at: datetime | None
    account_id: int
    login: str
    role: str
    is_active: bool
    expired_at: datetime | None


# Built once, the hash bound at the call: every authenticated request runs it.
_TOKEN_STATE = (
    select(
        ApiToken.id.label("token_id"),
        ApiToken.surface,
        ApiToken.revoked_at,
        ApiToken.last_used_at,
        Account.id.label("account_id"),
        Account.login,
        Account.role,
        Account.is_active,
        Account.expired_at,
    )
    .join(Account, Account.id == ApiToken.account_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


async def token_state(session: AsyncSession, token_hash: str) -> TokenState | None:
    row = (await session.execute(_TOKEN_STATE, {"token_hash": token_hash})).first()
    return TokenState(**row._asdict()) if row is not None else None


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


async def count_login_attempt(
    session: AsyncSession, login: str, now: datetime, window_start: datetime
) -> tuple[int, datetime | None]:
    """Count one more login attempt for `login` in the current window, atomically (an upsert, so
    parallel attempts never lose a count). Returns the attempts in the window including this one,
    and the lock-out end if one is set. A window older than `window_start` starts again at 1."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stale = or_(LoginThrottle.first_failure_at.is_(None), LoginThrottle.first_failure_at < window_start)
    statement = (
        insert(LoginThrottle)
        .values(login=login, failures=1, first_failure_at=now)
        .on_conflict_do_update(
            index_elements=["login"],
            set_={
                "failures": case((stale, 1), else_=LoginThrottle.failures + 1),
                "first_failure_at": case((stale, now), else_=LoginThrottle.first_failure_at),
            },
        )
        .returning(LoginThrottle.failures, LoginThrottle.locked_until)
    )
    row = (await session.execute(statement)).one()
    locked_until: datetime | None = row[1]
    if locked_until is not None and locked_until.tzinfo is None:  # SQLite returns naive UTC
        locked_until = locked_until.replace(tzinfo=UTC)
    return int(row[0]), locked_until


async def lock_login(session: AsyncSession, login: str, until: datetime) -> None:
    # The count is kept: attempts already under way still see it; the window resets it later.
    statement = update(LoginThrottle).where(LoginThrottle.login == login).values(locked_until=until)
    await session.execute(statement)


async def forgive_login_attempt(session: AsyncSession, key: str) -> None:
    """Take back one counted attempt (a successful login does not count against its address)."""
    failures = case((LoginThrottle.failures > 0, LoginThrottle.failures - 1), else_=0)
    await session.execute(update(LoginThrottle).where(LoginThrottle.login == key).values(failures=failures))


async def clear_login_attempts(session: AsyncSession, login: str) -> None:
    await session.execute(delete(LoginThrottle).where(LoginThrottle.login == login))


async def list_accounts(session: AsyncSession, role: str | None = None) -> Sequence[Account]:
    statement = select(Account).order_by(Account.id)
    if role is not None:
        statement = statement.where(Account.role == role)
    return (await session.execute(statement)).scalars().all()


async def tokens_of(session: AsyncSession, account_id: int, *, include_revoked: bool) -> Sequence[ApiToken]:
    statement = select(ApiToken).where(ApiToken.account_id == account_id).order_by(ApiToken.id)
    if not include_revoked:
        statement = statement.where(ApiToken.revoked_at.is_(None))
    return (await session.execute(statement)).scalars().all()
