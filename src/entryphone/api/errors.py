"""The one place that renders errors: 401, 404, 405, 409, 413, 419, 422, 429, 503 and device errors."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as SqlTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from entryphone.api.routing import allowed_methods
from entryphone.api.types import DATE_FORMAT_MESSAGE
from entryphone.errors import (
    Conflict,
    DeviceCannot,
    DeviceError,
    DeviceUnavailable,
    EntryphoneError,
    NotFound,
    TooManyRequests,
    TooManySessions,
    Unauthenticated,
    ValidationFailed,
)

log = logging.getLogger(__name__)

VALIDATION_MESSAGE = "The given data was invalid."
RETRY_SOON = {"Retry-After": "1"}


def error_response(status: int, message: str, **extra: Any) -> JSONResponse:
    headers = extra.pop("headers", None)
    return JSONResponse({"message": message, **extra}, status_code=status, headers=headers)


def validation_response(errors: dict[str, list[str]], message: str | None = None) -> JSONResponse:
    first = next((messages[0] for messages in errors.values() if messages), VALIDATION_MESSAGE)
    return error_response(422, message or first, errors=errors)


def dot_path(loc: Sequence[int | str]) -> str:
    """Pydantic's location -> Laravel's dot path: ('body', 'matrix', 1, 'capacity') -> matrix.1.capacity."""
    parts = [str(part) for part in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    # Validator and union members add their type name to the location; it means nothing to a client.
    parts = [part for part in parts if not _is_type_tag(part)]
    return ".".join(parts) or "body"


_TYPE_TAGS = {"int", "str", "bool", "float", "none", "list", "dict", "is-instance", "tagged-union"}


def _is_type_tag(part: str) -> bool:
    return (
        part in _TYPE_TAGS
        or ("[" in part and not part.endswith("[]"))  # list[...], not the query key ids[]
        or part.startswith(("function-", "json-or-python", "lax-or-strict", "constrained-", "nullable"))
    )


def _attribute(path: str) -> str:
    """Laravel's attribute name: the last key (underscores as spaces), the whole path for a list cell."""
    if path == "body":
        return "body"
    last = path.rsplit(".", 1)[-1]
    return (path if last.isdigit() else last).replace("_", " ")


# Pydantic's error types in the platform's words; {field} is the attribute, {…} the error's context.
_MESSAGES = {
    "missing": "The {field} field is required.",
    "json_invalid": "The request body is not valid JSON.",
    "json_type": "The request body is not valid JSON.",
    "int_type": "The {field} field must be an integer.",
    "int_parsing": "The {field} field must be an integer.",
    "int_from_float": "The {field} field must be an integer.",
    "int_parsing_size": "The {field} field must be an integer.",
    "float_type": "The {field} field must be a number.",
    "float_parsing": "The {field} field must be a number.",
    "finite_number": "The {field} field must be a number.",
    "bool_type": "The {field} field must be true or false.",
    "bool_parsing": "The {field} field must be true or false.",
    "string_type": "The {field} field must be a string.",
    "string_unicode": "The {field} field must be valid UTF-8 text.",
    "string_sub_type": "The {field} field must be a string.",
    "list_type": "The {field} field must be an array.",
    "tuple_type": "The {field} field must be an array.",
    "set_type": "The {field} field must be an array.",
    "dict_type": "The {field} field must be an object.",
    "model_type": "The {field} field must be an object.",
    "model_attributes_type": "The {field} field must be an object.",
    "greater_than_equal": "The {field} field must be at least {ge}.",
    "greater_than": "The {field} field must be greater than {gt}.",
    "less_than_equal": "The {field} field must not be greater than {le}.",
    "less_than": "The {field} field must be less than {lt}.",
    "string_too_short": "The {field} field must be at least {min_length} characters.",
    "string_too_long": "The {field} field must not be greater than {max_length} characters.",
    "too_short": "The {field} field must have at least {min_length} items.",
    "too_long": "The {field} field must not have more than {max_length} items.",
    "string_pattern_mismatch": "The {field} field format is invalid.",
    "enum": "The selected {field} is invalid.",
    "literal_error": "The selected {field} is invalid.",
    "date_format": "The {field} field " + DATE_FORMAT_MESSAGE + ".",
    "date_range": "The {field} field is outside the supported dates.",
    "datetime_type": "The {field} field " + DATE_FORMAT_MESSAGE + ".",
    "datetime_parsing": "The {field} field " + DATE_FORMAT_MESSAGE + ".",
    "datetime_from_date_parsing": "The {field} field " + DATE_FORMAT_MESSAGE + ".",
    "not_null": "The {field} field cannot be null.",
    "extra_forbidden": "The {field} field is not allowed.",
}


