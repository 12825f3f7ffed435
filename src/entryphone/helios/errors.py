"""Errors of the 2N HTTP API client.

Three families, so callers can react without parsing messages:
transport (the device could not be reached or did not answer in time), authentication
(HTTP 401 that the client could not resolve), and device replies (the JSON error envelope, with the
device's own code, param and description kept verbatim). Messages never contain credentials.
"""

from __future__ import annotations


class HeliosError(Exception):
    """Base of every error raised by entryphone.helios."""


class HeliosTransportError(HeliosError):
    """The request did not produce a reply from the device."""


class HeliosConnectionError(HeliosTransportError):
    """Connection refused, reset, DNS failure, or the connection broke mid-reply."""


class HeliosTLSError(HeliosConnectionError):
    """The TLS handshake failed: untrusted certificate or a pinned fingerprint that does not match."""


class HeliosTimeout(HeliosTransportError):
    """The device did not answer within the call's timeout."""


class HeliosProtocolError(HeliosError):
    """The device answered with something that is not a valid 2N reply (bad JSON, wrong type, ...)."""


class HeliosAuthError(HeliosError):
    """HTTP 401 that could not be resolved: no credentials, wrong credentials, unsupported scheme."""

    def __init__(self, message: str, *, code: int | None = None, description: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.description = description


class HeliosApiError(HeliosError):
    """The device's negative reply: {"success": false, "error": {code, param?, description}}."""

    code: int

    def __init__(self, code: int, param: str | None = None, description: str | None = None) -> None:
        self.code = code
        self.param = param
        self.description = description
        text = f"device error {code}"
        if description:
            text += f": {description}"
        if param:
            text += f" (param {param!r})"
        super().__init__(text)


class FunctionNotSupported(HeliosApiError):
    """1: the function does not exist on this model."""


class InvalidRequestPath(HeliosApiError):
    """2: no function at this path (typical of older firmware for newer functions)."""


class InvalidRequestMethod(HeliosApiError):
    """3: the HTTP method is not valid for this function."""


class FunctionDisabled(HeliosApiError):
    """4: the service is switched off in Services / HTTP API."""


class FunctionLicensed(HeliosApiError):
    """5: the function needs a licence key (firmware before 2.35)."""


class InvalidConnectionType(HeliosApiError):
    """7: the service requires HTTPS."""


class InvalidAuthenticationMethod(HeliosApiError):
    """8: the service does not accept the authentication scheme used."""


class AuthorisationRequired(HeliosApiError):
    """9: authentication is required (normally sent with HTTP 401)."""


class InsufficientPrivileges(HeliosApiError):
    """10: authenticated, but the account lacks the privilege for this function."""


class MissingParameter(HeliosApiError):
    """11: a mandatory parameter is missing; `param` names it."""


class InvalidParameter(HeliosApiError):
    """12: a parameter value is invalid; `param` names it. Also an unknown log channel id."""


class ParameterTooBig(HeliosApiError):
    """13: parameter data exceed the device's limit; `param` names it."""


class ProcessingError(HeliosApiError):
    """14: unspecified processing error."""


class NoDataAvailable(HeliosApiError):
    """15: the requested data are not available."""


API_ERRORS: dict[int, type[HeliosApiError]] = {
    1: FunctionNotSupported,
    2: InvalidRequestPath,
    3: InvalidRequestMethod,
    4: FunctionDisabled,
    5: FunctionLicensed,
    7: InvalidConnectionType,
    8: InvalidAuthenticationMethod,
    9: AuthorisationRequired,
    10: InsufficientPrivileges,
    11: MissingParameter,
    12: InvalidParameter,
    13: ParameterTooBig,
    14: ProcessingError,
    15: NoDataAvailable,
}


def api_error(code: int, param: str | None = None, description: str | None = None) -> HeliosApiError:
    """The typed error for a device error code; unknown codes (16+) stay a plain HeliosApiError."""
    return API_ERRORS.get(code, HeliosApiError)(code, param, description)
