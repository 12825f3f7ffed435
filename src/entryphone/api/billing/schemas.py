"""Request and reply shapes of the billing surface (paths and field names as the platform documents)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    Field,
    JsonValue,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from entryphone.api.types import Bool, Id, Integer, Name, NonNegativeInt, RequestBody, Text
from entryphone.intercoms.identity import normalize_mac
from entryphone.intercoms.service import MAX_DEPARTMENT

MAX_LOG_EXTRA_BYTES = 16_384
MAX_SYNC_ITEMS = 500
MAX_DELETE_IDS = 200

Department = Annotated[int, Integer(1, MAX_DEPARTMENT)]
Login = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=191)]
ExternalId = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=191)]
Model = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Serial = Annotated[str, StringConstraints(max_length=255)]  # its format is the intercoms' rule
Phone = Annotated[Text, StringConstraints(strip_whitespace=True, max_length=64)]
Secret = Annotated[Text, StringConstraints(max_length=255)]


def _log_extra(value: Any) -> Any:
    """ "string|array" in the platform's words: a string, a JSON array or a JSON object, kept as sent
    (one rule, so a wrong type is one message on `log_extra`, not one per member of a union)."""
    if isinstance(value, str):
        if len(value) > 4096 or any(ord(char) < 32 and char not in "\t\n\r" for char in value):
            raise PydanticCustomError(
                "log_extra", "The log extra field must be at most 4096 characters without control characters."
            )
    elif not isinstance(value, list | dict):
        raise PydanticCustomError("log_extra", "The log extra field must be a string, an array or an object.")
    if len(json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")) > MAX_LOG_EXTRA_BYTES:
        raise PydanticCustomError(
            "log_extra", f"The log extra field must be at most {MAX_LOG_EXTRA_BYTES} bytes of JSON."
        )
    return value


LogExtra = Annotated[
    JsonValue,
    PlainValidator(_log_extra),
    WithJsonSchema({"anyOf": [{"type": "string", "maxLength": 4096}, {"type": "array"}, {"type": "object"}]}),
]


def _mac_rule(data: Mapping[str, Any], *names: str) -> dict[str, list[str]]:
    """The MAC format of the intercoms service, checked with the other faults of the body."""
    errors: dict[str, list[str]] = {}
    for name in names:
        value = data.get(name)
        if isinstance(value, str):
            try:
                normalize_mac(value)
            except ValueError as exc:
                errors[name] = [str(exc).replace("The mac ", f"The {name} ", 1)]
    return errors


def _exclusive(data: Mapping[str, Any], first: str, second: str) -> dict[str, list[str]]:
    if data.get(first) is None or data.get(second) is None:
        return {}
    return {
        first: [f"The {first} field prohibits {second} from being present."],
        second: [f"The {second} field prohibits {first} from being present."],
    }


def _merged(*found: dict[str, list[str]]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for each in found:
        for path, messages in each.items():
            errors.setdefault(path, []).extend(messages)
    return errors


class _Body(RequestBody):
    pass


class OnvifCredentials(_Body):
    """Write-only: stored encrypted on the intercom's camera, reported as is_onvif_credentials_installed."""

    login: Secret
    password: Secret
    port: Annotated[int, Integer(1, 65_535)] | None = None
    path: Text | None = None


class IntercomCreate(_Body):
    @classmethod
    def cross_field_rules(cls, data: Mapping[str, Any]) -> dict[str, list[str]]:
        return _merged(_mac_rule(data, "mac"), _exclusive(data, "group_id", "group_external_id"))

    group_id: Id | None = None
    group_external_id: ExternalId | None = None
    flat_from: NonNegativeInt | None = None
    flat_to: NonNegativeInt | None = None
    serial_number: Serial
    mac: Text
    vendor: Model
    model: Model
    name: Name
    department: Department
    external_id: ExternalId | None = None
    log_extra: LogExtra | None = None


