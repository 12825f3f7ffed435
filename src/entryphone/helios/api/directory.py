"""/api/dir/template|create|update|delete|get|query: the user directory of newer firmware.

Records are model-dependent (a display model has `photo`, ...), so `DirUser` types the fields the
platform relies on and keeps the rest. `query` is an incremental-sync protocol: the device keeps a
`series` (changes on factory reset / directory wipe) and a per-record change `timestamp`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ConfigDict, Field

from entryphone.helios.envelope import JsonObject, WireModel, parse_model, require_result
from entryphone.helios.errors import HeliosProtocolError
from entryphone.helios.transport import HeliosTransport

UserData = Mapping[str, Any]


class DirAccess(WireModel):
    model_config = ConfigDict(extra="allow")

    pin: str | None = None
    code: list[str] = Field(default_factory=list)
    card: list[str] = Field(default_factory=list)
    valid_from: str | None = None
    valid_to: str | None = None


class DirUser(WireModel):
    model_config = ConfigDict(extra="allow")

    uuid: str | None = None
    deleted: bool | None = None
    owner: str | None = None
    name: str | None = None
    email: str | None = None
    timestamp: int | None = None
    access: DirAccess | None = None
    errors: list[dict[str, Any]] = Field(default_factory=list)
    """Per-record complaints of dir/get (e.g. an unknown uuid)."""


class DirTemplate(WireModel):
    series: str
    users: list[DirUser]


@dataclass(frozen=True, slots=True)
class DirRecordResult:
    """One record's outcome of create/update/delete; `errors` lists the device's complaints."""

    uuid: str | None = None
    timestamp: int | None = None
    errors: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class DirWriteResult:
    """A create/update/delete reply. Plain dataclasses checked by parse_write: a bulk sync writes
    10,000 outcomes, and a pydantic model (plus an errors list) for each was most of the garbage
    collector's work during a sync."""

    series: str | None = None
    users: tuple[DirRecordResult, ...] = ()


def _write_error(what: str, problem: str) -> HeliosProtocolError:
    return HeliosProtocolError(f"malformed {what} reply: {problem}")


def parse_write(result: JsonObject, what: str) -> DirWriteResult:
    """The outcomes of a write `result`; HeliosProtocolError when a field has the wrong type."""
    series, users = result.get("series"), result.get("users", [])
    if series is not None and not isinstance(series, str):
        raise _write_error(what, "series is not a string")
    if not isinstance(users, list):
        raise _write_error(what, "users is not a list")
    outcomes = []
    for user in users:
        if not isinstance(user, dict):
            raise _write_error(what, "users[] is not an object")
        uuid, timestamp, errors = user.get("uuid"), user.get("timestamp"), user.get("errors", ())
        if uuid is not None and not isinstance(uuid, str):
            raise _write_error(what, "users[].uuid is not a string")
        if timestamp is not None and (not isinstance(timestamp, int) or isinstance(timestamp, bool)):
            raise _write_error(what, "users[].timestamp is not an integer")
        if not isinstance(errors, list | tuple) or not all(isinstance(e, dict) for e in errors):
            raise _write_error(what, "users[].errors is not a list of objects")
        outcomes.append(DirRecordResult(uuid, timestamp, tuple(errors)))
    return DirWriteResult(series, tuple(outcomes))


class DirIterator(WireModel):
    timestamp: int


class DirQueryResult(WireModel):
    series: str
    iterator: DirIterator
    users: list[DirUser] = Field(default_factory=list)


class DirGetResult(WireModel):
    series: str | None = None
    users: list[DirUser] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DirPage:
    """A dir/query reply whose records are left as the device sent them (each checked to be an
    object). For bulk reads of up to 10,000 records: building a model per record cost more than
    the rest of a sync, so the reader checks only the fields it uses (see DirUser for their types)."""

    series: str
    timestamp: int
    users: list[JsonObject]


