"""/openapi.json tells what the API really answers: every status an operation can give (with the body
it then has), the bearer token of each surface as a security scheme with per-operation security, and
the client surface's required X-Client / X-UUID headers. Routers declare their success replies; the
statuses every operation of a kind shares are added here, once, from the same rules the app follows
(api/errors.py, api/limits.py, api/deps.py), so an operation added later is documented too."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from entryphone.api.deps import MAX_UUID_LENGTH, ClientKind


class ErrorBody(BaseModel):
    message: str


class DeviceDetail(BaseModel):
    code: int | None = None
    param: str | None = None
    description: str | None = None


class DeviceErrorBody(BaseModel):
    message: str
    device: DeviceDetail | None = None


class RetryAfterBody(BaseModel):
    message: str
    retry_after: int


class SessionLimitBody(BaseModel):
    message: str
    session_id: int


# Security schemes: one per surface, since a token opens only its own surface.
SURFACES = (
    ("/api/admin/", "adminToken", "An admin token (`entryphone tokens create`)."),
    ("/api/v1/billing/", "billingToken", "A billing token (`entryphone tokens create`)."),
    ("/api/v1/", "residentToken", "A resident token from POST /api/v1/token."),
)
LOGIN = "/api/v1/token"
# Operations that call the panel: it may be unable (409), refuse (502) or not answer (504).
DEVICE = re.compile(
    r"/(open-door|snapshot|restart|config-backup|sync-keys)$|/calls/\{call\}/(start|end|cancel)$"
)
# Operations that call the panel only when they change something (reading their status does not).
DEVICE_WRITE = re.compile(r"/sip-sync$")
# Operations whose rules can clash with the stored state (409 Conflict): door codes running out.
CONFLICT = re.compile(r"/codes$")
BODY_METHODS = {"post", "put", "patch", "delete"}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}

DESCRIPTIONS = {
    "401": "Missing or invalid token, or a token of another surface.",
    "404": "Not found, or not yours.",
    "409": "The device (or the stored state) cannot do this.",
    "413": "Request body too large.",
    "419": "Too many live sessions: repeat with session_id to end the oldest.",
    "422": "Validation error.",
    "429": "Too many attempts: locked out for Retry-After seconds.",
    "502": "The device refused the operation (its code, param and description are kept).",
    "503": "The database is unavailable or busy: retry in a moment.",
    "504": "The device did not answer in time.",
}


def document_statuses(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        components = schema.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        for model in (ErrorBody, DeviceErrorBody, RetryAfterBody, SessionLimitBody):
            found = model.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(found.pop("$defs", {}))
            schemas[model.__name__] = found
        components["securitySchemes"] = {
            name: {"type": "http", "scheme": "bearer", "description": text} for _, name, text in SURFACES
        }
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                _document(path, method, operation)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _reply(status: str, model: type[BaseModel], headers: dict[str, Any] | None = None) -> dict[str, Any]:
    reply: dict[str, Any] = {
        "description": DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}},
    }
    if headers:
        reply["headers"] = headers
    return reply


def _document(path: str, method: str, operation: dict[str, Any]) -> None:
    if not path.startswith("/api/"):
        return
    responses: dict[str, Any] = operation.setdefault("responses", {})
    scheme = next(name for prefix, name, _ in SURFACES if path.startswith(prefix))
    parameters: list[dict[str, Any]] = operation.get("parameters", [])
    if path == LOGIN:
        operation["security"] = []
        responses.setdefault("419", _reply("419", SessionLimitBody))
        responses.setdefault("429", _reply("429", RetryAfterBody, RETRY_AFTER))
    else:
        operation["security"] = [{scheme: []}]
        responses.setdefault("401", _reply("401", ErrorBody))
    # 404: an id in the path, or objects named by the body or the query (billing's id/mac, ids[]).
    names_objects = any(p.get("in") == "query" and re.search(r"id|mac", p["name"]) for p in parameters)
    if "{" in path or method != "get" or names_objects:
        responses.setdefault("404", _reply("404", ErrorBody))
    if method in BODY_METHODS:
        responses.setdefault("413", _reply("413", ErrorBody))
    if DEVICE.search(path) or (DEVICE_WRITE.search(path) and method == "post"):
        responses.setdefault("409", _reply("409", ErrorBody))
        responses.setdefault("502", _reply("502", DeviceErrorBody))
        responses.setdefault("504", _reply("504", DeviceErrorBody))
    elif CONFLICT.search(path) and method == "post":
        responses.setdefault("409", _reply("409", ErrorBody))
    responses.setdefault("503", _reply("503", ErrorBody, RETRY_AFTER))
    if parameters or "requestBody" in operation or path == LOGIN:
        responses.setdefault("422", {"description": DESCRIPTIONS["422"]})
    for parameter in parameters:
        if parameter.get("in") != "header":
            continue
        if parameter["name"] == "X-Client":
            parameter["required"] = True
            parameter["schema"] = {"type": "string", "enum": [kind.value for kind in ClientKind]}
            parameter["description"] = "The kind of app calling."
        elif parameter["name"] == "X-UUID":
            parameter["required"] = True
            parameter["schema"] = {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_UUID_LENGTH,
                "pattern": r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$",
            }
            parameter["description"] = "This device's id (printable, the same for every call of the device)."
