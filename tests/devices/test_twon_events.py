"""Event pull with catch-up, resubscription after a restart, dedupe keys across boots."""

from __future__ import annotations

from datetime import timedelta

import aiohttp

from entryphone.devices import EventKind
from entryphone.helios import SwitchAction
from tests.devices.drivers import driver_for
from tests.helios.emulated import StartDevice, client_for, fast_timings

Session = aiohttp.ClientSession


async def test_catch_up_delivers_history(session: Session, start_device: StartDevice) -> None:
    device = await start_device("2.21")
    await client_for(session, device).switch.ctrl(1, SwitchAction.ON)
    driver = driver_for(session, device)
    subscription = await driver.subscribe_events(catch_up=timedelta(minutes=5))
    events = await driver.pull_events(subscription)
    assert events[0].kind is EventKind.DEVICE_STARTED and events[0].device_event_id == 1
    assert any(e.kind is EventKind.SWITCH_STATE for e in events)
    assert len({e.key for e in events}) == len(events)
    await driver.unsubscribe_events(subscription)
    await driver.unsubscribe_events(subscription)  # already gone: not an error


async def test_same_record_twice_has_the_same_key(session: Session, start_device: StartDevice) -> None:
    driver = driver_for(session, await start_device("2.21"))
    one = await driver.pull_events(await driver.subscribe_events(catch_up=timedelta(minutes=1)))
    two = await driver.pull_events(await driver.subscribe_events(catch_up=timedelta(minutes=1)))
    assert [e.key for e in one] == [e.key for e in two]


async def test_resubscribe_after_restart_and_keys_differ(session: Session, start_device: StartDevice) -> None:
    # A real panel needs tens of seconds to reboot; >1 s keeps the two boots' clocks apart here too.
    device = await start_device("2.4x", timings=fast_timings(restart_downtime=1.1))
    driver = driver_for(session, device)
    subscription = await driver.subscribe_events(catch_up=timedelta(minutes=1))
    before = await driver.pull_events(subscription)
    first_boot = next(e for e in before if e.kind is EventKind.DEVICE_STARTED)

    await driver.restart()
    await device.wait_until_up()
    after = await driver.pull_events(subscription, wait=2)  # old channel: error 12 -> reopened

    assert subscription.resubscriptions == 1
    second_boot = next(e for e in after if e.kind is EventKind.DEVICE_STARTED)
    assert first_boot.device_event_id == second_boot.device_event_id == 1
    assert first_boot.key != second_boot.key

    await client_for(session, device).switch.ctrl(1, SwitchAction.ON)
    live = await driver.pull_events(subscription, wait=2)
    assert any(e.kind is EventKind.SWITCH_STATE for e in live)
