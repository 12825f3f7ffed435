"""Vendor-neutral data the drivers exchange with the platform."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from entryphone.devices.capabilities import Capability


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


@dataclass(frozen=True, slots=True)
class DeviceTarget:
    """How to reach one device. The password never appears in repr() or messages."""

    vendor: str
    host: str
    port: int | None = None
    https: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls_fingerprint_sha256: str | None = None
    allow_self_signed: bool = False
    timeout: float = 10.0


class DeviceInfo(_Model):
    vendor: str
    serial: str
    mac: str | None
    model: str
    firmware: str
    name: str
    profile: str
    capabilities: frozenset[Capability]
    unavailable: dict[Capability, str] = Field(default_factory=dict)
    """Why each missing capability is missing, in words an operator can act on."""


class EventKind(StrEnum):
    DEVICE_STARTED = "device_started"
    CARD = "card"
    CODE = "code"
    KEY_PRESSED = "key_pressed"
    CALL_STATE = "call_state"
    SWITCH_STATE = "switch_state"
    INPUT = "input"
    OUTPUT = "output"
    USER_AUTHENTICATED = "user_authenticated"
    ACCESS_REQUESTED = "access_requested"
    MOTION = "motion"
    NOISE = "noise"
    TAMPER = "tamper"
    DOOR_OPEN_TOO_LONG = "door_open_too_long"
    UNAUTHORIZED_DOOR_OPEN = "unauthorized_door_open"
    REGISTRATION = "registration"
    DTMF = "dtmf"  # a digit the phone in a call sent (2.4x firmware: DtmfPressed)
    OTHER = "other"


class DeviceEvent(_Model):
    key: str
    """Stable dedupe key: the same device record always gives the same key, a different record
    (also after a restart, when device ids start again at 1) a different one."""
    kind: EventKind
    name: str  # the vendor's event type, e.g. "CardEntered"
    device_event_id: int
    occurred_at: datetime
    uptime: int
    params: dict[str, Any]


class Key(_Model):
    """An RFID card/key to be valid on the device. `id` is the platform's id of the key."""

    id: str
    uid: str
    label: str | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None


class Code(_Model):
    """A keypad code to be valid on the device. `id` is the platform's id of the code."""

    id: str
    code: str
    label: str | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None


class DeviceKeys(_Model):
    """Keys and codes found on a device; `id` is then the device's own record id."""

    keys: list[Key]
    codes: list[Code]


class SyncCursor(_Model):
    """Where the device's directory stood after a sync (directory series + change timestamp)."""

    series: str
    timestamp: int


class SyncFailure(_Model):
    id: str
    reason: str


class KeySyncReport(_Model):
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    failed: list[SyncFailure] = Field(default_factory=list)
    cursor: SyncCursor | None = None

    @property
    def ok(self) -> bool:
        return not self.failed


class DoorOpenResult(_Model):
    switch: int
    opened_at: datetime
    duration: float | None
    """Seconds the door stays open as the device will do it (None: until closed explicitly)."""


class Snapshot(_Model):
    content_type: str
    data: bytes
    width: int
    height: int
    taken_at: datetime


@dataclass(slots=True)
class EventSubscription:
    """A live event channel on one device. Drivers update it; callers only pass it back."""

    channel: str
    opened_at: float = field(default_factory=time.monotonic)
    last_pull: float = field(default_factory=time.monotonic)
    resubscriptions: int = 0


class SipAccountSettings(_Model):
    """The SIP account a panel registers with. `password` is the clear secret: built only to be
    sent to the device, never stored or logged (repr hides it)."""

    registrar: str  # host or host:port
    number: str  # the panel's user part (its login at the platform's SIP server)
    domain: str
    auth_id: str
    password: str = Field(repr=False)


class SipSettings(_Model):
    """What the platform provisions onto a panel's phone: account 1 (None: switched off), the DTMF
    code of each switch (switches not listed get none) and the ring and talk limits in seconds."""

    account: SipAccountSettings | None
    dtmf: dict[int, str] = Field(default_factory=dict)
    ring_duration: int
    talk_duration: int


class SipProvisionReport(_Model):
    """`changed`: the settings that differed on the device and were written (empty: nothing was)."""

    changed: list[str] = Field(default_factory=list)
