"""The only place that builds SQL for the fleet: leases, nodes, the event journal, device states."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    Table,
    and_,
    case,
    delete,
    func,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.models import Intercom, IntercomCode, IntercomKey
from entryphone.models.device_event import DeviceEventRecord
from entryphone.models.device_state import DeviceState
from entryphone.models.door_open import DoorOpenRequest
from entryphone.models.door_opening import DoorOpening
from entryphone.models.fleet_lease import FleetLease
from entryphone.models.fleet_node import FleetNode
from entryphone.models.intercom_alert import IntercomAlert
from entryphone.models.registration import IntercomRegistration


def _insert(session: AsyncSession, table: Any) -> Any:
    """INSERT with ON CONFLICT support on both PostgreSQL and SQLite."""
    dialect = session.get_bind().dialect.name
    return pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)


# -- nodes and leases ---------------------------------------------------------------------------


async def heartbeat(session: AsyncSession, node_id: str, now: datetime) -> None:
    statement = _insert(session, FleetNode).values(id=node_id, heartbeat_at=now)
    await session.execute(statement.on_conflict_do_update(index_elements=["id"], set_={"heartbeat_at": now}))


async def live_node_count(session: AsyncSession, since: datetime) -> int:
    result = await session.execute(
        select(func.count()).select_from(FleetNode).where(FleetNode.heartbeat_at >= since)
    )
    return max(1, int(result.scalar_one()))


async def forget_node(session: AsyncSession, node_id: str) -> None:
    await session.execute(delete(FleetNode).where(FleetNode.id == node_id))
    await session.execute(
        update(FleetLease).where(FleetLease.owner == node_id).values(owner=None, expires_at=None)
    )


def eligible_intercoms(vendors: Sequence[str]) -> Select[int]:
    """Intercoms the supervisor should watch: live, with a vendor that has a driver and a device address."""
    return select(Intercom.id).where(
        Intercom.status != "deleted", Intercom.vendor.in_(list(vendors)), Intercom.ip.is_not(None)
    )


async def count_eligible(session: AsyncSession, vendors: Sequence[str]) -> int:
    query = select(func.count()).select_from(eligible_intercoms(vendors).subquery())
    return int((await session.execute(query)).scalar_one())


async def ensure_lease_rows(session: AsyncSession, vendors: Sequence[str]) -> None:
    missing = eligible_intercoms(vendors).where(~Intercom.id.in_(select(FleetLease.intercom_id)))
    ids = (await session.execute(missing)).scalars().all()
    if ids:
        statement = _insert(session, FleetLease).values([{"intercom_id": i} for i in ids])
        await session.execute(statement.on_conflict_do_nothing(index_elements=["intercom_id"]))


async def renew(
    session: AsyncSession, node_id: str, now: datetime, until: datetime, vendors: Sequence[str]
) -> list[int]:
    """Extend this node's unexpired leases on still-eligible intercoms; returns the ids kept."""
    kept = (
        (
            await session.execute(
                update(FleetLease)
                .where(
                    FleetLease.owner == node_id,
                    FleetLease.expires_at > now,
                    FleetLease.intercom_id.in_(eligible_intercoms(vendors)),
                )
                .values(expires_at=until)
                .returning(FleetLease.intercom_id)
            )
        )
        .scalars()
        .all()
    )
    return list(kept)


