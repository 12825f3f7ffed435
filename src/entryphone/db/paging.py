"""One page of a query and the number of rows of all pages: what every paginated list runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession


async def fetch_page(
    session: AsyncSession, query: Select[Any], limit: int, offset: int
) -> tuple[Sequence[Any], int]:
    """The rows of one page of `query` (its first column: the row object) and the total count."""
    counted = select(func.count()).select_from(query.order_by(None).subquery())
    total = int((await session.execute(counted)).scalar_one())
    rows = (await session.execute(query.limit(limit).offset(offset))).scalars().all()
    return rows, total
