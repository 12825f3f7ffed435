"""TwoNDriver: the DeviceDriver of 2N Helios IP panels, built on entryphone.helios."""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import aiohttp

from entryphone.devices.capabilities import Capability
from entryphone.devices.driver import DeviceDriver, VideoStream
from entryphone.devices.errors import CallNotFound, CapabilityMissing, DeviceRejected, ResolutionNotOffered
from entryphone.devices.models import (
    Code,
    DeviceEvent,
    DeviceInfo,
    DeviceKeys,
    DeviceTarget,
    DoorOpenResult,
    EventSubscription,
    Key,
    KeySyncReport,
    SipProvisionReport,
    SipSettings,
    Snapshot,
    SyncCursor,
)
from entryphone.devices.twon.directory import DirectorySync
from entryphone.devices.twon.errors import translated
from entryphone.devices.twon.events import to_device_event
from entryphone.devices.twon.probe import ProbeResult, TwoNProfile, probe
from entryphone.helios import (
    ConfigFile,
    Credentials,
    HeliosClient,
    HeliosStream,
    InvalidParameter,
    SipAccountConfig,
    SwitchAction,
    TlsPolicy,
)

# Channel lifetime without pulls: long enough to survive a supervisor hiccup, short enough that
# an abandoned channel is freed soon. Every pull extends it.
CHANNEL_DURATION = 300
# Extra history asked for when a lost channel is reopened: covers clock granularity (whole
# seconds) and the time between the last good pull and the device losing the channel.
CATCH_UP_MARGIN = 10
DEFAULT_RESOLUTION = (640, 480)


class TwoNVideoStream:
    """The neutral VideoStream over a helios MJPEG stream (errors translated while reading)."""

    def __init__(self, stream: HeliosStream) -> None:
        self._stream = stream

    @property
    def content_type(self) -> str:
        return self._stream.content_type

    async def chunks(self) -> AsyncIterator[bytes]:
        with translated(Capability.LIVE_VIDEO):
            async for chunk in self._stream.chunks():
                yield chunk

    async def frames(self) -> AsyncIterator[bytes]:
        with translated(Capability.LIVE_VIDEO):
            async for frame in self._stream.frames():
                yield frame.data


