"""Key and code sync onto the 2N directory (/api/dir, newer firmware).

Each platform key or code becomes one directory record, owned by "entryphone", with a uuid
derived from the platform id (uuid5), so a sync is a diff by uuid and never touches records that
someone else (the web UI, 2N Access Commander) created.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from entryphone.devices.models import Code, DeviceKeys, Key, KeySyncReport, SyncCursor, SyncFailure
from entryphone.helios import DirUser, DirWriteResult, HeliosClient

OWNER = "entryphone"
_NAMESPACE = uuidlib.UUID("6f1d2c3e-9a7b-4c8d-8e1f-2b3a4c5d6e7f")
# Records per write request: small enough for the device's request size limits, few round trips.
BATCH = 100


def record_uuid(kind: str, platform_id: str) -> str:
    return str(uuidlib.uuid5(_NAMESPACE, f"{kind}:{platform_id}"))


def _epoch(moment: datetime | None) -> str:
    return "0" if moment is None else str(int(moment.timestamp()))


def _record(kind: str, item: Key | Code) -> tuple[str, dict[str, Any]]:
    access: dict[str, Any] = {
        "card": [item.uid.upper()] if isinstance(item, Key) else [],
        "code": [item.code] if isinstance(item, Code) else [],
        "validFrom": _epoch(item.valid_from),
        "validTo": _epoch(item.valid_to),
    }
    uuid = record_uuid(kind, item.id)
    name = item.label or f"{kind} {item.id}"
    return uuid, {"uuid": uuid, "owner": OWNER, "name": name[:128], "access": access}


def desired_records(keys: Sequence[Key], codes: Sequence[Code]) -> dict[str, tuple[str, dict[str, Any]]]:
    """uuid -> (platform id, record to write)."""
    wanted: dict[str, tuple[str, dict[str, Any]]] = {}
    for kind, items in (("key", keys), ("code", codes)):
        for item in items:
            uuid, record = _record(kind, item)
            wanted[uuid] = (item.id, record)
    return wanted


def _comparable(name: str | None, access: dict[str, Any]) -> tuple[Any, ...]:
    return (
        name or "",
        sorted(c.upper() for c in access.get("card", []) if c),
        sorted(c for c in access.get("code", []) if c),
        str(access.get("validFrom") or "0"),
        str(access.get("validTo") or "0"),
    )


def _differs(record: dict[str, Any], user: DirUser) -> bool:
    current = user.access.model_dump(by_alias=True) if user.access else {}
    return _comparable(record["name"], record["access"]) != _comparable(user.name, current)


class DirectorySync:
    def __init__(self, client: HeliosClient) -> None:
        self._dir = client.dir

    async def read_all(self) -> tuple[SyncCursor, list[DirUser]]:
        """Every live record and the cursor the device reported after the last one."""
        users: dict[str, DirUser] = {}
        cursor: SyncCursor | None = None
        async for page in self._dir.iterate():
            if cursor is not None and page.series != cursor.series:
                users.clear()  # the directory was wiped during the walk: what we read is void
            cursor = SyncCursor(series=page.series, timestamp=page.iterator.timestamp)
            for user in page.users:
                if user.uuid:
                    users[user.uuid.lower()] = user
        assert cursor is not None  # iterate() yields at least one page
        return cursor, [user for user in users.values() if not user.deleted]

    async def sync(self, keys: Sequence[Key], codes: Sequence[Code]) -> KeySyncReport:
        wanted = desired_records(keys, codes)
        cursor, users = await self.read_all()
        ours = {user.uuid.lower(): user for user in users if user.uuid and user.owner == OWNER}
        create = [wanted[u] for u in wanted if u not in ours]
        update = [wanted[u] for u in wanted if u in ours and _differs(wanted[u][1], ours[u])]
        remove = [(u, u) for u in ours if u not in wanted]
        report = await self._write(create, update, remove, cursor)
        unchanged = len(wanted) - len(create) - len(update)
        return report.model_copy(update={"unchanged": unchanged})

    async def apply(
        self, keys: Sequence[Key], codes: Sequence[Code], remove_ids: Sequence[str]
    ) -> KeySyncReport:
        """Upsert these, remove the others by platform id (a key or a code: both uuids are tried).
        No cursor comes back: only a full sync knows the whole directory."""
        wanted = desired_records(keys, codes)
        existing = await self._present(list(wanted))
        create = [wanted[u] for u in wanted if u not in existing]
        update = [wanted[u] for u in wanted if u in existing]
        candidates = {record_uuid(kind, pid): pid for pid in remove_ids for kind in ("key", "code")}
        present = await self._present(list(candidates))
        remove = [(u, candidates[u]) for u in candidates if u in present]
        return await self._write(create, update, remove, None)

    async def _present(self, uuids: list[str]) -> set[str]:
        if not uuids:
            return set()
        users = await self._dir.get(uuids, fields=["uuid"])
        return {user.uuid.lower() for user in users if user.uuid and not user.errors and not user.deleted}

    async def changed_since(self, cursor: SyncCursor) -> bool:
        page = await self._dir.query(series=cursor.series, timestamp=cursor.timestamp, fields=["uuid"])
        return page.series != cursor.series or bool(page.users)

    async def read_keys(self) -> DeviceKeys:
        _, users = await self.read_all()
        keys: list[Key] = []
        codes: list[Code] = []
        for user in users:
            access = user.access
            if access is None or not user.uuid:
                continue
            keys += [Key(id=user.uuid, uid=card, label=user.name or None) for card in access.card if card]
            codes += [Code(id=user.uuid, code=code, label=user.name or None) for code in access.code if code]
        return DeviceKeys(keys=keys, codes=codes)

    async def _write(
        self,
        create: list[tuple[str, dict[str, Any]]],
        update: list[tuple[str, dict[str, Any]]],
        remove: list[tuple[str, str]],
        cursor: SyncCursor | None,
    ) -> KeySyncReport:
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

        for start in range(0, len(create), BATCH):
            batch = create[start : start + BATCH]
            # force: a leftover record with our uuid (e.g. made by an interrupted sync) is replaced.
            result = await self._dir.create([record for _, record in batch], force=True)
            account("create", [pid for pid, _ in batch], result)
        for start in range(0, len(update), BATCH):
            batch = update[start : start + BATCH]
            result = await self._dir.update([record for _, record in batch])
            account("update", [pid for pid, _ in batch], result)
        for start in range(0, len(remove), BATCH):
            chunk = remove[start : start + BATCH]
            result = await self._dir.delete([uuid for uuid, _ in chunk])
            account("delete", [pid for _, pid in chunk], result)
        return KeySyncReport(
            created=done["create"],
            updated=done["update"],
            deleted=done["delete"],
            failed=failed,
            cursor=SyncCursor(series=cursor.series, timestamp=timestamp) if cursor else None,
        )
