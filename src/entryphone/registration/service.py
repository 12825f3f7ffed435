"""The self-registration state machine. Never commits; pushes leave after the commit.

    POST /api/v1/intercom            -> pending (a short code, valid CODE_TTL)
    code typed on a panel            -> code_entered (the key must follow within KEY_WINDOW)
    key touched on the same panel    -> completed: the intercom is the resident's, status key_confirmed,
                                        the key is their `main` key
    POST /api/v1/intercom/{id}/flat  -> the resident holds the flat, status confirmed

The device-side steps (`code_entered`, `key_touched`) are called by the fleet supervisor from the
panel's events; each returns an Outcome and pushes the result to the resident.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.db.base import utcnow
from entryphone.errors import NotFound, ValidationFailed
from entryphone.flats import service as flats
from entryphone.intercoms import service as intercoms
from entryphone.keys import repository as keys_repository
from entryphone.keys import service as keys
from entryphone.models import Intercom
from entryphone.models.registration import IntercomRegistration
from entryphone.pushes import Publisher, Push, PushEvent, defer
from entryphone.registration import repository
from entryphone.residents import service as residents

CODE_DIGITS = 6
CODE_TTL = timedelta(seconds=120)
KEY_WINDOW = timedelta(seconds=60)
_CODE_ATTEMPTS = 50

PENDING = "pending"
CODE_ENTERED = "code_entered"
COMPLETED = "completed"
EXPIRED = "expired"
FAILED = "failed"


class Result(StrEnum):
    code_accepted = "code_accepted"
    completed = "completed"
    unknown_code = "unknown_code"  # no pending registration has that code (a typo, or a guess)
    expired = "expired"
    already_added = "already_added"  # the resident already has this intercom
    no_registration = "no_registration"  # a key touched with no code typed before it
    key_owned = "key_owned"  # the key is already registered on this intercom
    invalid_key = "invalid_key"


@dataclass(frozen=True)
class Outcome:
    result: Result
    registration: IntercomRegistration | None = None


async def start(
    session: AsyncSession, account_id: int, device: str | None = None, *, now: datetime | None = None
) -> IntercomRegistration:
    """A new short code for the resident to type on the panel; their unfinished attempts are dropped."""
    now = now or utcnow()
    await repository.abandon_open(session, account_id)
    for _ in range(_CODE_ATTEMPTS):
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        if not await repository.code_in_use(session, code, now):
            break
    else:
        raise ValidationFailed.one("code", "No registration code is free right now; try again in a minute.")
    registration = IntercomRegistration(
        account_id=account_id, code=code, status=PENDING, device_uuid=device, expires_at=now + CODE_TTL
    )
    session.add(registration)
    await session.flush()
    return registration


async def code_entered(
    session: AsyncSession,
    publisher: Publisher | None,
    *,
    intercom_id: int,
    code: str,
    at: datetime | None = None,
) -> Outcome:
    """Someone typed `code` on the intercom's keypad."""
    at = at or utcnow()
    registration = await repository.live_with_code(session, code)
    if registration is None:
        return Outcome(Result.unknown_code)
    if registration.expires_at <= at:
        return await _fail(session, publisher, registration, EXPIRED, Result.expired, intercom_id)
    await intercoms.get_live(session, intercom_id)
    if await residents.visible_among(session, registration.account_id, [intercom_id]):
        return await _fail(session, publisher, registration, FAILED, Result.already_added, intercom_id)
    registration.intercom_id = intercom_id
    registration.status = CODE_ENTERED
    registration.expires_at = max(registration.expires_at, at + KEY_WINDOW)
    await session.flush()
    return Outcome(Result.code_accepted, registration)


async def key_touched(
    session: AsyncSession,
    publisher: Publisher | None,
    *,
    intercom_id: int,
    key_value: str,
    at: datetime | None = None,
) -> Outcome:
    """A key was read on the intercom: it completes the latest registration whose code was typed there."""
    at = at or utcnow()
    registration: IntercomRegistration | None = None
    for candidate in await repository.awaiting_key(session, intercom_id):
        if candidate.expires_at <= at:
            await _fail(session, publisher, candidate, EXPIRED, Result.expired, intercom_id)
        elif registration is None:
            registration = candidate
    if registration is None:
        return Outcome(Result.no_registration)
    intercom = await intercoms.get_live(session, intercom_id)
    try:
        value = keys.normalize_key(key_value)
    except ValueError:
        return await _fail(session, publisher, registration, FAILED, Result.invalid_key, intercom_id)
    existing = (await keys_repository.by_values(session, intercom_id, [value])).get(value)
    if existing is not None and existing.account_id != registration.account_id:
        return await _fail(session, publisher, registration, FAILED, Result.key_owned, intercom_id)
    if existing is None:
        (existing,) = await keys.add_keys(
            session,
            intercom,
            [value],
            account_id=registration.account_id,
            key_type="main",
            source="registration",
        )
    row = await residents.own_row(session, registration.account_id, intercom_id)
    row.registration_status = residents.KEY_CONFIRMED
    row.key_id = existing.id
    registration.status = COMPLETED
    await session.flush()
    defer(
        session,
        publisher,
        Push(
            registration.account_id,
            PushEvent.intercom_added,
            {"intercom": {"id": intercom_id, "status": residents.KEY_CONFIRMED}, "result": "ok"},
        ),
    )
    return Outcome(Result.completed, registration)


async def choose_flat(
    session: AsyncSession,
    publisher: Publisher | None,
    *,
    account_id: int,
    device: str | None,
    intercom_id: int,
    flat_number: int,
) -> Intercom:
    """The resident picks their flat on an intercom they registered (status key_confirmed)."""
    intercom = await residents.get_visible(session, account_id, intercom_id)
    if await residents.status_of(session, account_id, intercom_id) != residents.KEY_CONFIRMED:
        raise NotFound()
    try:
        # Locked: two residents choosing the same flat at once are decided one after the other.
        flat = await flats.get_flat_by_number(session, intercom_id, flat_number, for_update=True)
    except NotFound:
        raise ValidationFailed.one("flat", _range_message(intercom)) from None
    if await repository.flat_holders(session, flat.id) - {account_id}:
        raise ValidationFailed.one("flat", "The flat is already taken by another resident.")
    await flats.attach_resident(session, flat, account_id, source="self")
    row = await residents.own_row(session, account_id, intercom_id)
    if row.key_id is not None:
        key = await keys.get_key(session, intercom_id, row.key_id)
        await keys.update_key(session, intercom, key, keys.KeyBinding(flat_id=flat.id))
    row.registration_status = residents.CONFIRMED
    row.flat_id = flat.id
    await session.flush()
    defer(
        session,
        publisher,
        Push(
            account_id,
            PushEvent.intercom_flat_chosen,
            {"intercom": {"id": intercom_id, "status": residents.CONFIRMED}, "flat": flat_number},
            exclude_device=device,
        ),
    )
    return intercom


def _range_message(intercom: Intercom) -> str:
    if intercom.flat_from is None or intercom.flat_to is None:
        return "The intercom has no flats to choose from."
    return f"The flat must be between {intercom.flat_from} and {intercom.flat_to}."


async def _fail(
    session: AsyncSession,
    publisher: Publisher | None,
    registration: IntercomRegistration,
    status: str,
    result: Result,
    intercom_id: int,
) -> Outcome:
    registration.status = status
    registration.error = result.value
    await session.flush()
    defer(
        session,
        publisher,
        Push(
            registration.account_id,
            PushEvent.intercom_registration_failed,
            {"intercom": {"id": intercom_id}, "result": "error", "reason": result.value},
        ),
    )
    return Outcome(result, registration)
