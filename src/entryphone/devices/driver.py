"""The interface every device driver implements. The platform talks to devices only through it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import ClassVar, Protocol

from entryphone.devices.models import (
    Code,
    DeviceEvent,
    DeviceInfo,
    DeviceKeys,
    DoorOpenResult,
    EventSubscription,
    Key,
    KeySyncReport,
    SipProvisionReport,
    SipSettings,
    Snapshot,
    SyncCursor,
)


class VideoStream(Protocol):
    @property
    def content_type(self) -> str:
        """The stream's full Content-Type, to forward unchanged when proxying."""

    def chunks(self) -> AsyncIterator[bytes]:
        """The raw body as it arrives (for proxying)."""

    def frames(self) -> AsyncIterator[bytes]:
        """One JPEG per item."""


class DeviceDriver(ABC):
    """One device. Drivers are cheap; a method raises only entryphone.devices.errors types.

    Capabilities are learnt by `probe()`; methods that need one probe first if necessary and raise
    CapabilityMissing (with the reason) instead of attempting what the device cannot do.
    """

    vendor: ClassVar[str]

    @abstractmethod
    async def probe(self) -> DeviceInfo:
        """Identify the device, detect its firmware profile and capabilities (and cache them)."""

    @abstractmethod
    async def info(self) -> DeviceInfo:
        """What `probe()` learnt, probing only the first time (or after a restart or firmware change)."""

    @abstractmethod
    async def open_door(self, switch: int = 1, duration: float | None = None) -> DoorOpenResult:
        """Open the door on `switch`; `duration` seconds if the device can be told, else its own."""

    @abstractmethod
    async def snapshot(self, width: int | None = None, height: int | None = None) -> Snapshot: ...

    @abstractmethod
    def stream_video(
        self, fps: int = 5, width: int | None = None, height: int | None = None
    ) -> AbstractAsyncContextManager[VideoStream]: ...

    @abstractmethod
    async def restart(self) -> None: ...

    @abstractmethod
    async def config_backup(self) -> bytes: ...

    @abstractmethod
    async def update_firmware(self, image: bytes) -> str:
        """Upload and install firmware; returns the version the device accepted."""

    @abstractmethod
    async def subscribe_events(self, catch_up: timedelta | None = None) -> EventSubscription:
        """Open an event channel; `catch_up` also delivers the device's history of that period."""

    @abstractmethod
    async def pull_events(self, subscription: EventSubscription, wait: float = 0) -> list[DeviceEvent]:
        """Events since the last pull, waiting up to `wait` seconds for one. A channel the device
        lost (restart, expiry) is reopened with catch-up, so no event is lost; duplicates are
        possible and carry the same `DeviceEvent.key`."""

    @abstractmethod
    async def unsubscribe_events(self, subscription: EventSubscription) -> None: ...

    @abstractmethod
    async def sync_keys(self, keys: Sequence[Key], codes: Sequence[Code]) -> KeySyncReport:
        """Make exactly these keys and codes (of the platform) valid on the device; writes only
        the differences. Records the platform did not create are left alone."""

    @abstractmethod
    async def apply_key_changes(
        self, upsert_keys: Sequence[Key], upsert_codes: Sequence[Code], remove_ids: Sequence[str]
    ) -> KeySyncReport:
        """Incremental push: add or change these, remove the keys/codes with these platform ids."""

    @abstractmethod
    async def directory_changed(self, cursor: SyncCursor) -> bool:
        """Whether the device's key store changed since `cursor` (then a full sync is due)."""

    @abstractmethod
    async def read_keys(self) -> DeviceKeys:
        """All keys and codes stored on the device, whoever created them."""

    @abstractmethod
    async def answer_call(self, session: int | None = None) -> int:
        """Answer `session`, or the ringing incoming call; returns the session answered."""

    @abstractmethod
    async def hangup_call(self, session: int | None = None) -> int:
        """Hang up `session`, or every active call; returns how many calls were ended."""

    @abstractmethod
    async def provision_sip(self, settings: SipSettings) -> SipProvisionReport:
        """Make the phone's SIP account 1, the switches' DTMF codes and the ring and talk limits
        these; writes the configuration only when something differs."""
