"""The only place that builds SQL for the fleet: leases, nodes, the event journal, device states."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    Integer,
    Row,
    Select,
    String,
    Table,
    Text,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.intercoms import connection
from entryphone.models import Intercom, IntercomCode, IntercomKey
from entryphone.models.call import IntercomCall
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
    """Record the panel online (seen now) or offline in device_states, never in the intercom
    record. Returns whether the state changed (so the caller pushes only changes)."""
    if not online:  # no row yet reads as offline already
        result = await session.execute(
            update(DeviceState)
            .where(DeviceState.intercom_id == intercom_id, DeviceState.is_online.is_(True))
            .values(is_online=False)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
    values = {"is_online": True, "last_seen_at": now}
    statement = (
        _insert(session, DeviceState)
        .values(intercom_id=intercom_id, **values)
        .on_conflict_do_update(
            index_elements=["intercom_id"], set_=values, where=DeviceState.is_online.is_not(True)
        )
        .returning(DeviceState.intercom_id)
    )
    return (await session.execute(statement)).first() is not None


async def touch_last_seen(session: AsyncSession, node_id: str, now: datetime) -> None:
    """last_seen_at of every online intercom this node holds a lease on, in one statement (the
    node's ids come from its leases, not a parameter list thousands long). device_states only: the
    intercoms' updated_at, which admins see and HTTP validators use, does not move."""
    await session.execute(
        update(DeviceState)
        .where(DeviceState.is_online.is_(True), DeviceState.intercom_id.in_(_owned_by(node_id)))
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )


def _owned_by(node_id: str) -> Select[int]:
    return select(FleetLease.intercom_id).where(FleetLease.owner == node_id)


async def owned_connections(session: AsyncSession, node_id: str) -> dict[int, Any]:
    """intercom id -> its connection settings (intercoms.connection.COLUMNS),
    for every intercom this node holds a lease on: a plain row per intercom each tick, not an ORM
    object (a tick of a large fleet would spend most of its time building those)."""
    rows = await session.execute(select(*connection.COLUMNS).where(Intercom.id.in_(_owned_by(node_id))))
    return {int(row.id): row for row in rows.all()}


# -- the event journal -----------------------------------------------------------------------------


_EVENT_COLUMNS = (
    "intercom_id",
    "dedupe_key",
    "kind",
    "name",
    "device_event_id",
    "occurred_at",
    "received_at",
    "params",
)
_STATEMENTS: dict[str, Any] = {}


def _statement(name: str, build: Callable[[], Any]) -> Any:
    """Statements built once: their compiled form is cached by SQLAlchemy, and on PostgreSQL their
    text does not change with the number of rows, so the driver's prepared statement is reused
    (an IN list or a VALUES list of a new length is a new statement to prepare, a round trip)."""
    found = _STATEMENTS.get(name)
    if found is None:
        found = _STATEMENTS[name] = build()
    return found


def _core(model: Any) -> Table:
    """The model's table, for Core statements (no ORM bulk machinery in the way)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _events_table() -> Table:
    return _core(DeviceEventRecord)


@dataclass(frozen=True, slots=True)
class IntercomFacts:
    """What the effects of a batch need to know of its intercoms, read in the storing transaction
    (an admin who turns key collection on and touches a card right away expects it collected)."""

    collecting_keys: bool
    # A self-registration whose code was typed there waits for a key (registration.repository's
    # awaiting_key, for a whole batch at once): most cards are not part of one.
    awaiting_key: bool


def _awaiting_key(intercom_id: Any) -> Any:
    return (
        select(IntercomRegistration.id)
        .where(IntercomRegistration.intercom_id == intercom_id, IntercomRegistration.status == "code_entered")
        .exists()
    )


def _on_conflict_skip(statement: Any) -> Any:
    table = _events_table()
    return statement.on_conflict_do_nothing(index_elements=["intercom_id", "dedupe_key"]).returning(
        table.c.id, table.c.intercom_id, table.c.kind, table.c.name, table.c.occurred_at, table.c.params
    )


def _last_event_upsert(statement: Any) -> Any:
    return statement.on_conflict_do_update(
        index_elements=["intercom_id"], set_={"last_event_at": statement.excluded.last_event_at}
    )


def _pg_store_events() -> Any:
    """One statement for a whole batch on PostgreSQL: the rows come as one array per column
    (unnest), so the statement is the same whatever their number; new rows are inserted, the
    intercoms' last event times upserted from them, and the inserted rows returned with the facts
    of their intercoms, in one round trip."""
    types: dict[str, Any] = {
        "intercom_id": BigInteger(),
        "dedupe_key": String(),
        "kind": String(),
        "name": String(),
        "device_event_id": Integer(),
        "occurred_at": DateTime(timezone=True),
        "received_at": DateTime(timezone=True),
        "params": Text(),  # JSON text, cast below: arrays of jsonb have no codec in every driver
    }
    given = (
        func.unnest(*(bindparam(name, type_=ARRAY(types[name])) for name in _EVENT_COLUMNS))
        .table_valued(*_EVENT_COLUMNS)
        .render_derived()
    )
    values = [given.c[name] for name in _EVENT_COLUMNS[:-1]] + [cast(given.c.params, JSONB)]
    insert = pg_insert(_events_table()).from_select(list(_EVENT_COLUMNS), select(*values))
    inserted = _on_conflict_skip(insert).cte("inserted")
    latest = select(inserted.c.intercom_id, func.max(inserted.c.occurred_at)).group_by(inserted.c.intercom_id)
    states = _last_event_upsert(
        # The other columns take their server defaults (a Python default here would be sent as NULL).
        pg_insert(_core(DeviceState)).from_select(
            ["intercom_id", "last_event_at"], latest, include_defaults=False
        )
    ).cte("states")
    return (
        select(
            inserted.c.id,
            inserted.c.intercom_id,
            inserted.c.kind,
            inserted.c.name,
            inserted.c.occurred_at,
            inserted.c.params,
            Intercom.collecting_keys,
            _awaiting_key(Intercom.id),
        )
        .join_from(inserted, Intercom, Intercom.id == inserted.c.intercom_id)
        .add_cte(states)
    )


async def store_events(
    session: AsyncSession, rows: list[dict[str, Any]]
) -> tuple[Sequence[Row[Any]], dict[int, IntercomFacts] | None]:
    """Insert journal rows, skipping any already stored, and set device_states.last_event_at of
    their intercoms (the catch-up window starts there after a reconnect). Returns the new rows only
    (id, intercom_id, kind, name, occurred_at, params, in no particular order) and, where it costs
    nothing more, the facts of their intercoms (else None: `intercom_facts` reads them)."""
    if not rows:
        return [], {}
    if _dialect(session) == "postgresql":
        columns = {name: [row[name] for row in rows] for name in _EVENT_COLUMNS}
        columns["params"] = [json.dumps(params) for params in columns["params"]]
        result = (await session.execute(_statement("pg_store_events", _pg_store_events), columns)).all()
        facts = {int(row[1]): IntercomFacts(bool(row[6]), bool(row[7])) for row in result}
        return result, facts
    # SQLite prepares in-process: multi-row VALUES (insertmanyvalues) of any size cost nothing more.
    insert = _statement("sqlite_events_insert", lambda: _on_conflict_skip(sqlite_insert(_events_table())))
    inserted = (await session.execute(insert, rows)).all()
    latest: dict[int, datetime] = {}
    for row in inserted:
        if row.intercom_id not in latest or row.occurred_at > latest[row.intercom_id]:
            latest[row.intercom_id] = row.occurred_at
    if latest:
        upsert = _statement(
            "sqlite_last_events", lambda: _last_event_upsert(sqlite_insert(_core(DeviceState)))
        )
        await session.execute(upsert, [{"intercom_id": i, "last_event_at": at} for i, at in latest.items()])
    return inserted, None


async def intercom_facts(session: AsyncSession, intercom_ids: Sequence[int]) -> dict[int, IntercomFacts]:
    if not intercom_ids:
        return {}
    rows = await session.execute(
        select(Intercom.id, Intercom.collecting_keys, _awaiting_key(Intercom.id)).where(
            Intercom.id.in_(list(intercom_ids))
        )
    )
    return {int(i): IntercomFacts(bool(collecting), bool(waiting)) for i, collecting, waiting in rows.all()}


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


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


async def recent_events(
    session: AsyncSession, intercom_id: int, kind: str, since: datetime, before_id: int
) -> list[DeviceEventRecord]:
    """The intercom's stored events of `kind` from `since` up to the event `before_id`, oldest first."""
    rows = await session.execute(
        select(DeviceEventRecord)
        .where(
            DeviceEventRecord.intercom_id == intercom_id,
            DeviceEventRecord.kind == kind,
            DeviceEventRecord.occurred_at >= since,
            DeviceEventRecord.id < before_id,
        )
        .order_by(DeviceEventRecord.occurred_at, DeviceEventRecord.id)
        .limit(64)
    )
    return list(rows.scalars().all())


async def sip_call_id_of(
    session: AsyncSession, intercom_id: int, call_session: object, before_id: int
) -> str | None:
    """The SIP Call-ID the panel's latest CallStateChanged of its call `call_session` carried."""
    rows = await session.execute(
        select(DeviceEventRecord.params)
        .where(
            DeviceEventRecord.intercom_id == intercom_id,
            DeviceEventRecord.kind == "call_state",
            DeviceEventRecord.id < before_id,
        )
        .order_by(DeviceEventRecord.id.desc())
        .limit(20)
    )
    for params in rows.scalars():
        if params.get("session") == call_session and isinstance(params.get("sipCallId"), str):
            return str(params["sipCallId"])
    return None


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
    session: AsyncSession, intercom_ids: Sequence[int], *, node_id: str | None = None
) -> dict[int, tuple[object, ...]]:
    """Per intercom, a value that changes whenever its keys or codes change (added, edited,
    removed): one grouped query for the whole fleet, so watching for changes costs nothing per
    device. With `node_id` (the intercoms are that node's leases) the query selects by lease
    rather than by a parameter list thousands long."""
    if not intercom_ids:
        return {}
    fingerprints: dict[int, tuple[object, ...]] = {i: () for i in intercom_ids}
    ids: Any = _owned_by(node_id) if node_id is not None else list(intercom_ids)
    for table in (IntercomKey, IntercomCode):
        rows = await session.execute(
            select(table.intercom_id, func.count(), func.max(table.id), func.max(table.updated_at))
            .where(table.intercom_id.in_(ids))
            .group_by(table.intercom_id)
        )
        for intercom_id, count, max_id, max_updated in rows.all():
            if int(intercom_id) in fingerprints:
                fingerprints[int(intercom_id)] += (table.__tablename__, int(count), max_id, str(max_updated))
    return fingerprints


