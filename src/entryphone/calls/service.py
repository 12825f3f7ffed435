"""The call state machine. Never commits; pushes leave after the commit (pushes.defer).

    ring --start--> answered --end--> ended
    ring --every ringing device declined--> rejected
    ring --the panel hangs up (call_terminated)--> missed
    answered --the panel hangs up (call_terminated)--> ended

A call is offered to every known device of every resident of the flat; the devices whose schedule
allows it ring, the others stay silent (the call is still in their log). A transition the state
does not allow is NotFound, as the platform documents.

A call routed by Kamailio (siprouting/) is the same record: it carries the SIP Call-ID, the node
that routed it and how it ended (`end_reason`); Kamailio's reports move it along the same states.
The panel's own CallStateChanged and the SIP route describe one call: whichever comes second
adopts the call the first one opened (same intercom and flat, still ringing, within ADOPT_SECONDS).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
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

CALL_STATUSES = (RING, ANSWERED, ENDED, MISSED, REJECTED)

# Device states within a call.
RINGING = "ringing"
SILENT = "silent"
DECLINED = "declined"
TAKEN = "answered"

# How a call ended (`end_reason`): reported by Kamailio, or decided by the platform.
REASON_ANSWERED = "answered"  # answered, then hung up (or the talk limit)
REASON_MISSED = "missed"  # rang until the ring limit
REASON_CANCELLED = "cancelled"  # the panel hung up before anyone answered
REASON_DECLINED = "declined"  # every phone declined
REASON_UNAVAILABLE = "unavailable"  # nobody may be rung now (schedules, line flags, no phones)
REASON_UNKNOWN_FLAT = "unknown_flat"  # the dialled number is none of the intercom's flats
REASON_FAILED = "failed"  # the SIP side failed (error reply, Kamailio stopped mid-call)
END_REASONS = (
    REASON_ANSWERED,
    REASON_MISSED,
    REASON_CANCELLED,
    REASON_DECLINED,
    REASON_UNAVAILABLE,
    REASON_UNKNOWN_FLAT,
    REASON_FAILED,
)
# Kamailio reports a call's end within this long after its ring or talk limit, or the tick closes it.
SIP_GRACE = timedelta(seconds=10)
# A panel's event and the SIP route of the same call arrive within this many seconds of each other.
ADOPT_SECONDS = 30

# The list filter `types[]`: a call someone answered, or one nobody answered.
ADOPT_WINDOW = timedelta(seconds=ADOPT_SECONDS)
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
    sip_call_id: str | None = None,
) -> IntercomCall:
    """A panel calls a flat: record the call and ring the residents' devices its schedules allow.

    A panel that called over SIP names the call's SIP Call-ID (`sipCallId`): Kamailio's routing
    query recorded that call before the panel could hear it ring, so this event adopts it whatever
    its state by now (a quick answer may already be reported)."""
    at = at or utcnow()
    if external_id is not None and sip_call_id is not None:
        routed = await repository.by_sip_call_id(session, sip_call_id, for_update=True)
        if routed is not None and routed.intercom_id == intercom_id and routed.external_id is None:
            routed.external_id = external_id
            await session.flush()
            return routed
    if external_id is not None:
        routed = await repository.sip_call_to_adopt(session, intercom_id, flat_id, at - ADOPT_WINDOW)
        if routed is not None:  # Kamailio routed this call first: it is already offered and rung
            routed.external_id = external_id
            await session.flush()
            return routed
    offers = await residents.call_offers(session, intercom_id, flat_id, at)
    return await _open(session, publisher, intercom_id, flat_id, offers, at, external_id=external_id)


async def _open(
    session: AsyncSession,
    publisher: Publisher | None,
    intercom_id: int,
    flat_id: int | None,
    offers: Sequence[residents.Offer],
    at: datetime,
    *,
    external_id: str | None = None,
) -> IntercomCall:
    """The panel's event opens a call (a call Kamailio routes is opened by _open_sip)."""
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
    _push_ringing(session, publisher, summary(call), offers, None)
    return call


