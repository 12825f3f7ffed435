"""The one place where helios errors become driver errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from entryphone.devices.capabilities import Capability
from entryphone.devices.errors import (
    CapabilityMissing,
    DeviceAuthFailed,
    DeviceProtocolError,
    DeviceRejected,
    DeviceUnreachable,
    DriverError,
)
from entryphone.helios import errors as h

# Device codes that mean "this device cannot do it" rather than "this request was wrong".
_MISSING_REASONS: dict[type[h.HeliosApiError], str] = {
    h.FunctionNotSupported: "the device model does not support it",
    h.InvalidRequestPath: "the device firmware does not have this function",
    h.FunctionDisabled: "the service is disabled on the device (Services / HTTP API)",
    h.FunctionLicensed: "the function needs a licence on this firmware",
}


_ACCOUNT_REFUSED = (h.InvalidAuthenticationMethod, h.AuthorisationRequired, h.InsufficientPrivileges)


def capability_reason(error: h.HeliosApiError) -> str | None:
    """Why a capability is unavailable, if this device error means it is; else None."""
    if isinstance(error, h.InsufficientPrivileges):
        return "the configured account lacks the privilege for it"
    return next((text for kind, text in _MISSING_REASONS.items() if isinstance(error, kind)), None)


def translate_error(error: h.HeliosError, capability: Capability | None = None) -> DriverError:
    if isinstance(error, h.HeliosTLSError):
        return DeviceUnreachable(f"TLS failure: {error}")
    if isinstance(error, h.HeliosTimeout):
        return DeviceUnreachable("The device did not answer in time.")
    if isinstance(error, h.HeliosTransportError):
        return DeviceUnreachable(f"The device is unreachable ({error}).")
    if isinstance(error, h.HeliosAuthError):
        return DeviceAuthFailed(
            f"Authentication failed: {error}", code=error.code, description=error.description
        )
    if isinstance(error, h.HeliosProtocolError):
        return DeviceProtocolError(f"Invalid device reply: {error}")
    if isinstance(error, h.HeliosApiError):
        kind: type[DriverError] = DeviceRejected
        text = f"The device rejected the request: {error}"
        if isinstance(
            error, h.InvalidAuthenticationMethod | h.AuthorisationRequired | h.InsufficientPrivileges
        ):
            kind, text = DeviceAuthFailed, f"The device refused the account: {error}"
        elif (reason := capability_reason(error)) is not None and capability is not None:
            missing = CapabilityMissing(capability, reason)
            missing.code, missing.param, missing.description = error.code, error.param, error.description
            return missing
        return kind(text, code=error.code, param=error.param, description=error.description)
    return DriverError(str(error))


@contextmanager
def translated(capability: Capability | None = None) -> Iterator[None]:
    """Run helios calls; re-raise their errors as driver errors (`capability`: what was attempted)."""
    try:
        yield
    except h.HeliosError as error:
        raise translate_error(error, capability) from error
