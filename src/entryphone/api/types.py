"""Input types shared by every surface. Bounds here are what keep bad input out of the database
(PostgreSQL rejects NUL in text and integers beyond BIGINT; both would otherwise be a 500)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, ClassVar, Self, get_args

from fastapi import Path
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ModelWrapValidatorHandler,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, InitErrorDetails, PydanticCustomError, core_schema

MAX_DB_INT = 2_147_483_647
MAX_ID = 2**53 - 1  # the largest integer a JavaScript client can hold exactly


def _no_control_chars(value: str) -> str:
    if any(ord(char) < 32 and char not in "\t\n\r" for char in value) or "\x7f" in value:
        raise ValueError("The value must not contain control characters")
    return value


@dataclass(frozen=True)
class _NoControlCharsSchema:
    """Declares in the JSON schema what `_no_control_chars` enforces, so clients and fuzzers know."""

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        declared = handler(schema)
        declared["pattern"] = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$"
        return declared


NO_CONTROL_CHARS = (AfterValidator(_no_control_chars), _NoControlCharsSchema())


def _strict_bool(value: object) -> object:
    """Accept JSON booleans and the strings/ints Laravel's `boolean` rule accepts; nothing else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false", "1", "0"}:
        return value.lower() in {"true", "1"}
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise PydanticCustomError("bool_type", "The field must be true or false")


_INTEGER_TEXT = re.compile(r"\s*[+-]?[0-9]{1,19}\s*")


def _integer(value: object) -> object:
    """Laravel's `integer` rule: a JSON integer, a number without a fraction (`10.0`: JSON Schema's
    integer too, and PHP's FILTER_VALIDATE_INT takes it) or a string of digits ("10"); the strict
    int check after this refuses booleans, fractions and anything else."""
    if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value):
        return int(value)
    if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_ID:
        return int(value)
    return value


@dataclass(frozen=True)
class Integer:
    """The one integer rule of request bodies, `Annotated[int, Integer(low, high)]`: bounds declared
    as JSON-schema minimum/maximum (what is enforced), numeric strings accepted."""

    low: int
    high: int

    def __get_pydantic_core_schema__(self, _source: Any, _handler: GetCoreSchemaHandler) -> CoreSchema:
        bounded = core_schema.int_schema(ge=self.low, le=self.high, strict=True)
        return core_schema.no_info_before_validator_function(_integer, bounded)


# Booleans take what Laravel's `boolean` rule takes, and OpenAPI says so.
_BOOL_SCHEMA = WithJsonSchema(
    {
        "anyOf": [
            {"type": "boolean"},
            {"type": "integer", "enum": [0, 1]},
            {"type": "string", "enum": ["true", "false", "1", "0"]},
        ]
    }
)

Id = Annotated[int, Integer(1, MAX_ID)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
Int = Annotated[int, Integer(-MAX_DB_INT, MAX_DB_INT)]
NonNegativeInt = Annotated[int, Integer(0, MAX_DB_INT)]
Bool = Annotated[bool, BeforeValidator(_strict_bool), _BOOL_SCHEMA]
Text = Annotated[str, StringConstraints(max_length=255), *NO_CONTROL_CHARS]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), *NO_CONTROL_CHARS
]
LongText = Annotated[str, StringConstraints(max_length=4096), *NO_CONTROL_CHARS]
SearchText = Annotated[str, StringConstraints(max_length=255), *NO_CONTROL_CHARS]


# Date filters of every surface: one parser. A bare date or a date and time without an offset means
# UTC; `to` with a bare date means the end of that day. Numbers (`0.5`, Unix times) are refused, and
# so is a moment that leaves the calendar once moved to UTC (9999-12-31T23:59:59-01:00).
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?"
)
DATE_FORMAT_MESSAGE = "must be a date (2024-01-31) or a date and time (2024-01-31T10:00:00+01:00)"


