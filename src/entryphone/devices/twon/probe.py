"""What a 2N device is and can do: identity, firmware profile, capabilities with reasons.

Profile: "2.4x" when /api/dir answers (directory and access points of newer firmware), "2.21"
when the device says the path does not exist or the function is unsupported. Every capability is
tested with a harmless read of the function group behind it; a device error that means "cannot"
(unsupported, disabled, licensed, no privilege) becomes the reason the capability is missing.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from entryphone.devices.capabilities import Capability
from entryphone.devices.models import DeviceInfo
from entryphone.devices.twon.errors import capability_reason, translated
from entryphone.helios import (
    CameraCaps,
    FunctionNotSupported,
    HeliosApiError,
    HeliosClient,
    InvalidRequestPath,
    SwitchCaps,
)

T = TypeVar("T")

NO_DIRECTORY = "this firmware has no directory (/api/dir); keys and codes cannot be pushed to it"


class TwoNProfile(StrEnum):
    V2_21 = "2.21"
    V2_4X = "2.4x"


@dataclass(slots=True)
class ProbeResult:
    info: DeviceInfo
    profile: TwoNProfile
    switches: dict[int, SwitchCaps] = field(default_factory=dict)
    camera: CameraCaps | None = None


class _Probe:
    def __init__(self) -> None:
        self.missing: dict[Capability, str] = {}
        self.errors: dict[Capability, HeliosApiError] = {}

    async def attempt(self, capabilities: tuple[Capability, ...], call: Awaitable[T]) -> T | None:
        """The reply, or None after recording why `capabilities` are unavailable."""
        try:
            return await call
        except HeliosApiError as error:
            reason = capability_reason(error) or f"the device refused the check ({error})"
            for capability in capabilities:
                self.missing[capability] = reason
                self.errors[capability] = error
            return None


async def probe(client: HeliosClient) -> ProbeResult:
    # Transport and auth failures abort the probe: they say nothing about capabilities.
    with translated():
        info = await client.system.info()
        check = _Probe()
        directory = await check.attempt((Capability.KEYS, Capability.CODES), client.dir.template())
        switches = await check.attempt((Capability.DOOR,), client.switch.caps())
        camera = await check.attempt((Capability.SNAPSHOT, Capability.LIVE_VIDEO), client.camera.caps())
        await check.attempt((Capability.EVENTS,), client.log.caps())
        await check.attempt((Capability.CALLS,), client.call.status())
        await check.attempt(
            (Capability.RESTART, Capability.FIRMWARE, Capability.CONFIG_BACKUP, Capability.SIP),
            client.system.status(),
        )

    if isinstance(check.errors.get(Capability.KEYS), InvalidRequestPath | FunctionNotSupported):
        profile = TwoNProfile.V2_21
        check.missing[Capability.KEYS] = check.missing[Capability.CODES] = NO_DIRECTORY
    else:
        profile = TwoNProfile.V2_4X
    if directory is not None:
        access = directory.users[0].access if directory.users else None
        if access is None or "card" not in access.model_fields_set:
            check.missing[Capability.KEYS] = "the device directory has no card field (no card reader)"
        if access is None or "code" not in access.model_fields_set:
            check.missing[Capability.CODES] = "the device directory has no code field (no keypad)"
    enabled = {caps.switch: caps for caps in switches or () if caps.enabled}
    if switches is not None and not enabled:
        check.missing[Capability.DOOR] = "no switch is enabled on the device"

    capabilities = frozenset(c for c in Capability if c not in check.missing)
    device = DeviceInfo(
        vendor="2n",
        serial=info.serial_number,
        mac=info.mac_addr,
        model=info.variant,
        firmware=info.sw_version,
        name=info.device_name,
        profile=profile.value,
        capabilities=capabilities,
        unavailable=check.missing,
    )
    return ProbeResult(info=device, profile=profile, switches=enabled, camera=camera)
