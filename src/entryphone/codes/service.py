"""Rules of temporary door codes. Never commits.

A code works until `expired_at` and is deleted a day later (`will_deleted_at`), so a resident can
still see that it expired.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.codes import repository
from entryphone.db.base import utcnow
from entryphone.errors import Conflict, ValidationFailed
from entryphone.models import Intercom, IntercomCode, IntercomFlat

CODE_DIGITS = 5
DELETE_AFTER = timedelta(days=1)
MAX_LIFETIME = timedelta(days=366)
MAX_IDS_PER_DELETE = 200
_ATTEMPTS = 50


def is_expired(code: IntercomCode, now: datetime | None = None) -> bool:
    return code.expired_at <= (now or utcnow())


async def create_code(
    session: AsyncSession,
    *,
    intercom: Intercom,
    flat: IntercomFlat,
    title: str,
    expired_at: datetime,
    account_id: int | None = None,
    now: datetime | None = None,
) -> IntercomCode:
    """A new random 5-digit code for `flat` of `intercom`, unique on that intercom.

    `expired_at` (aware) must lie in the future and at most MAX_LIFETIME ahead (422 `expired_at`).
    Conflict when the intercom has no free code left.
    """
    now = now or utcnow()
    if expired_at.tzinfo is None:
        raise ValueError("expired_at must be timezone-aware")
    if expired_at <= now:
        raise ValidationFailed.one("expired_at", "The expired_at must be a date in the future.")
    if expired_at > now + MAX_LIFETIME:
        raise ValidationFailed.one("expired_at", "The expired_at must be at most a year ahead.")
    if flat.intercom_id != intercom.id:
        raise ValidationFailed.one("flat_id", "The selected flat is not a flat of this intercom.")
    for _ in range(_ATTEMPTS):
        candidate = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        if await repository.code_taken(session, intercom.id, candidate):
            continue
        code = IntercomCode(
            intercom_id=intercom.id,
            flat_id=flat.id,
            account_id=account_id,
            title=title,
            code=candidate,
            expired_at=expired_at,
            will_deleted_at=expired_at + DELETE_AFTER,
        )
        try:
            async with session.begin_nested():
                session.add(code)
                await session.flush()
        except IntegrityError:
            continue  # a concurrent request took the same code: draw again
        return code
    raise Conflict("No free door code is left on this intercom; delete some codes first.")


def list_query(
    *,
    intercom_id: int | None = None,
    flat_id: int | None = None,
    account_id: int | None = None,
    intercom_ids: Sequence[int] | None = None,
) -> Select[IntercomCode]:
    """Codes (expired ones included until purged), newest first, for pagination."""
    return repository.list_query(
        intercom_id=intercom_id, flat_id=flat_id, account_id=account_id, intercom_ids=intercom_ids
    )


async def delete_codes(session: AsyncSession, intercom_id: int, ids: Sequence[int]) -> None:
    """Delete codes of one intercom by id; an id that is not a code of it is 422 at `ids.<index>`."""
    if not ids:
        raise ValidationFailed.one("ids", "The ids field must hold at least one id.")
    if len(ids) > MAX_IDS_PER_DELETE:
        raise ValidationFailed.one("ids", f"At most {MAX_IDS_PER_DELETE} codes can be deleted at once.")
    found = await repository.existing_ids(session, intercom_id, ids)
    errors = {
        f"ids.{index}": ["The selected code is invalid."]
        for index, value in enumerate(ids)
        if value not in found
    }
    if errors:
        raise ValidationFailed(errors)
    await repository.delete_ids(session, found)


async def delete_all_of_intercom(session: AsyncSession, intercom_id: int) -> None:
    await repository.delete_of_intercom(session, intercom_id)


async def purge_expired(session: AsyncSession, now: datetime | None = None) -> int:
    """Delete codes whose will_deleted_at has come; returns how many."""
    return await repository.delete_due(session, now or utcnow())


async def is_code_valid(
    session: AsyncSession, intercom_id: int, code: str, now: datetime | None = None
) -> IntercomCode | None:
    """The code if it opens this intercom right now (exists and not expired), else None."""
    found = await repository.find(session, intercom_id, code)
    if found is None or is_expired(found, now):
        return None
    return found


async def ids_of(session: AsyncSession, intercom_id: int, account_id: int) -> list[int]:
    """The ids of the codes `account_id` holds on `intercom_id`."""
    query = list_query(intercom_id=intercom_id, account_id=account_id)
    return [code.id for code in (await session.execute(query)).scalars()]