async def sip_fingerprints(
    session: AsyncSession, intercom_ids: Sequence[int], *, node_id: str | None = None
) -> dict[int, tuple[object, ...]]:
    """Per intercom with phone settings to provision (SIP settings, or a panel provisioned before
    whose settings were removed), a value that changes whenever those settings change; selected by
    lease with `node_id`, like key_fingerprints. Intercoms the platform has no phone settings for
    are left out: watching them costs nothing."""
    if not intercom_ids:
        return {}
    ids: Any = _owned_by(node_id) if node_id is not None else list(intercom_ids)
    rows = await session.execute(
        select(
            Intercom.id,
            Intercom.sip_server,
            Intercom.sip_port,
            Intercom.sip_login,
            Intercom.sip_password_encrypted,
            Intercom.sip_options,
        )
        .outerjoin(DeviceState, DeviceState.intercom_id == Intercom.id)
        .where(
            Intercom.id.in_(ids),
            or_(
                Intercom.sip_login.is_not(None),
                Intercom.sip_options.is_not(None),
                DeviceState.sip_sync_status.is_not(None),
            ),
        )
    )
    wanted = set(intercom_ids)
    return {
        int(row[0]): (*row[1:5], json.dumps(row[5], sort_keys=True))
        for row in rows.all()
        if int(row[0]) in wanted
    }


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


