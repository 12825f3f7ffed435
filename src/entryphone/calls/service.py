"""The call state machine. Never commits; pushes leave after the commit (pushes.defer).

    ring --start--> answered --end--> ended
    ring --every ringing device declined--> rejected
    ring --the panel hangs up (call_terminated)--> missed
    answered --the panel hangs up (call_terminated)--> ended

A call is offered to every known device of every resident of the flat; the devices whose schedule
allows it ring, the others stay silent (the call is still in their log). A transition the state
does not allow is NotFound, as the platform documents.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.calls import repository
from entryphone.db.base import utcnow
from entryphone.errors import NotFound
from entryphone.models.call import IntercomCall, IntercomCallDevice
from entryphone.pushes import Publisher, Push, PushEvent, defer
from entryphone.residents import service as residents

RING = "ring"
ANSWERED = "answered"
ENDED = "ended"
MISSED = "missed"
REJECTED = "rejected"

# Device states within a call.
RINGING = "ringing"
SILENT = "silent"
DECLINED = "declined"
TAKEN = "answered"

# The list filter `types[]`: a call someone answered, or one nobody answered.
CALL_TYPES: dict[str, tuple[str, ...]] = {
    "answered_intercom_call": (ANSWERED, ENDED),
    "missed_intercom_call": (MISSED, REJECTED),
}


def summary(call: IntercomCall) -> dict[str, Any]:
    """What pushes carry; apps read the full call through GET /api/v1/intercom/calls/{call}."""
    return {"id": call.id, "intercom_id": call.intercom_id, "status": call.status}


# -- the panel's side (called by the fleet supervisor) -------------------------------------------


async def call_ringing(
    session: AsyncSession,
    publisher: Publisher | None,
    *,
    intercom_id: int,
    flat_id: int,
    at: datetime | None = None,
    external_id: str | None = None,
) -> IntercomCall:
    """A panel calls a flat: record the call and ring the residents' devices its schedules allow."""
    at = at or utcnow()
    offers = await residents.call_offers(session, intercom_id, flat_id, at)
    call = IntercomCall(
        intercom_id=intercom_id, flat_id=flat_id, status=RING, external_id=external_id, rang_at=at
    )
    session.add(call)
    await session.flush()
    session.add_all(
        IntercomCallDevice(
            call_id=call.id,
            account_id=offer.account_id,
            device_uuid=offer.device,
            state=RINGING if offer.rings else SILENT,
        )
        for offer in offers
    )
    await session.flush()
    ringing: dict[int, set[str]] = {}
    for offer in offers:
        if offer.rings:
            ringing.setdefault(offer.account_id, set()).add(offer.device)
    for account_id, devices in ringing.items():
        defer(
            session,
            publisher,
            Push(account_id, PushEvent.call_ringing, {"call": summary(call)}, devices=frozenset(devices)),
        )
    return call


async def call_terminated(
    session: AsyncSession, publisher: Publisher | None, call_id: int, *, at: datetime | None = None
) -> IntercomCall:
    """The panel ended the call: unanswered -> missed, answered -> ended; a finished call is left as is."""
    call = await repository.get(session, call_id, for_update=True)
    if call is None:
        raise NotFound()
    if call.status == RING:
        await _finish(session, publisher, call, MISSED, at or utcnow(), cause=None)
    elif call.status == ANSWERED:
        await _finish(session, publisher, call, ENDED, at or utcnow(), cause=None)
    return call


async def find_by_external_id(
    session: AsyncSession, intercom_id: int, external_id: str
) -> IntercomCall | None:
    """The latest call the panel knows by `external_id` (its own call session id)."""
    return await repository.by_external_id(session, intercom_id, external_id)


# -- the resident's side (client API) ------------------------------------------------------------


def list_query(
    account_id: int, *, intercom_id: int | None = None, types: Collection[str] = ()
) -> Select[IntercomCall]:
    statuses = {status for kind in types for status in CALL_TYPES[kind]} if types else None
    return repository.list_query(account_id, intercom_id=intercom_id, statuses=statuses)


async def get(session: AsyncSession, account_id: int, call_id: int) -> IntercomCall:
    call = await repository.get_offered(session, account_id, call_id)
    if call is None:
        raise NotFound()
    return call


async def start(
    session: AsyncSession, publisher: Publisher | None, account_id: int, device: str, call_id: int
) -> IntercomCall:
    """This device answers a ringing call; every other device offered it is told it was taken."""
    call, states = await _locked(session, account_id, call_id, RING)
    mine = _device_row(session, states, call, account_id, device)
    if mine.state == DECLINED:
        raise NotFound()
    mine.state = TAKEN
    call.status = ANSWERED
    call.started_at = utcnow()
    call.answered_account_id = account_id
    call.answered_device_uuid = device
    await session.flush()
    for other in {row.account_id for row in states} | {account_id}:
        defer(
            session,
            publisher,
            Push(
                other,
                PushEvent.call_taken,
                {"call": summary(call)},
                exclude_device=device if other == account_id else None,
            ),
        )
    return call


async def decline(
    session: AsyncSession, publisher: Publisher | None, account_id: int, device: str, call_id: int
) -> IntercomCall:
    """This device declines; the others keep ringing. When no device rings any more, the call is rejected."""
    call, states = await _locked(session, account_id, call_id, RING)
    mine = _device_row(session, states, call, account_id, device)
    mine.state = DECLINED
    await session.flush()
    if not any(row.state == RINGING for row in states):
        await _finish(session, publisher, call, REJECTED, utcnow(), cause=device)
    return call


async def end(
    session: AsyncSession, publisher: Publisher | None, account_id: int, device: str, call_id: int
) -> IntercomCall:
    """The resident who answered hangs up."""
    call, _states = await _locked(session, account_id, call_id, ANSWERED)
    if call.answered_account_id != account_id:
        raise NotFound()
    await _finish(session, publisher, call, ENDED, utcnow(), cause=device)
    return call


async def forget(session: AsyncSession, account_id: int, intercom_ids: Sequence[int]) -> None:
    await repository.forget(session, account_id, intercom_ids)


# -- internals -----------------------------------------------------------------------------------


async def _locked(
    session: AsyncSession, account_id: int, call_id: int, status: str
) -> tuple[IntercomCall, list[IntercomCallDevice]]:
    call = await repository.get_offered(session, account_id, call_id, for_update=True)
    if call is None or call.status != status:
        raise NotFound()
    return call, await repository.devices(session, call.id)


def _device_row(
    session: AsyncSession, states: list[IntercomCallDevice], call: IntercomCall, account_id: int, device: str
) -> IntercomCallDevice:
    """This device's row of the call; a device of an offered resident that was not known yet gets one."""
    for row in states:
        if row.account_id == account_id and row.device_uuid == device:
            return row
    row = IntercomCallDevice(call_id=call.id, account_id=account_id, device_uuid=device, state=SILENT)
    session.add(row)
    states.append(row)
    return row


async def _finish(
    session: AsyncSession,
    publisher: Publisher | None,
    call: IntercomCall,
    status: str,
    at: datetime,
    *,
    cause: str | None,
) -> None:
    call.status = status
    call.ended_at = at
    await session.flush()
    for account_id in {row.account_id for row in await repository.devices(session, call.id)}:
        defer(
            session,
            publisher,
            Push(account_id, PushEvent.call_ended, {"call": summary(call)}, exclude_device=cause),
        )