class TwoNDriver(DeviceDriver):
    vendor: ClassVar[str] = "2n"

    def __init__(self, target: DeviceTarget, session: aiohttp.ClientSession) -> None:
        credentials = None
        if target.username is not None:
            credentials = Credentials(target.username, target.password or "")
        tls = TlsPolicy(
            fingerprint_sha256=target.tls_fingerprint_sha256, allow_self_signed=target.allow_self_signed
        )
        self.client = HeliosClient(
            session,
            target.host,
            port=target.port,
            https=target.https,
            credentials=credentials,
            tls=tls,
            timeout=target.timeout,
        )
        self._directory = DirectorySync(self.client)
        self._probe: ProbeResult | None = None

    def __repr__(self) -> str:
        return f"TwoNDriver({self.client.transport.base_url})"

    # -- identity and capabilities ----------------------------------------------------------

    async def probe(self) -> DeviceInfo:
        self._probe = await probe(self.client)
        return self._probe.info

    async def info(self) -> DeviceInfo:
        return (await self._require_probe()).info

    async def _require_probe(self) -> ProbeResult:
        if self._probe is None:
            self._probe = await probe(self.client)
        return self._probe

    async def _require(self, capability: Capability) -> ProbeResult:
        found = await self._require_probe()
        if capability not in found.info.capabilities:
            reason = found.info.unavailable.get(capability, "not available on this device")
            raise CapabilityMissing(capability, reason)
        return found

    # -- door, camera, maintenance ----------------------------------------------------------

    async def open_door(self, switch: int = 1, duration: float | None = None) -> DoorOpenResult:
        found = await self._require(Capability.DOOR)
        caps = found.switches.get(switch)
        if caps is None:
            raise CapabilityMissing(Capability.DOOR, f"switch {switch} does not exist or is disabled")
        with translated(Capability.DOOR):
            if duration is not None and found.profile is TwoNProfile.V2_4X:
                # Newer firmware holds a switch on for a given time, whatever its mode.
                seconds = max(1, math.ceil(duration))
                await self.client.switch.ctrl(switch, SwitchAction.HOLD, hold_timeout=seconds)
                return DoorOpenResult(switch=switch, opened_at=_now(), duration=float(seconds))
            if caps.mode == "bistable":
                raise CapabilityMissing(
                    Capability.DOOR, f"switch {switch} is bistable and this firmware cannot time it"
                )
            # Monostable: the device switches off after its configured switchOnDuration.
            await self.client.switch.ctrl(switch, SwitchAction.TRIGGER)
        configured = float(caps.switch_on_duration) if caps.switch_on_duration is not None else None
        return DoorOpenResult(switch=switch, opened_at=_now(), duration=configured)

    async def snapshot(self, width: int | None = None, height: int | None = None) -> Snapshot:
        found = await self._require(Capability.SNAPSHOT)
        size = _resolution(found, width, height)
        with translated(Capability.SNAPSHOT):
            reply = await self.client.camera.snapshot(*size)
        return Snapshot(
            content_type=reply.content_type, data=reply.data, width=size[0], height=size[1], taken_at=_now()
        )

    @asynccontextmanager
    async def stream_video(
        self, fps: int = 5, width: int | None = None, height: int | None = None
    ) -> AsyncIterator[VideoStream]:
        found = await self._require(Capability.LIVE_VIDEO)
        size = _resolution(found, width, height)
        with translated(Capability.LIVE_VIDEO):
            async with self.client.camera.stream(size[0], size[1], fps) as stream:
                yield TwoNVideoStream(stream)

    async def restart(self) -> None:
        await self._require(Capability.RESTART)
        with translated(Capability.RESTART):
            await self.client.system.restart()
        self._probe = None  # the device may come back with other firmware or settings

    async def config_backup(self) -> bytes:
        await self._require(Capability.CONFIG_BACKUP)
        with translated(Capability.CONFIG_BACKUP):
            return await self.client.config.download()

    async def update_firmware(self, image: bytes) -> str:
        await self._require(Capability.FIRMWARE)
        with translated(Capability.FIRMWARE):
            check = await self.client.firmware.upload(image)
            await self.client.firmware.apply()
        self._probe = None
        return check.version

    # -- events -------------------------------------------------------------------------------

    async def subscribe_events(self, catch_up: timedelta | None = None) -> EventSubscription:
        await self._require(Capability.EVENTS)
        seconds = math.ceil(catch_up.total_seconds()) if catch_up else 0
        with translated(Capability.EVENTS):
            channel = await self.client.log.subscribe(seconds or "new", duration=CHANNEL_DURATION)
        return EventSubscription(channel=str(channel))

    async def pull_events(self, subscription: EventSubscription, wait: float = 0) -> list[DeviceEvent]:
        with translated(Capability.EVENTS):
            try:
                events = await self.client.log.pull(int(subscription.channel), math.ceil(wait))
            except InvalidParameter:
                # Error 12: the device no longer knows the channel (restart, expiry). Reopen it with
                # the history since the last good pull; dedupe keys absorb any overlap.
                lost_for = time.monotonic() - subscription.last_pull
                channel = await self.client.log.subscribe(
                    math.ceil(lost_for) + CATCH_UP_MARGIN, duration=CHANNEL_DURATION
                )
                subscription.channel = str(channel)
                subscription.resubscriptions += 1
                events = await self.client.log.pull(channel, 0)
        subscription.last_pull = time.monotonic()
        return [to_device_event(event) for event in events]

    async def unsubscribe_events(self, subscription: EventSubscription) -> None:
        # Error 12: the channel is already gone on the device, which is what was asked for.
        with translated(Capability.EVENTS), suppress(InvalidParameter):
            await self.client.log.unsubscribe(int(subscription.channel))

    # -- keys and codes -----------------------------------------------------------------------

    async def sync_keys(self, keys: Sequence[Key], codes: Sequence[Code]) -> KeySyncReport:
        await self._require_directory(bool(keys), bool(codes))
        with translated(Capability.KEYS):
            return await self._directory.sync(keys, codes)

    async def apply_key_changes(
        self, upsert_keys: Sequence[Key], upsert_codes: Sequence[Code], remove_ids: Sequence[str]
    ) -> KeySyncReport:
        await self._require_directory(bool(upsert_keys), bool(upsert_codes))
        with translated(Capability.KEYS):
            return await self._directory.apply(upsert_keys, upsert_codes, remove_ids)

    async def directory_changed(self, cursor: SyncCursor) -> bool:
        await self._require_directory(False, False)
        with translated(Capability.KEYS):
            return await self._directory.changed_since(cursor)

    async def read_keys(self) -> DeviceKeys:
        await self._require_directory(False, False)
        with translated(Capability.KEYS):
            return await self._directory.read_keys()

    async def _require_directory(self, keys: bool, codes: bool) -> None:
        """Keys and codes share the directory: any use needs one of them, pushing needs that one."""
        found = await self._require_probe()
        if keys or (not codes and Capability.CODES not in found.info.capabilities):
            await self._require(Capability.KEYS)
        if codes:
            await self._require(Capability.CODES)

    # -- phone settings -------------------------------------------------------------------------

    async def provision_sip(self, settings: SipSettings) -> SipProvisionReport:
        await self._require(Capability.SIP)
        with translated(Capability.SIP):
            current = ConfigFile(await self.client.config.download())
            changed = _apply_sip(current, settings)
            if changed:
                # The device applies an uploaded configuration after a delay (about 15 s), without
                # a restart; an invalid value is refused at once with the device's error.
                await self.client.config.upload(current.to_bytes())
        return SipProvisionReport(changed=changed)

    # -- calls --------------------------------------------------------------------------------

    async def answer_call(self, session: int | None = None) -> int:
        await self._require(Capability.CALLS)
        with translated(Capability.CALLS):
            if session is None:
                ringing = [
                    s
                    for s in await self.client.call.status()
                    if s.direction == "incoming" and s.state == "ringing"
                ]
                if not ringing:
                    raise CallNotFound("No incoming call is ringing.")
                session = ringing[0].session
            await self.client.call.answer(session)
        return session

    async def hangup_call(self, session: int | None = None) -> int:
        await self._require(Capability.CALLS)
        with translated(Capability.CALLS):
            sessions = (
                [session] if session is not None else [s.session for s in await self.client.call.status()]
            )
            for active in sessions:
                await self.client.call.hangup(active)
        return len(sessions)


