"""The only SQL of SIP accounts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, and_, literal_column, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.models import Account, ApiToken, Intercom
from entryphone.models.resident_device import ResidentDevice
from entryphone.models.sip_account import SipAccount


async def for_device(session: AsyncSession, device_id: int) -> SipAccount | None:
    result = await session.execute(
        select(SipAccount).where(SipAccount.device_id == device_id).with_for_update()
    )
    return result.scalar_one_or_none()


async def device(session: AsyncSession, account_id: int, uuid: str) -> ResidentDevice | None:
    result = await session.execute(
        select(ResidentDevice).where(ResidentDevice.account_id == account_id, ResidentDevice.uuid == uuid)
    )
    return result.scalar_one_or_none()


async def login_taken(session: AsyncSession, login: str) -> bool:
    phone = select(SipAccount.id).where(SipAccount.login == login)
    panel = select(Intercom.id).where(Intercom.sip_login == login, Intercom.status != "deleted")
    result = await session.execute(select(phone.exists() | panel.exists()))
    return bool(result.scalar())


async def secrets_of(session: AsyncSession, login: str, now: datetime) -> list[tuple[str, str | None]]:
    """(kind, encrypted password) of every live principal with this SIP login, in one statement: a
    phone whose account, device and bearer token are all still live, or a live intercom."""
    phone = (
        select(literal_column("'phone'", String).label("kind"), SipAccount.password_encrypted.label("secret"))
        .join(ApiToken, and_(ApiToken.id == SipAccount.token_id, ApiToken.revoked_at.is_(None)))
        .join(Account, Account.id == SipAccount.account_id)
        .where(
            SipAccount.login == login,
            SipAccount.expires_at > now,
            Account.is_active.is_(True),
            or_(Account.expired_at.is_(None), Account.expired_at > now),
        )
    )
    panel = select(
        literal_column("'panel'", String).label("kind"), Intercom.sip_password_encrypted.label("secret")
    ).where(Intercom.sip_login == login, Intercom.status != "deleted")
    both = union_all(phone, panel).subquery()
    rows = await session.execute(select(both.c.kind, both.c.secret))
    return [(str(kind), None if secret is None else str(secret)) for kind, secret in rows.all()]


async def device_of_login(session: AsyncSession, login: str) -> tuple[int, str] | None:
    """(account id, X-UUID) of the phone with this SIP login, if it is one."""
    result = await session.execute(
        select(SipAccount.account_id, ResidentDevice.uuid)
        .join(ResidentDevice, ResidentDevice.id == SipAccount.device_id)
        .where(SipAccount.login == login)
    )
    row = result.first()
    return None if row is None else (int(row[0]), str(row[1]))
