"""The user directory (phonebook) with the series/timestamp protocol of /api/dir (firmware 2.2x+).

Every change stamps the record with the next value of a device-wide counter; deletions leave a
tombstone so an incremental query (`iterator.timestamp`) sees them. The series changes when the
directory is wiped (factory reset), telling clients their timestamps no longer apply.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid as uuidlib
from typing import Any, Final, NamedTuple

MAX_USERS: Final = 10_000
EMPTY_UUID: Final = "00000000-0000-0000-0000-000000000000"
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DIGITS = re.compile(r"^[0-9]{2,16}$")
_CARD = re.compile(r"^[0-9A-Fa-f]{6,16}$")
_TIME = re.compile(r"^[0-9]{1,10}$")


# The fields of a record and their defaults, as /api/dir/template shows them. Arrays are kept as
# tuples, so records can share values (records are replaced on change, never modified in place)
# and the garbage collector stops scanning the arrays of a 10,000-record directory.
_ACCESS_DEFAULTS: Final[dict[str, Any]] = {
    "validFrom": "0",
    "validTo": "0",
    "accessPoints": ({"enabled": True}, {"enabled": True}),
    "pin": "",
    "code": ("", "", "", ""),
    "card": ("", ""),
}
TEMPLATE: Final[dict[str, Any]] = {
    "owner": "",
    "name": "",
    "email": "",
    "virtNumber": "",
    "callPos": ({"peer": ""}, {"peer": ""}, {"peer": ""}),
    "access": _ACCESS_DEFAULTS,
}


def blank_fields() -> dict[str, Any]:
    """A new record's fields with their defaults: the two dicts are its own, the values shared."""
    return {**TEMPLATE, "access": dict(_ACCESS_DEFAULTS)}


class FieldError(Exception):
    def __init__(self, code: str, field: str) -> None:
        super().__init__(f"{code} {field}")
        self.code = code
        self.field = field

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "field": self.field}


class Record(NamedTuple):
    uuid: str
    timestamp: int
    deleted: bool
    fields: dict[str, Any]