def parse_page(result: JsonObject) -> DirPage:
    """The page of a dir/query `result`; HeliosProtocolError when its frame is malformed."""
    series, iterator, users = result.get("series"), result.get("iterator"), result.get("users", [])
    timestamp = iterator.get("timestamp") if isinstance(iterator, dict) else None
    if not isinstance(series, str):
        raise HeliosProtocolError("malformed dir/query reply: series is not a string")
    if not isinstance(timestamp, int) or isinstance(timestamp, bool):
        raise HeliosProtocolError("malformed dir/query reply: iterator.timestamp is not an integer")
    if not isinstance(users, list) or not all(isinstance(user, dict) for user in users):
        raise HeliosProtocolError("malformed dir/query reply: users is not a list of objects")
    return DirPage(series, timestamp, users)


def _users(users: Sequence[DirUser | UserData]) -> list[dict[str, Any]]:
    return [
        user.model_dump(by_alias=True, exclude_none=True) if isinstance(user, DirUser) else dict(user)
        for user in users
    ]


class DirectoryApi:
    def __init__(self, transport: HeliosTransport) -> None:
        self._t = transport

    async def template(self) -> DirTemplate:
        result = await self._t.json("GET", "/api/dir/template")
        return parse_model(DirTemplate, require_result(result, "dir/template"), "dir/template")

    async def create(self, users: Sequence[DirUser | UserData], *, force: bool = False) -> DirWriteResult:
        """Create records; with `force` an existing uuid is overwritten instead of refused."""
        return await self._write("/api/dir/create", users, {"force": force} if force else None)

    async def update(self, users: Sequence[DirUser | UserData]) -> DirWriteResult:
        """Change records; every record needs its `uuid`, absent fields stay as they are."""
        return await self._write("/api/dir/update", users, None)

    async def delete(self, uuids: Sequence[str]) -> DirWriteResult:
        return await self._write("/api/dir/delete", [{"uuid": uuid} for uuid in uuids], None)

    async def get(self, uuids: Sequence[str], fields: Sequence[str] | None = None) -> list[DirUser]:
        body: dict[str, Any] = {"users": [{"uuid": uuid} for uuid in uuids]}
        if fields:
            body["fields"] = list(fields)
        result = await self._t.json("POST", "/api/dir/get", json_body=body)
        return parse_model(DirGetResult, require_result(result, "dir/get"), "dir/get").users

    async def query(
        self, *, series: str | None = None, timestamp: int = 0, fields: Sequence[str] | None = None
    ) -> DirQueryResult:
        """Records changed after `timestamp` of `series`. If the device's series differs, it returns
        its own series: the caller's view is void and it must start again from timestamp 0."""
        result = await self._query(series, timestamp, fields)
        return parse_model(DirQueryResult, result, "dir/query")

    async def query_page(
        self, *, series: str | None = None, timestamp: int = 0, fields: Sequence[str] | None = None
    ) -> DirPage:
        """query() with the records left unparsed (DirPage), for bulk reads."""
        return parse_page(await self._query(series, timestamp, fields))

    async def iterate(
        self, *, fields: Sequence[str] | None = None, series: str | None = None, timestamp: int = 0
    ) -> AsyncIterator[DirPage]:
        """Follow the query iterator until the device has nothing newer (it answers in batches).
        If the device's series is not `series`, the walk restarts once from timestamp 0 of the
        device's series; callers see that in the pages' `series`."""
        restarted = False
        while True:
            page = await self.query_page(series=series, timestamp=timestamp, fields=fields)
            if series is not None and page.series != series and not restarted:
                series, timestamp, restarted = page.series, 0, True
                continue
            yield page
            if not page.users or page.timestamp <= timestamp:
                return
            series, timestamp = page.series, page.timestamp

    async def _query(self, series: str | None, timestamp: int, fields: Sequence[str] | None) -> JsonObject:
        body: dict[str, Any] = {"iterator": {"timestamp": timestamp}}
        if series is not None:
            body["series"] = series
        if fields:
            body["fields"] = list(fields)
        result = await self._t.json("POST", "/api/dir/query", json_body=body)
        return require_result(result, "dir/query")

    async def _write(
        self, path: str, users: Sequence[DirUser | UserData], params: dict[str, bool] | None
    ) -> DirWriteResult:
        result = await self._t.json("PUT", path, params=params, json_body={"users": _users(users)})
        return parse_write(result or {}, path.removeprefix("/api/"))
