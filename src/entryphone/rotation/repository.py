"""The SQL of the rotation: every `*_encrypted` column of every table, read and written by key.

Secrets live in columns named `*_encrypted` (CONTRIBUTING: secrets are write-only); they are found
from the metadata, so a table added later is rotated without a change here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.db.base import Base

SUFFIX = "_encrypted"


def encrypted_columns() -> list[tuple[Table, Column[Any]]]:
    import entryphone.models  # noqa: F401 - every table registered on the metadata

    return [
        (table, column)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.name.endswith(SUFFIX)
    ]


async def batch_after(
    session: AsyncSession, table: Table, column: Column[Any], after: Any, limit: int
) -> Sequence[tuple[Any, str]]:
    """(primary key, value) of the next `limit` rows with a value, in key order after `after`."""
    (key,) = table.primary_key.columns
    query = select(key, column).where(column.is_not(None)).order_by(key).limit(limit)
    if after is not None:
        query = query.where(key > after)
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def write(session: AsyncSession, table: Table, column: Column[Any], row_key: Any, value: str) -> None:
    (key,) = table.primary_key.columns
    await session.execute(update(table).where(key == row_key).values({column.name: value}))
