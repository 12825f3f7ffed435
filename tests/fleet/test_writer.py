"""The journal writer on its own: pulls of several panels stored in one transaction, each panel
answered with its own new events only after the commit, duplicates skipped, and a batch that fails
retried panel by panel so one bad panel does not hold back the others."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.devices.models import DeviceEvent, EventKind
from entryphone.fleet.journal import EffectContext, StoredEvent
from entryphone.fleet.writer import JournalWriter, WriterStopped
from entryphone.models import Intercom
from entryphone.models.device_state import DeviceState
from tests.fleet.conftest import stored_events
from tests.support import seed


def new_intercom(settings: Settings) -> int:
    async def work(session: AsyncSession, _context: AppContext) -> int:
        intercom = Intercom(title=seed.unique("writer"), vendor="2n", status="installed")
        session.add(intercom)
        await session.flush()
        return intercom.id

    return seed.in_session(settings, work)


def card(number: int, second: int) -> DeviceEvent:
    return DeviceEvent(
        key=f"boot-{number}-card",
        kind=EventKind.CARD,
        name="CardEntered",
        device_event_id=number,
        occurred_at=datetime(2026, 1, 1, 12, 0, second, tzinfo=UTC),
        uptime=100 + number,
        params={"uid": f"{number:08X}", "valid": False},
    )


def last_event_at(settings: Settings, intercom_id: int) -> datetime | None:
    async def work(session: AsyncSession, _context: AppContext) -> datetime | None:
        state = await session.get(DeviceState, intercom_id)
        return state.last_event_at if state else None

    return seed.in_session(settings, work)


def test_panels_share_a_transaction_and_each_gets_its_own_new_events(settings: Settings) -> None:
    first, second = new_intercom(settings), new_intercom(settings)
    seen: list[tuple[int, str]] = []

    async def effect(_session: AsyncSession, _context: EffectContext, event: StoredEvent) -> None:
        seen.append((event.intercom_id, event.name))

    async def run() -> tuple[list[StoredEvent], list[StoredEvent], list[StoredEvent], int]:
        context = AppContext.build(settings)
        writer = JournalWriter(context, [effect], linger=0.05)
        try:
            a, b = await asyncio.gather(
                writer.store(first, [card(1, 1), card(2, 2), card(1, 1)]), writer.store(second, [card(3, 3)])
            )
            transactions = writer.transactions
            again = await writer.store(first, [card(2, 2)])  # delivered twice: stored once
            return a, b, again, transactions
        finally:
            await writer.stop()
            await context.close()

    a, b, again, transactions = seed.run_sync(run)
    assert transactions == 1
    assert [event.params["uid"] for event in a] == ["00000001", "00000002"]
    assert [event.intercom_id for event in b] == [second]
    assert again == []
    assert sorted(seen) == [(first, "CardEntered"), (first, "CardEntered"), (second, "CardEntered")]
    assert len(stored_events(settings, first)) == 2
    assert last_event_at(settings, first) == datetime(2026, 1, 1, 12, 0, 2, tzinfo=UTC)
    assert last_event_at(settings, second) == datetime(2026, 1, 1, 12, 0, 3, tzinfo=UTC)


def test_a_failed_batch_is_retried_panel_by_panel(settings: Settings) -> None:
    good = new_intercom(settings)
    missing = 10_000_000  # no such intercom: its rows break the batch's foreign key

    async def run() -> tuple[list[StoredEvent], BaseException | None]:
        context = AppContext.build(settings)
        writer = JournalWriter(context, [], linger=0.05)
        try:
            results = await asyncio.gather(
                writer.store(good, [card(7, 7)]), writer.store(missing, [card(8, 8)]), return_exceptions=True
            )
        finally:
            await writer.stop()
            await context.close()
        stored, failed = results
        assert not isinstance(stored, BaseException)
        return stored, failed if isinstance(failed, BaseException) else None

    stored, failed = seed.run_sync(run)
    assert [event.intercom_id for event in stored] == [good]
    assert failed is not None, "the panel whose events cannot be stored is told so (its worker retries)"


def test_a_backlog_is_stored_in_pages(settings: Settings) -> None:
    panels = [new_intercom(settings) for _ in range(4)]

    async def run() -> tuple[list[int], int]:
        context = AppContext.build(settings)
        writer = JournalWriter(context, [], max_events=3, linger=0.05)
        try:
            pulls = [
                writer.store(p, [card(20 + i * 2, i), card(21 + i * 2, i)]) for i, p in enumerate(panels)
            ]
            results = await asyncio.gather(*pulls)
            return [len(result) for result in results], writer.transactions
        finally:
            await writer.stop()
            await context.close()

    stored, transactions = seed.run_sync(run)
    assert stored == [2, 2, 2, 2]
    assert transactions == 2  # a page closes once it holds 3 events or more: 2+2, then 2+2


def test_two_pulls_of_one_panel_are_answered_apart(settings: Settings) -> None:
    intercom_id = new_intercom(settings)

    async def run() -> list[list[str]]:
        context = AppContext.build(settings)
        writer = JournalWriter(context, [], linger=0.05)
        try:
            results = await asyncio.gather(
                writer.store(intercom_id, [card(40, 1)]), writer.store(intercom_id, [card(41, 2)])
            )
            return [[event.params["uid"] for event in result] for result in results]
        finally:
            await writer.stop()
            await context.close()

    assert seed.run_sync(run) == [["00000028"], ["00000029"]]


class _Broken(BaseException):
    """Not an Exception: escapes the writer's per-batch handling and ends its task, as a bug would."""


def test_waiting_workers_fail_instead_of_hanging_when_the_writer_task_dies(settings: Settings) -> None:
    first, second = new_intercom(settings), new_intercom(settings)
    broken = True

    async def effect(_session: AsyncSession, _context: EffectContext, _event: StoredEvent) -> None:
        if broken:
            raise _Broken("the writer's task dies here")

    async def run() -> tuple[list[BaseException | list[StoredEvent]], list[StoredEvent]]:
        nonlocal broken
        context = AppContext.build(settings)
        writer = JournalWriter(context, [effect], linger=0.05)
        try:
            outcomes = await asyncio.gather(
                writer.store(first, [card(1, 1)]), writer.store(second, [card(2, 2)]), return_exceptions=True
            )
            broken = False
            return outcomes, await writer.store(first, [card(1, 1)])  # a new task takes over
        finally:
            await writer.stop()
            await context.close()

    outcomes, retried = seed.run_sync(run)
    assert [type(outcome) for outcome in outcomes] == [WriterStopped, WriterStopped]
    assert [event.params["uid"] for event in retried] == ["00000001"]
    assert len(stored_events(settings, first)) == 1
    assert stored_events(settings, second) == []