async def acquire(
    session: AsyncSession, node_id: str, now: datetime, until: datetime, limit: int, vendors: Sequence[str]
) -> list[int]:
    """Take up to `limit` free or expired leases. SKIP LOCKED lets nodes acquire concurrently
    without waiting on each other's rows (SQLite ignores it: a single process owns everything)."""
    if limit <= 0:
        return []
    free = (
        (
            await session.execute(
                select(FleetLease.intercom_id)
                .where(
                    or_(
                        FleetLease.owner.is_(None),
                        FleetLease.expires_at.is_(None),
                        FleetLease.expires_at <= now,
                    ),
                    FleetLease.intercom_id.in_(eligible_intercoms(vendors)),
                )
                .order_by(FleetLease.intercom_id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    if not free:
        return []
    await session.execute(
        update(FleetLease).where(FleetLease.intercom_id.in_(free)).values(owner=node_id, expires_at=until)
    )
    return list(free)


async def release(session: AsyncSession, node_id: str, intercom_ids: Sequence[int]) -> None:
    if intercom_ids:
        await session.execute(
            update(FleetLease)
            .where(FleetLease.owner == node_id, FleetLease.intercom_id.in_(list(intercom_ids)))
            .values(owner=None, expires_at=None)
        )


async def lease_owners(
    session: AsyncSession, intercom_ids: Sequence[int] | None = None
) -> dict[int, str | None]:
    query = select(FleetLease.intercom_id, FleetLease.owner)
    if intercom_ids is not None:
        query = query.where(FleetLease.intercom_id.in_(list(intercom_ids)))
    rows = await session.execute(query)
    return {int(intercom_id): owner for intercom_id, owner in rows.all()}


async def holds_lease(session: AsyncSession, node_id: str, intercom_id: int, now: datetime) -> bool:
    result = await session.execute(
        select(FleetLease.intercom_id).where(
            FleetLease.intercom_id == intercom_id, FleetLease.owner == node_id, FleetLease.expires_at > now
        )
    )
    return result.first() is not None


# -- intercoms as the supervisor sees them -------------------------------------------------------


async def intercoms_by_id(session: AsyncSession, ids: Sequence[int]) -> dict[int, Intercom]:
    if not ids:
        return {}
    rows = await session.execute(select(Intercom).where(Intercom.id.in_(list(ids))))
    return {intercom.id: intercom for intercom in rows.scalars().all()}


async def set_online(session: AsyncSession, intercom_id: int, online: bool, now: datetime) -> bool:
    """Returns whether the state changed (so the caller pushes only changes)."""
    result = await session.execute(
        update(Intercom)
        .where(Intercom.id == intercom_id, Intercom.is_online.is_not(online))
        .values(is_online=online, last_seen_at=now if online else Intercom.last_seen_at)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def touch_last_seen(session: AsyncSession, intercom_ids: Sequence[int], now: datetime) -> None:
    await session.execute(
        update(Intercom).where(Intercom.id.in_(list(intercom_ids))).values(last_seen_at=now)
    )


# -- the event journal -----------------------------------------------------------------------------


def _events_insert(dialect: str) -> Any:
    """Built once per dialect: SQLAlchemy caches its compiled form, and executing it with a list of
    rows sends them as multi-row VALUES pages (insertmanyvalues) with RETURNING."""
    found = _EVENTS_INSERT.get(dialect)
    if found is None:
        table = DeviceEventRecord.__table__
        assert isinstance(table, Table)
        statement = pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)
        found = statement.on_conflict_do_nothing(index_elements=["intercom_id", "dedupe_key"]).returning(
            table.c.id, table.c.intercom_id, table.c.kind, table.c.name, table.c.occurred_at, table.c.params
        )
        _EVENTS_INSERT[dialect] = found
    return found


_EVENTS_INSERT: dict[str, Any] = {}


async def insert_events(session: AsyncSession, rows: list[dict[str, Any]]) -> Sequence[Row[Any]]:
    """Insert journal rows, skipping any already stored; returns the new rows only, straight from the
    INSERT's RETURNING (id, intercom_id, kind, name, occurred_at, params), in no particular order."""
    if not rows:
        return []
    result = await session.execute(_events_insert(session.get_bind().dialect.name), rows)
    return result.all()


async def watched_intercoms(session: AsyncSession, intercom_ids: Sequence[int]) -> dict[int, bool]:
    """intercom id -> collecting_keys, for the intercoms that still exist."""
    if not intercom_ids:
        return {}
    rows = await session.execute(
        select(Intercom.id, Intercom.collecting_keys).where(Intercom.id.in_(list(intercom_ids)))
    )
    return {int(intercom_id): bool(collecting) for intercom_id, collecting in rows.all()}


async def record_last_events(session: AsyncSession, latest: dict[int, datetime]) -> None:
    """device_states.last_event_at of many intercoms in one statement (the catch-up window starts
    there after a reconnect)."""
    if not latest:
        return
    statement = _insert(session, DeviceState)
    statement = statement.on_conflict_do_update(
        index_elements=["intercom_id"], set_={"last_event_at": statement.excluded.last_event_at}
    )
    await session.execute(
        statement, [{"intercom_id": intercom_id, "last_event_at": at} for intercom_id, at in latest.items()]
    )


async def intercoms_awaiting_key(session: AsyncSession, intercom_ids: Sequence[int]) -> set[int]:
    """Which of these intercoms have a self-registration whose code was typed there and that waits
    for a key (registration.repository.awaiting_key, for a whole batch of intercoms at once)."""
    if not intercom_ids:
        return set()
    rows = await session.execute(
        select(IntercomRegistration.intercom_id)
        .where(
            IntercomRegistration.intercom_id.in_(list(intercom_ids)),
            IntercomRegistration.status == "code_entered",
        )
        .distinct()
    )
    return {int(intercom_id) for intercom_id in rows.scalars().all() if intercom_id is not None}


def journal_query(
    intercom_id: int,
    *,
    kinds: Sequence[str] | None,
    names: Sequence[str] | None,
    since: datetime | None,
    until: datetime | None,
) -> Select[DeviceEventRecord]:
    query = select(DeviceEventRecord).where(DeviceEventRecord.intercom_id == intercom_id)
    conditions: list[ColumnElement[bool]] = []
    if kinds:
        conditions.append(DeviceEventRecord.kind.in_(list(kinds)))
    if names:
        conditions.append(DeviceEventRecord.name.in_(list(names)))
    if since is not None:
        conditions.append(DeviceEventRecord.occurred_at >= since)
    if until is not None:
        conditions.append(DeviceEventRecord.occurred_at <= until)
    if conditions:
        query = query.where(and_(*conditions))
    return query.order_by(DeviceEventRecord.occurred_at.desc(), DeviceEventRecord.id.desc())


async def last_event_at(session: AsyncSession, intercom_id: int) -> datetime | None:
    state = await session.get(DeviceState, intercom_id)
    return state.last_event_at if state else None


async def upsert_device_state(session: AsyncSession, intercom_id: int, **values: Any) -> None:
    statement = _insert(session, DeviceState).values(intercom_id=intercom_id, **values)
    await session.execute(statement.on_conflict_do_update(index_elements=["intercom_id"], set_=values))


async def get_device_state(session: AsyncSession, intercom_id: int) -> DeviceState | None:
    return await session.get(DeviceState, intercom_id)


# -- desired keys and codes ------------------------------------------------------------------------


async def desired_keys(
    session: AsyncSession, intercom_id: int
) -> tuple[list[IntercomKey], list[IntercomCode]]:
    keys = await session.execute(
        select(IntercomKey).where(IntercomKey.intercom_id == intercom_id).order_by(IntercomKey.id)
    )
    codes = await session.execute(
        select(IntercomCode).where(IntercomCode.intercom_id == intercom_id).order_by(IntercomCode.id)
    )
    return list(keys.scalars().all()), list(codes.scalars().all())


async def key_fingerprints(
    session: AsyncSession, intercom_ids: Sequence[int]
) -> dict[int, tuple[object, ...]]:
    """Per intercom, a value that changes whenever its keys or codes change (added, edited, removed):
    one grouped query for the whole fleet, so watching for changes costs nothing per device."""
    if not intercom_ids:
        return {}
    ids = list(intercom_ids)
    fingerprints: dict[int, tuple[object, ...]] = {i: () for i in ids}
    for table in (IntercomKey, IntercomCode):
        rows = await session.execute(
            select(table.intercom_id, func.count(), func.max(table.id), func.max(table.updated_at))
            .where(table.intercom_id.in_(ids))
            .group_by(table.intercom_id)
        )
        for intercom_id, count, max_id, max_updated in rows.all():
            fingerprints[int(intercom_id)] += (table.__tablename__, int(count), max_id, str(max_updated))
    return fingerprints


async def credential_owner(session: AsyncSession, intercom_id: int, kind: str, credential: str) -> int | None:
    """The account a valid key (card) or code belongs to, when the platform knows it."""
    if kind == "card":
        query = select(IntercomKey.account_id).where(
            IntercomKey.intercom_id == intercom_id, IntercomKey.value == credential.upper()
        )
    else:
        query = select(IntercomCode.account_id).where(
            IntercomCode.intercom_id == intercom_id, IntercomCode.code == credential
        )
    return (await session.execute(query.limit(1))).scalar_one_or_none()


# -- what the events left: alerts and the door-open history -----------------------------------------


def alerts_query(intercom_id: int, *, unacknowledged: bool = False) -> Select[IntercomAlert]:
    query = select(IntercomAlert).where(IntercomAlert.intercom_id == intercom_id)
    if unacknowledged:
        query = query.where(IntercomAlert.acknowledged_at.is_(None))
    return query.order_by(IntercomAlert.occurred_at.desc(), IntercomAlert.id.desc())


async def acknowledge_alert(session: AsyncSession, intercom_id: int, alert_id: int, now: datetime) -> bool:
    result = await session.execute(
        update(IntercomAlert)
        .where(IntercomAlert.id == alert_id, IntercomAlert.intercom_id == intercom_id)
        .values(acknowledged_at=func.coalesce(IntercomAlert.acknowledged_at, now))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def door_history(
    session: AsyncSession, intercom_id: int, limit: int, offset: int
) -> tuple[int, list[tuple[str, str | None, int | None, datetime]]]:
    """Openings at the panel (valid key or code) and from the apps and admins (successful door-open
    requests), newest first: (source, credential, account id, when)."""
    panel = select(
        DoorOpening.source.label("source"),
        DoorOpening.credential.label("credential"),
        DoorOpening.account_id.label("account_id"),
        DoorOpening.opened_at.label("opened_at"),
    ).where(DoorOpening.intercom_id == intercom_id)
    remote = select(
        case((DoorOpenRequest.device_uuid.is_(None), "admin"), else_="app").label("source"),
        DoorOpenRequest.device_uuid.label("credential"),
        DoorOpenRequest.account_id.label("account_id"),
        DoorOpenRequest.finished_at.label("opened_at"),
    ).where(DoorOpenRequest.intercom_id == intercom_id, DoorOpenRequest.status == "opened")
    both = union_all(panel, remote).subquery()
    total = int((await session.execute(select(func.count()).select_from(both))).scalar_one())
    rows = await session.execute(
        select(both.c.source, both.c.credential, both.c.account_id, both.c.opened_at)
        .order_by(both.c.opened_at.desc())
        .limit(limit)
        .offset(offset)
    )
    return total, [(r.source, r.credential, r.account_id, r.opened_at) for r in rows.all()]