def parse_moment(value: object, *, end_of_day: bool = False) -> datetime:
    """The UTC moment of a date filter; PydanticCustomError `date_format` / `date_range` otherwise."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = value.strip() if isinstance(value, str) else ""
        try:
            if _DATE.fullmatch(text):
                day = date.fromisoformat(text)
                moment = datetime.combine(day, time.max if end_of_day else time.min)
            elif _DATE_TIME.fullmatch(text):
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            else:
                raise PydanticCustomError("date_format", "The field " + DATE_FORMAT_MESSAGE)
        except ValueError:
            raise PydanticCustomError("date_format", "The field " + DATE_FORMAT_MESSAGE) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    offset = moment.utcoffset() or timedelta()
    if abs(offset) >= timedelta(hours=24):
        raise PydanticCustomError("date_format", "The field " + DATE_FORMAT_MESSAGE)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError("date_range", "The field is outside the supported dates.") from None


_MOMENT_SCHEMA = WithJsonSchema({"type": "string", "format": "date-time"})
# A moment in a body (a code's expired_at) or a filter's lower bound: the same rule.
Moment = Annotated[datetime, BeforeValidator(parse_moment), _MOMENT_SCHEMA]
DateFrom = Moment
DateTo = Annotated[
    datetime, BeforeValidator(lambda value: parse_moment(value, end_of_day=True)), _MOMENT_SCHEMA
]


class RequestBody(BaseModel):
    """Base of every request body: one null rule and every failing rule reported at once.

    - `null` on a field that always has a value (every boolean, and the names in `not_null`) is a 422
      "cannot be null" and never a silent default; elsewhere null clears the value (absent = unchanged);
    - `cross_field_rules` (rules over several fields, or formats the domain defines) run on the raw
      body too, so their faults come in the same 422 as the type errors of the other fields.
    """

    model_config = ConfigDict(extra="ignore")
    not_null: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def cross_field_rules(cls, _data: Mapping[str, Any]) -> dict[str, list[str]]:
        return {}

    @classmethod
    def _refuses_null(cls, name: str) -> bool:
        field = cls.model_fields.get(name)
        if field is None:
            return False
        return name in cls.not_null or any(
            isinstance(meta, BeforeValidator) and meta.func is _strict_bool
            for meta in _metadata(field.annotation)
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """OpenAPI as enforced: a field that refuses null is not declared nullable."""
        declared = handler(schema)
        target = handler.resolve_ref_schema(declared)
        for name, field in target.get("properties", {}).items():
            options = field.get("anyOf")
            if options and cls._refuses_null(name):
                kept = [option for option in options if option != {"type": "null"}]
                field.pop("anyOf")
                field.pop("default", None)
                field.update(kept[0] if len(kept) == 1 else {"anyOf": kept})
        return declared

    @model_validator(mode="wrap")
    @classmethod
    def _every_rule(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        if not isinstance(data, Mapping):
            return handler(data)
        problems: list[InitErrorDetails] = []
        nulls = {name for name, value in data.items() if value is None and cls._refuses_null(name)}
        for name in sorted(nulls):
            problems.append(_line(name, "not_null", "The field cannot be null.", None))
        for path, messages in cls.cross_field_rules(data).items():
            problems.extend(_line(path, "rule", message, None) for message in messages)
        try:
            model = handler({name: value for name, value in data.items() if name not in nulls})
        except ValidationError as error:
            if not problems:
                raise
            for item in error.errors():
                problems.append(
                    {
                        "type": PydanticCustomError(item["type"], _escaped(item["msg"]), item.get("ctx")),
                        "loc": item["loc"],
                        "input": item["input"],
                    }
                )
        if problems:
            raise ValidationError.from_exception_data(cls.__name__, problems)
        return model


def _line(path: str, kind: str, message: str, value: object) -> InitErrorDetails:
    loc = tuple(int(part) if part.isdigit() else part for part in path.split("."))
    return {"type": PydanticCustomError(kind, _escaped(message)), "loc": loc, "input": value}


def _escaped(message: str) -> str:
    return message.replace("{", "{{").replace("}", "}}")


def _metadata(annotation: Any) -> list[Any]:
    """The Annotated metadata of a field's type, through `X | None`."""
    found: list[Any] = []
    for part in get_args(annotation) or (annotation,):
        found.extend(getattr(part, "__metadata__", ()))
    found.extend(getattr(annotation, "__metadata__", ()))
    return found
