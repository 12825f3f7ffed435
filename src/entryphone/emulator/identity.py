"""Serial numbers and MAC addresses of emulated panels: distinct within a fleet, and across the
emulator processes of one machine when left to their defaults.

The 24-bit number behind both is split in two ranges: explicit seeds (0..2047, 4096 devices each)
below 0x800000, identities derived from the device's HTTP port above it. Two processes cannot
listen on one port at once, so port-derived identities never collide on one machine, and the
same port gives the same identity on every run.
"""

from __future__ import annotations

from dataclasses import dataclass

MAC_PREFIX = "7C-1E-B3"  # 2N's OUI
SEEDS = 2048
FLEET_SIZE = 4096
_PORT_RANGE = 0x800000


@dataclass(frozen=True, slots=True)
class Identity:
    serial: str
    mac: str
    variant: str = "2N Helios IP Verso"
    hw_version: str = "535v1"


def make_identity(seed: int, index: int) -> Identity:
    """Deterministic for (seed, index); seed spreads fleets apart, index within a fleet."""
    if not 0 <= seed < SEEDS:
        raise ValueError(f"seed must be 0 to {SEEDS - 1}")
    if not 0 <= index < FLEET_SIZE:
        raise ValueError(f"index must be 0 to {FLEET_SIZE - 1}")
    return _identity(seed * FLEET_SIZE + index)


def identity_for_port(port: int) -> Identity:
    """The default identity of the device listening on HTTP port `port`."""
    if not 0 < port < 65536:
        raise ValueError("port must be 1 to 65535")
    return _identity(_PORT_RANGE + port)


def _identity(number: int) -> Identity:
    serial = f"54-{(number // 10000) % 10000:04d}-{number % 10000:04d}"
    mac = f"{MAC_PREFIX}-{(number >> 16) & 0xFF:02X}-{(number >> 8) & 0xFF:02X}-{number & 0xFF:02X}"
    return Identity(serial=serial, mac=mac)
