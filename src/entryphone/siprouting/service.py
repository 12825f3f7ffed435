"""Whom a panel's call rings now, and what Kamailio reports about it. Never commits.

Kamailio authenticates the panel, then asks `route(panel login, dialled number, Call-ID)`. The
answer is read in one statement (siprouting.repository) and decided here with the schedule rules
the rest of the platform uses: the phones of the flat's residents whose schedule for this intercom
lets them ring now (is_enabled, timetable) and that hold a live SIP account, if the flat's
smartphone line is on; the flat's landline number through the configured trunk, if its landline
line is on. The call is recorded (calls.service) and the devices that ring get the usual push with
the SIP server to register to. Kamailio then forks, parks the call for phones that are not
registered (tsilo) and reports ringing, answered, ended and failed (`report`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.calls import service as calls
from entryphone.config import Settings
from entryphone.db.base import utcnow
from entryphone.pushes import Publisher
from entryphone.residents.service import Offer
from entryphone.schedule import rule
from entryphone.schedule.timetable import Timetable
from entryphone.sipaccounts import repository as accounts_repository
from entryphone.siprouting import repository

# Dialled numbers are flat numbers: digits only (a 2N panel dials `sip:<flat>@domain`).
_FLAT_NUMBER = re.compile(r"^[0-9]{1,9}$")
# A landline number handed to the trunk: digits with an optional leading +.
_LANDLINE = re.compile(r"^\+?[0-9]{2,20}$")


@dataclass(frozen=True)
class Route:
    """The answer Kamailio acts on. `code` 200: ring `phones` (SIP logins) and `landline` (a SIP
    URI through the trunk) for at most `ring` seconds, then allow `talk` seconds; 404/480/403:
    reply that to the panel and ring nobody."""

    code: int
    reason: str
    call_id: int | None = None
    ring: int = 0
    talk: int = 0
    phones: list[str] = field(default_factory=list)
    landline: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "reason": self.reason,
            "call": self.call_id or 0,
            "ring": self.ring,
            "talk": self.talk,
            "phones": self.phones,
            "landline": self.landline,
        }


def call_limits(settings: Settings, options: dict[str, Any] | None) -> tuple[int, int]:
    """The ring and talk limits of an intercom's calls: its sip_options, else the settings'."""
    options = options or {}
    ring, talk = options.get("ring_duration"), options.get("talk_duration")
    return (
        ring if isinstance(ring, int) and ring > 0 else settings.sip_ring_seconds,
        talk if isinstance(talk, int) and talk > 0 else settings.sip_talk_seconds,
    )


def sip_server(settings: Settings) -> dict[str, Any]:
    """Where phones register: what pushes and GET /api/v1/sip-account tell them."""
    return {
        "server": settings.sip_advertised_host(),
        "port": settings.sip_port,
        "transport": "udp",
        "realm": settings.sip_domain,
    }


def landline_uri(settings: Settings, number: str | None) -> str:
    """The landline number as a SIP URI through the trunk; empty when either is missing or malformed."""
    trunk = settings.sip_trunk.strip()
    if not trunk or number is None:
        return ""
    digits = number.replace(" ", "").replace("-", "")
    if not _LANDLINE.match(digits):
        return ""
    scheme, _, host = trunk.partition(":")
    if scheme not in ("sip", "sips") or not host:
        return ""
    return f"{scheme}:{digits}@{host}"


async def route(
    session: AsyncSession,
    publisher: Publisher | None,
    settings: Settings,
    *,
    panel: str,
    number: str,
    sip_call_id: str,
    node: str,
    at: datetime | None = None,
) -> Route:
    at = at or utcnow()
    if not _FLAT_NUMBER.match(number):  # not a flat number: no intercom's flat, nothing to record
        return Route(code=404, reason="Not Found")
    rows = await repository.route_rows(session, panel, int(number), sip_call_id, at, at - calls.ADOPT_WINDOW)
    if not rows:  # not a panel (a phone calling, a deleted intercom): only panels call flats
        return Route(code=403, reason="Forbidden")
    intercom_ids = {row.intercom_id for row in rows}
    if len(intercom_ids) > 1:  # two live intercoms share the login: refuse rather than guess
        return Route(code=403, reason="Forbidden")
    first = rows[0]
    ring, talk = call_limits(settings, first.sip_options)
    if first.flat_id is None:
        call_id = await calls.sip_call_refused(
            session,
            publisher,
            intercom_id=first.intercom_id,
            flat_id=None,
            offers=[],
            sip_call_id=sip_call_id,
            sip_node=node,
            reason=calls.REASON_UNKNOWN_FLAT,
            at=at,
            known_call_id=first.known_call_id,
        )
        return Route(code=404, reason="Not Found", call_id=call_id)
    offers: list[Offer] = []
    phones: list[str] = []
    for row in rows:
        if row.account_id is None or row.device_uuid is None:
            continue
        schedule = (
            None
            if row.schedule_enabled is None
            else rule.DeviceSchedule(
                is_enabled=row.schedule_enabled, timetable=Timetable.from_json(row.schedule_timetable)
            )
        )
        rings = first.smartphone_line and rule.rings(schedule, at)
        offers.append(Offer(account_id=row.account_id, device=row.device_uuid, rings=rings))
        if rings and row.sip_login is not None:
            phones.append(row.sip_login)
    landline = landline_uri(settings, first.landline_number) if first.landline_line else ""
    if not phones and not landline:
        call_id = await calls.sip_call_refused(
            session,
            publisher,
            intercom_id=first.intercom_id,
            flat_id=first.flat_id,
            offers=offers,
            sip_call_id=sip_call_id,
            sip_node=node,
            reason=calls.REASON_UNAVAILABLE,
            at=at,
            known_call_id=first.known_call_id,
        )
        return Route(code=480, reason="Temporarily Unavailable", call_id=call_id)
    call_id = await calls.sip_call_routed(
        session,
        publisher,
        intercom_id=first.intercom_id,
        flat_id=first.flat_id,
        offers=offers,
        sip_call_id=sip_call_id,
        sip_node=node,
        sip={**sip_server(settings), "call_id": sip_call_id},
        at=at,
        ring_seconds=ring,
        talk_seconds=talk,
        known_call_id=first.known_call_id,
        panel_call_id=first.panel_call_id,
    )
    return Route(
        code=200, reason="OK", call_id=call_id, ring=ring, talk=talk, phones=phones, landline=landline
    )


# What Kamailio reports: the event names of the configuration template (sip/kamailio.cfg.tmpl).
EVENTS = ("answered", "finished", "tick", "node_started", "node_stopped")


async def report(
    session: AsyncSession,
    publisher: Publisher | None,
    *,
    event: str,
    sip_call_id: str = "",
    user: str = "",
    code: int = 0,
    canceled: bool = False,
    node: str = "",
    at: datetime | None = None,
) -> None:
    at = at or utcnow()
    if event == "answered":
        device = await accounts_repository.device_of_login(session, user)
        await calls.sip_answered(session, publisher, sip_call_id, answered_by=user, device=device, at=at)
    elif event == "finished":
        await calls.sip_finished(session, publisher, sip_call_id, reason=finish_reason(code, canceled), at=at)
    elif event == "tick":
        await calls.sip_tick(session, publisher, node, at)
    elif event in ("node_started", "node_stopped"):
        await calls.sip_node_stopped(session, publisher, node, at)


def finish_reason(code: int, canceled: bool) -> str:
    """How a call ended, from the final SIP status Kamailio saw: 2xx then BYE = answered; the panel's
    CANCEL = cancelled; 408 (ring limit) or 480 = missed; 486/603 from every phone = declined."""
    if 200 <= code < 300:
        return calls.REASON_ANSWERED
    if canceled or code == 487:
        return calls.REASON_CANCELLED
    if code in (408, 480):
        return calls.REASON_MISSED
    if code in (486, 600, 603):
        return calls.REASON_DECLINED
    return calls.REASON_FAILED