@dataclass(frozen=True, slots=True)
class DoorHistoryRow:
    source: str  # key | code | dtmf | app | admin
    credential: str | None
    account_id: int | None
    opened_at: datetime
    device_uuid: str | None
    call_id: int | None


async def door_history(
    session: AsyncSession, intercom_id: int, limit: int, offset: int
) -> tuple[int, list[DoorHistoryRow]]:
    """Openings at the panel (valid key or code, DTMF during a call) and from the apps and admins
    (successful door-open requests), newest first."""
    # A DTMF opening names its call; who answered it may reach the call record after the panel's
    # events (Kamailio's report is queued), so it is read from the call.
    panel = (
        select(
            DoorOpening.source.label("source"),
            DoorOpening.credential.label("credential"),
            func.coalesce(DoorOpening.account_id, IntercomCall.answered_account_id).label("account_id"),
            DoorOpening.opened_at.label("opened_at"),
            func.coalesce(DoorOpening.device_uuid, IntercomCall.answered_device_uuid).label("device_uuid"),
            DoorOpening.call_id.label("call_id"),
        )
        .outerjoin(IntercomCall, IntercomCall.id == DoorOpening.call_id)
        .where(DoorOpening.intercom_id == intercom_id)
    )
    remote = select(
        case((DoorOpenRequest.device_uuid.is_(None), "admin"), else_="app").label("source"),
        DoorOpenRequest.device_uuid.label("credential"),
        DoorOpenRequest.account_id.label("account_id"),
        DoorOpenRequest.finished_at.label("opened_at"),
        DoorOpenRequest.device_uuid.label("device_uuid"),
        cast(null(), BigInteger).label("call_id"),
    ).where(DoorOpenRequest.intercom_id == intercom_id, DoorOpenRequest.status == "opened")
    both = union_all(panel, remote).subquery()
    total = int((await session.execute(select(func.count()).select_from(both))).scalar_one())
    rows = await session.execute(select(both).order_by(both.c.opened_at.desc()).limit(limit).offset(offset))
    return total, [
        DoorHistoryRow(r.source, r.credential, r.account_id, r.opened_at, r.device_uuid, r.call_id)
        for r in rows.all()
    ]
