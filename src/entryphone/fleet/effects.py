"""What stored device events cause in the domain. Each effect runs in the transaction that stores
the event, so it happens exactly once; pushes leave after the commit.

- CardEntered while the intercom collects keys -> the key is added (unbound), once.
- CodeEntered, then CardEntered -> the self-registration steps.
- CallStateChanged of a call to a flat -> the resident call log (ringing devices chosen by their
  call schedules), and its end -> missed or ended.
- a valid card or code -> the door-open history.
- a switch turned on right after the phone in a call sent that relay's DTMF code (DtmfPressed,
  2.4x firmware) -> the door-open history, with the call, the phone and its resident.
- tamper, a door forced open, a door open too long -> an admin alert.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.calls import service as calls
from entryphone.errors import EntryphoneError
from entryphone.flats import service as flats
from entryphone.fleet import repository
from entryphone.fleet.journal import Effect, EffectContext, StoredEvent
from entryphone.keys import service as keys
from entryphone.models import Intercom
from entryphone.models.call import IntercomCall
from entryphone.models.door_opening import DoorOpening
from entryphone.models.intercom_alert import IntercomAlert
from entryphone.pushes import ADMINS, Publisher, Push, PushEvent, defer
from entryphone.pushes import SERVICE_NAME as PUSHES
from entryphone.registration import service as registration

log = logging.getLogger(__name__)

ALERT_KINDS = {"tamper", "door_open_too_long", "unauthorized_door_open"}
# The flat a panel calls: sip:<number>@server, or a bare number.
_CALLED_FLAT = re.compile(r"^(?:sips?:)?(\d{1,6})(?:@.*)?$")
# The digits of one DTMF code arrive within this; the switch follows the last digit at once (the
# device's clock has whole seconds, hence the margin).
DTMF_CODE_WINDOW = timedelta(seconds=30)
DTMF_SWITCH_DELAY = timedelta(seconds=2)


def _publisher(context: EffectContext) -> Publisher | None:
    hub = context.services.get(PUSHES)
    return hub if hub is not None and hasattr(hub, "publish_nowait") else None


def _text(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


async def collect_keys(session: AsyncSession, context: EffectContext, event: StoredEvent) -> None:
    uid = _text(event.params, "uid")
    if event.kind != "card" or uid is None:
        return
    facts = (await context.intercoms(session)).get(event.intercom_id)
    if facts is None or not facts.collecting_keys:
        return
    intercom = await session.get(Intercom, event.intercom_id)
    if intercom is None:
        return
    try:
        await keys.collect_key(session, intercom, uid)
    except ValueError:
        log.info("intercom %s: card %r is not a key UID entryphone accepts", event.intercom_id, uid)


async def self_registration(session: AsyncSession, context: EffectContext, event: StoredEvent) -> None:
    if event.kind == "code" and (code := _text(event.params, "code")):
        outcome = await registration.code_entered(
            session, _publisher(context), intercom_id=event.intercom_id, code=code, at=event.occurred_at
        )
        if outcome.registration is not None:
            codes_typed: set[int] = await context.fact("codes_typed", _empty_set)
            codes_typed.add(event.intercom_id)  # a card later in this batch may complete it
    elif (
        event.kind == "card"
        and (uid := _text(event.params, "uid"))
        and await _awaits_key(session, context, event)
    ):
        await registration.key_touched(
            session, _publisher(context), intercom_id=event.intercom_id, key_value=uid, at=event.occurred_at
        )


async def _awaits_key(session: AsyncSession, context: EffectContext, event: StoredEvent) -> bool:
    """Most cards are not part of a self-registration: the batch's facts say which intercoms wait
    for a key, instead of a query per card."""
    facts = (await context.intercoms(session)).get(event.intercom_id)
    if facts is not None and facts.awaiting_key:
        return True
    codes_typed: set[int] = await context.fact("codes_typed", _empty_set)
    return event.intercom_id in codes_typed


async def _empty_set() -> set[int]:
    return set()


async def call_log(session: AsyncSession, context: EffectContext, event: StoredEvent) -> None:
    if event.kind != "call_state" or event.params.get("direction") != "outgoing":
        return
    session_id = _text(event.params, "session")
    state = event.params.get("state")
    if session_id is None:
        return
    # The panel's call session id. Ids restart with the panel, so only a call still in progress
    # matches: the boot time estimated from each event (utcTime - upTime) wobbles by a second and
    # cannot be part of the id.
    external_id = f"panel:{session_id}"
    if state == "ringing":
        match = _CALLED_FLAT.match(_text(event.params, "peer") or "")
        if match is None:
            return
        try:
            flat = await flats.get_flat_by_number(session, event.intercom_id, int(match.group(1)))
        except EntryphoneError:
            return  # a call to a number that is not one of this intercom's flats
        if await _call_in_progress(session, event.intercom_id, external_id) is None:
            await calls.call_ringing(
                session,
                _publisher(context),
                intercom_id=event.intercom_id,
                flat_id=flat.id,
                at=event.occurred_at,
                external_id=external_id,
                sip_call_id=_text(event.params, "sipCallId"),
            )
    elif state == "terminated":
        call = await _call_in_progress(session, event.intercom_id, external_id)
        if call is not None:
            await calls.call_terminated(session, _publisher(context), call.id, at=event.occurred_at)


async def _call_in_progress(session: AsyncSession, intercom_id: int, external_id: str) -> IntercomCall | None:
    call = await calls.find_by_external_id(session, intercom_id, external_id)
    return call if call is not None and call.status in (calls.RING, calls.ANSWERED) else None


async def door_history(session: AsyncSession, _context: EffectContext, event: StoredEvent) -> None:
    if event.kind not in {"card", "code"} or event.params.get("valid") is not True:
        return
    credential = _text(event.params, "uid" if event.kind == "card" else "code")
    if credential is None:
        return
    owner = await repository.credential_owner(session, event.intercom_id, event.kind, credential)
    session.add(
        DoorOpening(
            intercom_id=event.intercom_id,
            source="key" if event.kind == "card" else "code",
            credential=credential[:32],
            account_id=owner,
            event_id=event.id,
            opened_at=event.occurred_at,
        )
    )


async def dtmf_door(session: AsyncSession, _context: EffectContext, event: StoredEvent) -> None:
    """A switch turned on just after the digits of a call ended with the code the intercom's
    sip_options give that relay: the phone opened the door. Firmware without DtmfPressed (2.21)
    says nothing that ties a switch to a call, and nothing is recorded as DTMF there."""
    switch = event.params.get("switch")
    if event.kind != "switch_state" or event.params.get("state") is not True or not isinstance(switch, int):
        return
    digits = await repository.recent_events(
        session, event.intercom_id, "dtmf", event.occurred_at - DTMF_CODE_WINDOW, event.id
    )
    if not digits or digits[-1].occurred_at < event.occurred_at - DTMF_SWITCH_DELAY:
        return
    call_session = digits[-1].params.get("session")
    typed = "".join(str(d.params.get("key", "")) for d in digits if d.params.get("session") == call_session)
    intercom = await session.get(Intercom, event.intercom_id)
    options = (intercom.sip_options if intercom is not None else None) or {}
    code = next(
        (
            str(item.get("value", "")).upper()
            for item in options.get("dtmf") or ()
            if item.get("id") == switch
        ),
        "",
    )
    if not code or not typed.upper().endswith(code):
        return
    # The call Kamailio routed (its SIP Call-ID is in the panel's call events): that record learns
    # who answered. Else the record the panel's own events opened.
    sip_call_id = await repository.sip_call_id_of(session, event.intercom_id, call_session, event.id)
    call = await calls.find_by_sip_call_id(session, sip_call_id) if sip_call_id else None
    if call is None:
        call = await calls.find_by_external_id(session, event.intercom_id, f"panel:{call_session}")
    session.add(
        DoorOpening(
            intercom_id=event.intercom_id,
            source="dtmf",
            credential=code[:32],
            account_id=call.answered_account_id if call is not None else None,
            device_uuid=call.answered_device_uuid if call is not None else None,
            call_id=call.id if call is not None else None,
            event_id=event.id,
            opened_at=event.occurred_at,
        )
    )


async def alerts(session: AsyncSession, context: EffectContext, event: StoredEvent) -> None:
    # TamperSwitchActivated reports both edges; only the switch being activated is an alert.
    if event.kind not in ALERT_KINDS or (event.kind == "tamper" and event.params.get("state") == "out"):
        return
    alert = IntercomAlert(
        intercom_id=event.intercom_id,
        kind=event.kind,
        event_id=event.id,
        occurred_at=event.occurred_at,
        details=dict(event.params),
    )
    session.add(alert)
    await session.flush()
    data = {
        "intercom_id": event.intercom_id,
        "alert": {"id": alert.id, "kind": alert.kind, "details": alert.details},
    }
    defer(session, _publisher(context), Push(ADMINS, PushEvent.intercom_alert.value, data))


# Registration first: a key touched to complete a registration becomes the resident's main key
# before key collection would record it as an unbound collected key.
EFFECTS: list[Effect] = [self_registration, collect_keys, call_log, door_history, dtmf_door, alerts]