def _push_ringing(
    session: AsyncSession,
    publisher: Publisher | None,
    call: dict[str, Any],
    offers: Sequence[residents.Offer],
    sip: dict[str, Any] | None,
) -> None:
    ringing: dict[int, set[str]] = {}
    for offer in offers:
        if offer.rings:
            ringing.setdefault(offer.account_id, set()).add(offer.device)
    data: dict[str, Any] = {"call": call}
    if sip is not None:  # where a phone woken by this push registers to join the call
        data["sip"] = sip
    for account_id, devices in ringing.items():
        defer(session, publisher, Push(account_id, PushEvent.call_ringing, data, devices=frozenset(devices)))


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


async def find_by_sip_call_id(session: AsyncSession, sip_call_id: str) -> IntercomCall | None:
    """The call Kamailio routed with this SIP Call-ID (the panel's events carry it as sipCallId)."""
    return await repository.by_sip_call_id(session, sip_call_id)


# -- Kamailio's side (siprouting/) ---------------------------------------------------------------


async def sip_call_routed(
    session: AsyncSession,
    publisher: Publisher | None,
    *,
    intercom_id: int,
    flat_id: int,
    offers: Sequence[residents.Offer],
    sip_call_id: str,
    sip_node: str,
    sip: dict[str, Any],
    at: datetime,
    ring_seconds: int,
    talk_seconds: int,
    known_call_id: int | None,
    panel_call_id: int | None,
) -> int:
    """Kamailio asked whom to ring: record the call (or adopt the one the panel's event opened) and
    return its id. `known_call_id` and `panel_call_id` come with the routing statement's rows: the
    call this Call-ID opened before (Kamailio asked again for a retransmitted INVITE) and a ringing
    call of the panel's event to adopt. The ordinary path is two INSERTs (call, offered devices)."""
    if known_call_id is not None:
        return known_call_id
    deadline = at + timedelta(seconds=ring_seconds) + SIP_GRACE
    if panel_call_id is not None:
        call = await repository.get(session, panel_call_id, for_update=True)
        # Locked and read again: a concurrent route or the panel's end may have taken it meanwhile.
        if call is not None and call.status == RING and call.sip_call_id is None:
            call.sip_call_id, call.sip_node = sip_call_id, sip_node
            call.sip_talk_seconds, call.sip_deadline = talk_seconds, deadline
            await session.flush()
            return call.id
    return await _open_sip(
        session,
        publisher,
        {
            "intercom_id": intercom_id,
            "flat_id": flat_id,
            "status": RING,
            "rang_at": at,
            "sip_call_id": sip_call_id,
            "sip_node": sip_node,
            "sip_talk_seconds": talk_seconds,
            "sip_deadline": deadline,
        },
        offers,
        sip,
    )


async def sip_call_refused(
    session: AsyncSession,
    publisher: Publisher | None,
    *,
    intercom_id: int,
    flat_id: int | None,
    offers: Sequence[residents.Offer],
    sip_call_id: str,
    sip_node: str,
    reason: str,
    at: datetime,
    known_call_id: int | None,
) -> int:
    """Nobody can be rung (unknown flat, nobody available): the call is recorded as it ended, and
    its id returned. The residents offered it (all silent) see it end in their log."""
    if known_call_id is not None:
        return known_call_id
    silent = [residents.Offer(account_id=o.account_id, device=o.device, rings=False) for o in offers]
    values = {
        "intercom_id": intercom_id,
        "flat_id": flat_id,
        "status": MISSED,
        "rang_at": at,
        "ended_at": at,
        "end_reason": reason,
        "sip_call_id": sip_call_id,
        "sip_node": sip_node,
    }
    call_id = await _open_sip(session, publisher, values, silent, None)
    pushed = {"call": {"id": call_id, "intercom_id": intercom_id, "status": MISSED}}
    for account_id in {offer.account_id for offer in silent}:
        defer(session, publisher, Push(account_id, PushEvent.call_ended, pushed))
    return call_id


