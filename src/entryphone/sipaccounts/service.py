"""Rules of phones' SIP accounts and of Digest authentication for Kamailio. Never commits.

A phone (one X-UUID device of a resident) gets one account: a random login (the user part of its
SIP address, also its Digest username) and a random password, Fernet-encrypted at rest. It is
renewed (new password, new expiry) when less than a third of its life is left, and it follows the
bearer token that asked for it: another token of the same phone takes it over with a new password,
a revoked token, a removed device or resident ends it (the rows cascade; the Digest lookup checks
the token). Kamailio never stores a secret: it asks `digest_ha1` on every REGISTER and INVITE.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.db.base import utcnow
from entryphone.errors import NotFound
from entryphone.models.sip_account import SipAccount
from entryphone.security.secretbox import SecretBox
from entryphone.sipaccounts import repository

LOGIN_PREFIX = "ph"  # phones' logins: "ph" + 20 hex digits, never an intercom's login (checked)
# A SIP user part Kamailio passes to the platform: anything else is refused before any lookup.
LOGIN_ALPHABET = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+")
MAX_LOGIN = 64


@dataclass(frozen=True)
class Issued:
    """What the client API answers: the account with its password in clear (to its own phone only)."""

    login: str
    password: str
    expires_at: datetime


async def issue(
    session: AsyncSession,
    box: SecretBox,
    *,
    account_id: int,
    device_uuid: str,
    token_id: int,
    lifetime: timedelta,
) -> Issued:
    device = await repository.device(session, account_id, device_uuid)
    if device is None:  # the client dependency records the device before any route runs
        raise NotFound()
    now = utcnow()
    row = await repository.for_device(session, device.id)
    if row is None:
        row = SipAccount(
            device_id=device.id,
            account_id=account_id,
            token_id=token_id,
            login=await _new_login(session),
            password_encrypted=box.encrypt(_new_password()),
            expires_at=now + lifetime,
        )
        session.add(row)
        await session.flush()
    elif row.token_id != token_id or row.expires_at - now < lifetime / 3:
        row.token_id = token_id
        row.password_encrypted = box.encrypt(_new_password())
        row.expires_at = now + lifetime
        await session.flush()
    return Issued(login=row.login, password=box.decrypt(row.password_encrypted), expires_at=row.expires_at)


def valid_login(login: str) -> bool:
    return 0 < len(login) <= MAX_LOGIN and set(login) <= LOGIN_ALPHABET


def ha1(login: str, realm: str, password: str) -> str:
    """RFC 2617 HA1 = MD5(user:realm:password): what Kamailio's pv_auth_check compares against.
    MD5 is what Digest (and every SIP phone) speaks; it is computed per request, never stored."""
    return hashlib.md5(f"{login}:{realm}:{password}".encode(), usedforsecurity=False).hexdigest()


async def digest_ha1(
    session: AsyncSession, box: SecretBox, login: str, realm: str, now: datetime | None = None
) -> tuple[str, str] | None:
    """(kind, HA1) for a live phone or intercom with this login; None when there is none, when the
    login is ambiguous (a phone and a panel, or two panels) or has no password installed."""
    if not valid_login(login):
        return None
    found = await repository.secrets_of(session, login, now or utcnow())
    if len(found) != 1:
        return None
    kind, encrypted = found[0]
    if encrypted is None:
        return None
    return kind, ha1(login, realm, box.decrypt(encrypted))


async def _new_login(session: AsyncSession) -> str:
    while True:
        login = LOGIN_PREFIX + secrets.token_hex(10)
        if not await repository.login_taken(session, login):
            return login


def _new_password() -> str:
    return secrets.token_urlsafe(24)
