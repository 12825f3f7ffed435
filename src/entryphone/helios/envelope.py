"""The 2N JSON reply envelope and validation of `result` into typed models."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from entryphone.helios.errors import HeliosProtocolError, api_error

JsonObject = dict[str, Any]

M = TypeVar("M", bound=BaseModel)


class WireModel(BaseModel):
    """Base of reply models: camelCase on the wire, unknown (newer firmware) fields ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore")


def decode_envelope(body: bytes) -> JsonObject | None:
    """The `result` of a positive reply (None when there is none); raise the device's error otherwise."""
    try:
        envelope = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HeliosProtocolError(f"reply is not valid JSON: {exc}") from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("success"), bool):
        raise HeliosProtocolError("reply is not a 2N envelope (no boolean 'success')")
    if not envelope["success"]:
        error = envelope.get("error")
        if not isinstance(error, dict) or not isinstance(error.get("code"), int):
            raise HeliosProtocolError("negative reply without an error code")
        param = error.get("param")
        description = error.get("description")
        raise api_error(
            error["code"],
            param if isinstance(param, str) else None,
            description if isinstance(description, str) else None,
        )
    result = envelope.get("result")
    if result is None:
        return None
    if not isinstance(result, dict):
        raise HeliosProtocolError("'result' is not an object")
    return result


def parse_model(model: type[M], data: Any, what: str) -> M:
    """Validate device data into `model`; a malformed reply becomes HeliosProtocolError."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise HeliosProtocolError(f"malformed {what} reply: {_summary(exc)}") from None


def require_result(result: JsonObject | None, what: str) -> JsonObject:
    if result is None:
        raise HeliosProtocolError(f"{what} reply has no 'result'")
    return result


def _summary(exc: ValidationError) -> str:
    first = exc.errors()[0]
    location = ".".join(str(part) for part in first["loc"]) or "(root)"
    more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{location}: {first['msg']}{more}"
