"""Live pushes: residents on channel `user.{ID}`, administrators on `admins`, over WebSocket; a
provider for residents' devices that are not connected."""

from entryphone.pushes.events import ADMINS, Push, PushEvent
from entryphone.pushes.hub import Connection, FanOut, LocalFanOut, Publisher, PushHub
from entryphone.pushes.lifecycle import SERVICE_NAME, hub_of, start_push_hub
from entryphone.pushes.outbox import defer

__all__ = [
    "ADMINS",
    "SERVICE_NAME",
    "Connection",
    "FanOut",
    "LocalFanOut",
    "Publisher",
    "Push",
    "PushEvent",
    "PushHub",
    "defer",
    "hub_of",
    "start_push_hub",
]
