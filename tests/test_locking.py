"""Locking a row to serialise writers on it does not change it: its updated_at stays (on SQLite
the lock is a no-op UPDATE, which SQLAlchemy's onupdate would otherwise stamp)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.db.locking import lock_row
from entryphone.models import Intercom
from tests.support import seed


def test_locking_a_row_leaves_its_updated_at(settings: Settings) -> None:
    async def create(session: AsyncSession, _context: AppContext) -> tuple[int, datetime]:
        intercom = Intercom(title=seed.unique("locked"), vendor="2n", status="installed")
        session.add(intercom)
        await session.flush()
        return intercom.id, intercom.updated_at

    intercom_id, updated_at = seed.in_session(settings, create)

    async def lock_and_read(session: AsyncSession, _context: AppContext) -> datetime:
        await lock_row(session, Intercom, intercom_id)
        intercom = await session.get(Intercom, intercom_id, populate_existing=True)
        assert intercom is not None
        return intercom.updated_at

    assert seed.in_session(settings, lock_and_read) == updated_at

    async def read(session: AsyncSession, _context: AppContext) -> datetime:
        intercom = await session.get(Intercom, intercom_id)
        assert intercom is not None
        return intercom.updated_at

    assert seed.in_session(settings, read) == updated_at
