"""The device's error codes (manual section 2.3) and the exception that carries them."""

from __future__ import annotations

from typing import Final

# Descriptions exactly as the manual's table; clients compare them verbatim.
DESCRIPTIONS: Final[dict[int, str]] = {
    1: "function is not supported",
    2: "invalid request path",
    3: "invalid request method",
    4: "function is disabled",
    5: "function is licensed",
    7: "invalid connection type",
    8: "invalid authentication method",
    9: "authorisation required",
    10: "insufficient user privileges",
    11: "missing mandatory parameter",
    12: "invalid parameter value",
    13: "parameter data too big",
    14: "unspecified processing error",
    15: "no data available",
}

NOT_SUPPORTED: Final = 1
INVALID_PATH: Final = 2
INVALID_METHOD: Final = 3
DISABLED: Final = 4
LICENSED: Final = 5
CONNECTION_TYPE: Final = 7
AUTH_METHOD: Final = 8
AUTH_REQUIRED: Final = 9
PRIVILEGES: Final = 10
MISSING_PARAM: Final = 11
INVALID_PARAM: Final = 12
TOO_BIG: Final = 13
PROCESSING: Final = 14
NO_DATA: Final = 15


class ApiError(Exception):
    """A failure the device reports in its JSON envelope (HTTP 200 unless it is code 9)."""

    def __init__(self, code: int, param: str | None = None) -> None:
        super().__init__(f"{code} {DESCRIPTIONS[code]}" + (f" ({param})" if param else ""))
        self.code = code
        self.param = param

    @property
    def description(self) -> str:
        return DESCRIPTIONS[self.code]

    def as_dict(self) -> dict[str, object]:
        error: dict[str, object] = {"code": self.code}
        if self.param is not None:
            error["param"] = self.param
        error["description"] = self.description
        return error


def missing(param: str) -> ApiError:
    return ApiError(MISSING_PARAM, param)


def invalid(param: str) -> ApiError:
    return ApiError(INVALID_PARAM, param)
