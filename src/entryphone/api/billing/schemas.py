"""Request and reply shapes of the billing surface (paths and field names as the platform documents)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    field_validator,
    model_validator,
)

from entryphone.api.types import Bool, Id, LongText, Name, NonNegativeInt, Text

MAX_LOG_EXTRA_BYTES = 16_384
MAX_SYNC_ITEMS = 500
MAX_DELETE_IDS = 200

Department = Annotated[int, Field(ge=1, le=10_000, strict=True)]
Login = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=191)]
ExternalId = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=191)]
Model = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Serial = Annotated[str, StringConstraints(max_length=255)]  # its format is the intercoms' rule
Phone = Annotated[Text, StringConstraints(strip_whitespace=True, max_length=64)]
Secret = Annotated[Text, StringConstraints(max_length=255)]


def _bounded_log_extra(value: Any) -> Any:
    if len(json.dumps(value, ensure_ascii=False).encode("utf-8")) > MAX_LOG_EXTRA_BYTES:
        raise ValueError(f"The log extra field must be at most {MAX_LOG_EXTRA_BYTES} bytes of JSON")
    return value


# "string|array" in the platform's words: a string, a JSON object or a JSON array, kept as sent.
LogExtra = Annotated[LongText | list[JsonValue] | dict[str, JsonValue], AfterValidator(_bounded_log_extra)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class OnvifCredentials(_Body):
    """Write-only: stored encrypted on the intercom's camera, reported as is_onvif_credentials_installed."""

    login: Secret
    password: Secret
    port: Annotated[int, Field(ge=1, le=65_535, strict=True)] | None = None
    path: Text | None = None


class IntercomCreate(_Body):
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
    sync: Annotated[list[SyncItem], Field(max_length=MAX_SYNC_ITEMS)] = []
    delete: Annotated[list[Id], Field(max_length=MAX_DELETE_IDS)] = []
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
