"""Rules of the address tree. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.changes import Changes
from entryphone.errors import NotFound, ValidationFailed
from entryphone.groups import repository
from entryphone.groups.repository import GroupCounts
from entryphone.models import IntercomGroup

FULL_PRETTY_SEPARATOR = ", "


class GroupChanges(Changes):
    """A partial update of a group: only the fields sent change (None clears parent and external id)."""

    name: str | None = None
    parent_id: int | None = None
    is_house: bool | None = None
    external_id: str | None = None


@dataclass(frozen=True)
class GroupView:
    group: IntercomGroup
    full_pretty: str
    counts: GroupCounts


async def get(session: AsyncSession, group_id: int) -> IntercomGroup:
    group = await repository.get(session, group_id)
    if group is None:
        raise NotFound()
    return group


async def get_many(session: AsyncSession, group_ids: Sequence[int]) -> list[IntercomGroup]:
    return await repository.get_many(session, group_ids)


async def create(
    session: AsyncSession,
    *,
    name: str,
    parent_id: int | None = None,
    is_house: bool = False,
    external_id: str | None = None,
) -> IntercomGroup:
    if parent_id is not None and await repository.get(session, parent_id) is None:
        raise ValidationFailed.one("parent_id", "The selected parent_id is invalid.")
    if external_id is not None:
        await _ensure_external_id_free(session, external_id, None)
    group = IntercomGroup(name=name, parent_id=parent_id, is_house=is_house, external_id=external_id)
    session.add(group)
    await session.flush()
    return group


async def update(session: AsyncSession, group: IntercomGroup, changes: GroupChanges) -> IntercomGroup:
    """Apply a partial update: only the fields sent in `changes` change."""
    sent = changes.sent
    if "parent_id" in sent:
        if changes.parent_id is not None:
            await _ensure_valid_parent(session, group.id, changes.parent_id)
        group.parent_id = changes.parent_id
    if changes.external_id is not None:
        await _ensure_external_id_free(session, changes.external_id, group.id)
    if "external_id" in sent:
        group.external_id = changes.external_id
    if changes.name is not None:  # a name cannot be cleared
        group.name = changes.name
    if changes.is_house is not None:
        group.is_house = changes.is_house
    await session.flush()
    return group


async def delete(session: AsyncSession, group: IntercomGroup) -> None:
    counts = (await repository.counts(session, [group.id]))[group.id]
    if counts.children:
        raise ValidationFailed.one("group", "The group still holds other groups: move or delete them first.")
    if counts.cameras or await repository.any_intercoms(session, group.id):
        raise ValidationFailed.one("group", "The group still holds intercoms or cameras: move them first.")
    await session.delete(group)
    await session.flush()


async def views(session: AsyncSession, groups: Sequence[IntercomGroup]) -> list[GroupView]:
    """Reply data for groups: their full address path and how many things they hold."""
    if not groups:
        return []
    tree = await repository.ancestors(session, [group.id for group in groups])
    counts = await repository.counts(session, [group.id for group in groups])
    return [
        GroupView(group=group, full_pretty=full_pretty(tree, group.id), counts=counts[group.id])
        for group in groups
    ]


def full_pretty(tree: dict[int, tuple[int | None, str]], group_id: int) -> str:
    """Names from the root of the tree down to the group: "City, Street 1, House 5"."""
    names: list[str] = []
    current: int | None = group_id
    seen: set[int] = set()
    while current is not None and current in tree and current not in seen:
        seen.add(current)
        parent_id, name = tree[current]
        names.append(name)
        current = parent_id
    return FULL_PRETTY_SEPARATOR.join(reversed(names))


async def _ensure_valid_parent(session: AsyncSession, group_id: int, parent_id: int) -> None:
    tree = await repository.all_parents(session)
    if parent_id not in tree:
        raise ValidationFailed.one("parent_id", "The selected parent_id is invalid.")
    current: int | None = parent_id
    while current is not None:
        if current == group_id:
            raise ValidationFailed.one(
                "parent_id", "A group cannot be moved under itself or its own descendants."
            )
        current = tree[current][0] if current in tree else None


async def _ensure_external_id_free(session: AsyncSession, external_id: str, own_id: int | None) -> None:
    existing = await repository.get_by_external_id(session, external_id)
    if existing is not None and existing.id != own_id:
        raise ValidationFailed.one("external_id", "The external_id has already been taken.")


# Reads the API shows as stored (no rule applies to them): the repository's, offered here so that
# routes call services only.
list_query = repository.list_query
