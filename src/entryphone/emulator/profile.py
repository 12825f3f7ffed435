"""Firmware profiles: the manual's 2.21, and the later firmware entryphone also needs (2.4x)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .config import Service

# Event types of the 2.21 manual's log/caps table, in its order.
EVENTS_2_21: tuple[str, ...] = (
    "DeviceState",
    "AudioLoopTest",
    "MotionDetected",
    "NoiseDetected",
    "KeyPressed",
    "KeyReleased",
    "CodeEntered",
    "CardEntered",
    "InputChanged",
    "OutputChanged",
    "SwitchStateChanged",
    "CallStateChanged",
    "RegistrationStateChanged",
    "TamperSwitchActivated",
    "UnauthorizedDoorOpen",
    "DoorOpenTooLong",
    "LoginBlocked",
    "UserAuthenticated",
)


class ProfileName(StrEnum):
    V2_21 = "2.21"
    V2_4X = "2.4x"


@dataclass(frozen=True, slots=True)
class Profile:
    name: ProfileName
    sw_version: str
    build_type: str
    licence_checks: bool  # functions marked "Yes" need Enhanced Integration
    directory: bool  # /api/dir/* and /api/accesspoint/grantaccess
    mac_in_info: bool  # system/info macAddr
    switch_locks: bool  # switch status locked/held, ctrl lock/unlock/hold/release
    events: tuple[str, ...]
    services: tuple[Service, ...]


PROFILES: dict[ProfileName, Profile] = {
    ProfileName.V2_21: Profile(
        name=ProfileName.V2_21,
        sw_version="2.21.0.31.8",
        build_type="",
        licence_checks=True,
        directory=False,
        mac_in_info=False,
        switch_locks=False,
        events=EVENTS_2_21,
        services=tuple(s for s in Service if s is not Service.ACCESS),
    ),
    ProfileName.V2_4X: Profile(
        name=ProfileName.V2_4X,
        sw_version="2.45.0.64.3",
        build_type="release",
        licence_checks=False,
        directory=True,
        mac_in_info=True,
        switch_locks=True,
        events=(*EVENTS_2_21, "ApiAccessRequested", "DtmfPressed"),  # DtmfPressed: the latest manual
        services=tuple(Service),
    ),
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[ProfileName(name)]
    except ValueError:
        raise ValueError(
            f"unknown profile {name!r}; choose one of {', '.join(p.value for p in ProfileName)}"
        ) from None
