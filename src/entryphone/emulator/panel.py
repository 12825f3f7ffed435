"""What happens at the panel: cards, keys, codes, inputs, sensors, calls from the keypad.

Each action produces the events a real panel logs and, for valid credentials, opens the door.
Used by the control API and by the API functions that act like a person at the door.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from . import clock as clocks
from .directory import Directory, Record

if TYPE_CHECKING:
    from .runtime import Device

DOOR_SWITCH: Final = 1  # the switch an access point opens
ACCESS_POINTS: Final = (0, 1)
KEY = re.compile(r"^([0-9*#]|%([1-9][0-9]?|1[0-4][0-9]|150))$")
CODE = re.compile(r"^[0-9]{2,16}$")
CARD = re.compile(r"^[0-9A-Fa-f]{6,16}$")
READER_DIRECTIONS: Final = ("in", "out", "any")
# Sensor events of the control API and their log names.
SENSORS: Final[dict[str, str]] = {
    "tamper": "TamperSwitchActivated",
    "motion": "MotionDetected",
    "noise": "NoiseDetected",
    "door-open-too-long": "DoorOpenTooLong",
    "unauthorized-door-open": "UnauthorizedDoorOpen",
}


class Panel:
    def __init__(self, device: Device) -> None:
        self._device = device
        self._boot = device.boot

    def card(self, uid: str, reader: str, direction: str | None) -> bool:
        uid = uid.upper()
        record = self._device.directory.find_card(uid)
        point = 1 if (direction or self._device.config.card_direction) == "out" else 0
        valid = record is not None and _point_enabled(record, point)
        self._boot.log.emit(
            "CardEntered",
            {
                "direction": direction or self._device.config.card_direction,
                "reader": reader,
                "uid": uid,
                "valid": valid,
            },
        )
        if valid and record is not None:
            self._authenticated(record)
        return valid

    def key(self, key: str) -> None:
        self._boot.log.emit("KeyPressed", {"key": key})
        self._boot.log.emit("KeyReleased", {"key": key})

    def code(self, code: str) -> bool:
        # The code is typed on the keypad, so its keys are logged before the code.
        for digit in code:
            self.key(digit)
        record = self._device.directory.find_code(code)
        switch_numbers = [
            n for n, sw in enumerate(self._device.config.switches, start=1) if sw.enabled and code in sw.codes
        ]
        valid = (record is not None and _point_enabled(record, 0)) or bool(switch_numbers)
        self._boot.log.emit("CodeEntered", {"code": code, "valid": valid})
        if record is not None and _point_enabled(record, 0):
            self._authenticated(record)
        for number in switch_numbers:
            self._boot.switches.activate(number)
        return valid

    def input(self, port: str, state: bool) -> bool:
        return self._boot.ports.set_input(port, state)

    def sensor(self, kind: str, state: str) -> None:
        self._boot.log.emit(SENSORS[kind], {"state": state})

    def sip(self, account: int, registered: bool) -> None:
        self._boot.set_registration(account, registered)

    def call_flat(self, flat: int) -> int:
        domain = self._device.config.sip[0].domain or self._device.host
        return self._boot.calls.dial(f"sip:{flat}@{domain}")

    def grant_access(self, point: int, user: str | None) -> str | None:
        """None when access is granted, else the refusal reason of grantaccess."""
        record = None
        valid = point in ACCESS_POINTS
        reason = None if valid else "invalidAp"
        if valid and user is not None:
            record = next((r for r in self._device.directory.users() if r.uuid == user.lower()), None)
            if record is None or not record_valid(record) or not _point_enabled(record, point):
                valid, reason = False, "invalidCredential"
        params: dict[str, Any] = {"ap": point, "valid": valid}
        if user is not None:
            params["uuid"] = user
        self._boot.log.emit("ApiAccessRequested", params)
        if valid:
            self._boot.switches.activate(DOOR_SWITCH)
        return reason

    def audio_test(self) -> None:
        async def run() -> None:
            await clocks.sleep(self._device.clock, self._device.timings.audio_test_duration)
            self._boot.log.emit("AudioLoopTest", {"result": "passed"})

        self._boot.spawn(run())

    def _authenticated(self, record: Record) -> None:
        params: dict[str, Any] = {
            "name": record.fields["name"],
            "index": self._device.directory.index_of(record),
        }
        if self._device.profile.directory:
            params["uuid"] = record.uuid
        self._boot.log.emit("UserAuthenticated", params)
        self._boot.switches.activate(DOOR_SWITCH)


record_valid = Directory.valid_now


def _point_enabled(record: Record, point: int) -> bool:
    points = record.fields["access"]["accessPoints"]
    return point < len(points) and bool(points[point]["enabled"])