class IntercomUpdate(_Body):
    # Billing never clears these: null is refused, as for every boolean (onvif_credentials: null removes).
    not_null = frozenset(
        {"title", "name", "department", "flat_from", "flat_to", "group_id", "group_external_id", "new_mac",
         "new_serial_number", "model", "external_id"}
    )  # fmt: skip

    @classmethod
    def cross_field_rules(cls, data: Mapping[str, Any]) -> dict[str, list[str]]:
        return _merged(
            _mac_rule(data, "mac", "new_mac"),
            _exclusive(data, "id", "mac"),
            _exclusive(data, "group_id", "group_external_id"),
        )

    id: Id | None = None
    mac: Text | None = None
    title: Name | None = None
    # The platform's own example sends `name`; it is the same field as `title`.
    name: Name | None = None
    department: Department | None = None
    flat_from: NonNegativeInt | None = None
    flat_to: NonNegativeInt | None = None
    group_id: Id | None = None
    group_external_id: ExternalId | None = None
    new_mac: Text | None = None
    new_serial_number: Serial | None = None
    model: Model | None = None
    external_id: ExternalId | None = None
    # Shrinking the flat range may remove flats that still hold keys or residents only with this.
    force_flats_removal: Bool | None = None
    log_extra: LogExtra | None = None
    # The page documents an array: `[{...}]` sets them (a camera has one ONVIF account, so at most one
    # element), `[]` (the page's sample) changes nothing. The object form `{...}` is the same as `[{...}]`;
    # null removes them.
    onvif_credentials: OnvifCredentials | None = None

    @model_validator(mode="before")
    @classmethod
    def _empty_array_is_not_sent(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("onvif_credentials") == []:
            return {key: value for key, value in data.items() if key != "onvif_credentials"}
        return data

    @field_validator("onvif_credentials", mode="before")
    @classmethod
    def _array_of_one(cls, value: Any) -> Any:
        if isinstance(value, list):
            if len(value) != 1:
                raise ValueError("The onvif credentials field must hold at most one set of credentials.")
            return value[0]
        return value


class IntercomDelete(_Body):
    id: Id | None = None
    mac: Text | None = None
    log_extra: LogExtra | None = None


class IntercomShow(_Body):
    id: Id | None = None
    mac: Text | None = None
    external_id: ExternalId | None = None


class FlatLinesUpdate(_Body):
    intercom_id: Id
    flat: NonNegativeInt | None = None
    flat_id: Id | None = None
    is_smartphone_sip_line_available: Bool | None = None
    is_landline_sip_line_available: Bool | None = None
    is_analog_line_available: Bool | None = None
    log_extra: LogExtra | None = None


class SyncItem(_Body):
    intercom_id: Id | None = None
    intercom_external_id: ExternalId | None = None
    flat: NonNegativeInt
    is_restricted_live: Bool | None = None
    is_restricted_archive: Bool | None = None
    is_open_door_key: Bool | None = None
    is_open_door_code: Bool | None = None
    is_open_door_app: Bool | None = None
    is_open_door_face: Bool | None = None
    landline_number: Phone | None = None


class UserIntercomsManage(_Body):
    login: Login
    sync: Annotated[list[SyncItem], Field(max_length=MAX_SYNC_ITEMS)] = Field(default_factory=list)
    delete: Annotated[list[Id], Field(max_length=MAX_DELETE_IDS)] = Field(default_factory=list)
    log_extra: LogExtra | None = None


class GroupOut(BaseModel):
    id: int
    name: str
    external_id: str | None
    has_items: bool


class CameraOut(BaseModel):
    id: int
    title: str
    is_onvif_credentials_installed: bool


class IntercomOut(BaseModel):
    id: int
    external_id: str | None
    department: int | None
    title: str
    mac: str | None
    model: str | None
    serial_number: str | None
    status: str
    flat_from: int | None
    flat_to: int | None
    source: str


class IntercomDetailOut(IntercomOut):
    group: GroupOut | None
    camera: CameraOut | None


class FlatPropertiesOut(BaseModel):
    is_smartphone_sip_line_available: bool
    is_landline_sip_line_available: bool
    is_analog_line_available: bool


class FlatOut(BaseModel):
    id: int
    flat: int
    key_count: int
    users_count: int
    intercom_id: int
    properties: FlatPropertiesOut
