"""Live pushes to residents: channel `user.{ID}` over WebSocket, a provider for devices not connected."""

from entryphone.pushes.events import Push, PushEvent
from entryphone.pushes.hub import Connection, FanOut, LocalFanOut, Publisher, PushHub
from entryphone.pushes.lifecycle import SERVICE_NAME, hub_of, start_push_hub
from entryphone.pushes.outbox import defer

__all__ = [
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
