"""2N log events -> neutral DeviceEvents, with the dedupe key.

Dedupe key: "<boot>-<id>-<digest>", where boot = utcTime - upTime (the device's boot time),
id the device's log id, and digest the first 16 hex digits of SHA-256 over the record's id,
utcTime, upTime, event type and params. Ids restart at 1 after a reboot, so the id alone would
collide; boot time separates boots, and the digest guards against a device without a clock
(every boot at the same utcTime) or a clock step between boots. The same record, delivered
twice (catch-up history overlapping a live pull), has identical fields and so the same key.
tzShift is left out: it is presentation and changes with the time-zone setting.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from entryphone.devices.models import DeviceEvent, EventKind
from entryphone.helios import LogEvent

_KINDS = {
    "DeviceState": EventKind.DEVICE_STARTED,
    "CardEntered": EventKind.CARD,
    "CodeEntered": EventKind.CODE,
    "KeyPressed": EventKind.KEY_PRESSED,
    "CallStateChanged": EventKind.CALL_STATE,
    "SwitchStateChanged": EventKind.SWITCH_STATE,
    "InputChanged": EventKind.INPUT,
    "OutputChanged": EventKind.OUTPUT,
    "UserAuthenticated": EventKind.USER_AUTHENTICATED,
    "ApiAccessRequested": EventKind.ACCESS_REQUESTED,
    "MotionDetected": EventKind.MOTION,
    "NoiseDetected": EventKind.NOISE,
    "TamperSwitchActivated": EventKind.TAMPER,
    "DoorOpenTooLong": EventKind.DOOR_OPEN_TOO_LONG,
    "UnauthorizedDoorOpen": EventKind.UNAUTHORIZED_DOOR_OPEN,
    "RegistrationStateChanged": EventKind.REGISTRATION,
    "DtmfPressed": EventKind.DTMF,
}


def dedupe_key(event: LogEvent) -> str:
    material = json.dumps(
        [event.id, event.utc_time, event.up_time, event.event, event.params],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    digest = hashlib.sha256(material.encode()).hexdigest()[:16]
    return f"{event.utc_time - event.up_time}-{event.id}-{digest}"


def to_device_event(event: LogEvent) -> DeviceEvent:
    kind = _KINDS.get(event.event, EventKind.OTHER)
    if kind is EventKind.DEVICE_STARTED and event.params.get("state") != "startup":
        kind = EventKind.OTHER
    return DeviceEvent(
        key=dedupe_key(event),
        kind=kind,
        name=event.event,
        device_event_id=event.id,
        occurred_at=datetime.fromtimestamp(event.utc_time, UTC),
        uptime=event.up_time,
        params=dict(event.params),
    )