def _validate_text(name: str, value: Any, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise FieldError("EDIR_FIELD_VALUE_ERROR", name)
    return value


def _validate_list(name: str, value: Any, size: int, item: Any) -> tuple[Any, ...]:
    """A JSON array of at most `size` items, validated and padded with defaults to `size`."""
    if not isinstance(value, list) or len(value) > size:
        raise FieldError("EDIR_FIELD_VALUE_ERROR", name)
    return tuple([item(name, v) for v in value] + [item(name, None) for _ in range(size - len(value))])


def _digits(name: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not _DIGITS.match(value) or value == "00":
        raise FieldError("EDIR_FIELD_VALUE_ERROR", name)
    return value


def _card(name: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not _CARD.match(value):
        raise FieldError("EDIR_FIELD_VALUE_ERROR", name)
    return value.upper()


def _time(name: str, value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if not isinstance(value, str) or not _TIME.match(value):
        raise FieldError("EDIR_FIELD_VALUE_ERROR", name)
    return str(int(value))


def _access_point(name: str, value: Any) -> dict[str, bool]:
    if value is None:
        return {"enabled": True}
    if (
        not isinstance(value, dict)
        or set(value) - {"enabled"}
        or not isinstance(value.get("enabled", True), bool)
    ):
        raise FieldError("EDIR_FIELD_VALUE_ERROR", name)
    return {"enabled": bool(value.get("enabled", True))}


def _call_pos(name: str, value: Any) -> dict[str, str]:
    if value is None:
        return {"peer": ""}
    if not isinstance(value, dict) or set(value) - {"peer"}:
        raise FieldError("EDIR_FIELD_VALUE_ERROR", name)
    return {"peer": _validate_text(f"{name}.peer", value.get("peer", ""), 128)}


def apply_fields(target: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A copy of target with changes applied, every value validated; raises FieldError.

    Only the two dicts that are assigned into are copied: every changed value is a new object
    built by the validators, so the copy shares only values that nobody changes in place."""
    result = {**target, "access": dict(target["access"])}
    for key, value in changes.items():
        if key in ("uuid", "timestamp", "deleted"):
            continue
        if key in ("owner", "name", "email", "virtNumber"):
            result[key] = _validate_text(key, value, 128)
        elif key == "callPos":
            result[key] = _validate_list(key, value, 3, _call_pos)
        elif key == "access":
            if not isinstance(value, dict):
                raise FieldError("EDIR_FIELD_VALUE_ERROR", key)
            access = result["access"]
            for sub, sub_value in value.items():
                name = f"access.{sub}"
                if sub in ("validFrom", "validTo"):
                    access[sub] = _time(name, sub_value)
                elif sub == "pin":
                    access[sub] = _digits(name, sub_value)
                elif sub == "code":
                    access[sub] = _validate_list(name, sub_value, 4, _digits)
                elif sub == "card":
                    access[sub] = _validate_list(name, sub_value, 2, _card)
                elif sub == "accessPoints":
                    access[sub] = _validate_list(name, sub_value, 2, _access_point)
                else:
                    raise FieldError("EDIR_FIELD_NAME_UNKNOWN", name)
        else:
            raise FieldError("EDIR_FIELD_NAME_UNKNOWN", key)
    return result


def cards_match(a: str, b: str) -> bool:
    """2N rule: equal lengths compare whole; otherwise from the end, at least 6 characters."""
    a, b = a.upper(), b.upper()
    if len(a) == len(b):
        return a == b
    short, long = sorted((a, b), key=len)
    return len(short) >= 6 and long.endswith(short)


class Directory:
    def __init__(self) -> None:
        self.series = _new_series()
        self.timestamp = 0
        self._records: dict[str, Record] = {}
        # Live (not deleted) records, kept as records change: counting them on every create made
        # filling a directory quadratic.
        self._live = 0

    # -- the /api/dir functions -------------------------------------------------------------

    def template(self) -> dict[str, Any]:
        return {"uuid": EMPTY_UUID, **blank_fields()}

    def create(self, users: list[Any], force: bool) -> list[dict[str, Any]]:
        results = []
        for user in users:
            try:
                if not isinstance(user, dict):
                    raise FieldError("EDIR_FIELD_VALUE_ERROR", "users")
                uid = user.get("uuid")
                if uid is None or uid == EMPTY_UUID:
                    uid = str(uuidlib.uuid4())
                elif not isinstance(uid, str) or not _UUID.match(uid):
                    raise FieldError("EDIR_FIELD_VALUE_ERROR", "uuid")
                uid = uid.lower()
                existing = self._records.get(uid)
                if existing is not None and not existing.deleted and not force:
                    raise FieldError("EDIR_UUID_ALREADY_EXISTS", "uuid")
                if (existing is None or existing.deleted) and self.count() >= MAX_USERS:
                    raise FieldError("EDIR_DIRECTORY_FULL", "users")
                fields = apply_fields(TEMPLATE, user)
                results.append(self._store(uid, fields, deleted=False))
            except FieldError as error:
                results.append(_error_result(user, error))
        return results

    def update(self, users: list[Any]) -> list[dict[str, Any]]:
        results = []
        for user in users:
            try:
                record = self._existing(user)
                fields = apply_fields(record.fields, user)
                results.append(self._store(record.uuid, fields, deleted=False))
            except FieldError as error:
                results.append(_error_result(user, error))
        return results

    def delete(self, users: list[Any] | None, owner: str | None) -> list[dict[str, Any]]:
        results = []
        if owner is not None:
            for record in [r for r in self._records.values() if not r.deleted and r.fields["owner"] == owner]:
                results.append(self._store(record.uuid, blank_fields(), deleted=True))
        for user in users or ():
            try:
                record = self._existing(user)
                results.append(self._store(record.uuid, blank_fields(), deleted=True))
            except FieldError as error:
                results.append(_error_result(user, error))
        return results

    def get(self, users: list[Any], fields: list[str] | None) -> list[dict[str, Any]]:
        results = []
        for user in users:
            try:
                results.append(self._render(self._existing(user), fields))
            except FieldError as error:
                results.append(_error_result(user, error))
        return results

    def query(self, since: int, fields: list[str] | None) -> list[dict[str, Any]]:
        changed = sorted(
            (r for r in self._records.values() if r.timestamp > since), key=lambda r: r.timestamp
        )
        return [self._render(r, fields) for r in changed]

    # -- what the panel needs ---------------------------------------------------------------

    def count(self) -> int:
        return self._live

    def users(self) -> list[Record]:
        return [r for r in self._records.values() if not r.deleted]

    def find_card(self, uid: str, now: float | None = None) -> Record | None:
        return self._find(lambda access: any(c and cards_match(c, uid) for c in access["card"]), now)

    def find_code(self, code: str, now: float | None = None) -> Record | None:
        return self._find(lambda access: code in (access["pin"], *access["code"]) and code != "", now)

    def index_of(self, record: Record) -> int:
        return self.users().index(record)

    def wipe(self) -> None:
        self.series = _new_series()
        self.timestamp = 0
        self._records.clear()
        self._live = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "series": self.series,
            "timestamp": self.timestamp,
            "records": [
                {"uuid": r.uuid, "timestamp": r.timestamp, "deleted": r.deleted, "fields": _plain(r.fields)}
                for r in self._records.values()
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Directory:
        directory = cls()
        directory.series = str(data["series"])
        directory.timestamp = int(data["timestamp"])
        for raw in data["records"]:
            fields = apply_fields(TEMPLATE, raw["fields"])
            directory._records[raw["uuid"]] = Record(
                raw["uuid"], int(raw["timestamp"]), bool(raw["deleted"]), fields
            )
        directory._live = sum(1 for r in directory._records.values() if not r.deleted)
        return directory

    # -- internals --------------------------------------------------------------------------

    def _existing(self, user: Any) -> Record:
        if not isinstance(user, dict) or "uuid" not in user:
            raise FieldError("EDIR_UUID_IS_MISSING", "uuid")
        uid = user["uuid"]
        if not isinstance(uid, str) or not _UUID.match(uid):
            raise FieldError("EDIR_UUID_INVALID_FORMAT", "uuid")
        record = self._records.get(uid.lower())
        if record is None or record.deleted:
            raise FieldError("EDIR_UUID_DOES_NOT_EXIST", "uuid")
        return record

    def _store(self, uid: str, fields: dict[str, Any], *, deleted: bool) -> dict[str, Any]:
        self.timestamp += 1
        previous = self._records.get(uid)
        self._live += (0 if deleted else 1) - (1 if previous is not None and not previous.deleted else 0)
        self._records[uid] = Record(uid, self.timestamp, deleted, fields)
        return {"uuid": uid, "timestamp": self.timestamp}

    def _render(self, record: Record, fields: list[str] | None) -> dict[str, Any]:
        """The record as a reply shows it. Values are the record's own, not copies: replies are
        serialised at once, and records are replaced on change, never modified in place."""
        out: dict[str, Any] = {"uuid": record.uuid, "timestamp": record.timestamp}
        if record.deleted:
            out["deleted"] = True
            return out
        for key, value in record.fields.items():
            if fields is None:
                if value != TEMPLATE[key]:
                    out[key] = value
            elif not fields or key in fields:
                out[key] = value
        return out

    def _find(self, matches: Any, now: float | None) -> Record | None:
        now = time.time() if now is None else now
        for record in self._records.values():
            if record.deleted:
                continue
            if matches(record.fields["access"]) and self.valid_now(record, now):
                return record
        return None

    @staticmethod
    def valid_now(record: Record, now: float | None = None) -> bool:
        """Inside the record's validity window ("0" is unlimited)."""
        now = time.time() if now is None else now
        access = record.fields["access"]
        valid_from, valid_to = int(access["validFrom"]), int(access["validTo"])
        return not ((valid_from and now < valid_from) or (valid_to and now > valid_to))


def _plain(value: Any) -> Any:
    """The value with tuples as lists: what JSON (and the config XML) of a record holds."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


def _error_result(user: Any, error: FieldError) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if isinstance(user, dict) and isinstance(user.get("uuid"), str):
        result["uuid"] = user["uuid"]
    result["errors"] = [error.as_dict()]
    return result


def _new_series() -> str:
    return str(secrets.randbits(63))
