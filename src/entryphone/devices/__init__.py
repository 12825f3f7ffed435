"""Device drivers: the neutral interface, capability flags, models, errors and the registry.

Import rules: this package never imports the database, the API or the ORM models; vendor drivers
(devices/twon) talk to their device through their own client (entryphone.helios).
"""

from entryphone.devices.capabilities import Capability
from entryphone.devices.driver import DeviceDriver, VideoStream
from entryphone.devices.errors import (
    CallNotFound,
    CapabilityMissing,
    DeviceAuthFailed,
    DeviceProtocolError,
    DeviceRejected,
    DeviceUnreachable,
    DriverError,
    UnknownVendor,
)
from entryphone.devices.models import (
    Code,
    DeviceEvent,
    DeviceInfo,
    DeviceKeys,
    DeviceTarget,
    DoorOpenResult,
    EventKind,
    EventSubscription,
    Key,
    KeySyncReport,
    Snapshot,
    SyncCursor,
    SyncFailure,
)
from entryphone.devices.registry import DriverFactory, DriverRegistry, default_registry

__all__ = [
    "CallNotFound",
    "Capability",
    "CapabilityMissing",
    "Code",
    "DeviceAuthFailed",
    "DeviceDriver",
    "DeviceEvent",
    "DeviceInfo",
    "DeviceKeys",
    "DeviceProtocolError",
    "DeviceRejected",
    "DeviceTarget",
    "DeviceUnreachable",
    "DoorOpenResult",
    "DriverError",
    "DriverFactory",
    "DriverRegistry",
    "EventKind",
    "EventSubscription",
    "Key",
    "KeySyncReport",
    "Snapshot",
    "SyncCursor",
    "SyncFailure",
    "UnknownVendor",
    "VideoStream",
    "default_registry",
]
