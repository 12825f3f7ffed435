"""Key and code sync onto the 2N directory (/api/dir, newer firmware).

Each platform key or code becomes one directory record, owned by "entryphone", with a uuid
derived from the platform id (uuid5), so a sync is a diff by uuid and never touches records that
someone else (the web UI, 2N Access Commander) created.

A full sync reads the whole directory (up to 10,000 records) and writes the differences, so the
read side is kept lean: `dir/query` is asked only for the fields the diff uses and its records are
checked field by field (`Entry`) instead of through a pydantic model each.
"""

from __future__ import annotations

import hashlib
import uuid as uuidlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from entryphone.devices.models import Code, DeviceKeys, Key, KeySyncReport, SyncCursor, SyncFailure
from entryphone.helios import DirWriteResult, HeliosClient, HeliosProtocolError, ParameterTooBig

OWNER = "entryphone"
_NAMESPACE = uuidlib.UUID("6f1d2c3e-9a7b-4c8d-8e1f-2b3a4c5d6e7f")
_NAMESPACE_BYTES = _NAMESPACE.bytes
# Records per write request. The manual sets no size for /api/dir bodies; a device that refuses a
# batch as too big (error 13) gets it in halves. Fewer records per request cost more round trips,
# more keep larger bodies alive at once (bench/key_sync.py compares).
BATCH = 500
# The fields a full sync reads (timestamp and the deletion mark come with every record; uuid is
# named as dir/get is asked for it). Display models add a `photo`, which a sync must not download
# 10,000 times.
QUERY_FIELDS = ("uuid", "owner", "name", "access")

Comparable = tuple[str, tuple[str, ...], tuple[str, ...], str, str]


@lru_cache(maxsize=1 << 16)
def record_uuid(kind: str, platform_id: str) -> str:
    """uuid5(_NAMESPACE, "kind:id"), computed from the SHA-1 directly (uuid.UUID costs twice as
    much) and cached: the same keys are synced again and again (reconnects, a building's panels)."""
    name = f"{kind}:{platform_id}".encode()
    raw = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name, usedforsecurity=False).digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x50  # version 5
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _epoch(moment: datetime | None) -> str:
    return "0" if moment is None else str(int(moment.timestamp()))


def _kind(item: Key | Code) -> str:
    return "key" if isinstance(item, Key) else "code"


def _record(uuid: str, item: Key | Code) -> dict[str, Any]:
    """The directory record of a key or code (built per write batch, not for the whole sync)."""
    access: dict[str, Any] = {
        "card": [item.uid.upper()] if isinstance(item, Key) else [],
        "code": [item.code] if isinstance(item, Code) else [],
        "validFrom": _epoch(item.valid_from),
        "validTo": _epoch(item.valid_to),
    }
    name = item.label or f"{_kind(item)} {item.id}"
    return {"uuid": uuid, "owner": OWNER, "name": name[:128], "access": access}


def desired(keys: Sequence[Key], codes: Sequence[Code]) -> dict[str, Key | Code]:
    """uuid -> the key or code its record stands for. Only this map lives for the whole sync:
    10,000 record dicts kept alive at once were rescanned by every garbage collection."""
    wanted: dict[str, Key | Code] = {}
    for items in (keys, codes):
        for item in items:
            wanted[record_uuid(_kind(item), item.id)] = item
    return wanted


def _comparable(
    name: str, cards: Sequence[str], codes: Sequence[str], valid_from: str, valid_to: str
) -> Comparable:
    return (
        name,
        tuple(sorted(c.upper() for c in cards if c)),
        tuple(sorted(c for c in codes if c)),
        valid_from,
        valid_to,
    )


def _wanted_comparable(uuid: str, item: Key | Code) -> Comparable:
    record = _record(uuid, item)
    access = record["access"]
    return _comparable(record["name"], access["card"], access["code"], access["validFrom"], access["validTo"])