def _apply_sip(config: ConfigFile, settings: SipSettings) -> list[str]:
    """Edit `config` to hold `settings`; the names of what changed."""
    if config.sip_account_count < 1:
        raise DeviceRejected("The device's configuration has no SIP account.")
    unknown = sorted(switch for switch in settings.dtmf if not 1 <= switch <= config.switch_count)
    if unknown:
        raise DeviceRejected(
            f"The device has {config.switch_count} switches; no switch {', '.join(map(str, unknown))} "
            "for a DTMF code."
        )
    changed = []
    account = settings.account
    wanted = (
        SipAccountConfig(
            enabled=True,
            registrar=account.registrar,
            proxy="",
            number=account.number,
            domain=account.domain,
            auth_id=account.auth_id,
            password=account.password,
        )
        if account is not None
        else SipAccountConfig(False, "", "", "", "", "", "")
    )
    current = config.sip_account(1)
    # Switched off, only what the platform put there matters: the rest is the installer's.
    if (current.enabled or wanted.enabled) and current != wanted:
        config.set_sip_account(1, wanted)
        changed.append("sip_account")
    for switch in range(1, config.switch_count + 1):
        code = settings.dtmf.get(switch, "")
        if config.dtmf_code(switch) != code:
            config.set_dtmf_code(switch, code)
            changed.append(f"dtmf_code.{switch}")
    for name, seconds in (
        ("ring_duration", settings.ring_duration),
        ("talk_duration", settings.talk_duration),
    ):
        if config.duration(name) != seconds:
            config.set_duration(name, seconds)
            changed.append(name)
    return changed


def _now() -> datetime:
    return datetime.now(UTC)


def _resolution(found: ProbeResult, width: int | None, height: int | None) -> tuple[int, int]:
    """The size asked for, if the camera offers it (a size it does not offer would come back as a
    device error 12, invalid parameter); the default size when none is asked for."""
    if not (width and height):
        return _pick_resolution(found)
    offered = [(r.width, r.height) for r in found.camera.jpeg_resolution] if found.camera else []
    if offered and (width, height) not in offered:
        raise ResolutionNotOffered(offered)
    return width, height


def _pick_resolution(found: ProbeResult) -> tuple[int, int]:
    """640x480 when offered (what the apps show), else the largest resolution of the camera."""
    offered = [(r.width, r.height) for r in found.camera.jpeg_resolution] if found.camera else []
    if not offered or DEFAULT_RESOLUTION in offered:
        return DEFAULT_RESOLUTION
    return max(offered, key=lambda size: size[0] * size[1])
