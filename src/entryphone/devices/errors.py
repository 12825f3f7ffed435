"""Driver errors: the neutral face of every device failure. Part of the platform's one hierarchy
(entryphone.errors.DeviceError), so the API layer maps them in one place: CapabilityMissing and
UnknownVendor are DeviceCannot (409), DeviceUnreachable a 504 "offline", DeviceRejected keeps the
device's code/param (502)."""

from __future__ import annotations

from entryphone.devices.capabilities import Capability
from entryphone.errors import DeviceCannot, DeviceError, DeviceUnavailable, ValidationFailed


class DriverError(DeviceError):
    """Base of all driver errors."""

    message = "The device operation failed."


class DeviceUnreachable(DeviceUnavailable, DriverError):
    """No answer: connection refused, timeout, TLS failure."""

    message = "The device is unreachable."


class DeviceAuthFailed(DriverError):
    """The device refused the configured account (wrong password, missing privilege)."""

    message = "The device refused the configured credentials."


class CapabilityMissing(DeviceCannot, DriverError):
    """The device (model, firmware or its configuration) cannot do this. `reason` says why."""

    def __init__(self, capability: Capability, reason: str) -> None:
        self.capability = capability
        self.reason = reason
        super().__init__(f"The device cannot do '{capability.value}': {reason}")


class DeviceRejected(DriverError):
    """The device understood the request and refused it; its code/param/description are kept."""

    message = "The device rejected the request."


class DeviceProtocolError(DriverError):
    """The device answered with something that is not a valid reply."""

    message = "The device sent an invalid reply."


class CallNotFound(DriverError):
    """No call in the state the operation needs (e.g. nothing is ringing)."""

    message = "No matching call on the device."


class UnknownVendor(DeviceCannot, DriverError):
    """No driver is registered for this vendor."""

    def __init__(self, vendor: str, known: list[str]) -> None:
        self.vendor = vendor
        super().__init__(f"No device driver for vendor {vendor!r} (available: {', '.join(known) or 'none'}).")


class ResolutionNotOffered(ValidationFailed, DriverError):
    """A picture size the panel's camera does not offer (2N: /api/camera/caps `jpegResolution`).
    The request's fault, not the device's: rendered as a 422 on `width` and `height`."""

    def __init__(self, offered: list[tuple[int, int]]) -> None:
        self.offered = offered
        sizes = ", ".join(f"{width}x{height}" for width, height in offered)
        message = f"The intercom's camera offers only these sizes (width x height): {sizes}."
        super().__init__({"width": [message], "height": [message]})
