"""entryphone.emulator: a faithful software 2N Helios IP intercom (HTTP API 2.21), many per process.

Standalone: imports nothing else of entryphone.
"""

from .boot import Timings
from .compose import build_device
from .config import Account, AuthMethod, DeviceConfig, Service, ServiceSecurity, SmtpConfig, SwitchConfig
from .device import EmulatedDevice
from .firmware import build_image
from .fleet import EmulatorFleet
from .identity import Identity, identity_for_port, make_identity

__all__ = [
    "Account",
    "AuthMethod",
    "DeviceConfig",
    "EmulatedDevice",
    "EmulatorFleet",
    "Identity",
    "Service",
    "ServiceSecurity",
    "SmtpConfig",
    "SwitchConfig",
    "Timings",
    "build_device",
    "build_image",
    "identity_for_port",
    "make_identity",
]