class Entry(NamedTuple):
    """A live directory record: the fields a sync compares, checked as read from the device.
    A tuple of strings, which the garbage collector stops tracking: a sync holds 10,000."""

    uuid: str
    owner: str
    name: str
    cards: tuple[str, ...]
    codes: tuple[str, ...]
    valid_from: str
    valid_to: str

    def comparable(self) -> Comparable:
        return _comparable(self.name, self.cards, self.codes, self.valid_from, self.valid_to)


def _malformed(field: str, expected: str) -> HeliosProtocolError:
    return HeliosProtocolError(f"malformed dir/query reply: users[].{field} is not {expected}")


def _text(data: Mapping[str, Any], field: str) -> str:
    value = data.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _malformed(field, "a string")
    return value


def _texts(data: Mapping[str, Any], field: str) -> tuple[str, ...]:
    value = data.get(field)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _malformed(f"access.{field}", "a list of strings")
    return tuple(value)


def _moment(access: Mapping[str, Any], field: str) -> str:
    """A validity bound as the device's string ("0": unlimited); some firmware sends a number."""
    value = access.get(field)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if value is not None and not isinstance(value, str):
        raise _malformed(f"access.{field}", "a string")
    return value or "0"


def parse_entry(user: Mapping[str, Any]) -> tuple[str, Entry | None] | None:
    """(lower-case uuid, the record, or None for a deletion) of one dir/query record; None when it
    has no uuid. HeliosProtocolError when a field the sync uses has the wrong type."""
    uuid = user.get("uuid")
    if uuid is None:
        return None
    if not isinstance(uuid, str):
        raise _malformed("uuid", "a string")
    deleted = user.get("deleted")
    if deleted is not None and not isinstance(deleted, bool):
        raise _malformed("deleted", "a boolean")
    if deleted:
        return uuid.lower(), None
    access = user.get("access")
    if access is None:
        access = {}
    elif not isinstance(access, dict):
        raise _malformed("access", "an object")
    entry = Entry(
        uuid=uuid,
        owner=_text(user, "owner"),
        name=_text(user, "name"),
        cards=_texts(access, "card"),
        codes=_texts(access, "code"),
        valid_from=_moment(access, "validFrom"),
        valid_to=_moment(access, "validTo"),
    )
    return uuid.lower(), entry


Batch = list[tuple[str, Any]]
"""(platform id, what is sent for it: a record to create/update, a uuid to delete)."""
Request = Callable[[list[Any]], Awaitable[DirWriteResult]]


