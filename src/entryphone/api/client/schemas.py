"""Request and response shapes of the client API (the platform's client objects)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from entryphone.api.formatting import iso, plain
from entryphone.api.types import Bool, Id, Integer, Moment, Name, RequestBody
from entryphone.codes import service as codes
from entryphone.models import Camera, IntercomCode
from entryphone.models.call import IntercomCall
from entryphone.residents.service import IntercomView
from entryphone.schedule.timetable import (
    DAY_TYPES,
    DayWindow,
    Interval,
    Timetable,
    parse_clock_time,
    parse_datetime,
)

MAX_DAYS = 50
MAX_INTERVALS = 100

_Short = StringConstraints(max_length=40)


def _clock(value: str) -> str:
    parse_clock_time(value)
    return value


def _moment(value: str) -> str:
    parse_datetime(value)
    return value


ClockText = Annotated[str, _Short, AfterValidator(_clock)]
MomentText = Annotated[str, _Short, AfterValidator(_moment)]
DayType = Literal[DAY_TYPES]  # type: ignore[valid-type]


class _Wire(RequestBody):
    # `from` is a Python keyword: declared as from_ with the wire name as alias.
    model_config = ConfigDict(
        extra="ignore", validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )


class DayIn(_Wire):
    type: DayType
    from_: ClockText = Field(alias="from")
    to: ClockText

    @field_validator("to")
    @classmethod
    def _differs(cls, value: str, info: ValidationInfo) -> str:
        start = info.data.get("from_")
        if start is not None and parse_clock_time(start) == parse_clock_time(value):
            raise ValueError("The to time must differ from the from time")
        return value


class IntervalIn(_Wire):
    from_: MomentText = Field(alias="from")
    to: MomentText

    @field_validator("to")
    @classmethod
    def _after_start(cls, value: str, info: ValidationInfo) -> str:
        start = info.data.get("from_")
        if start is not None and parse_datetime(value) <= parse_datetime(start):
            raise ValueError("The to date must be after the from date")
        return value


class TimetableIn(_Wire):
    days: list[DayIn] = Field(default_factory=list, max_length=MAX_DAYS)
    intervals: list[IntervalIn] = Field(default_factory=list, max_length=MAX_INTERVALS)

    def parsed(self) -> Timetable:
        return Timetable(
            days=tuple(
                DayWindow(type=day.type, start=parse_clock_time(day.from_), end=parse_clock_time(day.to))
                for day in self.days
            ),
            intervals=tuple(
                Interval(start=parse_datetime(item.from_), end=parse_datetime(item.to))
                for item in self.intervals
            ),
        )


class IntercomUpdate(_Wire):
    """PATCH /api/v1/intercom/{intercom}: any of the three; `timetable: null` clears the device's
    schedule, `title: null` gives the intercom back its own title; `is_enabled` cannot be null."""

    title: Name | None = None
    is_enabled: Bool | None = None
    timetable: TimetableIn | None = None


class DayOut(_Wire):
    type: str
    from_: str = Field(alias="from")
    to: str


class IntervalOut(_Wire):
    from_: str = Field(alias="from")
    to: str


class TimetableOut(_Wire):
    days: list[DayOut]
    intervals: list[IntervalOut]

    @classmethod
    def of(cls, timetable: Timetable) -> TimetableOut:
        return cls.model_validate(timetable.to_json())


class CameraOut(BaseModel):
    """The camera summary of the client intercom object, with every key of the platform's page. Keys
    the platform's camera registry keeps and entryphone does not hold their type's empty value
    (false, ""), or null where the page documents null (coordinates, billing id)."""

    id: int
    group_id: int | None
    status: str
    type: str
    start_at: str = ""
    created_at: str
    billing_id: int | None = None
    pretty_name: str
    lat: float | None = None
    lng: float | None = None
    azimuth: float | None = None
    is_archive_recording: bool = False
    is_bridge: bool = False
    is_favorite: bool = False
    user_status: str
    name: str

    @classmethod
    def of(cls, camera: Camera) -> CameraOut:
        return cls(
            id=camera.id,
            group_id=camera.group_id,
            status=camera.status,
            type=camera.type,
            created_at=plain(camera.created_at) or "",
            pretty_name=camera.name,
            user_status=camera.status,
            name=camera.name,
        )


class IntercomOut(BaseModel):
    id: int
    title: str
    is_online: bool
    is_enabled: bool
    timetable: TimetableOut
    department: int | None
    address: str | None
    camera: CameraOut | None
    status: str
    created_at: str | None
    updated_at: str | None

    @classmethod
    def of(cls, view: IntercomView) -> IntercomOut:
        intercom = view.intercom
        return cls(
            id=intercom.id,
            title=view.title,
            is_online=intercom.is_online,
            is_enabled=view.is_enabled,
            timetable=TimetableOut.of(view.timetable),
            department=intercom.department,
            address=intercom.address,
            camera=CameraOut.of(view.camera) if view.camera is not None else None,
            status=view.status,
            created_at=iso(intercom.created_at),
            updated_at=iso(view.updated_at),
        )


class RegistrationOut(BaseModel):
    code: str
    expire_in_seconds: int


class FlatChoice(BaseModel):
    model_config = ConfigDict(extra="ignore")

    flat: Annotated[int, Integer(1, 2_147_483_647)]


class IdsBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ids: Annotated[list[Id], Field(min_length=1, max_length=200)]


class CodeCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: Name
    expired_at: Moment  # `2029-12-31 12:45` (UTC, the admin API's form) or ISO 8601

    def expiry(self) -> datetime:
        return self.expired_at


class CodeOut(BaseModel):
    id: int
    title: str
    code: str
    expired_at: str | None
    is_expired: bool
    will_deleted_at: str | None
    created_at: str | None
    intercom: IntercomOut

    @classmethod
    def of(cls, code: IntercomCode, intercom: IntercomOut) -> CodeOut:
        return cls(
            id=code.id,
            title=code.title,
            code=code.code,
            expired_at=iso(code.expired_at),
            is_expired=codes.is_expired(code),
            will_deleted_at=iso(code.will_deleted_at),
            created_at=iso(code.created_at),
            intercom=intercom,
        )


class CallOut(BaseModel):
    id: int
    status: str
    created_at: str | None
    intercom: IntercomOut
    started_at: str | None
    ended_at: str | None
    # How it ended (docs/calls.md); null while it rings or talks. An addition to the platform's shape.
    end_reason: str | None

    @classmethod
    def of(cls, call: IntercomCall, intercom: IntercomOut) -> CallOut:
        return cls(
            id=call.id,
            status=call.status,
            created_at=iso(call.rang_at),
            intercom=intercom,
            started_at=iso(call.started_at),
            ended_at=iso(call.ended_at),
            end_reason=call.end_reason,
        )
