"""The one error hierarchy of the platform. The API layer maps it to HTTP in api/errors.py."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class EntryphoneError(Exception):
    """Base of every error the domain raises on purpose."""

    message = "Error"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message


class NotFound(EntryphoneError):
    """The object does not exist, or does not belong to the caller (never say which)."""

    message = "Not found"


class ValidationFailed(EntryphoneError):
    """Input broke a rule. `errors` maps Laravel-style dot paths to messages."""

    message = "The given data was invalid."

    def __init__(self, errors: Mapping[str, Sequence[str]], message: str | None = None) -> None:
        self.errors: dict[str, list[str]] = {key: list(value) for key, value in errors.items()}
        super().__init__(message or _first_message(self.errors) or self.message)

    @classmethod
    def one(cls, path: str, message: str) -> ValidationFailed:
        return cls({path: [message]})


class Unauthenticated(EntryphoneError):
    message = "Unauthenticated."


class Conflict(EntryphoneError):
    """The operation is understood but cannot be done in the current state (HTTP 409)."""

    message = "Conflict"


class TooManyRequests(EntryphoneError):
    """Rate limit or lock-out. `retry_after` says in how many seconds to try again."""

    message = "Too many attempts."

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message or f"Too many attempts. Try again in {retry_after} seconds.")


class TooManySessions(EntryphoneError):
    """The resident holds the maximum number of sessions (HTTP 419, as the platform documents)."""

    message = "Too many active sessions. Log out on another device, or send session_id to end that session."

    def __init__(self, session_id: int, message: str | None = None) -> None:
        self.session_id = session_id
        super().__init__(message)


class DeviceError(EntryphoneError):
    """A device refused or failed an operation. Keeps the device's own code, param and description."""

    message = "The device reported an error."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: int | None = None,
        param: str | None = None,
        description: str | None = None,
    ) -> None:
        self.code = code
        self.param = param
        self.description = description
        super().__init__(message)


class DeviceCannot(DeviceError):
    """The device (its vendor, model, firmware or configuration) cannot do this at all (HTTP 409)."""

    message = "The device cannot do this."


class DeviceUnavailable(DeviceError):
    """The device could not be reached in time."""

    message = "The device is unreachable."


def _first_message(errors: Mapping[str, Sequence[str]]) -> str | None:
    for messages in errors.values():
        if messages:
            return messages[0]
    return None
