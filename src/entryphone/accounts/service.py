"""Account rules: creation, tokens bound to one API surface, resident login with throttling.

Services never commit: the caller (API request or CLI command) owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.accounts import repository
from entryphone.db.base import utcnow
from entryphone.errors import NotFound, TooManyRequests, TooManySessions, Unauthenticated, ValidationFailed
from entryphone.models import Account, ApiToken, Role
from entryphone.security.passwords import hash_password, verify_password
from entryphone.security.tokens import hash_token, new_token

# Writing last_used_at on every request would turn every read into a write; a coarse value is enough.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)


@dataclass(frozen=True)
class Principal:
    """Who is calling: resolved from a bearer token."""

    account_id: int
    role: Role
    token_id: int
    login: str


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once, never stored
    record: ApiToken


async def create_account(
    session: AsyncSession, *, login: str, password: str | None, role: Role, name: str = ""
) -> Account:
    taken = ValidationFailed.one("login", "The login has already been taken.")
    if await repository.get_by_login(session, login) is not None:
        raise taken
    account = Account(
        login=login,
        name=name,
        role=role.value,
        password_hash=hash_password(password) if password else None,
    )
    try:
        async with session.begin_nested():  # a concurrent request may create the same login
            session.add(account)
            await session.flush()
    except IntegrityError:
        raise taken from None
    return account


async def require_account(session: AsyncSession, login: str) -> Account:
    account = await repository.get_by_login(session, login)
    if account is None:
        raise NotFound(f"No account with login {login!r}.")
    return account


async def issue_token(session: AsyncSession, account: Account, name: str = "") -> IssuedToken:
    token = new_token()
    record = ApiToken(account_id=account.id, token_hash=hash_token(token), surface=account.role, name=name)
    session.add(record)
    await session.flush()
    return IssuedToken(token=token, record=record)


async def revoke(session: AsyncSession, account: Account, token: str | None = None) -> int:
    """Revoke one token (given in clear) of the account, or all of them. Returns how many."""
    now = utcnow()
    if token is None:
        return await repository.revoke_tokens(session, account.id, now)
    found = await repository.token_with_account(session, hash_token(token))
    if found is None or found[0].account_id != account.id:
        raise NotFound("That token does not belong to this account.")
    return await repository.revoke_tokens(session, account.id, now, token_id=found[0].id)


async def authenticate(session: AsyncSession, token: str, surface: Role) -> Principal:
    """Resolve a bearer token for one API surface; any mismatch is the same 401."""
    state = await repository.token_state(session, hash_token(token))
    principal, touch = principal_of(state, surface)
    if touch:
        await repository.touch_token(session, principal.token_id, utcnow())
    return principal


def principal_of(state: repository.TokenState | None, surface: Role) -> tuple[Principal, bool]:
    """The caller behind a token's state, and whether its last_used_at is due for a write; a token
    that is unknown, revoked, of another surface or of an inactive/expired account is a 401."""
    now = utcnow()
    if (
        state is None
        or state.revoked_at is not None
        or state.surface != surface.value
        or state.role != surface.value
        or not state.is_active
        or (state.expired_at is not None and state.expired_at <= now)
    ):
        raise Unauthenticated()
    touch = state.last_used_at is None or now - state.last_used_at > TOKEN_TOUCH_INTERVAL
    principal = Principal(
        account_id=state.account_id, role=surface, token_id=state.token_id, login=state.login
    )
    return principal, touch


@dataclass(frozen=True)
class LoginPolicy:
    max_sessions: int
    max_failures: int
    lockout: timedelta


async def resident_login(
    session: AsyncSession,
    *,
    login: str,
    password: str,
    policy: LoginPolicy,
    end_session_id: int | None = None,
    device_name: str = "",
) -> tuple[Account, IssuedToken]:
    """POST /api/v1/token: check the throttle, the password and the session limit, then issue a token.

    Every attempt is counted (atomically) before the password is checked, so a parallel burst gets
    no more guesses than `max_failures`; the caller commits on TooManyRequests and ValidationFailed
    too, so the count and the lock persist."""
    now = utcnow()
    attempts, locked_until = await repository.count_login_attempt(session, login, now, now - policy.lockout)
    if locked_until is not None and locked_until > now:
        raise TooManyRequests(retry_after=_seconds_until(locked_until, now))
    if attempts > policy.max_failures:
        await repository.lock_login(session, login, now + policy.lockout)
        raise TooManyRequests(retry_after=_seconds_until(now + policy.lockout, now))

    account = await repository.get_by_login(session, login)
    password_ok = verify_password(account.password_hash if account else None, password)
    if account is None or not password_ok or account.role != Role.resident.value or not account.is_active:
        if attempts >= policy.max_failures:
            await repository.lock_login(session, login, now + policy.lockout)
        raise ValidationFailed.one("login", "These credentials do not match our records.")
    await repository.clear_login_attempts(session, login)

    if (
        end_session_id is not None
        and await repository.revoke_tokens(session, account.id, now, token_id=end_session_id) == 0
    ):
        raise ValidationFailed.one("session_id", "The selected session_id is invalid.")
    live = await repository.live_tokens(session, account.id)
    if len(live) >= policy.max_sessions:
        raise TooManySessions(session_id=live[0].id)
    return account, await issue_token(session, account, name=device_name)


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, int((moment - now).total_seconds() + 0.999))
