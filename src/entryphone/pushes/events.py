"""What a push is, and the event names residents' apps receive on channel `user.{ID}`."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class PushEvent(StrEnum):
    intercom_added = "intercom_added"
    intercom_deleted = "intercom_deleted"
    intercom_flat_chosen = "intercom_flat_chosen"
    intercom_code_created = "intercom_code_created"
    intercom_registration_failed = "intercom_registration_failed"
    call_ringing = "intercom_call_ringing"
    call_taken = "intercom_call_taken"
    call_declined = "intercom_call_declined"
    call_ended = "intercom_call_ended"
    # To administrators (channel `admins`).
    intercom_online_changed = "intercom_online_changed"
    intercom_sync_keys = "intercom_sync_keys"
    intercom_sync_sip = "intercom_sync_sip"
    intercom_alert = "intercom_alert"


# The audience of pushes to every connected administrator (account ids start at 1).
ADMINS = 0


@dataclass(frozen=True)
class Push:
    """One event for one resident. `exclude_device` is the X-UUID that caused it: it is not echoed
    there. `devices`, when given, limits delivery to those devices (a call rings only the devices
    its schedule allows)."""

    account_id: int
    event: str
    data: dict[str, Any] = field(default_factory=dict)
    exclude_device: str | None = None
    devices: frozenset[str] | None = None

    def reaches(self, device: str) -> bool:
        return device != self.exclude_device and (self.devices is None or device in self.devices)

    @property
    def channel(self) -> str:
        return "admins" if self.account_id == ADMINS else f"user.{self.account_id}"

    def message(self) -> dict[str, Any]:
        """The JSON every transport sends."""
        return {"channel": self.channel, "event": self.event, "data": self.data}
