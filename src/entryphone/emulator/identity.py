"""Serial numbers and MAC addresses of emulated panels, distinct within a fleet."""

from __future__ import annotations

from dataclasses import dataclass

MAC_PREFIX = "7C-1E-B3"  # 2N's OUI


@dataclass(frozen=True, slots=True)
class Identity:
    serial: str
    mac: str
    variant: str = "2N Helios IP Verso"
    hw_version: str = "535v1"


def make_identity(seed: int, index: int) -> Identity:
    """Deterministic for (seed, index); seed spreads fleets apart, index within a fleet."""
    number = (seed % 0x1000) * 0x1000 + index  # 24 bits: 4096 fleets of 4096 devices
    serial = f"54-{(number // 10000) % 10000:04d}-{number % 10000:04d}"
    mac = f"{MAC_PREFIX}-{(number >> 16) & 0xFF:02X}-{(number >> 8) & 0xFF:02X}-{number & 0xFF:02X}"
    return Identity(serial=serial, mac=mac)