async def _open_sip(
    session: AsyncSession,
    publisher: Publisher | None,
    values: dict[str, Any],
    offers: Sequence[residents.Offer],
    sip: dict[str, Any] | None,
) -> int:
    """The routing endpoint's record of a call: Core INSERTs, no ORM objects to build and track."""
    call_id = await repository.insert_call(session, values)
    await repository.insert_devices(
        session,
        [
            {
                "call_id": call_id,
                "account_id": offer.account_id,
                "device_uuid": offer.device,
                "state": RINGING if offer.rings else SILENT,
            }
            for offer in offers
        ],
    )
    summary = {"id": call_id, "intercom_id": values["intercom_id"], "status": values["status"]}
    _push_ringing(session, publisher, summary, offers, sip)
    return call_id


async def sip_answered(
    session: AsyncSession,
    publisher: Publisher | None,
    sip_call_id: str,
    *,
    answered_by: str,
    device: tuple[int, str] | None,
    at: datetime,
) -> IntercomCall | None:
    """A branch answered: `answered_by` is the SIP user (a phone's login or the landline number),
    `device` the phone's (account, X-UUID) when it is one. Reports after the first change nothing."""
    call = await repository.by_sip_call_id(session, sip_call_id, for_update=True)
    if call is None or call.status != RING:
        return call
    call.status = ANSWERED
    call.started_at = at
    call.answered_sip_login = answered_by[:64]
    if call.sip_talk_seconds is not None:
        call.sip_deadline = at + timedelta(seconds=call.sip_talk_seconds) + SIP_GRACE
    states = await repository.devices(session, call.id)
    if device is not None:
        account_id, uuid = device
        _device_row(session, states, call, account_id, uuid).state = TAKEN
        call.answered_account_id, call.answered_device_uuid = account_id, uuid
    await session.flush()
    for other in {row.account_id for row in states}:
        defer(
            session,
            publisher,
            Push(
                other,
                PushEvent.call_taken,
                {"call": summary(call)},
                exclude_device=device[1] if device is not None and device[0] == other else None,
            ),
        )
    return call


async def sip_finished(
    session: AsyncSession, publisher: Publisher | None, sip_call_id: str, *, reason: str, at: datetime
) -> IntercomCall | None:
    """The SIP call is over. A ringing call ends missed, cancelled, declined or failed (`reason`), an
    answered one ends answered (or failed); an ended call is left as it is (reports repeat)."""
    call = await repository.by_sip_call_id(session, sip_call_id, for_update=True)
    if call is None or call.status not in (RING, ANSWERED):
        return call
    if call.status == ANSWERED:
        await _finish(session, publisher, call, ENDED, at, cause=None, reason=_answered_end(reason))
    else:
        status = REJECTED if reason == REASON_DECLINED else MISSED
        await _finish(session, publisher, call, status, at, cause=None, reason=reason)
    return call


async def sip_node_stopped(
    session: AsyncSession, publisher: Publisher | None, node: str, at: datetime
) -> int:
    """A Kamailio node stopped (or started afresh): its calls still open can no longer end by
    themselves, so they end failed. Returns how many."""
    open_calls = await repository.open_on_node(session, node)
    for call in open_calls:
        await _finish(
            session,
            publisher,
            call,
            ENDED if call.status == ANSWERED else MISSED,
            at,
            cause=None,
            reason=REASON_FAILED,
        )
    return len(open_calls)


