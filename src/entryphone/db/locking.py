"""Serialising writers on one row, on both databases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession


async def lock_row(session: AsyncSession, model: Any, row_id: int) -> None:
    """Hold the row until the transaction ends, so check-then-write sequences on it (concurrent
    PATCHes, two residents taking one flat) run one after the other.

    PostgreSQL: SELECT ... FOR UPDATE. SQLite has no row locks, and pysqlite reads outside a
    transaction until the first write: a no-op write takes the database's write lock, so what is
    read next is the latest commit and other writers wait. The no-op sets every column that has an
    `onupdate` (updated_at) to itself, so locking a row never looks like changing it."""
    if session.get_bind().dialect.name == "sqlite":
        table = model.__table__
        unchanged = {column.key: column for column in table.columns if column.onupdate is not None}
        statement = update(model).where(model.id == row_id).values(id=model.id, **unchanged)
        await session.execute(statement.execution_options(synchronize_session=False))
    else:
        await session.execute(select(model.id).where(model.id == row_id).with_for_update())
