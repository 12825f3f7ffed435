"""The log lines of a panel's reachability: a real panel going away and coming back, and the rules
(one line per change, rate-limited, no secrets) driven by a clock."""

from __future__ import annotations

import logging

import pytest

from entryphone.config import Settings
from entryphone.fleet.panel_state import BURST, REASON_REPEAT, WINDOW, PanelStateLog, clean_reason
from tests.fleet.conftest import add_intercom, intercom_row
from tests.support.emulators import BackgroundEmulators
from tests.support.server import RunningServer
from tests.support.wait import until

LOGGER = "entryphone.fleet.panel_state"


def lines(caplog: pytest.LogCaptureFixture, intercom_id: int) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == LOGGER and getattr(r, "intercom_id", None) == intercom_id
    ]


def test_a_restarted_panel_is_logged_offline_then_back_online(
    settings: Settings,
    emulators: BackgroundEmulators,
    supervised: RunningServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    device = emulators.devices[0]
    intercom_id = add_intercom(settings, device)
    until(lambda: intercom_row(settings, intercom_id).is_online)
    until(lambda: lines(caplog, intercom_id) == [f"intercom {intercom_id}: panel online"] or None)

    emulators.restart(device)  # away for a few seconds, as a rebooting panel
    until(lambda: any("back online" in line for line in lines(caplog, intercom_id)) or None, timeout=30)
    logged = lines(caplog, intercom_id)
    assert logged[0] == f"intercom {intercom_id}: panel online"
    assert logged[1].startswith(f"intercom {intercom_id}: panel offline: ") and "(was online" in logged[1]
    assert logged[-1].startswith(f"intercom {intercom_id}: panel back online after ")
    assert len(logged) <= 4, logged  # one line per change, not one per failed reconnect
    warnings = [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]
    assert warnings and all("offline" in r.getMessage() for r in warnings)
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert device.password not in everything


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_changes_are_rate_limited_and_repeats_are_quiet(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    clock = Clock()
    state = PanelStateLog(7, clock=clock)
    state.observed(True)
    state.observed(True)  # no change
    state.observed(False, "connection refused")
    state.observed(False, "connection refused")  # the same failure again: quiet
    clock.now += 30
    state.observed(False, "timed out")  # another reason, too soon after the last warning: quiet
    assert lines(caplog, 7) == [
        "intercom 7: panel online",
        "intercom 7: panel offline: connection refused (was online 0 s)",
    ]

    clock.now += REASON_REPEAT
    state.observed(False, "timed out")
    assert lines(caplog, 7)[-1].startswith("intercom 7: panel still offline after 10 min: timed out")

    # Flapping: BURST lines per WINDOW, then silence, then the count of what was left out.
    caplog.clear()
    clock.now += WINDOW
    for _ in range(5):
        state.observed(True)
        state.observed(False, "reset by peer")
    assert len(lines(caplog, 7)) == BURST
    clock.now += WINDOW
    state.observed(True)
    assert lines(caplog, 7)[-1].endswith("(6 earlier changes not logged: the panel is flapping)")


def test_reasons_carry_no_credentials_and_stay_short() -> None:
    assert (
        clean_reason("GET http://admin:s3cret@10.0.0.5/api/x failed")
        == "GET http://***@10.0.0.5/api/x failed"
    )
    assert clean_reason("line one\nline two") == "line one line two"
    assert len(clean_reason("x" * 10_000)) <= 240
