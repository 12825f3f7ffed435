"""The only place that builds SQL for intercom groups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from entryphone.models import Camera, Intercom, IntercomGroup


@dataclass(frozen=True)
class GroupCounts:
    intercoms: int
    cameras: int
    children: int


async def get(session: AsyncSession, group_id: int) -> IntercomGroup | None:
    return await session.get(IntercomGroup, group_id)


async def get_by_external_id(session: AsyncSession, external_id: str) -> IntercomGroup | None:
    result = await session.execute(select(IntercomGroup).where(IntercomGroup.external_id == external_id))
    return result.scalar_one_or_none()


_BY_IDS = select(IntercomGroup).where(IntercomGroup.id.in_(bindparam("ids", expanding=True)))


async def get_many(session: AsyncSession, group_ids: Sequence[int]) -> list[IntercomGroup]:
    if not group_ids:
        return []
    result = await session.execute(_BY_IDS, {"ids": list(group_ids)})
    return list(result.scalars().all())


def _ancestors_query() -> Select[tuple[int, int | None, str]]:
    """The groups and all their ancestors, walking up the tree in the database (UNION, not UNION
    ALL, so even a corrupted cyclic tree terminates)."""
    up = (
        select(IntercomGroup.id, IntercomGroup.parent_id, IntercomGroup.name)
        .where(IntercomGroup.id.in_(bindparam("ids", expanding=True)))
        .cte("up", recursive=True)
    )
    parent = aliased(IntercomGroup)
    up = up.union(select(parent.id, parent.parent_id, parent.name).join(up, parent.id == up.c.parent_id))
    return select(up.c.id, up.c.parent_id, up.c.name)


# Built once: the statement is then compiled once and reused from SQLAlchemy's cache.
_ANCESTORS = _ancestors_query()


async def ancestors(session: AsyncSession, group_ids: Sequence[int]) -> dict[int, tuple[int | None, str]]:
    """id -> (parent_id, name) for the groups and everything above them, not the whole tree."""
    if not group_ids:
        return {}
    rows = await session.execute(_ANCESTORS, {"ids": list(group_ids)})
    return {row.id: (row.parent_id, row.name) for row in rows}


async def all_parents(session: AsyncSession) -> dict[int, tuple[int | None, str]]:
    """id -> (parent_id, name) for the whole tree: trees of addresses are small, one query is cheapest."""
    rows = await session.execute(select(IntercomGroup.id, IntercomGroup.parent_id, IntercomGroup.name))
    return {row.id: (row.parent_id, row.name) for row in rows}


def list_query(*, search: str | None, parent_id: int | None, is_house: bool | None) -> Select[IntercomGroup]:
    query = select(IntercomGroup)
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(
            or_(
                func.lower(IntercomGroup.name).like(pattern),
                func.lower(IntercomGroup.external_id).like(pattern),
            )
        )
    if parent_id is not None:
        query = query.where(IntercomGroup.parent_id == parent_id)
    if is_house is not None:
        query = query.where(IntercomGroup.is_house == is_house)
    return query.order_by(IntercomGroup.id)


def _counts_query() -> Select[Any]:
    """Per group: live intercoms, cameras not deleted, child groups (correlated counts)."""
    group = aliased(IntercomGroup)
    child = aliased(IntercomGroup)
    live_intercoms = (
        select(func.count())
        .where(Intercom.group_id == group.id, Intercom.status != "deleted")
        .scalar_subquery()
    )
    cameras = (
        select(func.count()).where(Camera.group_id == group.id, Camera.deleted_at.is_(None)).scalar_subquery()
    )
    children = select(func.count()).where(child.parent_id == group.id).scalar_subquery()
    return select(group.id, live_intercoms, cameras, children).where(
        group.id.in_(bindparam("ids", expanding=True))
    )


# One statement for the three counts of every group asked for (built once, compiled once).
_COUNTS = _counts_query()


async def counts(session: AsyncSession, group_ids: Sequence[int]) -> dict[int, GroupCounts]:
    if not group_ids:
        return {}
    rows = (await session.execute(_COUNTS, {"ids": list(group_ids)})).all()
    found = {
        int(row[0]): GroupCounts(intercoms=int(row[1]), cameras=int(row[2]), children=int(row[3]))
        for row in rows
    }
    return {gid: found.get(gid, GroupCounts(intercoms=0, cameras=0, children=0)) for gid in group_ids}


async def any_intercoms(session: AsyncSession, group_id: int) -> bool:
    """Deleted intercoms still reference their group (audit trail), so they block deletion too."""
    result = await session.execute(select(Intercom.id).where(Intercom.group_id == group_id).limit(1))
    return result.first() is not None
