"""The call state machine through its domain functions (the supervisor's side and the resident's)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.calls import service as calls
from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.errors import NotFound
from entryphone.models import Role
from entryphone.models.call import IntercomCallDevice
from entryphone.pushes import PushHub
from entryphone.residents import service as residents
from entryphone.schedule.timetable import Timetable
from tests.api.client import helpers
from tests.domain.client.conftest import received, settle
from tests.support import seed

T = TypeVar("T")


def run(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def wrapped(session: AsyncSession, _context: AppContext) -> T:
        return await work(session)

    return seed.in_session(settings, wrapped)


@pytest.fixture
def flat(settings: Settings) -> tuple[int, int, int, int]:
    """An intercom, a flat with two residents: ann (phones a1, a2; a2 disabled) and bob (phone b1)."""
    intercom_id = helpers.intercom(settings)
    ann = seed.account(settings, Role.resident)
    bob = seed.account(settings, Role.resident)
    helpers.attach(settings, intercom_id, 4, ann.id)
    helpers.attach(settings, intercom_id, 4, bob.id)

    async def devices(session: AsyncSession) -> None:
        for account_id, device in ((ann.id, "a1"), (ann.id, "a2"), (bob.id, "b1")):
            await residents.remember_device(session, account_id, device, "ios-cctv")
        intercom = await residents.get_visible(session, ann.id, intercom_id)
        await residents.update(session, ann.id, "a2", intercom, is_enabled=False)

    run(settings, devices)
    return intercom_id, helpers.flat_id(settings, intercom_id, 4), ann.id, bob.id


def ring(settings: Settings, hub: PushHub, intercom_id: int, flat_id: int) -> int:
    async def work(session: AsyncSession) -> int:
        call = await calls.call_ringing(
            session, hub, intercom_id=intercom_id, flat_id=flat_id, external_id="7"
        )
        return call.id

    return run(settings, work)


def act(settings: Settings, hub: PushHub, action: str, account_id: int, device: str, call_id: int) -> str:
    async def work(session: AsyncSession) -> str:
        function = {"start": calls.start, "cancel": calls.decline, "end": calls.end}[action]
        return (await function(session, hub, account_id, device, call_id)).status

    return run(settings, work)


def terminated(settings: Settings, hub: PushHub, call_id: int) -> str:
    async def work(session: AsyncSession) -> str:
        return (await calls.call_terminated(session, hub, call_id)).status

    return run(settings, work)


async def test_ring_rings_only_scheduled_devices_and_all_declined_is_rejected(
    settings: Settings, hub: PushHub, flat: tuple[int, int, int, int]
) -> None:
    intercom_id, flat_id, ann, bob = flat
    a1, a2, b1 = hub.connect(ann, "a1"), hub.connect(ann, "a2"), hub.connect(bob, "b1")
    call_id = ring(settings, hub, intercom_id, flat_id)
    await settle(hub)
    assert [p.event for p in received(a1)] == ["intercom_call_ringing"]
    assert received(a2) == []  # disabled on that phone: the call stays silent there
    assert [p.event for p in received(b1)] == ["intercom_call_ringing"]

    async def states(session: AsyncSession) -> dict[str, str]:
        rows = await session.execute(select(IntercomCallDevice).where(IntercomCallDevice.call_id == call_id))
        return {row.device_uuid: row.state for row in rows.scalars()}

    assert run(settings, states) == {"a1": "ringing", "a2": "silent", "b1": "ringing"}

    assert act(settings, hub, "cancel", ann, "a1", call_id) == "ring"  # bob's phone keeps ringing
    with pytest.raises(NotFound):
        act(settings, hub, "start", ann, "a1", call_id)  # a device that declined cannot answer
    assert act(settings, hub, "cancel", bob, "b1", call_id) == "rejected"
    await settle(hub)
    assert [p.event for p in received(a1)] == ["intercom_call_ended"]
    assert received(b1) == []  # the decline came from b1 itself
    for action in ("start", "cancel", "end"):
        with pytest.raises(NotFound):
            act(settings, hub, action, ann, "a1", call_id)
    assert terminated(settings, hub, call_id) == "rejected"  # a finished call stays as it is


async def test_answer_then_end_and_illegal_transitions(
    settings: Settings, hub: PushHub, flat: tuple[int, int, int, int]
) -> None:
    intercom_id, flat_id, ann, bob = flat
    a1, a2, b1 = hub.connect(ann, "a1"), hub.connect(ann, "a2"), hub.connect(bob, "b1")
    call_id = ring(settings, hub, intercom_id, flat_id)
    await settle(hub)
    assert [len(received(c)) for c in (a1, a2, b1)] == [1, 0, 1]
    with pytest.raises(NotFound):
        act(settings, hub, "end", ann, "a1", call_id)  # not answered yet
    assert act(settings, hub, "start", ann, "a1", call_id) == "answered"
    await settle(hub)
    assert received(a1) == []
    assert [p.event for p in received(a2)] == ["intercom_call_taken"]
    assert [p.event for p in received(b1)] == ["intercom_call_taken"]
    for action, account_id, device in (("start", bob, "b1"), ("cancel", ann, "a2"), ("end", bob, "b1")):
        with pytest.raises(NotFound):
            act(settings, hub, action, account_id, device, call_id)
    assert act(settings, hub, "end", ann, "a1", call_id) == "ended"
    with pytest.raises(NotFound):
        act(settings, hub, "end", ann, "a1", call_id)

    stranger = seed.account(settings, Role.resident)
    with pytest.raises(NotFound):
        act(settings, hub, "start", stranger.id, "s1", ring(settings, hub, intercom_id, flat_id))


async def test_the_panel_ends_calls_as_missed_or_ended(
    settings: Settings, hub: PushHub, flat: tuple[int, int, int, int]
) -> None:
    intercom_id, flat_id, ann, _bob = flat
    missed = ring(settings, hub, intercom_id, flat_id)
    assert terminated(settings, hub, missed) == "missed"
    answered = ring(settings, hub, intercom_id, flat_id)
    act(settings, hub, "start", ann, "a1", answered)
    assert terminated(settings, hub, answered) == "ended"

    async def found(session: AsyncSession) -> int | None:
        call = await calls.find_by_external_id(session, intercom_id, "7")
        return call.id if call else None

    assert run(settings, found) == answered

    async def listed(session: AsyncSession) -> dict[str, list[int]]:
        result = {}
        for kind in calls.CALL_TYPES:
            rows = await session.execute(calls.list_query(ann, intercom_id=intercom_id, types=[kind]))
            result[kind] = [call.id for call in rows.scalars()]
        return result

    kinds = run(settings, listed)
    assert missed in kinds["missed_intercom_call"] and answered in kinds["answered_intercom_call"]
    assert missed not in kinds["answered_intercom_call"]


async def test_a_schedule_window_decides_at_ring_time(
    settings: Settings, hub: PushHub, flat: tuple[int, int, int, int]
) -> None:
    intercom_id, flat_id, ann, _bob = flat
    night_only = Timetable.from_json(
        {"days": [{"type": "same_every_day", "from": "22:00:00+00:00", "to": "06:00:00+00:00"}]}
    )

    async def set_and_offer(session: AsyncSession) -> dict[str, bool]:
        intercom = await residents.get_visible(session, ann, intercom_id)
        await residents.update(session, ann, "a1", intercom, timetable=night_only)
        noon = await residents.call_offers(
            session, intercom_id, flat_id, datetime(2024, 3, 1, 12, tzinfo=UTC)
        )
        night = await residents.call_offers(
            session, intercom_id, flat_id, datetime(2024, 3, 1, 23, tzinfo=UTC)
        )
        return {f"{o.device}@noon": o.rings for o in noon} | {f"{o.device}@night": o.rings for o in night}

    assert run(settings, set_and_offer) == {
        "a1@noon": False, "a2@noon": False, "b1@noon": True,
        "a1@night": True, "a2@night": False, "b1@night": True,
    }  # fmt: skip
