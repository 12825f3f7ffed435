"""The supervisor against emulated panels over loopback: events stored exactly once, online status,
device restarts mid-stream."""

from __future__ import annotations

from entryphone.config import Settings
from tests.fleet.conftest import add_intercom, count_duplicates, intercom_row, stored_events
from tests.support.emulators import BackgroundEmulators
from tests.support.server import RunningServer
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
