"""The supervisor against emulated panels over loopback: events stored exactly once, online status,
device restarts mid-stream."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.db.base import utcnow
from entryphone.models import Intercom, IntercomCode
from tests.fleet.conftest import add_intercom, count_duplicates, fleet_settings, intercom_row, stored_events
from tests.support import seed
from tests.support.emulators import BackgroundEmulators
from tests.support.server import RunningServer, start_server
from tests.support.wait import until


def test_card_swipe_reaches_the_journal_and_the_device_is_online(
    settings: Settings, emulators: BackgroundEmulators, supervised: RunningServer
) -> None:
    device = emulators.devices[0]
    intercom_id = add_intercom(settings, device)
    until(lambda: intercom_row(settings, intercom_id).is_online, message="intercom never came online")
    emulators.control(device, "card", {"uid": "0104AB12CD", "reader": "internal", "direction": "in"})
    events = until(lambda: stored_events(settings, intercom_id, "CardEntered"), message="card never stored")
    assert len(events) == 1
    assert events[0].kind == "card"
    assert events[0].params.get("uid") == "0104AB12CD"
    assert intercom_row(settings, intercom_id).last_seen_at is not None


def test_device_restart_mid_stream_loses_nothing_and_duplicates_nothing(
    settings: Settings, emulators: BackgroundEmulators, supervised: RunningServer
) -> None:
    device = emulators.devices[1]
    intercom_id = add_intercom(settings, device)
    until(lambda: intercom_row(settings, intercom_id).is_online)
    emulators.control(device, "code", {"code": "11111"})
    until(lambda: stored_events(settings, intercom_id, "CodeEntered"))

    emulators.restart(device)
    # Right after the boot more things happen; the panel's event ids start again at 1.
    emulators.control(device, "code", {"code": "22222"})
    emulators.control(device, "code", {"code": "33333"})
    codes = until(
        lambda: (
            [e.params.get("code") for e in stored_events(settings, intercom_id, "CodeEntered")]
            if len(stored_events(settings, intercom_id, "CodeEntered")) >= 3
            else None
        ),
        timeout=30,
    )
    assert sorted(codes) == ["11111", "22222", "33333"]
    starts = stored_events(settings, intercom_id, "DeviceState")
    assert starts, "the DeviceState startup event after the restart is in the journal"
    assert count_duplicates(settings) == 0


def test_codes_are_purged_a_day_after_expiry(settings: Settings) -> None:
    async def plant(session: AsyncSession, _context: AppContext) -> tuple[int, int]:
        intercom = Intercom(title="Codes", vendor="beward", status="installed")
        session.add(intercom)
        await session.flush()
        now = utcnow()
        stale = IntercomCode(
            intercom_id=intercom.id,
            code="11111",
            expired_at=now - timedelta(days=2),
            will_deleted_at=now - timedelta(days=1),
        )
        fresh = IntercomCode(
            intercom_id=intercom.id,
            code="22222",
            expired_at=now - timedelta(hours=1),
            will_deleted_at=now + timedelta(hours=23),
        )
        session.add_all([stale, fresh])
        await session.flush()
        return stale.id, fresh.id

    stale_id, fresh_id = seed.in_session(settings, plant)

    def remaining() -> set[int]:
        async def work(session: AsyncSession, _context: AppContext) -> set[int]:
            rows = await session.execute(
                select(IntercomCode.id).where(IntercomCode.id.in_([stale_id, fresh_id]))
            )
            return set(rows.scalars().all())

        return seed.in_session(settings, work)

    # Expired codes stop working at once (the panel holds them with their validity); they are
    # deleted a day later, by the supervisor's housekeeping (its first tick, then every minute).
    running = start_server(fleet_settings(settings))
    try:
        until(lambda: remaining() == {fresh_id}, timeout=30)
    finally:
        running.stop()


def test_a_panel_merely_online_does_not_change_the_admin_updated_at(
    settings: Settings,
    emulators: BackgroundEmulators,
    supervised: RunningServer,
    admin_api: httpx.Client,
) -> None:
    """The supervisor's heartbeat (last_seen_at) and online state are device state, not a change of
    the intercom: the admin object's updated_at stays while the panel is online and heard from."""
    intercom_id = add_intercom(settings, emulators.devices[3], title="Merely online")
    path = f"/api/admin/v1/intercoms/{intercom_id}"

    def online_reply() -> dict[str, Any] | None:
        body: dict[str, Any] = admin_api.get(path).json()
        return body if body["is_online"] else None

    before = until(online_reply, message="intercom never came online")
    seen = intercom_row(settings, intercom_id).last_seen_at
    assert seen is not None
    # A heartbeat later (it writes last_seen_at of every online panel the node watches):
    until(lambda: (intercom_row(settings, intercom_id).last_seen_at or seen) > seen, timeout=30)
    after = admin_api.get(path).json()
    assert after["is_online"] is True
    assert after["updated_at"] == before["updated_at"]