class DirectorySync:
    def __init__(self, client: HeliosClient) -> None:
        self._dir = client.dir

    async def read_all(self) -> tuple[SyncCursor, dict[str, Entry]]:
        """Every live record by lower-case uuid, and the cursor the device reported after the last."""
        entries: dict[str, Entry | None] = {}
        cursor: SyncCursor | None = None
        async for page in self._dir.iterate(fields=QUERY_FIELDS):
            if cursor is not None and page.series != cursor.series:
                entries.clear()  # the directory was wiped during the walk: what we read is void
            cursor = SyncCursor(series=page.series, timestamp=page.timestamp)
            for user in page.users:
                parsed = parse_entry(user)
                if parsed is not None:
                    entries[parsed[0]] = parsed[1]  # a later change (or deletion) replaces it
        assert cursor is not None  # iterate() yields at least one page
        return cursor, {uuid: entry for uuid, entry in entries.items() if entry is not None}

    async def sync(self, keys: Sequence[Key], codes: Sequence[Code]) -> KeySyncReport:
        wanted = desired(keys, codes)
        cursor, entries = await self.read_all()
        ours = {uuid: entry for uuid, entry in entries.items() if entry.owner == OWNER}
        create = [u for u in wanted if u not in ours]
        update = [u for u in wanted if u in ours and _wanted_comparable(u, wanted[u]) != ours[u].comparable()]
        remove = {u: u for u in ours if u not in wanted}
        report = await self._write(wanted, create, update, remove, cursor)
        unchanged = len(wanted) - len(create) - len(update)
        return report.model_copy(update={"unchanged": unchanged})

    async def apply(
        self, keys: Sequence[Key], codes: Sequence[Code], remove_ids: Sequence[str]
    ) -> KeySyncReport:
        """Upsert these, remove the others by platform id (a key or a code: both uuids are tried).
        No cursor comes back: only a full sync knows the whole directory."""
        wanted = desired(keys, codes)
        existing = await self._present(list(wanted))
        create = [u for u in wanted if u not in existing]
        update = [u for u in wanted if u in existing]
        candidates = {record_uuid(kind, pid): pid for pid in remove_ids for kind in ("key", "code")}
        present = await self._present(list(candidates))
        remove = {u: candidates[u] for u in candidates if u in present}
        return await self._write(wanted, create, update, remove, None)

    async def _present(self, uuids: list[str]) -> set[str]:
        if not uuids:
            return set()
        users = await self._dir.get(uuids, fields=["uuid"])
        return {user.uuid.lower() for user in users if user.uuid and not user.errors and not user.deleted}

    async def changed_since(self, cursor: SyncCursor) -> bool:
        page = await self._dir.query_page(series=cursor.series, timestamp=cursor.timestamp, fields=["uuid"])
        return page.series != cursor.series or bool(page.users)

    async def read_keys(self) -> DeviceKeys:
        _, entries = await self.read_all()
        keys: list[Key] = []
        codes: list[Code] = []
        for entry in entries.values():
            label = entry.name or None
            keys += [Key(id=entry.uuid, uid=card, label=label) for card in entry.cards if card]
            codes += [Code(id=entry.uuid, code=code, label=label) for code in entry.codes if code]
        return DeviceKeys(keys=keys, codes=codes)

    async def _write(
        self,
        wanted: dict[str, Key | Code],
        create: list[str],
        update: list[str],
        remove: dict[str, str],
        cursor: SyncCursor | None,
    ) -> KeySyncReport:
        """Create and update these uuids of `wanted`, delete those of `remove` (uuid -> platform
        id), in batches; the records to send are built batch by batch."""
        failed: list[SyncFailure] = []
        done = {"create": 0, "update": 0, "delete": 0}
        timestamp = cursor.timestamp if cursor else 0

        def account(action: str, ids: list[str], result: DirWriteResult) -> None:
            nonlocal timestamp
            if len(result.users) != len(ids):
                failed.extend(SyncFailure(id=i, reason="device reply did not cover the record") for i in ids)
                return
            for platform_id, outcome in zip(ids, result.users, strict=True):
                if outcome.errors:
                    reasons = ", ".join(
                        f"{e.get('code')} {e.get('field', '')}".strip() for e in outcome.errors
                    )
                    failed.append(SyncFailure(id=platform_id, reason=reasons))
                else:
                    done[action] += 1
                    timestamp = max(timestamp, outcome.timestamp or 0)

        async def send(action: str, batch: Batch, request: Request) -> None:
            try:
                result = await request([payload for _, payload in batch])
            except ParameterTooBig:
                if len(batch) == 1:
                    raise
                half = len(batch) // 2
                await send(action, batch[:half], request)
                await send(action, batch[half:], request)
                return
            account(action, [platform_id for platform_id, _ in batch], result)

        async def create_records(records: list[Any]) -> DirWriteResult:
            # force: a leftover record with our uuid (e.g. made by an interrupted sync) is replaced.
            return await self._dir.create(records, force=True)

        def record(uuid: str) -> tuple[str, Any]:
            return wanted[uuid].id, _record(uuid, wanted[uuid])

        def removal(uuid: str) -> tuple[str, Any]:
            return remove[uuid], uuid

        jobs: list[tuple[str, list[str], Callable[[str], tuple[str, Any]], Request]] = [
            ("create", create, record, create_records),
            ("update", update, record, self._dir.update),
            ("delete", list(remove), removal, self._dir.delete),
        ]
        for action, uuids, build, request in jobs:
            for start in range(0, len(uuids), BATCH):
                await send(action, [build(u) for u in uuids[start : start + BATCH]], request)
        return KeySyncReport(
            created=done["create"],
            updated=done["update"],
            deleted=done["delete"],
            failed=failed,
            cursor=SyncCursor(series=cursor.series, timestamp=timestamp) if cursor else None,
        )