async def sip_tick(session: AsyncSession, publisher: Publisher | None, node: str, now: datetime) -> int:
    """The node is alive: its calls whose end Kamailio should have reported by now are closed. An
    answered call ended at its talk limit (Kamailio's dialog module hung up; its report was lost);
    a call still ringing past its ring limit failed. Returns how many."""
    overdue = await repository.overdue_on_node(session, node, now)
    for call in overdue:
        if call.status == ANSWERED and call.started_at is not None and call.sip_talk_seconds is not None:
            ended = call.started_at + timedelta(seconds=call.sip_talk_seconds)
            await _finish(session, publisher, call, ENDED, ended, cause=None, reason=REASON_ANSWERED)
        else:
            await _finish(session, publisher, call, MISSED, now, cause=None, reason=REASON_FAILED)
    return len(overdue)


def _answered_end(reason: str) -> str:
    return REASON_FAILED if reason == REASON_FAILED else REASON_ANSWERED


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
    """This device answers a ringing call; every other device offered it is told it was taken.
    Asked again by the device that answered (over SIP, say), it answers the call as it is."""
    current = await repository.get_offered(session, account_id, call_id)
    if (
        current is not None
        and current.status == ANSWERED
        and (current.answered_account_id, current.answered_device_uuid) == (account_id, device)
    ):
        return current
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


# -- the admin's call log ------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    account_id: int
    login: str
    name: str


@dataclass(frozen=True)
class Offered:
    """A device the call was offered to and what it did: ringing (it rang, or rings), silent (its
    schedule kept it quiet), declined, answered."""

    resident: Person
    device_uuid: str
    state: str


@dataclass(frozen=True)
class LogEntry:
    call: IntercomCall
    flat: int | None  # the flat number; None for an unknown flat or a flat removed since
    offered: list[Offered]
    answered_by: Person | None

    @property
    def duration(self) -> int | None:
        """Seconds talked: from the answer to the end of an answered call that ended."""
        if self.call.started_at is None or self.call.ended_at is None:
            return None
        return max(0, round((self.call.ended_at - self.call.started_at).total_seconds()))


def intercom_log_query(
    intercom_id: int,
    *,
    flat: int | None = None,
    status: str | None = None,
    end_reason: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[IntercomCall]:
    """Every call of an intercom, newest first, for the paginator; `since`/`until` bound `rang_at`."""
    return repository.intercom_query(
        intercom_id, flat=flat, status=status, end_reason=end_reason, since=since, until=until
    )


async def log_entries(session: AsyncSession, page: Sequence[IntercomCall]) -> list[LogEntry]:
    """One page of calls with their flat numbers, the devices they were offered to and who answered:
    three statements for the whole page."""
    offered: dict[int, list[Offered]] = {}
    for row in await repository.offered_to(session, [call.id for call in page]):
        person = Person(row.account_id, row.login, row.name)
        offered.setdefault(row.call_id, []).append(Offered(person, row.device_uuid, row.state))
    flats = await repository.flat_numbers(session, {c.flat_id for c in page if c.flat_id is not None})
    answerers = await repository.accounts(
        session, {c.answered_account_id for c in page if c.answered_account_id is not None}
    )
    entries = []
    for call in page:
        found = answerers.get(call.answered_account_id) if call.answered_account_id is not None else None
        entries.append(
            LogEntry(
                call=call,
                flat=flats.get(call.flat_id) if call.flat_id is not None else None,
                offered=offered.get(call.id, []),
                answered_by=Person(call.answered_account_id, *found)
                if found is not None and call.answered_account_id is not None
                else None,
            )
        )
    return entries


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
    reason: str | None = None,
) -> None:
    call.status = status
    call.ended_at = at
    if reason is not None:
        call.end_reason = reason
    elif call.end_reason is None:
        call.end_reason = {
            ENDED: REASON_ANSWERED,
            REJECTED: REASON_DECLINED,
            MISSED: REASON_CANCELLED,
        }.get(status)
    await session.flush()
    for account_id in {row.account_id for row in await repository.devices(session, call.id)}:
        defer(
            session,
            publisher,
            Push(account_id, PushEvent.call_ended, {"call": summary(call)}, exclude_device=cause),
        )
