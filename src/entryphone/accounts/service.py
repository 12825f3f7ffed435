"""Account rules: creation, tokens bound to one API surface, resident login with throttling.

Services never commit: the caller (API request or CLI command) owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
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
MAX_PASSWORD_LENGTH = 1024


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


async def list_accounts(session: AsyncSession, role: Role | None = None) -> Sequence[Account]:
    return await repository.list_accounts(session, None if role is None else role.value)


def check_password(password: str) -> None:
    """The only rule: not empty and of a sane length (argon2 hashes any length, but a megabyte of
    'password' is a mistake)."""
    if not password:
        raise ValidationFailed.one("password", "The password must not be empty.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationFailed.one("password", f"The password may not be longer than {MAX_PASSWORD_LENGTH}.")


async def set_password(session: AsyncSession, account: Account, password: str) -> None:
    check_password(password)
    account.password_hash = hash_password(password)
    await session.flush()


async def set_active(session: AsyncSession, account: Account, active: bool) -> int:
    """Enable or disable an account. Disabling also revokes its tokens (an account switched off
    must not come back with old sessions when switched on); returns how many were revoked."""
    account.is_active = active
    await session.flush()
    return 0 if active else await repository.revoke_tokens(session, account.id, utcnow())


async def tokens_of(
    session: AsyncSession, account: Account, *, include_revoked: bool = False
) -> Sequence[ApiToken]:
    """The account's tokens (records only: the tokens themselves are never stored)."""
    return await repository.tokens_of(session, account.id, include_revoked=include_revoked)


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
    # Password spraying: failed attempts from one client address, over any logins.
    max_failures_per_address: int | None = None


# Per-address counts share the throttle table with per-login ones under a key no login can take
# (logins never hold control characters: api/types.Text, `users create`).
ADDRESS_KEY_PREFIX = "\x1faddress:"


async def resident_login(
    session: AsyncSession,
    *,
    login: str,
    password: str,
    policy: LoginPolicy,
    end_session_id: int | None = None,
    device_name: str = "",
    address: str | None = None,
) -> tuple[Account, IssuedToken]:
    """POST /api/v1/token: check the throttle, the password and the session limit, then issue a token.

    Every attempt is counted (atomically) before the password is checked, so a parallel burst gets
    no more guesses than `max_failures`; the caller commits on TooManyRequests and ValidationFailed
    too, so the count and the lock persist.

    With an `address` and `policy.max_failures_per_address`, the client address is throttled the
    same way over all the logins it tries (a success does not count against it), so one address
    cannot try a password across many logins."""
    now = utcnow()
    account = await _check_credentials(session, login, password, policy, Role.resident, now, address)
    if (
        end_session_id is not None
        and await repository.revoke_tokens(session, account.id, now, token_id=end_session_id) == 0
    ):
        raise ValidationFailed.one("session_id", "The selected session_id is invalid.")
    live = await repository.live_tokens(session, account.id)
    if len(live) >= policy.max_sessions:
        raise TooManySessions(session_id=live[0].id)
    return account, await issue_token(session, account, name=device_name)


async def _check_credentials(
    session: AsyncSession,
    login: str,
    password: str,
    policy: LoginPolicy,
    role: Role,
    now: datetime,
    address: str | None = None,
) -> Account:
    """The throttles and the password check every sign-in shares (client API, operator's console).

    Every attempt is counted (atomically) before the password is checked, under the login and, with
    an `address` and `policy.max_failures_per_address`, under the client address too (a success does
    not count against the address); an account of another role reads exactly like a wrong password."""
    address_key = ADDRESS_KEY_PREFIX + address if address and policy.max_failures_per_address else None
    if address_key is not None and policy.max_failures_per_address is not None:
        await _count_attempt(session, address_key, policy.max_failures_per_address, policy, now)
    try:
        attempts = await _count_attempt(session, login, policy.max_failures, policy, now)
    except TooManyRequests:
        if address_key is not None:  # no password was tried: not a guess against the address
            await repository.forgive_login_attempt(session, address_key)
        raise

    account = await repository.get_by_login(session, login)
    password_ok = verify_password(account.password_hash if account else None, password)
    if account is None or not password_ok or account.role != role.value or not account.is_active:
        if attempts >= policy.max_failures:
            await repository.lock_login(session, login, now + policy.lockout)
        raise ValidationFailed.one("login", "These credentials do not match our records.")
    await repository.clear_login_attempts(session, login)
    if address_key is not None:
        await repository.forgive_login_attempt(session, address_key)
    return account


# The operator's console (/console) keeps its sessions as tokens of a surface of their own: stored
# hashed like bearer tokens, refused by every API surface (principal_of wants surface == role).
CONSOLE_SURFACE = "console"


async def console_login(
    session: AsyncSession, *, login: str, password: str, policy: LoginPolicy, address: str | None = None
) -> IssuedToken:
    """Sign an administrator in to the console: the same throttle and check as the client API's
    login, for admin accounts only. The caller commits on refusal too (the count persists)."""
    now = utcnow()
    account = await _check_credentials(session, login, password, policy, Role.admin, now, address)
    token = new_token()
    record = ApiToken(
        account_id=account.id,
        token_hash=hash_token(token),
        surface=CONSOLE_SURFACE,
        name="console",
        last_used_at=now,  # idle time counts from sign-in
    )
    session.add(record)
    await session.flush()
    return IssuedToken(token=token, record=record)


async def console_session(session: AsyncSession, token: str, idle: timedelta) -> Principal:
    """The administrator behind a console session cookie. A session idle for longer than `idle` is
    revoked; last use is written at most every `idle / 10` (at least every minute)."""
    now = utcnow()
    state = await repository.token_state(session, hash_token(token))
    if (
        state is None
        or state.revoked_at is not None
        or state.surface != CONSOLE_SURFACE
        or state.role != Role.admin.value
        or not state.is_active
        or (state.expired_at is not None and state.expired_at <= now)
    ):
        raise Unauthenticated()
    last = state.last_used_at or now
    if now - last > idle:
        await repository.revoke_tokens(session, state.account_id, now, token_id=state.token_id)
        raise Unauthenticated("Your session has expired.")
    if now - last > min(idle / 10, timedelta(minutes=1)):
        await repository.touch_token(session, state.token_id, now)
    return Principal(account_id=state.account_id, role=Role.admin, token_id=state.token_id, login=state.login)


async def console_logout(session: AsyncSession, principal: Principal) -> None:
    await repository.revoke_tokens(session, principal.account_id, utcnow(), token_id=principal.token_id)


async def _count_attempt(
    session: AsyncSession, key: str, max_failures: int, policy: LoginPolicy, now: datetime
) -> int:
    """Count one attempt under `key`; TooManyRequests while it is locked or once over the limit."""
    attempts, locked_until = await repository.count_login_attempt(session, key, now, now - policy.lockout)
    if locked_until is not None and locked_until > now:
        raise TooManyRequests(retry_after=_seconds_until(locked_until, now))
    if attempts > max_failures:
        await repository.lock_login(session, key, now + policy.lockout)
        raise TooManyRequests(retry_after=_seconds_until(now + policy.lockout, now))
    return attempts


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, int((moment - now).total_seconds() + 0.999))