def humanize(error: dict[str, Any], path: str) -> str:
    """The platform's (Laravel-style) sentence for a pydantic error; never pydantic's own words.
    Our validators raise ValueError with a full sentence, kept as written."""
    field = _attribute(path)
    kind = str(error.get("type", ""))
    template = _MESSAGES.get(kind)
    if template is not None:
        context = {key: value for key, value in (error.get("ctx") or {}).items()}
        try:
            return template.format(field=field, **context)
        except (KeyError, IndexError, ValueError):
            return f"The {field} field is invalid."
    if kind in {"value_error", "assertion_error", "rule", "log_extra"}:  # our own sentences
        message = str(error.get("msg", ""))
        message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if message:
            return message if message.endswith(".") else message + "."
    return f"The {field} field is invalid."


def errors_from_pydantic(errors: Sequence[Any]) -> dict[str, list[str]]:
    collected: dict[str, list[str]] = {}
    for error in errors:
        path = dot_path(error.get("loc", ()))
        kind = error.get("type", "")
        if kind in {"json_invalid", "json_type"}:
            path = "body"
        message = humanize(error, path)
        bucket = collected.setdefault(path, [])
        if message not in bucket:
            bucket.append(message)
    return collected


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _request_validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_response(errors_from_pydantic(exc.errors()))

    @app.exception_handler(ValidationFailed)
    async def _validation(_request: Request, exc: ValidationFailed) -> JSONResponse:
        return validation_response(exc.errors)

    @app.exception_handler(NotFound)
    async def _not_found(_request: Request, _exc: NotFound) -> JSONResponse:
        # Never the domain's detail: "not yours" and "does not exist" must read the same.
        return error_response(404, "Not found")

    @app.exception_handler(Unauthenticated)
    async def _unauthenticated(_request: Request, exc: Unauthenticated) -> JSONResponse:
        return error_response(401, exc.message, headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(TooManyRequests)
    async def _too_many(_request: Request, exc: TooManyRequests) -> JSONResponse:
        return error_response(
            429, exc.message, retry_after=exc.retry_after, headers={"Retry-After": str(exc.retry_after)}
        )

    @app.exception_handler(TooManySessions)
    async def _too_many_sessions(_request: Request, exc: TooManySessions) -> JSONResponse:
        return error_response(419, exc.message, session_id=exc.session_id)

    @app.exception_handler(Conflict)
    async def _conflict(_request: Request, exc: Conflict) -> JSONResponse:
        return error_response(409, exc.message)

    @app.exception_handler(DeviceCannot)
    async def _device_cannot(_request: Request, exc: DeviceCannot) -> JSONResponse:
        return error_response(409, exc.message)

    @app.exception_handler(DeviceError)
    async def _device(_request: Request, exc: DeviceError) -> JSONResponse:
        status = 504 if isinstance(exc, DeviceUnavailable) else 502
        device = {"code": exc.code, "param": exc.param, "description": exc.description}
        return error_response(status, exc.message, device={k: v for k, v in device.items() if v is not None})

    @app.exception_handler(EntryphoneError)
    async def _other(_request: Request, exc: EntryphoneError) -> JSONResponse:
        log.error("unmapped domain error %s: %s", type(exc).__name__, exc.message)
        return error_response(400, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        messages = {404: "Not found", 405: "Method not allowed", 413: "Request body too large"}
        message = messages.get(exc.status_code, str(exc.detail))
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:  # Starlette names the first matching route's methods only
            headers["Allow"] = ", ".join(allowed_methods(request.app.routes, request.scope))
        if exc.status_code == 400 and "parsing the body" in str(exc.detail):
            # FastAPI's answer to a body it cannot decode (not UTF-8): the documented 422 on `body`.
            return validation_response({"body": ["The request body must be UTF-8 encoded JSON."]})
        return error_response(exc.status_code, message, headers=headers or None)

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated:  # the database restarted or the link dropped: retry is safe
            log.warning("database connection lost on %s %s", request.method, request.url.path)
            return error_response(503, "The database is unavailable. Retry in a moment.", headers=RETRY_SOON)
        if isinstance(exc, IntegrityError):
            # The services check every unique rule first (422 on the field); only a concurrent request
            # that took the same value between that check and the write gets here.
            log.warning("unique clash on %s %s", request.method, request.url.path)
            return error_response(409, "A concurrent change took the same value. Retry the request.")
        return await _unexpected(request, exc)

    @app.exception_handler(SqlTimeoutError)
    async def _pool_exhausted(request: Request, _exc: SqlTimeoutError) -> JSONResponse:
        log.warning("no database connection free for %s %s", request.method, request.url.path)
        return error_response(503, "The server is busy. Retry in a moment.", headers=RETRY_SOON)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The traceback goes to the log (no request body: it may hold secrets); the client gets no detail.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "Server error")


class ValidationErrorBody(BaseModel):
    """What every 422 looks like (Laravel's shape)."""

    message: str
    errors: dict[str, list[str]]


def document_error_shapes(app: FastAPI) -> None:
    """FastAPI documents its own 422 body (`{"detail": [...]}`); ours is `{"message", "errors"}`:
    publish that in /openapi.json so clients and schema checks see what the API really answers."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["HTTPValidationError"] = ValidationErrorBody.model_json_schema()
        components.pop("ValidationError", None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
